"""Packages whose public names are imported on first use (PEP 562 module ``__getattr__``), so importing one light
submodule (a registry the tools list in ``--help``) never loads the heavy modules beside it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any


def lazy_namespace(namespace: dict[str, Any], exports: Mapping[str, Sequence[str]]
                   ) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for the package whose ``globals()`` is ``namespace`` and whose
    public names are ``{module: names}``; a name is imported from its module when first read, then kept."""
    origin = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in origin:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = namespace[name] = getattr(import_module(origin[name]), name)
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(origin))

    return sorted(origin), __getattr__, __dir__
