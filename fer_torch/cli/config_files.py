"""Training config files: reading and checking one, and the chain of configs a variant extends.

A config is named by its path or, for the configs shipped in the package (``configs/`` of a checkout), by its
name: ``seed004_bn_cnn`` or ``trainer/cpu`` (:func:`resolve_config`). A variant file
(``seed003_resnet50_class_weights.yaml``) holds only its differences and names the config it extends with
``base_config: FILE``, looked up beside the variant, then among the packaged configs (bases may have bases). The training
parser's ``--config`` action applies that chain before the file itself
(:class:`fer_torch.cli.lightning_cli.ExtendingConfigFile`), so later files and command-line options win.
PyYAML only: :mod:`fer_torch.cli.train` checks every file with this before Lightning loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_torch.cli.moved_keys import check_config as check_moved_keys
from fer_torch.errors import ConfigError
from fer_torch.paths import CONFIGS_DIR
from fer_torch.suggest import did_you_mean

# Top-level keys the LightningCLI parser accepts (tests/test_bad_inputs.py checks them against the parser).
SECTIONS = ("config", "print_config", "seed_everything", "trainer", "model", "data", "base_config", "ckpt_path",
            "checkpoint", "last_checkpoint", "lr_monitor", "float32_matmul_precision")
LEFT_OUT_SECTIONS = {
    "optimizer": "the optimizer is chosen by model.optimizer (registry fer_torch.lit.optimizers), which keeps the "
                 "head/backbone parameter groups fine-tuning needs",
    "lr_scheduler": "the learning-rate schedule is chosen by model.scheduler (registry fer_torch.lit.schedulers), "
                    "over the optimizer of model.optimizer",
}
"""LightningCLI's sections the training CLI leaves out, and where their settings go instead."""
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


def packaged_config(name: str) -> Path | None:
    """The packaged config called ``name`` (``seed004_bn_cnn``, ``seed004_bn_cnn.yaml``, ``trainer/cpu``), if any."""
    name = name.removeprefix("configs/")
    for candidate in (name, f"{name}.yaml"):
        path = CONFIGS_DIR / candidate
        if path.suffix == ".yaml" and path.is_file() and path.resolve().is_relative_to(CONFIGS_DIR.resolve()):
            return path
    return None


def resolve_config(value: str | Path) -> Path:
    """The config file ``value`` names: a file path, else a packaged config's name; else a one-line error."""
    path = Path(value)
    if path.is_file():
        return path
    packaged = packaged_config(str(value))
    if packaged is not None:
        return packaged
    what = "is a directory" if path.is_dir() else "no such file or packaged config"
    raise ConfigError(f"--config {value}: {what}; pass a YAML file or a packaged config name such as "
                      "seed004_bn_cnn (fer-train --list-configs lists them)")


def list_configs() -> list[tuple[str, str]]:
    """``(name, first comment line)`` of every packaged config, sorted by name."""
    rows = []
    for path in sorted(CONFIGS_DIR.rglob("*.yaml")):
        first = next((line.lstrip("# ").strip() for line in path.read_text().splitlines() if line.startswith("#")), "")
        rows.append((path.relative_to(CONFIGS_DIR).with_suffix("").as_posix(), first))
    return rows


def copy_config(name: str, destination: str | Path = ".") -> Path:
    """Copy the packaged config ``name`` into ``destination`` (a folder or a file path) to edit it; its
    ``base_config:`` still resolves, from the package. Refuses to overwrite a file."""
    source = packaged_config(name)
    if source is None:
        raise ConfigError(f"--copy-config {name}: no packaged config of that name (fer-train --list-configs)")
    target = Path(destination)
    if target.is_dir() or str(destination).endswith(("/", "\\")) or target.suffix not in (".yaml", ".yml"):
        target = target / source.name  # a folder, made when missing
    if target.exists():
        raise ConfigError(f"--copy-config: {target} exists; remove it or name another destination")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.read_text())
    return target


def base_path(path: Path, base: str) -> Path | None:
    """Where a ``base_config:`` of ``path`` lives: beside ``path``, else among the packaged configs."""
    beside = path.parent / base
    return beside if beside.is_file() else packaged_config(base)


def read_config(path: str | Path) -> dict[str, Any]:
    """A config file's mapping; a missing file, bad YAML or an unknown section is a one-line :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "no such file"
        raise ConfigError(f"--config {path}: {what}; pass a YAML file or a packaged config name such as "
                          "seed004_bn_cnn")
    config = _read_yaml(path)
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config is a YAML mapping of sections (model:, data:, trainer: ...), "
                          f"got a {type(config).__name__}")
    unknown = [k for k in config if k not in SECTIONS]
    if unknown and unknown[0] in LEFT_OUT_SECTIONS:
        raise ConfigError(f"{path}: '{unknown[0]}:' is not a section: {LEFT_OUT_SECTIONS[unknown[0]]}")
    if unknown:
        hint = did_you_mean(unknown[0], SECTIONS) or ";"
        raise ConfigError(f"{path}: unknown section {unknown[0]!r}{hint} expected one of {', '.join(SECTIONS)}")
    check_moved_keys(path, config)
    return config


def dotted_get(config: Any, key: str) -> Any:
    """``config["model"]["arch"]`` for ``key="model.arch"``; None where a part is missing."""
    for part in key.split("."):
        if not isinstance(config, dict) or part not in config:
            return None
        config = config[part]
    return config


def file_setting(key: str, configs: list[str | Path]) -> Path | None:
    """The last of ``configs`` (each after the configs it extends) whose YAML sets the dotted ``key``."""
    applied = [file for config in configs for file in (*base_chain(config), Path(config))]
    return next((file for file in reversed(applied) if dotted_get(read_config(file), key) is not None), None)


def base_chain(path: str | Path) -> list[Path]:
    """The configs ``path`` extends through ``base_config:``, farthest first; every file is read and checked.

    A missing base, or a chain that comes back to a file it passed, is a one-line :class:`ConfigError`.
    """
    path, chain = Path(path), []
    while base := read_config(path).get(BASE_KEY):
        found = base_path(path, base)
        if found is None:
            raise ConfigError(f"{path}: base_config {base!r} not found beside it ({path.parent / base}) "
                              "nor among the packaged configs")
        if found.resolve() in {p.resolve() for p in [path, *chain]}:
            raise ConfigError(f"{path}: base_config {base!r} extends itself through {found}")
        chain.append(found)
        path = found
    return chain[::-1]
