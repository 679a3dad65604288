"""Steady-state training time, as every training benchmark takes it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pytorch_lightning.callbacks import Callback


class SteadyStateTimer(Callback):
    """Wall time of the training iterations after the first ``warmup``: from the end of batch ``warmup - 1`` (the
    start of the fit when ``warmup`` is 0) to the end of the last batch, data preparation included."""

    def __init__(self, warmup: int = 0, output: str | None = None) -> None:
        self.warmup = warmup
        self.output = output
        self.start: float | None = None
        self.end: float | None = None
        self.batches = 0
        self.images = 0

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if self.warmup == 0 and self.start is None:
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if batch_idx == self.warmup - 1:
            self.start = time.perf_counter()
        elif batch_idx >= self.warmup:
            self.end = time.perf_counter()
            self.batches += 1
            self.images += len(batch[1])

    @property
    def images_per_s(self) -> float:
        """Images per second over the timed batches."""
        return self.images / (self.end - self.start)

    def on_train_end(self, trainer, pl_module) -> None:
        if self.output and self.end is not None:  # a training CLI run in another process reports here
            Path(self.output).write_text(json.dumps({"images_per_s": self.images_per_s, "batches": self.batches}))
