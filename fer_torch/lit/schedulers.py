"""Learning-rate schedulers by name: ``FERClassifier(scheduler={"name": NAME, "options": {...}})``.

A factory is ``factory(optimizer, trainer, *, <options>)`` returning Lightning's lr-scheduler config (a dict
with ``scheduler``, ``interval``, ``monitor`` ...), a list of them, or None; ``trainer`` (None outside a fit)
gives ``max_epochs`` and ``estimated_stepping_batches``, and the keyword-only parameters, with their
defaults, are the options a config may set. Adding one is a function and a registration::

    @SCHEDULERS.register("step")
    def step(optimizer, trainer, *, step_size=10, gamma=0.1):
        return {"scheduler": torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma), "interval": "epoch"}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import pytorch_lightning as pl
from torch.optim import Optimizer
from torch.optim.lr_scheduler import CosineAnnealingLR, MultiplicativeLR, OneCycleLR, ReduceLROnPlateau

from fer_torch.registry_options import checked_entry
from fer_torch.registry import Registry

SchedulerConfig = dict[str, Any]
SchedulerFactory = Callable[..., SchedulerConfig | list[SchedulerConfig] | None]
SCHEDULERS: Registry[SchedulerFactory] = Registry("scheduler")


def build_schedulers(name: str, optimizer: Optimizer, trainer: pl.Trainer | None,
                     options: Mapping[str, Any] | None = None) -> list[SchedulerConfig]:
    """Lightning's lr-scheduler configs for the scheduler registered as ``name`` (empty for ``none``)."""
    configs = check_scheduler(name, options)(optimizer, trainer, **(options or {}))
    if configs is None:
        return []
    return list(configs) if isinstance(configs, list) else [configs]


def check_scheduler(name: str, options: Mapping[str, Any] | None) -> SchedulerFactory:
    """The factory of ``name`` after checking that it takes ``options``."""
    return checked_entry(SCHEDULERS, name, options)


@SCHEDULERS.register("none")
def constant(optimizer: Optimizer, trainer: pl.Trainer | None, *, time_decay: float = 0.0) -> list[SchedulerConfig]:
    """A constant learning rate, or only Keras' ``time_decay`` (see :func:`time_decay_config`)."""
    return time_decay_config(optimizer, time_decay)


@SCHEDULERS.register("plateau")
def plateau(optimizer: Optimizer, trainer: pl.Trainer | None, *, monitor: str = "val/acc",
            mode: Literal["min", "max"] = "max", factor: float = 0.5, patience: int = 10, min_lr: float = 0.0,
            min_delta: float | None = None, time_decay: float = 0.0) -> list[SchedulerConfig]:
    """ReduceLROnPlateau on ``monitor``, checked every epoch, optionally with Keras' ``time_decay``.

    ``min_delta`` is the absolute improvement ``monitor`` must make (Keras' ``min_delta``); None keeps PyTorch's
    relative threshold (1e-4 of the best value).
    """
    threshold = {} if min_delta is None else {"threshold": min_delta, "threshold_mode": "abs"}
    scheduler = ReduceLROnPlateau(optimizer, mode=mode, factor=factor, patience=patience, min_lr=min_lr, **threshold)
    return [{"scheduler": scheduler, "monitor": monitor, "interval": "epoch"},
            *time_decay_config(optimizer, time_decay)]


@SCHEDULERS.register("cosine")
def cosine(optimizer: Optimizer, trainer: pl.Trainer, *, eta_min: float = 0.0) -> SchedulerConfig:
    """Cosine annealing over ``trainer.max_epochs``, per epoch, down to ``eta_min``."""
    scheduler = CosineAnnealingLR(optimizer, T_max=max(1, trainer.max_epochs or 1), eta_min=eta_min)
    return {"scheduler": scheduler, "interval": "epoch"}


@SCHEDULERS.register("onecycle")
def onecycle(optimizer: Optimizer, trainer: pl.Trainer, *, pct_start: float = 0.3) -> SchedulerConfig:
    """One-cycle over ``trainer.estimated_stepping_batches`` steps, peaking at each group's ``lr``."""
    scheduler = OneCycleLR(optimizer, max_lr=[g["lr"] for g in optimizer.param_groups],
                           total_steps=int(trainer.estimated_stepping_batches), pct_start=pct_start)
    return {"scheduler": scheduler, "interval": "step"}


def time_decay_config(optimizer: Optimizer, time_decay: float) -> list[SchedulerConfig]:
    """Keras' optimizer ``decay`` (seed 003's SGD ``decay=1e-4``) as a per-step scheduler: the rate is divided
    by ``1 + time_decay * step`` after ``step`` optimizer steps; ``[]`` when ``time_decay`` is 0."""
    if not time_decay:
        return []
    return [{"scheduler": MultiplicativeLR(optimizer, TimeDecayStep(time_decay)), "interval": "step"}]


class TimeDecayStep:
    """Step ``t``'s factor ``(1 + d(t-1)) / (1 + dt)``: after ``t`` steps the rate is divided by ``1 + dt``, as
    Keras' optimizer ``decay`` does, and it composes with ReduceLROnPlateau's cuts (both multiply the current
    rate). A class, not a lambda, so the scheduler's state checkpoints."""

    def __init__(self, decay: float) -> None:
        self.decay = decay

    def __call__(self, step: int) -> float:
        return (1.0 + self.decay * (step - 1)) / (1.0 + self.decay * step)
