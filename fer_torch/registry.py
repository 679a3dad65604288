"""Named extension points: architectures, data readers, face detectors, optimizers and schedulers.

One :class:`Registry` per kind, on the pattern of torchvision's ``models/_api.py`` and timm's ``_registry``: a name
maps to a factory, a name registered twice is refused, an unknown name is an error listing the known ones, and
tools take ``choices=registry.names()``. An entry may be a ``"package.module:attribute"`` string imported on first
use, so a tool lists its choices in ``--help`` without importing torch or OpenCV.

Packages outside fer-torch add entries without editing it: a module that registers on import, named by an entry
point in the ``fer_torch.plugins`` group (``[project.entry-points."fer_torch.plugins"] mine = "my_pkg.fer"``), is
imported the first time any registry is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar, overload

from fer_torch.errors import ConfigError, FERError
from fer_torch.suggest import unknown_name

T = TypeVar("T")
PLUGIN_GROUP = "fer_torch.plugins"
_plugins_loaded = False


def load_plugins() -> None:
    """Import every module named in the ``fer_torch.plugins`` entry-point group, once per process."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            entry.load()
        except Exception as exc:  # noqa: BLE001 - any import error of a third-party plugin
            raise ConfigError(f"fer_torch plugin {entry.name!r} ({entry.value}) failed to import: {exc}") from None


class Registry(Generic[T]):
    """Names -> entries of one kind (``kind`` names it in messages; ``error`` is the exception for a bad name)."""

    def __init__(self, kind: str, error: type[FERError] = ConfigError) -> None:
        self.kind = kind
        self.error = error
        self._entries: dict[str, T | str] = {}

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, entry: T | str) -> T | str: ...

    def register(self, name: str, entry: Any = None) -> Any:
        """Register ``entry`` (an object, or a lazy ``"module:attribute"`` string) under ``name``; without
        ``entry``, a decorator registering what it decorates."""
        if entry is None:
            return lambda obj: self.register(name, obj)
        if not isinstance(name, str) or not name:
            raise self.error(f"{self.kind} names are non-empty strings, got {name!r}")
        if name in self._entries:
            raise self.error(f"{self.kind} name {name!r} is already registered; pick another name")
        if isinstance(entry, str) and ":" not in entry:
            raise self.error(f"lazy {self.kind} entry {entry!r} must be 'package.module:attribute'")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests registering a dummy clean up with this)."""
        self._entries.pop(name, None)

    def names(self) -> list[str]:
        """Registered names, sorted (plugins loaded first)."""
        load_plugins()
        return sorted(self._entries)

    def get(self, name: str) -> T:
        """The entry registered as ``name``, importing a lazy one."""
        load_plugins()
        if name not in self._entries:
            raise self.error(unknown_name(self.kind, name, self.names()))
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = getattr(import_module(module), attribute)
            self._entries[name] = entry
        return entry

    def __contains__(self, name: object) -> bool:
        load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(sorted(self._entries))})"
