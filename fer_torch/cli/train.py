"""``tools/train.py --config configs/<name>.yaml [--config more.yaml] [--section.key value ...] [--ckpt_path CKPT]``.

A LightningCLI over :class:`FERClassifier` and :class:`FERDataModule` that always fits (no subcommand).
Class names, input spec and class count flow from the datamodule into the model (and so the checkpoint);
the channel count from ``data.channels`` into ``model.in_chans``. Checkpoints, CSV and TensorBoard logs and
the resolved ``config.yaml`` land together in ``<default_root_dir>/<config name>/version_N/``; a resumed run
(``--ckpt_path RUN/checkpoints/last.ckpt``) goes on writing to ``RUN``.

This module checks the command line (config files, YAML syntax, sections, ``--ckpt_path``) before importing
Lightning, so ``--help`` and most mistakes are answered at once; the Lightning side is
:mod:`fer_torch.cli.lightning_cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fer_torch.errors import ConfigError

if TYPE_CHECKING:
    from fer_torch.cli.lightning_cli import FERTrainCLI

# Top-level keys the LightningCLI parser accepts (tests/test_bad_inputs.py checks them against the parser).
SECTIONS = ("config", "print_config", "seed_everything", "trainer", "model", "data", "optimizer", "lr_scheduler",
            "base_config", "ckpt_path", "checkpoint", "last_checkpoint", "lr_monitor")
EXIT_OPTIONS = ("--print_config",)  # jsonargparse prints and exits

USAGE = """\
usage: train.py --config CONFIG.yaml [--config MORE.yaml ...] [--SECTION.KEY VALUE ...] [--ckpt_path CKPT]

Train a model from a config (configs/*.yaml; a trainer preset such as configs/trainer/cpu.yaml may follow).

options:
  -h, --help            this message
  --help-all            every option of every section, with types and defaults (imports Lightning: slower)
  --config FILE         YAML config; repeat to layer files (later ones win); `base_config:` in a file
                        names the config it extends
  --SECTION.KEY VALUE   override one value, e.g. --data.root ../shared/data/fer2013 --trainer.max_epochs 5
                        --model.pretrained null
  --ckpt_path CKPT      resume from a last.ckpt (read with weights_only=True); logs continue in its run
  --print_config        print the resolved config and exit
  --seed_everything N   random seed (default 42)

sections: model (FERClassifier), data (FERDataModule), trainer (lightning Trainer), checkpoint and
last_checkpoint (ModelCheckpoint), lr_monitor, optimizer, lr_scheduler
"""


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


def expand_base_configs(argv: list[str]) -> list[str]:
    """Insert ``--config BASE`` before every ``--config FILE`` whose YAML names ``base_config: BASE``.

    Lets a variant (``seed003_resnet50_class_weights.yaml``) hold only its differences. ``BASE`` is relative
    to the variant's directory; bases may themselves have bases. Every config file is read and checked here.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config":
            if i + 1 >= len(argv):
                raise ConfigError("--config needs a YAML file")
            path, i = argv[i + 1], i + 2
        elif arg.startswith("--config="):
            path, i = arg.split("=", 1)[1], i + 1
        else:
            out.append(arg)
            i += 1
            continue
        out += [*_base_chain(Path(path)), "--config", path]
    return out


def _base_chain(path: Path) -> list[str]:
    base = read_config(path).get("base_config")
    if not base:
        return []
    base_path = path.parent / base
    if not base_path.is_file():
        raise ConfigError(f"{path}: base_config {base!r} not found at {base_path}")
    return [*_base_chain(base_path), "--config", str(base_path)]


def check_options(argv: list[str]) -> None:
    """Refuse unknown sections and a missing ``--ckpt_path`` file before Lightning loads."""
    for i, arg in enumerate(argv):
        if not arg.startswith("--"):
            continue
        key = arg[2:].split("=", 1)[0]
        if key.split(".", 1)[0] not in (*SECTIONS, "help"):
            raise ConfigError(f"unknown option {arg.split('=', 1)[0]!r}; sections are {', '.join(SECTIONS)} "
                              "(see train.py --help)")
        if key == "ckpt_path":
            value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            if value in ("", "null"):
                continue
            if not Path(value).is_file():
                raise ConfigError(f"--ckpt_path {value}: no such file; pass a last.ckpt from a previous run")


def build_cli(argv: list[str] | None = None, cli_class: type[FERTrainCLI] | None = None,
              parse_only: bool = False) -> FERTrainCLI:
    """Parse ``argv`` (default ``sys.argv[1:]``) with variant configs' bases expanded; ``parse_only``
    instantiates nothing (:class:`~fer_torch.cli.lightning_cli.ParseOnlyCLI`)."""
    args = expand_base_configs(sys.argv[1:] if argv is None else list(argv))
    check_options(args)
    from fer_torch.cli.lightning_cli import FERTrainCLI, ParseOnlyCLI, instantiate

    return instantiate(args, cli_class or (ParseOnlyCLI if parse_only else FERTrainCLI))


def run(argv: list[str] | None = None) -> FERTrainCLI:
    """Parse configs and overrides, fit (resuming from ``--ckpt_path`` when given); returns the CLI."""
    cli = build_cli(argv)
    from fer_torch.cli.lightning_cli import check_resume_checkpoint, fit

    if cli.config.get("ckpt_path"):
        check_resume_checkpoint(cli.config.ckpt_path)
    fit(cli)
    return cli


def main(argv: list[str] | None = None) -> int:
    """``tools/train.py`` entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        print(USAGE, end="")
        return 0
    if "--help-all" in argv:
        argv = ["--help" if a == "--help-all" else a for a in argv]
    run(argv)
    return 0
