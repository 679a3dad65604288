"""tools/train.py under SIGTERM: a graceful stop (exit 0, one line, a resumable last.ckpt) that resumes exactly."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
import yaml

from fer_torch.cli.train import run

REPO = Path(__file__).resolve().parents[1]
STOP_STEP = 6  # 4 batches an epoch: epoch 1, after its 2nd step


def training_args(config: str = "seed002_bn_cnn", *extra: str) -> list[str]:
    """Two short, deterministic epochs of ``configs/<config>.yaml`` on the fixture (``--data.root`` added by callers)."""
    return ["--config", str(REPO / f"configs/{config}.yaml"), "--data.batch_size", "16", "--trainer.deterministic",
            "true", "--seed_everything", "7", "--trainer.max_epochs", "2", "--trainer.limit_val_batches", "1",
            "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false", *extra]


ARGS = training_args("seed002_bn_cnn", "--model.model_kwargs", "{dropout: 0.25}")


class PauseAtStep(pl.Callback):
    """Writes ``marker`` once training reaches global step ``step``, then waits there (up to ``timeout`` s) for the
    test's SIGTERM: the signal lands at a known step, mid-epoch."""

    def __init__(self, marker: str, step: int, timeout: float = 60.0) -> None:
        self.marker, self.step, self.timeout = marker, step, timeout

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        if trainer.global_step != self.step:
            return
        Path(self.marker).write_text(str(self.step))
        deadline = time.monotonic() + self.timeout
        while not trainer.received_sigterm and time.monotonic() < deadline:
            time.sleep(0.05)


def _stop_with_sigterm(root: Path, out: Path, *extra: str, process_group: bool = False, args: list[str] = ARGS,
                       callbacks: tuple[dict, ...] = ()) -> tuple[str, str]:
    """Run tools/train.py until global step STOP_STEP, SIGTERM it (or its whole process group); (stdout, stderr).

    ``callbacks`` are the run's own (a config's list is replaced by the one given here, with the pause added)."""
    marker = out / "paused"
    pause = {"class_path": f"{__name__}.PauseAtStep", "init_args": {"marker": str(marker), "step": STOP_STEP}}
    args = [*args, "--data.root", str(root), "--trainer.default_root_dir", str(out), "--trainer.callbacks",
            json.dumps([*callbacks, pause]), *extra]
    paths = [str(REPO / "tests"), *filter(None, [os.environ.get("PYTHONPATH")])]  # tests/: PauseAtStep
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proc = subprocess.Popen([sys.executable, "tools/train.py", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), proc.communicate(timeout=30)
        if process_group:  # as `timeout` and `docker stop` do: DataLoader workers get it too
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr[-3000:]
    assert _group_gone(proc.pid), "worker processes outlived tools/train.py"
    return stdout, stderr


def _group_gone(pgid: int, timeout: float = 10.0) -> bool:
    """Whether process group ``pgid`` is empty within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _resume_line(stdout: str, stderr: str) -> str:
    """The one line about the stop (checked: no traceback; besides it only the end-of-run summary names SIGTERM)."""
    output = stdout + stderr
    assert "Traceback" not in output and "DataLoader worker" not in output, output[-3000:]
    (line,) = [line for line in output.splitlines() if line.startswith("stopped by SIGTERM")]
    assert all("where SIGTERM stopped it" in other for other in output.splitlines() if "SIGTERM" in other and other != line)
    assert line in stderr.splitlines()
    return line


def _checked_resume(line: str, out: Path, config: str = "seed002_bn_cnn") -> list[str]:
    """Check the stop line names step STOP_STEP and ``last.ckpt``; returns the resume command's arguments."""
    prefix = f"stopped by SIGTERM at epoch 1 step {STOP_STEP}; resume with: "
    assert line.startswith(prefix), line
    command = shlex.split(line[len(prefix):])
    assert command[:2] == ["python", "tools/train.py"] and command[-2] == "--ckpt_path"
    last = out / config / "version_0" / "checkpoints" / "last.ckpt"
    assert Path(command[-1]) == last
    checkpoint = torch.load(last, weights_only=True)
    assert (checkpoint["epoch"], checkpoint["global_step"]) == (1, STOP_STEP)
    return command[2:]


def _checked_summary(stdout: str, out: Path) -> None:
    """The end-of-run summary after a SIGTERM: the run folder, best.ckpt (epoch 0), last.ckpt where it stopped."""
    run_dir = out / "seed002_bn_cnn" / "version_0"
    assert f"Results saved to {run_dir}" in stdout
    best = run_dir / "checkpoints" / "best.ckpt"
    assert f"best checkpoint: {best} (epoch 0: val acc " in stdout and best.is_file()
    assert f"last checkpoint: {run_dir / 'checkpoints' / 'last.ckpt'} (epoch 1 step {STOP_STEP}, where SIGTERM " in stdout
    assert f"python tools/evaluate.py --weights {best} --data " in stdout


def test_sigterm_mid_epoch_saves_last_ckpt_that_resumes_exactly(fer_folder, tmp_path):
    stopped = tmp_path / "stopped"
    stdout, stderr = _stop_with_sigterm(fer_folder, stopped)
    line = _resume_line(stdout, stderr)
    _checked_summary(stdout, stopped)
    resumed = run(_checked_resume(line, stopped))
    full = run([*ARGS, "--data.root", str(fer_folder), "--trainer.default_root_dir", str(tmp_path / "full"),
                "--trainer.callbacks", "[]"])
    assert resumed.trainer.global_step == full.trainer.global_step == 8
    assert Path(resumed.trainer.log_dir) == stopped / "seed002_bn_cnn" / "version_0"
    for key in ("train/loss", "train/acc", "val/loss", "val/acc", "val/f1_macro"):
        assert torch.equal(resumed.trainer.callback_metrics[key], full.trainer.callback_metrics[key]), key
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_sigterm_to_process_group_with_dataloader_workers_stops_gracefully(fer_folder, tmp_path):
    stopped = tmp_path / "stopped"
    output = _stop_with_sigterm(fer_folder, stopped, "--data.loader", "dataloader",
                                "--data.dataloader.num_workers", "2", process_group=True)
    resumed = run(_checked_resume(_resume_line(*output), stopped))
    assert resumed.trainer.state.finished and resumed.trainer.global_step == 8


def test_the_long_recipe_resumes_mid_epoch_to_the_uninterrupted_state(fer_folder, tmp_path):
    # configs/fer2013_long.yaml's state beyond the default's: webcam augmentation (kornia, global RNG), MixUp/CutMix
    # draws, the one-cycle schedule over the whole run and the EMA of the weights, all carried across the stop.
    args = training_args("fer2013_long", "--data.loader", "device")
    callbacks = tuple(yaml.safe_load((REPO / "configs/fer2013_long.yaml").read_text())["trainer"].get("callbacks", []))
    stopped = tmp_path / "stopped"
    line = _resume_line(*_stop_with_sigterm(fer_folder, stopped, args=args, callbacks=callbacks))
    resumed = run(_checked_resume(line, stopped, "fer2013_long"))
    full = run([*args, "--data.root", str(fer_folder), "--trainer.default_root_dir", str(tmp_path / "full")])
    assert resumed.trainer.global_step == full.trainer.global_step == 8
    for key in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert torch.equal(resumed.trainer.callback_metrics[key], full.trainer.callback_metrics[key]), key
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name
