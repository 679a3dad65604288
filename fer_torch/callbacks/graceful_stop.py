"""SIGTERM (a scheduler's time limit, ``timeout``, ``docker stop``) as a graceful stop with a resumable checkpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback, ModelCheckpoint
from pytorch_lightning.trainer.connectors import signal_connector
from pytorch_lightning.utilities.exceptions import SIGTERMException
from torchmetrics import Metric

METRIC_STATES_KEY = "metric_states"
"""Checkpoint key of the interrupted epoch's metric accumulators a SIGTERM checkpoint carries."""


@dataclass(frozen=True)
class StopPoint:
    """Where a SIGTERM stopped the fit: the epoch and global step it had reached and the checkpoint written there."""

    epoch: int
    step: int
    checkpoint: Path


class _NoSigtermNotice(logging.Filter):
    """Drops Lightning's "Received SIGTERM" log line: the one line about the stop comes from the training CLI."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Received SIGTERM" not in record.getMessage()


_NO_SIGTERM_NOTICE = _NoSigtermNotice()


class GracefulStop(Callback):
    """Write a resumable ``last.ckpt`` when Lightning stops the fit for SIGTERM, and record :attr:`stopped`.

    Lightning's own handler (``Trainer.received_sigterm``) lets the current training step finish, then raises
    :class:`~pytorch_lightning.utilities.exceptions.SIGTERMException`; ``on_exception`` saves the checkpoint
    there, into the run's checkpoint folder, with the states of the module's torchmetrics accumulators (the
    interrupted epoch's ``train/loss`` and ``train/acc`` so far), which resuming restores. A mid-epoch checkpoint
    resumes exactly with the in-memory loader (:class:`~fer_torch.callbacks.seeding.EpochReseeding` keeps the RNG
    states, ``DeviceBatches`` its position). ``tools/train.py`` adds it to every run.
    """

    def __init__(self, filename: str = "last") -> None:
        self.filename = filename
        self.stopped: StopPoint | None = None
        self._idle_at_validation: set[str] = set()

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.stopped = None
        signal_connector.log.addFilter(_NO_SIGTERM_NOTICE)

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._idle_at_validation = {name for name, metric in _metrics(pl_module) if not metric.update_count}

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        if not trainer.interrupted:  # only the checkpoint of where the fit stopped (on_exception)
            return
        # A validation cut short is not rerun on resume: what it accumulated is dropped, not carried into the next.
        partial = self._idle_at_validation if trainer.validating else set()
        checkpoint[METRIC_STATES_KEY] = {name: metric.metric_state for name, metric in _metrics(pl_module)
                                         if metric.update_count and name not in partial}

    def on_load_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        for name, states in checkpoint.get(METRIC_STATES_KEY, {}).items():
            metric = pl_module.get_submodule(name)
            for attr, value in states.items():
                setattr(metric, attr, value)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if not isinstance(exception, SIGTERMException):
            return
        path = self.checkpoint_dir(trainer) / f"{self.filename}{ModelCheckpoint.FILE_EXTENSION}"
        trainer.save_checkpoint(path, weights_only=False)
        self.stopped = StopPoint(trainer.current_epoch, trainer.global_step, path)

    @staticmethod
    def checkpoint_dir(trainer: pl.Trainer) -> Path:
        """The run's checkpoint folder: the first ModelCheckpoint's, else ``<log_dir>/checkpoints``."""
        callback = trainer.checkpoint_callback
        if callback is not None and callback.dirpath:
            return Path(callback.dirpath)
        return Path(trainer.log_dir or trainer.default_root_dir) / "checkpoints"


def _metrics(module: pl.LightningModule) -> list[tuple[str, Metric]]:
    """The torchmetrics metrics in ``module``, by submodule name."""
    return [(name, metric) for name, metric in module.named_modules() if isinstance(metric, Metric)]
