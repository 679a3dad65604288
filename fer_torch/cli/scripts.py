"""Console scripts (``fer-train``, ``fer-live`` …, declared in ``pyproject.toml``): each runs the tool of the same
name in :mod:`fer_torch.cli` through :func:`~fer_torch.cli.common.run_tool`, exactly as ``python tools/<tool>.py``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module

from fer_torch.cli.common import run_tool, script_name

TOOLS = ("benchmark", "collect", "ensemble_select", "evaluate", "export", "inspect_data", "live", "plot_curves",
         "serve", "summary", "train")
"""Modules of :mod:`fer_torch.cli` that are tools; ``tools/<tool>.py`` and the script ``fer-<tool>`` run each."""


def run(tool: str, argv: list[str] | None = None) -> int:
    """Run ``fer_torch.cli.<tool>.main`` with the one error path of every tool; returns the exit status."""
    return run_tool(import_module(f"fer_torch.cli.{tool}").main, argv)


def _script(tool: str) -> Callable[[], int]:
    def script() -> int:
        return run(tool, sys.argv[1:])

    script.__name__ = script.__qualname__ = tool
    script.__doc__ = f"``{script_name(tool)}``: ``python tools/{tool}.py``."
    return script


benchmark, collect, ensemble_select, evaluate, export, inspect_data, live, plot_curves, serve, summary, train = (
    _script(tool) for tool in TOOLS)
