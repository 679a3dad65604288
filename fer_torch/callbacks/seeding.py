"""Per-epoch reseeding, so a resumed run shuffles, augments and drops out exactly like the uninterrupted one."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback

RNG_STATES_KEY = "rng_states"
"""Checkpoint key of the RNG states a SIGTERM checkpoint carries (:class:`EpochReseeding`)."""


class EpochReseeding(Callback):
    """Seed Python, NumPy and torch with ``PL_GLOBAL_SEED + epoch + 1000 * global_rank`` right before each
    training epoch's data iterator is created (Lightning does not checkpoint RNG state).

    Those points are fit start (the first epoch, fresh or resumed: the epoch after the checkpoint's; the sanity
    check runs under ``isolate_rng``) and the end of every training epoch. Without ``seed_everything`` (no
    ``PL_GLOBAL_SEED``) it does nothing. ``tools/train.py`` adds it to every run.

    A checkpoint written where the fit stopped (``on_exception``, e.g. :class:`~fer_torch.callbacks.GracefulStop`
    on SIGTERM, maybe mid-epoch) also carries the RNG states of that moment, and resuming from it restores them
    instead of reseeding, so the rest of the epoch draws what the uninterrupted run drew (rank 0's states: exact on
    one device).
    """

    def __init__(self) -> None:
        self._start_epoch = 0
        self._rng_states: dict[str, Any] | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._start_epoch = 0  # a checkpoint, loaded after setup, may move it
        self._rng_states = None

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        if trainer.interrupted:  # written where the fit stopped (GracefulStop, on SIGTERM), maybe mid-epoch
            checkpoint[RNG_STATES_KEY] = rng_states()

    def on_load_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        self._start_epoch = int(checkpoint.get("epoch", -1)) + 1
        self._rng_states = checkpoint.get(RNG_STATES_KEY)

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._rng_states is not None:
            set_rng_states(self._rng_states)
        else:
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


def rng_states() -> dict[str, Any]:
    """Python, NumPy, torch (and initialized CUDA) RNG states, as values ``torch.load(weights_only=True)`` reads."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore what :func:`rng_states` returned."""
    random.setstate(states["python"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
