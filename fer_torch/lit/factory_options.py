"""Options of a registered optimizer or scheduler factory: its keyword-only parameters.

A factory's signature is the one place its options and their defaults are declared
(``def sgd(params, lr, weight_decay, fused, *, momentum=0.9, nesterov=False)``): what a config gives in
``optimizer_options``/``scheduler_options`` is checked against it before anything is built.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from fer_torch.registry import Registry


def factory_options(factory: Callable[..., Any]) -> dict[str, Any]:
    """``{option: default}`` for each keyword-only parameter of ``factory``, in signature order."""
    return {name: p.default for name, p in inspect.signature(factory).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def checked_factory(registry: Registry, name: str, options: Mapping[str, Any] | None) -> Callable[..., Any]:
    """The factory registered as ``name``, after checking that it takes every key of ``options`` (a factory
    with ``**kwargs`` takes any).

    An unknown name lists the registered ones. Options the factory does not take are one line naming them,
    the other entries that take them (options left over from another choice) and what ``name`` takes.
    """
    factory = registry.get(name)
    accepted = factory_options(factory)
    unknown = [key for key in options or {} if key not in accepted]
    if not unknown or _takes_any_keyword(factory):
        return factory
    takers: dict[tuple[str, ...], list[str]] = {}  # the entries taking an option -> those options
    for key in unknown:
        takers.setdefault(tuple(o for o in registry.names() if key in factory_options(registry.get(o))), []).append(key)
    clauses = [_misplaced(keys, others, registry.kind, name) for others, keys in takers.items()]
    takes = f"takes: {', '.join(accepted)}" if accepted else "takes no options"
    raise registry.error(f"{registry.kind}_options: {'; '.join(clauses)} ({registry.kind} {name!r} {takes})")


def _takes_any_keyword(factory: Callable[..., Any]) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())


def _misplaced(keys: list[str], others: tuple[str, ...], kind: str, name: str) -> str:
    if not others:
        return f"unknown option{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
    verb = "combines" if len(keys) == 1 else "combine"
    return f"{', '.join(keys)} {verb} with {kind} {_or_list(others)}, not {name!r}"


def _or_list(names: list[str] | tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
