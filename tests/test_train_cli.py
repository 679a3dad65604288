"""tools/train.py: every config trains on fixture data; resume is exact; bad input exits 2 with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fer_torch.cli.train import build_cli, run
from fer_torch.fixtures.synthetic_images import make_synthetic_samples
from fer_torch.data.webcam import WebcamDatasetWriter
from fer_torch.lit.checkpoint import load_lightning_module

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))  # every experiment config (trainer presets live in configs/trainer/)
WEBCAM_CLASSES = ("happy", "neutral", "surprise")

# Big pretrained-style backbones train at the smallest size their architecture allows, to stay fast.
SMALL_SIZE = {"vgg16": 32, "vgg19": 32, "resnet50": 32, "seresnet50": 32, "inception_resnet_v1": 80}
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


@pytest.fixture(scope="module")
def webcam_root(tmp_path_factory) -> Path:
    """Seed 000's webcam layout: 5 subjects x 3 classes x 2 frames, face and mouth crops."""
    root = tmp_path_factory.mktemp("webcam")
    writer = WebcamDatasetWriter(root)
    for s in range(5):
        faces = make_synthetic_samples(2, classes=WEBCAM_CLASSES, size=(48, 48), seed=s, rgb=True)
        mouths = make_synthetic_samples(2, classes=WEBCAM_CLASSES, size=(43, 72), seed=10 + s)
        for i in range(len(faces)):
            label = WEBCAM_CLASSES[faces.labels[i]]
            writer.add(faces.image(i), label, subject=f"s{s}", region="face", frame=i)
            writer.add(mouths.image(i), label, subject=f"s{s}", region="mouth", frame=i)
    return root


def _arch(config: Path) -> str:
    """The architecture a config (with its bases) trains, read with the CLI's own parser."""
    from fer_torch.cli.lightning_cli import ParseOnlyCLI

    return build_cli(["--config", str(config)], ParseOnlyCLI).config.model.arch


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_config_trains_one_batch(config, fer_folder, webcam_root, tmp_path):
    arch = _arch(config)
    root = webcam_root if config.name.startswith(("seed000", "webcam")) else fer_folder
    args = ["--config", str(config), "--data.root", str(root), "--model.pretrained", "false",
            "--trainer.fast_dev_run", "true", "--data.batch_size", "4", "--data.dataloader.num_workers", "0",
            "--trainer.default_root_dir", str(tmp_path), *QUIET]
    if arch in SMALL_SIZE:
        args += ["--data.input_spec.image_size", f"[{SMALL_SIZE[arch]}, {SMALL_SIZE[arch]}]"]
    cli = run(args)
    assert cli.trainer.state.finished
    assert cli.trainer.global_step == 1  # one forward + backward + optimizer step
    assert cli.model.class_names == cli.datamodule.class_names
    assert torch.isfinite(cli.trainer.callback_metrics["train/loss"])


def _fit(root: Path, out: Path, *extra: str):
    return run(["--config", str(REPO / "configs/seed002_bn_cnn.yaml"), "--data.root", str(root),
                "--data.dataloader.num_workers", "0", "--data.batch_size", "16", "--trainer.default_root_dir", str(out),
                "--trainer.deterministic", "true", "--seed_everything", "7", "--model.model_kwargs",
                "{dropout: 0.25}", "--trainer.callbacks", "[]", "--trainer.limit_train_batches", "2", *QUIET, *extra])


def test_resume_from_mid_run_checkpoint_matches_uninterrupted_run(fer_folder, tmp_path):
    full = _fit(fer_folder, tmp_path / "full", "--trainer.max_epochs", "3", "--trainer.limit_val_batches", "1")
    first = _fit(fer_folder, tmp_path / "part", "--trainer.max_epochs", "2", "--trainer.limit_val_batches", "1")
    last = Path(first.trainer.log_dir) / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["epoch"] == 1
    resumed = _fit(fer_folder, tmp_path / "resumed", "--trainer.max_epochs", "3", "--trainer.limit_val_batches", "1",
                   "--ckpt_path", str(last))
    assert resumed.trainer.current_epoch == full.trainer.current_epoch == 3
    for key in ("train/loss", "val/loss", "val/acc", "val/f1_macro"):
        assert torch.equal(resumed.trainer.callback_metrics[key], full.trainer.callback_metrics[key]), key
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_run_directory_holds_checkpoints_logs_and_resolved_config(fer_folder, tmp_path):
    cli = _fit(fer_folder, tmp_path, "--trainer.max_epochs", "1", "--data.classes", "[happy, sad, neutral]")
    run_dir = tmp_path / "seed002_bn_cnn" / "version_0"
    assert Path(cli.trainer.log_dir) == run_dir
    assert (run_dir / "config.yaml").is_file() and (run_dir / "metrics.csv").is_file()
    assert list(run_dir.glob("events.out.tfevents.*"))
    ckpts = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert ckpts[-1] == "last.ckpt" and "best.ckpt" in ckpts and any(c.startswith("epoch000-val_acc") for c in ckpts)
    # Everything inference needs is in the checkpoint, loadable without arbitrary pickles.
    hparams = torch.load(run_dir / "checkpoints/last.ckpt", weights_only=True)["hyper_parameters"]
    assert hparams["class_names"] == ["happy", "sad", "neutral"] and hparams["num_classes"] == 3
    model = load_lightning_module(run_dir / "checkpoints/last.ckpt")
    assert model.class_names == ("happy", "sad", "neutral") and not model.training
    assert model.input_spec == cli.datamodule.input_spec
    header = (run_dir / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"train/loss", "train/acc", "val/loss", "val/acc", "val/f1_macro", "lr-Adam/head"} <= set(header)


def _tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "tools/train.py"), *args], capture_output=True, text=True,
                          cwd=REPO, env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "NO_PROXY": "*",
                                         "HOME": "/nonexistent", "TORCH_HOME": "/nonexistent/torch"})


def test_offline_pretrained_weights_error_is_one_line_exit_2(fer_folder, tmp_path):
    proc = _tool("--config", "configs/seed003_resnet50.yaml", "--data.root", str(fer_folder),
                 "--data.input_spec.image_size", "[32, 32]", "--trainer.default_root_dir", str(tmp_path),
                 "--trainer.fast_dev_run", "true")
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "resnet50" in lines[-1]
    assert not any(line.startswith("Traceback") for line in lines)
