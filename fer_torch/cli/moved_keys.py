"""Flat training options of before the option groups (``model.lr``, ``data.num_workers`` ...), in config files and
on the command line: one line naming each one's new place (:mod:`fer_torch.config_groups`). PyYAML only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fer_torch.config_groups import RENAMED_TO_GROUP, moved_key
from fer_torch.errors import ConfigError

GUIDE = "options are grouped now: docs/training.md, 'Option groups'"


def _renamed(section: str, key: str, value: Any) -> str | None:
    """``model.optimizer: adamw`` (a name where a group now stands) -> its new spelling."""
    if section == "model" and key in RENAMED_TO_GROUP and isinstance(value, str) and not value.lstrip().startswith("{"):
        return f"model.{key}: {value} is now model.{key}.name: {value}"
    return None


def moved_in_config(config: Mapping[str, Any]) -> list[str]:
    """``"model.lr is now model.optimizer.lr"`` for each flat key a config's ``model:``/``data:`` sections set."""
    found = []
    for section in ("model", "data"):
        values = config.get(section)
        if not isinstance(values, Mapping):
            continue
        for key, value in values.items():
            renamed = _renamed(section, key, value)
            new = moved_key(f"{section}.{key}")
            if renamed:
                found.append(renamed)
            elif new:
                found.append(f"{section}.{key} is now {new}")
    return found


def check_config(path: Any, config: Mapping[str, Any]) -> None:
    """A one-line :class:`ConfigError` when the config file at ``path`` sets flat keys of before the groups."""
    found = moved_in_config(config)
    if found:
        raise ConfigError(f"{path}: {'; '.join(found)} ({GUIDE})")


def moved_in_argv(argv: list[str]) -> list[str]:
    """The same for ``--model.lr 0.1``-style options of a command line."""
    found = []
    for i, arg in enumerate(argv):
        if not arg.startswith(("--model.", "--data.")):
            continue
        key, _, inline = arg[2:].partition("=")
        section, _, name = key.partition(".")
        value = inline or (argv[i + 1] if i + 1 < len(argv) else "")
        renamed = _renamed(section, name, value)
        new = moved_key(key)
        if renamed:
            found.append(f"--{key} {value} is now --{key}.name {value}")
        elif new:
            found.append(f"--{key} is now --{new}")
    return found
