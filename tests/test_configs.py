"""configs/: every file parses with the training CLI, names its seed figure, and keeps data paths relative."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fer_torch.cli.lightning_cli import ParseOnlyCLI
from fer_torch.cli.train import build_cli
from fer_torch.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SEED_CONFIGS = sorted(CONFIGS.glob("seed*.yaml"))
PRESETS = sorted((CONFIGS / "trainer").glob("*.yaml"))
FROM_SCRATCH = {"mouth_cnn", "plain_cnn", "bn_cnn", "bn_cnn_two_conv", "bn_cnn_avg_pool", "five_layer_cnn"}


def _parse(*files: Path, extra: tuple[str, ...] = ()):
    return build_cli([*(a for f in files for a in ("--config", str(f))), *extra], ParseOnlyCLI).config


def test_every_seed_experiment_has_a_config():
    names = {p.stem for p in SEED_CONFIGS}
    assert {
        "seed000_mouth_cnn", "seed000_vgg16_model6", "seed000_vgg16_model7", "seed000_vgg19_model8",
        "seed000_vgg19_model9", "seed001_plain_cnn", "seed002_bn_cnn", "seed003_five_layer_cnn",
        "seed003_resnet50", "seed003_resnet50_class_weights", "seed003_resnet50_hist_eq", "seed003_seresnet50",
        "seed003_seresnet50_class_weights", "seed003_vgg16", "seed003_facenet", "seed004_bn_cnn",
    } <= names


@pytest.mark.parametrize("path", SEED_CONFIGS, ids=[p.stem for p in SEED_CONFIGS])
def test_config_parses_names_its_seed_and_keeps_paths_relative(path):
    header = path.read_text().splitlines()[0]
    assert header.startswith(f"# Seed {path.stem[4:7]}") and "Reported" in path.read_text()
    config = _parse(path)
    assert not Path(config.data.root).is_absolute()
    if config.model.arch not in FROM_SCRATCH:
        assert config.model.pretrained not in (False, None)  # as the seeds did; tests pass --model.pretrained false


def test_seed_specific_settings():
    mouth = _parse(CONFIGS / "seed000_mouth_cnn.yaml")
    spec = mouth.data.input_spec
    assert (mouth.data.source, spec.region, list(spec.image_size)) == ("webcam", "mouth", [43, 72])
    plain = _parse(CONFIGS / "seed001_plain_cnn.yaml")
    assert plain.data.classes == ["angry", "happy", "sad", "surprise", "neutral"]
    assert plain.data.max_per_class == {"happy": 4000}
    five = _parse(CONFIGS / "seed003_five_layer_cnn.yaml")
    assert five.data.input_spec.preprocessing == ["unsharp_mask"]
    resnet = _parse(CONFIGS / "seed003_resnet50.yaml")
    sgd, plateau = resnet.model.optimizer.options, resnet.model.scheduler.options
    optimizer = resnet.model.optimizer
    assert (optimizer.name, optimizer.lr, sgd["momentum"], sgd["nesterov"]) == ("sgd", 0.01, 0.9, True)
    assert (resnet.model.scheduler.name, plateau["factor"], plateau["patience"]) == ("plateau", 0.5, 9)
    assert (plateau["time_decay"], resnet.model.optimizer.weight_decay, plateau["min_delta"]) == (1e-4, 0.0, 1e-4)
    finetune = resnet.trainer.callbacks[0].init_args
    assert (finetune.phase2_lr, finetune.phase2_early_stopping_patience, finetune.train_bn) == (1e-4, 20, True)
    assert _parse(CONFIGS / "seed003_resnet50_class_weights.yaml").model.loss.class_weights == "balanced"
    assert _parse(CONFIGS / "seed003_resnet50_hist_eq.yaml").data.input_spec.preprocessing == ["hist_eq"]
    assert _parse(CONFIGS / "seed004_bn_cnn.yaml").model.optimizer.lr == 5e-4


def test_seed002_keras_callbacks_and_ablations():
    c = _parse(CONFIGS / "seed002_bn_cnn.yaml")
    plateau = c.model.scheduler.options
    assert (plateau["patience"], plateau["min_delta"]) == (2, 1e-4)  # Keras patience 3, absolute delta
    assert c.trainer.callbacks[0].class_path == "fer_torch.callbacks.BestWeightsEarlyStopping"
    a, b = _parse(CONFIGS / "seed002_model_a.yaml"), _parse(CONFIGS / "seed002_model_b.yaml")
    assert (a.model.arch, a.model.optimizer.name) == ("bn_cnn_two_conv", "adam")
    b_momentum = b.model.optimizer.options["momentum"]
    assert (b.model.arch, b.model.optimizer.name, b.model.optimizer.lr, b_momentum) == (
        "bn_cnn_avg_pool", "sgd", 1e-3, 0.0)


def test_seed003_ensemble_recipe_lists_seven_trainable_members():
    recipe = yaml.safe_load((CONFIGS / "ensembles" / "seed003_seven_models.yaml").read_text())
    assert len(recipe["members"]) == 7 and recipe["vote"] == "mean"
    archs = [_parse(CONFIGS / member).model.arch for member in recipe["members"]]
    assert archs == ["five_layer_cnn", "resnet50", "resnet50", "resnet50", "seresnet50", "seresnet50",
                     "inception_resnet_v1"]


@pytest.mark.parametrize("preset", PRESETS, ids=[p.stem for p in PRESETS])
def test_trainer_presets_compose_with_any_config(preset):
    config = _parse(CONFIGS / "seed002_bn_cnn.yaml", preset)
    assert config.model.arch == "bn_cnn" and config.trainer.accelerator in ("cpu", "gpu")
    if preset.stem == "multi_gpu_ddp":
        assert (config.trainer.devices, config.trainer.strategy, config.trainer.sync_batchnorm) == (-1, "ddp", True)
        assert config.trainer.precision in ("16-mixed", "bf16-mixed")


def test_variant_configs_expand_their_bases(tmp_path):
    config = _parse(CONFIGS / "seed003_seresnet50_class_weights.yaml", extra=("--model.optimizer.lr", "0.5"))
    assert [Path(str(a)).name for a in config.config] == [
        "seed003_resnet50.yaml", "seed003_seresnet50.yaml", "seed003_seresnet50_class_weights.yaml"]
    assert config.model.optimizer.lr == 0.5  # options after the files win
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"base_config": "missing.yaml"}))
    with pytest.raises(ConfigError, match="broken.yaml: base_config 'missing.yaml' not found"):
        _parse(broken)


# -- configs by name (packaged in the wheel: fer_torch/configs; configs/ of a checkout links there) ---------------
def test_the_checkout_configs_folder_is_the_packaged_one():
    from fer_torch.paths import CONFIGS_DIR

    assert CONFIGS.resolve() == CONFIGS_DIR.resolve() and CONFIGS_DIR.parent.name == "fer_torch"


@pytest.mark.parametrize("name", ["seed004_bn_cnn", "seed004_bn_cnn.yaml", "configs/seed004_bn_cnn.yaml"])
def test_a_config_is_found_by_name_or_path(name, tmp_path, monkeypatch):
    from fer_torch.cli.config_files import resolve_config

    monkeypatch.chdir(tmp_path)  # outside the checkout: only the packaged configs are there
    assert resolve_config(name).resolve() == (CONFIGS / "seed004_bn_cnn.yaml").resolve()
    assert resolve_config("trainer/cpu").name == "cpu.yaml"
    with pytest.raises(ConfigError, match="--config seed999: no such file or packaged config.*--list-configs"):
        resolve_config("seed999")
    with pytest.raises(ConfigError, match="no such file or packaged config"):
        resolve_config("../pyproject.toml")


def test_training_parses_a_config_named_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = build_cli(["--config", "seed004_bn_cnn", "--config", "trainer/cpu"], parse_only=True)
    assert cli.config.model.arch == "bn_cnn" and cli.config.trainer.max_epochs == 10


def test_a_copied_config_still_finds_its_packaged_base(tmp_path, monkeypatch, capsys):
    from fer_torch.cli.common import run_tool
    from fer_torch.cli.config_files import base_chain
    from fer_torch.cli.train import main

    monkeypatch.chdir(tmp_path)
    assert run_tool(main, ["--copy-config", "seed004_bn_cnn", "mine/"]) == 0
    copied = tmp_path / "mine" / "seed004_bn_cnn.yaml"
    assert capsys.readouterr().out.strip() == str(Path("mine") / "seed004_bn_cnn.yaml") and copied.is_file()
    assert [p.name for p in base_chain(copied)] == ["seed002_bn_cnn.yaml"]
    assert run_tool(main, ["--copy-config", "seed004_bn_cnn", "mine/"]) == 2
    assert "exists" in capsys.readouterr().err


def test_list_configs_names_every_packaged_config(capsys):
    from fer_torch.cli.common import run_tool
    from fer_torch.cli.train import main

    assert run_tool(main, ["--list-configs"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == sorted(p.relative_to(CONFIGS).with_suffix("").as_posix() for p in CONFIGS.rglob("*.yaml"))
    assert "seed004_bn_cnn" in listed and "trainer/cpu" in listed
