"""``best.ckpt``: a stable name for a run's best checkpoint, beside the epoch-named ones (as ultralytics keeps
``best.pt`` beside ``last.pt``), and the validation metrics of every epoch, which the end-of-run summary reports."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback, ModelCheckpoint

BEST_FILENAME = "best"


def monitoring_checkpoint(trainer: pl.Trainer) -> ModelCheckpoint | None:
    """The trainer's first :class:`ModelCheckpoint` that keeps the best by a monitored metric, if any."""
    return next((c for c in trainer.checkpoint_callbacks if isinstance(c, ModelCheckpoint) and c.monitor), None)


def link_or_copy(source: Path, target: Path) -> None:
    """Make ``target`` the same file as ``source`` (a hard link, else a copy), replacing it atomically."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        os.link(source, partial)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, partial)
    os.replace(partial, target)


class BestCheckpoint(Callback):
    """Keep ``best.ckpt`` the same file as the best checkpoint of the monitoring :class:`ModelCheckpoint`, updated
    after each training epoch, at the end of the fit and when it stops on an exception (SIGTERM); and record every
    validation's ``val/*`` metrics in :attr:`history` (kept in the checkpoints, so a resumed run knows its earlier
    epochs). ``tools/train.py`` adds it to every run."""

    def __init__(self, filename: str = BEST_FILENAME) -> None:
        self.filename = filename
        self.history: list[dict[str, float]] = []
        self.path: Path | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        if metrics and not trainer.sanity_checking:
            self.history.append({"epoch": trainer.current_epoch, "step": trainer.global_step, **metrics})

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.update(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.update(trainer)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self.update(trainer)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = list(state_dict.get("history", []))

    def update(self, trainer: pl.Trainer) -> None:
        """Point ``best.ckpt`` at the current best checkpoint (rank 0 only)."""
        callback = monitoring_checkpoint(trainer)
        if not trainer.is_global_zero or callback is None or not callback.best_model_path:
            return
        source = Path(callback.best_model_path)
        target = source.with_name(f"{self.filename}{ModelCheckpoint.FILE_EXTENSION}")
        if source.is_file() and not (target.is_file() and os.path.samefile(source, target)):
            link_or_copy(source, target)
        self.path = target if target.is_file() else None

    def best_metrics(self, trainer: pl.Trainer) -> dict[str, float] | None:
        """The recorded metrics of the validation whose monitored value is the best checkpoint's score, if known."""
        callback = monitoring_checkpoint(trainer)
        if self.path is None or callback is None or callback.best_model_score is None:
            return None
        best = float(callback.best_model_score)
        return next((m for m in reversed(self.history) if m.get(callback.monitor) == best), None)
