"""What a training run made, said at its end (also after an early stop or a SIGTERM): the run folder, the best and
last checkpoints with their epoch and validation figures, and the commands that use the result (ultralytics'
"Results saved to …")."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from fer_torch.callbacks.best_checkpoint import BestCheckpoint
from fer_torch.callbacks.graceful_stop import StopPoint
from fer_torch.cli.common import invoked_as

LAST_FILENAME = f"last{ModelCheckpoint.FILE_EXTENSION}"


def describe_metrics(metrics: dict[str, float] | None) -> str:
    """``"epoch 3: val acc 0.6300, val F1 0.5800"`` of one recorded validation (``""`` when unknown)."""
    if not metrics:
        return ""
    figures = [f"{label} {metrics[key]:.4f}" for key, label in (("val/acc", "val acc"), ("val/f1_macro", "val F1"))
               if key in metrics]
    return f"epoch {metrics['epoch']}" + (f": {', '.join(figures)}" if figures else "")


def _in_brackets(text: str) -> str:
    return f" ({text})" if text else ""


def stop_reason(trainer: pl.Trainer) -> str | None:
    """``"stopped early at epoch E: val/acc did not improve for N epochs"`` when an early stopping ended the fit."""
    for callback in trainer.callbacks:
        if isinstance(callback, EarlyStopping) and callback.stopped_epoch:
            return (f"stopped early at epoch {callback.stopped_epoch}: {callback.monitor} did not improve for "
                    f"{callback.patience} epochs")
    return None


def next_commands(weights: Path, data_root: str | None) -> list[str]:
    """The commands that use a trained model: evaluate it, run it live, export it, serve it."""
    data = ["--data", str(data_root), "--split", "val"] if data_root else ["--data", "DATA", "--split", "val"]
    tools = {"evaluate": data, "live": ["--source", "0"], "export": ["--format", "onnx"], "serve": []}
    return [shlex.join([*invoked_as(tool), "--weights", str(weights), *extra]) for tool, extra in tools.items()]


def run_summary(trainer: pl.Trainer, data_root: str | None, stop: StopPoint | None = None) -> list[str]:
    """The end-of-run lines: run folder, best and last checkpoints, next commands."""
    record = next((c for c in trainer.callbacks if isinstance(c, BestCheckpoint)), None)
    run_dir = Path(trainer.log_dir or trainer.default_root_dir)
    lines = [reason] if (reason := stop_reason(trainer)) else []
    lines.append(f"Results saved to {run_dir}")
    best = record.path if record is not None else None
    if best is not None:
        lines.append(f"  best checkpoint: {best}{_in_brackets(describe_metrics(record.best_metrics(trainer)))}")
    last = stop.checkpoint if stop is not None else run_dir / "checkpoints" / LAST_FILENAME
    if last.is_file():
        where = (f"epoch {stop.epoch} step {stop.step}, where SIGTERM stopped it" if stop is not None
                 else describe_metrics(record.history[-1] if record is not None and record.history else None))
        lines.append(f"  last checkpoint: {last}{_in_brackets(where)}")
    weights = best or (last if last.is_file() else None)
    if weights is not None:
        lines += ["Next:", *(f"  {command}" for command in next_commands(weights, data_root))]
    return lines
