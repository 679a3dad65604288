"""Options of registry entries, read from their signatures: the one place an option and its default are declared.

Two rules. :func:`route_options` (readers, detectors): a tool or a YAML config offers the options of all the entries
of a kind (live.py's ``--min-size`` and Haar's ``--scale-factor``; ``data.input_spec.region`` for webcam data and
``data.split.split_test_by_prefix`` for folders); the chosen entry
gets the ones its signature names. An option that only other registered entries take is left out; one that no
registered entry takes is the registry's error, so a misspelt option is never dropped in silence.
:func:`checked_entry` (optimizers, schedulers): the options are given for the one chosen entry
(``optimizer.options``), so any it does not take is an error naming the entries that do.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fer_torch.registry import Registry
from fer_torch.suggest import did_you_mean

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


def checked_entry(registry: Registry[T], name: str, options: Mapping[str, Any] | None) -> T:
    """The entry registered as ``name``, after checking that it takes every key of ``options``.

    Options it does not take are one line naming them, the other entries that take them (options left over from
    another choice) and what ``name`` takes.
    """
    entry = registry.get(name)
    taken = option_names(entry)
    unknown = [key for key in options or {} if taken is not None and key not in taken]
    if not unknown:
        return entry
    takers: dict[tuple[str, ...], list[str]] = {}  # the entries taking an option -> those options
    for key in unknown:
        others = tuple(o for o in registry.names() if key in (option_names(registry.get(o)) or ()))
        takers.setdefault(others, []).append(key)
    clauses = [_misplaced(keys, others, registry.kind, name, taken) for others, keys in takers.items()]
    takes = f"takes: {', '.join(_in_signature_order(entry, taken))}" if taken else "takes no options"
    raise registry.error(f"{registry.kind}.options: {'; '.join(clauses)} ({registry.kind} {name!r} {takes})")


def _in_signature_order(function: Callable[..., Any], names: set[str]) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p in names]


def _misplaced(keys: list[str], others: tuple[str, ...], kind: str, name: str, taken: set[str]) -> str:
    if not others:
        return f"unknown option{'s' if len(keys) > 1 else ''} {', '.join(keys)}{did_you_mean(keys[0], sorted(taken))}"
    verb = "combines" if len(keys) == 1 else "combine"
    return f"{', '.join(keys)} {verb} with {kind} {_or_list(others)}, not {name!r}"


def _or_list(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
