""""Did you mean": the closest known names to a mistyped one, for every "unknown …" error."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(name: str, choices: Iterable[str], n: int = 2) -> list[str]:
    """Up to ``n`` of ``choices`` close to ``name`` (difflib's ratio >= 0.6), closest first; the runners-up only
    when they are as close as the first (``vgg17``: ``vgg16`` and ``vgg19``)."""
    matches = difflib.get_close_matches(str(name), list(choices), n=n, cutoff=0.6)
    ratios = [difflib.SequenceMatcher(None, str(name), m).ratio() for m in matches]
    return [m for m, r in zip(matches, ratios) if r >= ratios[0] - 0.02]


def did_you_mean(name: str, choices: Iterable[str], prefix: str = "") -> str:
    """``"; did you mean 'x'?"``, or ``"; did you mean --x?"`` with ``prefix="--"`` (options), or ``""`` when
    nothing is close."""
    matches = [prefix + m if prefix else repr(m) for m in close_matches(name, choices)]
    return f"; did you mean {' or '.join(matches)}?" if matches else ""


def unknown_name(kind: str, name: object, choices: Iterable[str]) -> str:
    """``"unknown optimizer 'adm'; did you mean 'adam'? choose from adam, adamw, sgd"``."""
    choices = list(choices)
    suggestion = did_you_mean(str(name), choices)
    return f"unknown {kind} {name!r}{suggestion}{';' if not suggestion else ''} choose from {', '.join(choices)}"
