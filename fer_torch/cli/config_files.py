"""Training config files: reading and checking one, and the chain of configs a variant extends.

A variant file (``seed003_resnet50_class_weights.yaml``) holds only its differences and names the config it
extends with ``base_config: FILE`` (relative to the variant's folder; bases may have bases). The training
parser's ``--config`` action applies that chain before the file itself
(:class:`fer_torch.cli.lightning_cli.ExtendingConfigFile`), so later files and command-line options win.
PyYAML only: :mod:`fer_torch.cli.train` checks every file with this before Lightning loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_torch.errors import ConfigError

# Top-level keys the LightningCLI parser accepts (tests/test_bad_inputs.py checks them against the parser).
SECTIONS = ("config", "print_config", "seed_everything", "trainer", "model", "data", "optimizer", "lr_scheduler",
            "base_config", "ckpt_path", "checkpoint", "last_checkpoint", "lr_monitor")
BASE_KEY = "base_config"


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}; fix the file's syntax") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a YAML text file") from None


def read_config(path: str | Path) -> dict[str, Any]:
    """A config file's mapping; a missing file, bad YAML or an unknown section is a one-line :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "no such file"
        raise ConfigError(f"--config {path}: {what}; pass a YAML file such as configs/seed004_bn_cnn.yaml")
    config = _read_yaml(path)
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config is a YAML mapping of sections (model:, data:, trainer: ...), "
                          f"got a {type(config).__name__}")
    unknown = [k for k in config if k not in SECTIONS]
    if unknown:
        raise ConfigError(f"{path}: unknown section {unknown[0]!r}; expected one of {', '.join(SECTIONS)}")
    return config


def base_chain(path: str | Path) -> list[Path]:
    """The configs ``path`` extends through ``base_config:``, farthest first; every file is read and checked.

    A missing base, or a chain that comes back to a file it passed, is a one-line :class:`ConfigError`.
    """
    path, chain = Path(path), []
    while base := read_config(path).get(BASE_KEY):
        base_path = path.parent / base
        if not base_path.is_file():
            raise ConfigError(f"{path}: base_config {base!r} not found at {base_path}")
        if base_path.resolve() in {p.resolve() for p in [path, *chain]}:
            raise ConfigError(f"{path}: base_config {base!r} extends itself through {base_path}")
        chain.append(base_path)
        path = base_path
    return chain[::-1]
