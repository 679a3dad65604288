"""Architectures as an extension point: a registered model brings its default input spec, and a config that names
only ``model.arch`` trains with it (``data:`` lists overrides only)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from torch import nn

from fer_torch.cli.lightning_cli import ParseOnlyCLI
from fer_torch.cli.train import build_cli, run
from fer_torch.errors import ConfigError
from fer_torch.models import FERNet, list_models, model_entry, model_input_spec, register_model
from fer_torch.models.heads import MLPHead
from fer_torch.models.registry import MODELS
from fer_torch.spec import InputSpec

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
DUMMY = "dummy_extension_net"
DUMMY_SPEC = InputSpec(image_size=(32, 40), channels=3, mean=(0.4, 0.45, 0.5), std=(0.2, 0.25, 0.3), region="face")
SPEC_KEYS = tuple(InputSpec.__dataclass_fields__)
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


@pytest.fixture
def dummy_arch():
    """A tiny architecture registered with a non-default input spec, unregistered afterwards."""

    @register_model(DUMMY, image_size=(32, 40), channels=3, mean=(0.4, 0.45, 0.5), std=(0.2, 0.25, 0.3))
    def dummy(num_classes: int, in_chans: int = 1, pretrained: bool = False) -> FERNet:
        backbone = nn.Sequential(nn.Conv2d(in_chans, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        return FERNet(backbone, MLPHead(4, num_classes))

    yield DUMMY
    MODELS.unregister(DUMMY)


def _train(config: Path, root: Path, out: Path, *extra: str):
    return run(["--config", str(config), "--data.root", str(root), "--data.dataloader.num_workers", "0",
                "--data.batch_size", "8", "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "1",
                "--trainer.limit_val_batches", "1", "--trainer.default_root_dir", str(out), *QUIET, *extra])


@pytest.mark.parametrize("override, expected", [
    ((), DUMMY_SPEC),
    (("--data.input_spec.image_size", "[36, 36]"), InputSpec(**{**DUMMY_SPEC.to_dict(), "image_size": (36, 36)})),
], ids=["registry_default", "config_override"])
def test_config_naming_only_the_arch_trains_with_its_registry_spec(dummy_arch, fer_folder, tmp_path, override,
                                                                   expected):
    config = tmp_path / "dummy.yaml"
    config.write_text(yaml.safe_dump({"model": {"arch": dummy_arch}}))
    assert model_input_spec(dummy_arch) == DUMMY_SPEC
    cli = _train(config, fer_folder, tmp_path / "runs", *override)
    assert cli.datamodule.input_spec == expected
    assert cli.model.hparams.input_spec["channels"] == 3  # channels come from the resolved spec
    run_dir = Path(cli.trainer.log_dir)
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["hyper_parameters"]["input_spec"] == expected.to_dict()
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())["data"]  # the run's config states its input
    assert saved["input_spec"] == expected.to_dict()


def test_mouth_cnn_reads_mouths_by_default():
    spec = model_input_spec("mouth_cnn")
    assert (spec.region, spec.image_size, spec.mean, spec.std) == ("mouth", (43, 72), (0.0,), (1.0,))


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_has_a_full_input_spec(name):
    spec = model_input_spec(name)
    assert isinstance(spec, InputSpec) and all(getattr(spec, key) is not None for key in SPEC_KEYS)
    assert len(spec.mean) == len(spec.std) == spec.channels


def test_factories_say_whether_they_take_an_image_size():
    assert model_entry("bn_cnn").accepts("image_size") and not model_entry("resnet50").accepts("image_size")


def test_changing_channels_alone_keeps_only_a_shared_normalization():
    assert InputSpec().override(channels=3).mean == (0.5, 0.5, 0.5)
    with pytest.raises(ConfigError, match="per channel for 3 channels; give mean for 1"):
        model_input_spec("resnet50").override(channels=1)


EXPERIMENT_CONFIGS = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("path", EXPERIMENT_CONFIGS, ids=[p.stem for p in EXPERIMENT_CONFIGS])
def test_no_config_restates_its_architectures_default(path):
    arch = build_cli(["--config", str(path)], ParseOnlyCLI).config.model.arch
    default = model_input_spec(arch)
    spec = ((yaml.safe_load(path.read_text()) or {}).get("data") or {}).get("input_spec") or {}
    restated = [key for key in SPEC_KEYS if key in spec and default.override(**{key: spec[key]}) == default]
    assert not restated, f"{path.name} restates {arch}'s registry default {restated}"
