"""``tools/train.py --config configs/<name>.yaml [--config more.yaml] [--section.key value ...] [--ckpt_path CKPT]``.

A LightningCLI over :class:`FERClassifier` and :class:`FERDataModule` that always fits (no subcommand).
The architecture flows from ``model.arch`` into the datamodule, whose input spec is that architecture's registry
default with the ``data:`` overrides; class names, input spec, channel count and class count flow from the
datamodule into the model (and so the checkpoint). Checkpoints, CSV and TensorBoard logs and
the resolved ``config.yaml`` land together in ``<default_root_dir>/<config name>/version_N/``; a resumed run
(``--ckpt_path RUN/checkpoints/last.ckpt``) goes on writing to ``RUN``.

This module checks the command line (config files, YAML syntax, sections, ``--ckpt_path``) before importing
Lightning, so ``--help`` and most mistakes are answered at once; the Lightning side is
:mod:`fer_torch.cli.lightning_cli`. That much is read by hand, not by jsonargparse: its parser is built from the
Lightning classes' signatures, so it exists only after torch and Lightning are imported, most of a run's start;
it then parses everything again, types and keys included.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fer_torch.cli.common import invoked_as
from fer_torch.cli.config_files import (
    LEFT_OUT_SECTIONS, SECTIONS, base_chain, copy_config, list_configs, resolve_config,
)
from fer_torch.cli.resume import with_run_settings
from fer_torch.console import VERBOSE_OPTION
from fer_torch.errors import ConfigError
from fer_torch.suggest import close_matches

if TYPE_CHECKING:
    from fer_torch.cli.lightning_cli import FERTrainCLI

USAGE = """\
usage: {prog} --config CONFIG [--config MORE ...] [--SECTION.KEY VALUE ...] [--ckpt_path CKPT]
       {prog} --list-configs | --copy-config NAME [DEST]

Train a model from a config: a YAML file, or a packaged config by name (seed004_bn_cnn; a trainer preset such as
trainer/cpu may follow).

options:
  -h, --help            this message
  --help-all            every option of every section, with types and defaults (imports Lightning: slower)
  --config CONFIG       YAML file or packaged config name; repeat to layer configs (later ones win);
                        `base_config:` in a file names the config it extends (beside it, else packaged)
  --list-configs        the packaged configs, one line each
  --copy-config NAME [DEST]  copy a packaged config to DEST (default: this folder) to edit it
  --SECTION.KEY VALUE   override one value, e.g. --data.root ../shared/data/fer2013 --trainer.max_epochs 5
                        --model.pretrained null
  --ckpt_path CKPT      resume from a last.ckpt (read with weights_only=True); logs continue in its run
  --print_config        print the resolved config and exit
  --verbose             show the library notices and warnings hidden by default (or FER_TORCH_VERBOSE=1)
  --seed_everything N   random seed (default 42)
  --float32_matmul_precision P  highest | high | medium for the process (configs/trainer/gpu.yaml: high, TF32)

sections: model (FERClassifier), data (FERDataModule), trainer (lightning Trainer), checkpoint and
last_checkpoint (ModelCheckpoint), lr_monitor. Related options are groups: model.optimizer (name, lr, weight_decay,
fused, options), model.scheduler (name, options), model.loss, model.batch_mixing; data.input_spec (image_size,
channels, mean, std, preprocessing, region: model.arch's registry default unless set), data.split, data.reading,
data.dataloader (--model.optimizer.lr 5e-4). LightningCLI's --optimizer and --lr_scheduler are not options.
"""


def config_args(argv: list[str]) -> list[str]:
    """``argv`` with each ``--config`` value that names a packaged config (``seed004_bn_cnn``) replaced by its
    file, every config file and the configs it extends (``base_config:``) read and checked; a value that is neither
    a file nor a packaged config, or a bad file, is a one-line error."""
    args = list(argv)
    for i, arg in enumerate(argv):
        if arg == "--config":
            if i + 1 >= len(argv):
                raise ConfigError("--config needs a YAML file")
            args[i + 1] = str(_checked_config(argv[i + 1]))
        elif arg.startswith("--config="):
            args[i] = f"--config={_checked_config(arg.split('=', 1)[1])}"
    return args


def _checked_config(value: str) -> Path:
    path = resolve_config(value)
    base_chain(path)
    return path


def check_options(argv: list[str]) -> None:
    """Refuse unknown sections (LightningCLI's optimizer sections with where their settings go) and a missing
    ``--ckpt_path`` file before Lightning loads."""
    for i, arg in enumerate(argv):
        if not arg.startswith("--"):
            continue
        key = arg[2:].split("=", 1)[0]
        section, dot, rest = key.partition(".")
        if section in LEFT_OUT_SECTIONS:
            raise ConfigError(f"--{section} is not an option: {LEFT_OUT_SECTIONS[section]}")
        if section not in (*SECTIONS, "help"):
            meant = [f"--{name}{dot}{rest}" for name in close_matches(section, SECTIONS)]
            hint = f"did you mean {' or '.join(meant)}? " if meant else ""
            raise ConfigError(f"unknown option {arg.split('=', 1)[0]!r}; {hint}sections are {', '.join(SECTIONS)} "
                              "(see train.py --help)")
        if key == "ckpt_path":
            value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            if value in ("", "null"):
                continue
            if not Path(value).is_file():
                raise ConfigError(f"--ckpt_path {value}: no such file; pass a last.ckpt from a previous run")


def build_cli(argv: list[str] | None = None, cli_class: type[FERTrainCLI] | None = None,
              parse_only: bool = False) -> FERTrainCLI:
    """Parse ``argv`` (default ``sys.argv[1:]``) after the light checks; ``parse_only`` instantiates nothing
    (:class:`~fer_torch.cli.lightning_cli.ParseOnlyCLI`)."""
    args = config_args([a for a in (sys.argv[1:] if argv is None else argv) if a != VERBOSE_OPTION])
    args = with_run_settings(args)
    check_options(args)
    from fer_torch.cli.lightning_cli import FERTrainCLI, ParseOnlyCLI, instantiate

    return instantiate(args, cli_class or (ParseOnlyCLI if parse_only else FERTrainCLI))


def resume_command(argv: list[str], checkpoint: str | Path) -> str:
    """The ``tools/train.py`` command line that resumes ``argv``'s run from ``checkpoint`` (any ``--ckpt_path``
    in ``argv`` replaced)."""
    args, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--ckpt_path="):
            skip = False
            continue
        skip = arg == "--ckpt_path"
        if not skip:
            args.append(arg)
    return shlex.join([*invoked_as("train"), *args, "--ckpt_path", str(checkpoint)])


def run(argv: list[str] | None = None) -> FERTrainCLI:
    """Parse configs and overrides, fit (resuming from ``--ckpt_path`` when given), print what the run made
    (:func:`~fer_torch.cli.run_summary.run_summary`); returns the CLI.

    A SIGTERM stops the fit after the current step with a resumable ``last.ckpt`` and one line on stderr saying how
    to resume (:class:`~fer_torch.callbacks.graceful_stop.GracefulStop`).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    cli = build_cli(args)
    from fer_torch.cli.lightning_cli import check_resume_checkpoint, fit
    from fer_torch.cli.run_summary import run_summary

    if cli.config.get("ckpt_path"):
        check_resume_checkpoint(cli.config.ckpt_path)
    stop = fit(cli)
    if not cli.trainer.is_global_zero:
        return cli
    if stop is not None:
        print(f"stopped by SIGTERM at epoch {stop.epoch} step {stop.step}; resume with: "
              f"{resume_command(args, stop.checkpoint)}", file=sys.stderr, flush=True)
    print("\n".join(run_summary(cli.trainer, cli.config.data.get("root"), stop)), flush=True)
    return cli


def main(argv: list[str] | None = None) -> int:
    """``tools/train.py`` entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        print(USAGE.format(prog=invoked_as("train")[-1].removeprefix("tools/")), end="")
        return 0
    if argv[:1] == ["--list-configs"]:
        rows = list_configs()
        width = max(len(name) for name, _ in rows)
        print("\n".join(f"{name:<{width}}  {about[:100 - width]}" for name, about in rows))
        return 0
    if argv[:1] == ["--copy-config"]:
        if len(argv) not in (2, 3):
            raise ConfigError("--copy-config takes NAME [DEST]")
        print(copy_config(*argv[1:]))
        return 0
    if "--help-all" in argv:
        argv = ["--help" if a == "--help-all" else a for a in argv]
    run(argv)
    return 0
