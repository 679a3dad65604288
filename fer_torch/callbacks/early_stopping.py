"""Early stopping that puts the best epoch's weights back when it stops (Keras' ``restore_best_weights=True``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping

Hook = Callable[[pl.Trainer, pl.LightningModule], None]


class BestWeightsEarlyStopping(EarlyStopping):
    """Lightning's :class:`EarlyStopping` that, when it stops the run, loads the weights of the epoch with the
    best monitored value back into the model, as Keras' ``EarlyStopping(restore_best_weights=True)`` does
    (seed 002). So the final model, ``last.ckpt`` and a following test are the best epoch's, not the last's; a
    checkpoint ranked by a metric still holds the weights its name states.

    A copy of the weights is kept (on the CPU) after every improvement; it is not checkpointed, so a resumed
    run restores the best epoch after the resume. Same arguments as ``EarlyStopping``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.restored_epoch: int | None = None
        self._best_epoch: int | None = None

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check(trainer, pl_module, super().on_train_epoch_end, "on_train_epoch_end")

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check(trainer, pl_module, super().on_validation_end, "on_validation_end")

    def _check(self, trainer: pl.Trainer, pl_module: pl.LightningModule, check: Hook, hook: str) -> None:
        """Run Lightning's ``check`` (the hook it checks in, or skips: ``check_on_train_epoch_end``), then keep
        the weights of a new best, and restore them when this check stopped the run."""
        best_before = self.best_score.detach().clone()
        was_stopping = trainer.should_stop
        check(trainer, pl_module)
        if not torch.equal(self.best_score.detach().cpu(), best_before.cpu()):
            self.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in pl_module.state_dict().items()}
            self._best_epoch = trainer.current_epoch
        if trainer.should_stop and not was_stopping and self.best_weights is not None:
            self._save_ranked_checkpoints_first(trainer, pl_module, hook)
            pl_module.load_state_dict(self.best_weights)
            self.restored_epoch = self._best_epoch

    @staticmethod
    def _save_ranked_checkpoints_first(trainer: pl.Trainer, pl_module: pl.LightningModule, hook: str) -> None:
        """Let the checkpoints that rank epochs by a metric (``epoch017-val_acc0.3920.ckpt``) save this epoch's own
        weights before the restore: they run the same ``hook`` after this callback and skip a second save of the
        same step, so only ``last.ckpt`` (no monitor) and the in-memory model get the restored weights."""
        for checkpoint in trainer.checkpoint_callbacks:
            if getattr(checkpoint, "monitor", None) is not None:
                getattr(checkpoint, hook)(trainer, pl_module)
