"""``tools/train.py --config configs/<name>.yaml [--config more.yaml] [--section.key value ...] [--ckpt_path CKPT]``.

A LightningCLI over :class:`FERClassifier` and :class:`FERDataModule` that always fits (no subcommand).
Class names, input spec and class count flow from the datamodule into the model (and so the checkpoint);
the channel count from ``data.channels`` into ``model.in_chans``. Checkpoints, CSV and TensorBoard logs and
the resolved ``config.yaml`` land together in ``<default_root_dir>/<config name>/version_N/``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import yaml
from pytorch_lightning import Trainer
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger

from fer_torch.data.datamodule import FERDataModule
from fer_torch.errors import ConfigError
from fer_torch.lit.classifier import FERClassifier

DEFAULT_ROOT_DIR = "runs"


class FERTrainCLI(LightningCLI):
    """LightningCLI with the datamodule -> model links and the default callbacks and loggers."""

    def __init__(self, args: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(
            FERClassifier,
            FERDataModule,
            args=args,
            run=False,
            seed_everything_default=42,
            save_config_kwargs={"overwrite": True},
            **kwargs,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument("--base_config", type=str | None, default=None, help="config a variant file extends")
        parser.add_argument("--ckpt_path", type=str | None, default=None, help="checkpoint to resume training from")
        parser.link_arguments("data.channels", "model.in_chans")
        parser.link_arguments("data.num_classes", "model.num_classes", apply_on="instantiate")
        parser.link_arguments("data.class_names", "model.class_names", compute_fn=list, apply_on="instantiate")
        parser.link_arguments(
            "data.input_spec", "model.input_spec", compute_fn=lambda spec: spec.to_dict(), apply_on="instantiate"
        )
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": "val/acc",
                "checkpoint.mode": "max",
                # Lightning 2.6 writes save_last only when a top-k checkpoint is written: the separate
                # last_checkpoint below keeps a resumable last.ckpt from every epoch.
                "checkpoint.save_last": False,
                "checkpoint.filename": "epoch{epoch:03d}-val_acc{val/acc:.4f}",
                "checkpoint.auto_insert_metric_name": False,
            }
        )
        parser.add_lightning_class_args(ModelCheckpoint, "last_checkpoint")
        parser.set_defaults({"last_checkpoint.filename": "last", "last_checkpoint.enable_version_counter": False})
        parser.add_lightning_class_args(LearningRateMonitor, "lr_monitor")
        parser.set_defaults({"lr_monitor.logging_interval": "epoch", "trainer.default_root_dir": DEFAULT_ROOT_DIR})

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        trainer_config = self.config_init.get("trainer") or {}
        if trainer_config.get("logger") in (None, True) and "logger" not in kwargs:
            root_dir = trainer_config.get("default_root_dir") or DEFAULT_ROOT_DIR
            kwargs["logger"] = default_loggers(root_dir, self.run_name)
        return super().instantiate_trainer(**kwargs)

    @property
    def run_name(self) -> str:
        """Name of the run directory: the stem of the last config file outside ``configs/trainer/``."""
        names = [Path(str(c)) for c in self.config.get("config") or []]
        names = [p.stem for p in names if p.parent.name != "trainer"]
        return names[-1] if names else "fer"


def default_loggers(root_dir: str, name: str) -> list:
    """CSV and TensorBoard loggers sharing one ``root_dir/name/version_N`` directory."""
    csv = CSVLogger(root_dir, name=name)
    return [csv, TensorBoardLogger(root_dir, name=name, version=csv.version, default_hp_metric=False)]


def expand_base_configs(argv: list[str]) -> list[str]:
    """Insert ``--config BASE`` before every ``--config FILE`` whose YAML names ``base_config: BASE``.

    Lets a variant (``seed003_resnet50_class_weights.yaml``) hold only its differences. ``BASE`` is relative
    to the variant's directory; bases may themselves have bases.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config" and i + 1 < len(argv):
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
    if not path.is_file():
        return []  # LightningCLI reports the missing file
    base = (yaml.safe_load(path.read_text()) or {}).get("base_config")
    if not base:
        return []
    base_path = path.parent / base
    if not base_path.is_file():
        raise ConfigError(f"{path}: base_config {base!r} not found at {base_path}")
    return [*_base_chain(base_path), "--config", str(base_path)]


def build_cli(argv: list[str] | None = None, cli_class: type[FERTrainCLI] = FERTrainCLI) -> FERTrainCLI:
    """Parse ``argv`` (default ``sys.argv[1:]``) with variant configs' bases expanded."""
    with warnings.catch_warnings():
        # We always pass args (expanded from sys.argv); LightningCLI warns when both are present.
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
        return cli_class(args=expand_base_configs(sys.argv[1:] if argv is None else list(argv)))


def run(argv: list[str] | None = None) -> FERTrainCLI:
    """Parse configs and overrides, fit (resuming from ``--ckpt_path`` when given); returns the CLI."""
    cli = build_cli(argv)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=cli.config.get("ckpt_path"))
    return cli


def main(argv: list[str] | None = None) -> int:
    """``tools/train.py`` entry point."""
    run(argv)
    return 0
