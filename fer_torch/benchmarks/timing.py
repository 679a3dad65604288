"""Steady-state training time, as every training benchmark takes it."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F

from pytorch_lightning.callbacks import Callback


def significant(value: float, digits: int = 3) -> str:
    """``value`` with at least ``digits`` significant digits and no exponent: 0.0123, 1.23, 123, 12345 (a time of
    a few microseconds in milliseconds never reads 0.0)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def bare_step_images_per_s(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                           batches: Iterable[tuple[torch.Tensor, torch.Tensor]], precision: str, warmup: int) -> float:
    """Images/s of a plain training loop (zero_grad, forward, cross-entropy, backward, step) over ``batches`` on the
    model's device, after ``warmup`` untimed batches; ``precision`` ``bf16-mixed`` runs under bf16 autocast."""
    device = next(model.parameters()).device
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16-mixed" else nullcontext()
    start, images = time.perf_counter(), 0
    for i, (x, y) in enumerate(batches):
        if i == warmup:
            start, images = time.perf_counter(), 0
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        images += len(y)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return images / (time.perf_counter() - start)


class SteadyStateTimer(Callback):
    """Wall time of the training iterations after the first ``warmup``: from the end of batch ``warmup - 1`` (the
    start of the fit when ``warmup`` is 0) to the end of the last batch, data preparation included.

    Not Lightning's ``ThroughputMonitor``: that logs a rate over a rolling window of the last batches to the
    trainer's logger, and a benchmark wants one rate from the warm-up to the end, read back without a logger.
    """

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


class TimeToAccuracy(Callback):
    """Stops the fit at the first validation whose ``monitor`` reaches ``target`` (unless ``stop`` is false) and
    writes, after every validation, the wall seconds since the fit began (validation included) with the epoch, the
    monitored value and the training images seen, as JSON to ``output``: what ``tools/benchmark.py recipe`` reads."""

    def __init__(self, target: float, monitor: str = "val/acc", output: str | None = None, stop: bool = True) -> None:
        self.target, self.monitor, self.output, self.stop = target, monitor, output, stop
        self.start: float | None = None
        self.images = 0
        self.epochs: list[dict[str, float]] = []

    def on_fit_start(self, trainer, pl_module) -> None:
        self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.images += len(batch[1])

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.monitor])
        self.epochs.append({"epoch": trainer.current_epoch + 1, "seconds": time.perf_counter() - self.start,
                            self.monitor: value, "images": self.images})
        if self.stop and value >= self.target:
            trainer.should_stop = True
        if self.output:
            Path(self.output).write_text(json.dumps({"target": self.target, "epochs": self.epochs}))
