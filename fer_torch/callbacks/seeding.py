"""Per-epoch reseeding, so a resumed run shuffles, augments and drops out exactly like the uninterrupted one."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback


class EpochReseeding(Callback):
    """Seed Python, NumPy and torch with ``PL_GLOBAL_SEED + epoch + 1000 * global_rank`` right before each
    training epoch's data iterator is created (Lightning does not checkpoint RNG state).

    Those points are fit start (the first epoch, fresh or resumed: the epoch after the checkpoint's; the sanity
    check runs under ``isolate_rng``) and the end of every training epoch. Without ``seed_everything`` (no
    ``PL_GLOBAL_SEED``) it does nothing. ``tools/train.py`` adds it to every run.
    """

    def __init__(self) -> None:
        self._start_epoch = 0

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._start_epoch = 0  # a checkpoint, loaded after setup, may move it

    def on_load_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        self._start_epoch = int(checkpoint.get("epoch", -1)) + 1

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        reseed(self._start_epoch, trainer.global_rank)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        reseed(trainer.current_epoch + 1, trainer.global_rank)


def reseed(epoch: int, rank: int = 0) -> None:
    """Seed Python, NumPy and torch for ``epoch`` on ``rank`` from ``PL_GLOBAL_SEED`` (unset: do nothing)."""
    if "PL_GLOBAL_SEED" not in os.environ:
        return
    seed = int(os.environ["PL_GLOBAL_SEED"]) + epoch + 1000 * rank
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
