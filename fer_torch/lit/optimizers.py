"""Optimizers by name: ``FERClassifier(optimizer={"name": NAME, "options": {...}})``.

A factory is ``factory(params, lr, weight_decay, fused, *, <options>) -> Optimizer``: ``params`` are
:meth:`FERClassifier.param_groups`, ``lr``/``weight_decay``/``fused`` the classifier's common settings
(``fused`` None: torch's default), and its keyword-only parameters, with their defaults, the options a config
may set. Adding one is a function and a registration, from any module (or a ``fer_torch.plugins`` entry point)::

    @OPTIMIZERS.register("rmsprop")
    def rmsprop(params, lr, weight_decay, fused, *, alpha=0.99):
        return torch.optim.RMSprop(params, lr=lr, alpha=alpha, weight_decay=weight_decay)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch.optim import Optimizer

from fer_torch.registry_options import checked_entry
from fer_torch.registry import Registry

OptimizerFactory = Callable[..., Optimizer]
OPTIMIZERS: Registry[OptimizerFactory] = Registry("optimizer")


def build_optimizer(name: str, params: Iterable[dict[str, Any]], *, lr: float, weight_decay: float,
                    fused: bool | None, options: Mapping[str, Any] | None = None) -> Optimizer:
    """The optimizer registered as ``name`` over ``params`` (ConfigError for an unknown name or option)."""
    factory = check_optimizer(name, options)
    return factory(params, lr=lr, weight_decay=weight_decay, fused=fused, **(options or {}))


def check_optimizer(name: str, options: Mapping[str, Any] | None) -> OptimizerFactory:
    """The factory of ``name`` after checking that it takes ``options``."""
    return checked_entry(OPTIMIZERS, name, options)


@OPTIMIZERS.register("sgd")
def sgd(params: Iterable[dict[str, Any]], lr: float, weight_decay: float, fused: bool | None, *,
        momentum: float = 0.9, nesterov: bool = False) -> Optimizer:
    """``torch.optim.SGD`` (momentum 0.9 unless set; ``nesterov`` for Nesterov momentum)."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
                           fused=fused)


def _adam_family(cls: type[Optimizer]) -> OptimizerFactory:
    def factory(params: Iterable[dict[str, Any]], lr: float, weight_decay: float, fused: bool | None, *,
                betas: tuple[float, float] = (0.9, 0.999)) -> Optimizer:
        return cls(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay, fused=fused)

    factory.__doc__ = f"``torch.optim.{cls.__name__}`` with ``betas``."
    return factory


OPTIMIZERS.register("adam", _adam_family(torch.optim.Adam))
OPTIMIZERS.register("adamw", _adam_family(torch.optim.AdamW))
