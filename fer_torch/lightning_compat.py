"""The private Lightning and torch names fer-torch needs, where no public API does the job: here and nowhere else.

Each one can change in a minor release; ``tests/test_lightning_compat.py`` checks every one against the installed
versions and fails loudly when one moved. Nothing of fer-torch is imported here (the bottom layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytorch_lightning.strategies import DDPStrategy
    from torch.optim.lr_scheduler import LRScheduler


def enable_ddp_find_unused_parameters(strategy: DDPStrategy) -> bool:
    """Make ``strategy`` wrap the model with ``DistributedDataParallel(find_unused_parameters=True)``; returns
    whether it was off. Call it before the model is wrapped (a callback's ``setup``).

    Lightning keeps the keyword arguments it passes to ``DistributedDataParallel`` in ``DDPStrategy._ddp_kwargs``
    and offers no setter: only the constructor (``DDPStrategy(find_unused_parameters=True)``, the strategy name
    ``ddp_find_unused_parameters_true``) sets them, and a callback gets the strategy already built.
    """
    if strategy._ddp_kwargs.get("find_unused_parameters"):
        return False
    strategy._ddp_kwargs["find_unused_parameters"] = True
    return True


def refresh_last_lr(scheduler: LRScheduler) -> None:
    """Make ``scheduler.get_last_lr()`` report its optimizer's learning rates as they are now, after they were set
    by hand between two steps (torch updates it only in ``step()``, and has no setter: ``_last_lr``)."""
    scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]


class ParseWithoutSeeding:
    """Mixin for a ``LightningCLI`` subclass that parses without seeding the process: LightningCLI seeds right after
    parsing, in its private ``_set_seed``, and no public switch skips that (``seed_everything: false`` would change
    the parsed config)."""

    def _set_seed(self, *args: Any, **kwargs: Any) -> None:
        pass
