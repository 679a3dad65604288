"""The console a user reads: library notices and warnings nobody can act on are hidden here, and only here.

Each is matched narrowly by its message, so any other warning still prints. ``--verbose`` on a tool, or
``FER_TORCH_VERBOSE=1`` in the environment, shows them all again.
"""

from __future__ import annotations

import logging
import os
import warnings

VERBOSE_OPTION = "--verbose"
VERBOSE_ENV = "FER_TORCH_VERBOSE"

HIDDEN_WARNINGS = (
    # Lightning's model summary under bf16: only its size estimate is off, and the summary says so itself.
    r"Precision \S+ is not supported by the model summary",
    # torch 2.14 deprecates the LeafSpec Lightning's _pytree still builds: nothing for a user to change.
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    # A short run (--trainer.limit_train_batches 5) logs its epoch metrics anyway.
    r"The number of training batches \(\d+\) is smaller than the logging interval",
    # Only a resumed run writes into an existing run's checkpoint folder (a new run gets a new version_N/).
    r"Checkpoint directory .* exists and is not empty",
)
"""Regular expressions matched against the start of a warning's message."""

HIDDEN_LOG_LINES = {"pytorch_lightning.utilities.rank_zero": ("try installing [litlogger]",)}
"""Logger name -> text whose records are dropped (Lightning's advertisement for its cloud logger)."""


class _DropLines(logging.Filter):
    """Drops the log records whose message contains one of ``texts``."""

    def __init__(self, texts: tuple[str, ...]) -> None:
        super().__init__()
        self.texts = texts

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(text in message for text in self.texts)


_quiet = False


def verbose_requested(argv: list[str] | None = None) -> bool:
    """Whether ``argv`` holds ``--verbose`` or the environment sets ``FER_TORCH_VERBOSE`` (to anything but 0)."""
    return VERBOSE_OPTION in (argv or []) or os.environ.get(VERBOSE_ENV, "0") not in ("", "0")


def quiet_console(verbose: bool = False) -> None:
    """Hide :data:`HIDDEN_WARNINGS` and :data:`HIDDEN_LOG_LINES` for this process (once), unless ``verbose``."""
    global _quiet
    if verbose or _quiet:
        return
    _quiet = True
    for pattern in HIDDEN_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for name, texts in HIDDEN_LOG_LINES.items():
        logging.getLogger(name).addFilter(_DropLines(texts))
