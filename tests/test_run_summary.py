"""What a training run says at its end (run folder, best.ckpt, last.ckpt, next commands), on a quiet console, and
what a resumed run keeps from the run it resumes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

from fer_torch.cli.resume import with_run_settings

REPO = Path(__file__).resolve().parents[1]
HIDDEN = ("litlogger", "is not supported by the model summary", "LeafSpec", "smaller than the logging interval")


def test_a_short_run_names_its_best_checkpoint_and_the_next_commands_quietly(fer_folder, tmp_path):
    args = ["--config", "configs/seed004_bn_cnn.yaml", "--data.root", str(fer_folder), "--data.batch_size", "16",
            "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.default_root_dir",
            str(tmp_path / "runs")]
    env = {k: v for k, v in os.environ.items() if k != "FER_TORCH_VERBOSE"}
    done = subprocess.run([sys.executable, "tools/train.py", *args], cwd=REPO, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(REPO)}, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert not [message for message in HIDDEN if message in output], output[-3000:]
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Results saved to "))
    run_dir = Path(lines[start].removeprefix("Results saved to "))
    best = run_dir / "checkpoints" / "best.ckpt"
    assert lines[start + 1].startswith(f"  best checkpoint: {best} (epoch 0: val acc ") and best.is_file()
    assert ", val F1 " in lines[start + 1]
    assert lines[start + 2].startswith(f"  last checkpoint: {run_dir / 'checkpoints' / 'last.ckpt'} (epoch 0")
    epoch_files = [p for p in best.parent.glob("epoch*.ckpt")]
    assert len(epoch_files) == 1 and os.path.samefile(epoch_files[0], best)  # the same file, under a stable name
    commands = lines[start + 4:]
    assert [c.split()[1] for c in commands] == ["tools/evaluate.py", "tools/live.py", "tools/export.py",
                                                "tools/serve.py"]
    assert all(f"--weights {best}" in c for c in commands) and f"--data {fer_folder} --split val" in commands[0]


def _run(tmp_path: Path, saved: dict) -> Path:
    run_dir = tmp_path / "runs" / "seed004_bn_cnn" / "version_0"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "metrics.csv").write_text("epoch\n")
    (run_dir / "config.yaml").write_text(yaml.safe_dump(saved))
    return run_dir / "checkpoints" / "last.ckpt"


def test_a_resume_keeps_the_runs_data_root_and_precision_after_the_config_files(tmp_path):
    last = _run(tmp_path, {"trainer": {"precision": "32-true"}, "data": {"root": "../shared/data/fer2013"},
                           "model": {"channels_last": False}})
    argv = ["--config", "seed004_bn_cnn", "--ckpt_path", str(last)]
    assert with_run_settings(argv) == ["--config", "seed004_bn_cnn", "--data.root", "../shared/data/fer2013",
                                       "--trainer.precision", "32-true", "--model.channels_last", "false",
                                       "--ckpt_path", str(last)]
    given = ["--config", "a.yaml", "--data.root", "elsewhere", "--ckpt_path", str(last)]
    assert "elsewhere" in with_run_settings(given) and "../shared/data/fer2013" not in with_run_settings(given)
    assert with_run_settings(["--config", "a.yaml"]) == ["--config", "a.yaml"]  # not a resume: unchanged


def test_early_stopping_is_said_before_the_summary():
    from pytorch_lightning.callbacks import EarlyStopping

    from fer_torch.cli.run_summary import stop_reason

    stopping = EarlyStopping(monitor="val/loss", patience=3)
    stopping.stopped_epoch = 12
    assert stop_reason(SimpleNamespace(callbacks=[stopping])) == (
        "stopped early at epoch 12: val/loss did not improve for 3 epochs")
    assert stop_reason(SimpleNamespace(callbacks=[EarlyStopping(monitor="val/loss")])) is None
