"""Options routed to a registry entry by its signature, so one set of options serves every entry of a kind.

A tool or a YAML config offers the options of all the entries of a kind (live.py's ``--min-size`` and Haar's
``--scale-factor``; ``data.region`` for webcam data and ``data.split_test_by_prefix`` for folders); the chosen entry
gets the ones its signature names. An option that only other registered entries take is left out; one that no
registered entry takes is the registry's error, so a misspelt option is never dropped in silence.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fer_torch.registry import Registry

T = TypeVar("T")


def option_names(function: Callable[..., Any]) -> set[str] | None:
    """Options of ``function``: its keyword-only parameters and those with a default; ``None`` when it takes
    ``**kwargs`` (any option)."""
    params = inspect.signature(function).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params
            if p.kind is p.KEYWORD_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty)}


def route_options(registry: Registry[T], name: str, options: Mapping[str, Any],
                  callable_of: Callable[[T], Callable[..., Any]] = lambda entry: entry) -> dict[str, Any]:
    """The ``options`` that ``callable_of(registry.get(name))`` takes (see the module docstring)."""
    taken = option_names(callable_of(registry.get(name)))
    if taken is None:
        return dict(options)
    routed = {key: value for key, value in options.items() if key in taken}
    others = set(options) - set(routed)
    if others:
        known: set[str] = set()
        for other in registry.names():
            known |= option_names(callable_of(registry.get(other))) or others  # None: it takes any option
        unknown = sorted(others - known)
        if unknown:
            raise registry.error(f"unknown {registry.kind} option(s) {', '.join(unknown)}; {name} takes "
                                 f"{', '.join(sorted(taken)) or 'no options'}")
    return routed
