"""The CPU training mode: chosen from the CPU's flags (mocked here), never over an explicit choice, printed in one
line and recorded in the run's config.yaml; the in-memory path is the default for presets; FLOPs in the summary."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
import yaml

from fer_torch import hardware
from fer_torch.cli.lightning_cli import ParseOnlyCLI, apply_cpu_mode
from fer_torch.cli.train import build_cli, run
from fer_torch.data.datamodule import FERDataModule, resolve_loader

REPO = Path(__file__).resolve().parents[1]
SEED004 = str(REPO / "configs/seed004_bn_cnn.yaml")
RESNET = str(REPO / "configs/fer2013_resnet_fer.yaml")
QUIET = ["--trainer.enable_progress_bar", "false"]

AMX = {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}
ZEN4 = {"avx512f", "avx512_bf16"}
AVX512 = {"avx512f", "avx2"}
AVX2 = {"avx2", "fma"}


@pytest.fixture
def flags(monkeypatch):
    """Set the CPU's reported flags: ``flags(AMX)``."""
    def set_flags(names):
        monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset(names))
    return set_flags


@pytest.mark.parametrize("cpu, bf16, channels_last", [(AMX, True, True), (ZEN4, True, True), (AVX512, False, True),
                                                       (AVX2, False, False), (set(), False, False)])
def test_mode_is_bf16_channels_last_exactly_with_bf16_instructions(flags, cpu, bf16, channels_last):
    flags(cpu)
    mode = hardware.cpu_mode()
    assert (mode.bf16, mode.channels_last) == (bf16, channels_last)
    assert mode.training_precision == ("bf16-mixed" if bf16 else "32-true")


def test_amx_is_named_before_avx512_bf16(flags):
    flags(AMX)
    assert hardware.cpu_bf16_flag() == "amx_bf16"
    assert "amx_bf16 detected" in hardware.cpu_mode().describe()


def _parsed(*args: str):
    return build_cli(["--config", SEED004, "--data.root", "unused", *args], ParseOnlyCLI).config


@pytest.mark.parametrize("cpu, precision, channels_last", [(AMX, "bf16-mixed", True), (AVX2, "32-true", False)])
def test_cpu_runs_get_the_hardware_mode_by_default(flags, cpu, precision, channels_last):
    flags(cpu)
    config = _parsed()  # the CLI resolves before instantiating anything
    assert (config.trainer.precision, config.model.channels_last) == (precision, channels_last)
    config.trainer.precision = config.model.channels_last = None
    line = apply_cpu_mode(config)
    assert line.startswith("Training on CPU ") and "\n" not in line
    assert line.endswith(", chosen for this CPU") and ("amx_bf16 detected" in line) == (precision == "bf16-mixed")


@pytest.mark.parametrize("args, precision, channels_last", [
    (["--trainer.precision", "32"], 32, True),
    (["--config", str(REPO / "configs/trainer/cpu.yaml")], "32-true", True),
    (["--model.channels_last", "false"], "bf16-mixed", False),
    (["--trainer.precision", "bf16-mixed", "--model.channels_last", "false"], "bf16-mixed", False),
])
def test_an_explicit_choice_is_never_overridden(flags, args, precision, channels_last):
    flags(AMX)
    config = _parsed(*args)
    apply_cpu_mode(config)
    assert (config.trainer.precision, config.model.channels_last) == (precision, channels_last)


def test_an_explicit_choice_is_named_beside_this_cpus_own_mode(flags):
    flags(AMX)
    config = _parsed("--trainer.precision", "32-true")
    config.model.channels_last = None
    line = apply_cpu_mode(config)
    assert line.startswith("Training on CPU ") and "32-true, channels-last (precision as configured;" in line
    assert line.endswith("this CPU's fastest mode: CPU " + hardware.cpu_name() + ": bf16-mixed, channels-last "
                         "(amx_bf16 detected))")


@pytest.mark.parametrize("args, fused", [([], True), (["--model.optimizer.fused", "false"], False)])
def test_cpu_runs_step_a_fused_optimizer_unless_told_otherwise(flags, args, fused):
    flags(AVX2)
    assert _parsed(*args).model.optimizer.fused is fused


def test_a_gpu_run_is_left_alone(flags):
    flags(AMX)
    config = _parsed("--config", str(REPO / "configs/trainer/gpu.yaml"))
    assert apply_cpu_mode(config) is None
    assert config.trainer.precision == "bf16-mixed" and config.model.channels_last is True
    assert config.model.optimizer.fused is True  # gpu.yaml's own


def test_no_explicit_32_run_is_ever_turned_to_bf16_on_avx2(flags):
    flags(AVX2)
    config = _parsed("--trainer.precision", "bf16-mixed")
    apply_cpu_mode(config)
    assert config.trainer.precision == "bf16-mixed"  # explicit bf16 stays, even where it is slow


def _train(root: Path, out: Path, *extra: str):
    return run(["--config", SEED004, "--data.root", str(root), "--data.batch_size", "16",
                "--trainer.default_root_dir", str(out), "--trainer.deterministic", "true", "--seed_everything", "7",
                "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1", *QUIET, *extra])


@pytest.mark.parametrize("cpu, precision", [(AMX, "bf16-mixed"), (AVX2, "32-true")])
def test_the_mode_is_printed_once_and_recorded_in_the_runs_config(flags, fer_folder, tmp_path, caplog, cpu, precision):
    flags(cpu)
    with caplog.at_level(logging.INFO):
        cli = _train(fer_folder, tmp_path, "--trainer.max_epochs", "1")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Training on CPU")]
    assert len(lines) == 1 and precision in lines[0]
    saved = yaml.safe_load((Path(cli.trainer.log_dir) / "config.yaml").read_text())
    assert saved["trainer"]["precision"] == precision
    assert saved["model"]["channels_last"] is (precision == "bf16-mixed")
    assert saved["data"]["loader"] == "device"
    assert cli.trainer.precision == precision and saved["model"]["optimizer"]["fused"] is True
    assert cli.model.optimizers().optimizer.defaults["fused"] is True
    assert cli.model.hparams.channels_last is (precision == "bf16-mixed")


@pytest.mark.parametrize("cpu", [AMX, AVX2], ids=["bf16", "fp32"])
def test_resume_equals_the_uninterrupted_run_on_the_default_path(flags, fer_folder, tmp_path, cpu):
    flags(cpu)
    full = _train(fer_folder, tmp_path / "full", "--trainer.max_epochs", "3")
    first = _train(fer_folder, tmp_path / "part", "--trainer.max_epochs", "2")
    last = Path(first.trainer.log_dir) / "checkpoints" / "last.ckpt"
    resumed = _train(fer_folder, tmp_path / "resumed", "--trainer.max_epochs", "3", "--ckpt_path", str(last))
    assert resumed.datamodule.hparams.loader == "device"
    for key in ("train/loss", "val/loss", "val/acc"):
        assert torch.equal(resumed.trainer.callback_metrics[key], full.trainer.callback_metrics[key]), key
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_auto_loader_is_in_memory_for_presets_and_the_dataloader_for_albumentations_lists():
    assert resolve_loader("auto", "standard") == ("device", None)
    assert resolve_loader("auto", None) == ("device", None)
    loader, note = resolve_loader("auto", [{"name": "HorizontalFlip", "p": 0.5}])
    assert loader == "dataloader" and "albumentations" in note and "\n" not in note
    assert resolve_loader("dataloader", "standard") == ("dataloader", None)


def test_datamodule_resolves_auto_and_records_it(fer_folder):
    assert FERDataModule(str(fer_folder), arch="bn_cnn").hparams.loader == "device"
    listed = FERDataModule(str(fer_folder), arch="bn_cnn", train_augment=[{"name": "HorizontalFlip", "p": 0.5}])
    assert listed.hparams.loader == "dataloader"


def test_the_model_summary_counts_flops(fer_folder, tmp_path):
    from pytorch_lightning.utilities.model_summary import ModelSummary

    cli = build_cli(["--config", RESNET, "--data.root", str(fer_folder), "--trainer.default_root_dir", str(tmp_path)])
    summary = ModelSummary(cli.model)
    assert summary.total_flops > 100e6  # resnet_fer: ~171 MFLOPs per 48x48 face
