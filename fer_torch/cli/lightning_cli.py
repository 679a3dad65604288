"""The LightningCLI behind ``tools/train.py`` and ``tools/summary.py``.

Importing this loads torch and Lightning, most of a run's start (figure in docs/benchmarks.md):
:mod:`fer_torch.cli.train` checks the command line first and imports this module only for a command that can run.
"""

from __future__ import annotations

import csv
import os
import shutil
import warnings
from pathlib import Path
from typing import Any, Literal

from jsonargparse import ActionConfigFile, ArgumentError, Namespace
from lightning_fabric.utilities.exceptions import MisconfigurationException
import pytorch_lightning as pl
import torch
from pytorch_lightning import Trainer
from pytorch_lightning.accelerators import CUDAAccelerator, MPSAccelerator, XLAAccelerator
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter
from pytorch_lightning.loggers.logger import rank_zero_experiment
from pytorch_lightning.utilities import rank_zero_info
from pytorch_lightning.utilities.exceptions import SIGTERMException

from fer_torch.callbacks.best_checkpoint import BestCheckpoint
from fer_torch.callbacks.graceful_stop import GracefulStop, StopPoint
from fer_torch.callbacks.seeding import EpochReseeding
from fer_torch.cli.common import one_line
from fer_torch.cli.config_files import BASE_KEY, base_chain
from fer_torch.cli.parse_errors import explain_parse_error
from fer_torch.cli.resume import resumed_run_dir
from fer_torch.data.datamodule import FERDataModule, resolve_input_spec, resolve_loader
from fer_torch.errors import CheckpointError, ConfigError
from fer_torch.hardware import cpu_mode, cpu_name
from fer_torch.lightning_compat import ParseWithoutSeeding
from fer_torch.lit.classifier import FERClassifier
from fer_torch.safe_load import RefusedPickle, load_checkpoint

DEFAULT_ROOT_DIR = "runs"


class ExtendingConfigFile(ActionConfigFile):
    """``--config FILE`` applying first the configs FILE extends (``base_config:``, farthest first), then FILE.

    Later files and command-line options win as usual, and ``config`` lists every file applied, bases first.
    jsonargparse's own nested ``config:`` key cannot do this: the sections after it replace the base's
    sections wholesale instead of merging into them.
    """

    def __call__(self, parser, cfg, values, option_string=None) -> None:
        for path in [*base_chain(values), values]:
            self.apply_config(parser, cfg, self.dest, str(path))
        cfg[BASE_KEY] = None  # applied: a run's saved config.yaml is complete without it


class FERTrainCLI(LightningCLI):
    """LightningCLI with the model <-> datamodule links (the architecture to the data, whose input spec defaults to
    the architecture's; input spec, channels and classes back to the model) and the default callbacks and loggers.

    :class:`EpochReseeding`, :class:`GracefulStop` and :class:`BestCheckpoint` are trainer defaults: Lightning
    appends them to the config's ``trainer.callbacks``.

    Options are never abbreviated (``--trainer.max_epoch`` is not ``--trainer.max_epochs``). Parse errors raise
    :class:`ConfigError` (``exit_on_error=False``) with a "did you mean" instead of printing the whole usage
    block (:func:`~fer_torch.cli.parse_errors.explain_parse_error`).

    One optimizer system: ``model.optimizer`` and ``model.scheduler`` (the registries of :mod:`fer_torch.lit`),
    which give two-phase fine-tuning its head/backbone parameter groups. LightningCLI's own ``optimizer`` and
    ``lr_scheduler`` sections are off (``auto_configure_optimizers=False``); naming them is a one-line error.
    """

    def __init__(self, args: list[str] | None = None, **kwargs: Any) -> None:
        parser_kwargs = {"exit_on_error": False, "allow_abbrev": False, **kwargs.pop("parser_kwargs", {})}
        super().__init__(
            FERClassifier,
            FERDataModule,
            args=args,
            run=False,
            auto_configure_optimizers=False,
            seed_everything_default=42,
            trainer_defaults={"callbacks": [EpochReseeding(), GracefulStop(), BestCheckpoint()]},
            save_config_kwargs={"overwrite": True},
            parser_kwargs=parser_kwargs,
            **kwargs,
        )

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        """LightningCLI's parser with :class:`ExtendingConfigFile` as ``--config``."""
        kwargs.setdefault("dump_header", [f"pytorch_lightning=={pl.__version__}"])
        parser = self.parser_class(**kwargs)
        parser.add_argument("-c", "--config", action=ExtendingConfigFile,
                            help="YAML config file; `base_config:` in it names the config it extends")
        return parser

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """LightningCLI's parsing; an error names the closest known options (:func:`explain_parse_error`)."""
        try:
            super().parse_arguments(parser, args)
        except ArgumentError as exc:
            raise ConfigError(explain_parse_error(str(exc), parser.get_defaults().keys(), list(args or []))) from None

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument(f"--{BASE_KEY}", type=str | None, default=None,
                            help="config a variant file extends (relative to the variant's folder)")
        parser.add_argument("--ckpt_path", type=str | None, default=None,
                            help="last.ckpt to resume from (loaded with weights_only=True; logs go to its run)")
        parser.add_argument("--float32_matmul_precision", type=Literal["highest", "high", "medium"] | None,
                            default=None, help="torch.set_float32_matmul_precision for the process (high: TF32 "
                            "matmuls on Ampere+ GPUs; configs/trainer/gpu.yaml sets it)")
        parser.link_arguments("model.arch", "data.arch")  # the data's input spec defaults to the architecture's
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

    def before_instantiate_classes(self) -> None:
        """Write what ``auto`` and the architecture resolve to into the config (input spec, data loader, CPU
        precision and memory format), so the run's saved ``config.yaml`` states what it trained with."""
        data = self.config.data
        changes = data.input_spec.as_dict() if isinstance(data.input_spec, Namespace) else dict(data.input_spec or {})
        for key, value in resolve_input_spec(data.arch, **changes).to_dict().items():
            data[f"input_spec.{key}"] = value
        data.loader, note = resolve_loader(data.loader, data.train_augment)
        if self.config.get("float32_matmul_precision"):  # process-wide, so a trainer-level setting
            torch.set_float32_matmul_precision(self.config.float32_matmul_precision)
        for line in (note, apply_cpu_mode(self.config)):
            if line:
                rank_zero_info(line)

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        trainer_config = self.config_init.get("trainer") or {}
        if trainer_config.get("logger") in (None, True) and "logger" not in kwargs:
            resumed = resumed_run_dir(self.config.get("ckpt_path"))
            if resumed is not None:
                kwargs["logger"] = default_loggers(str(resumed.parent.parent), resumed.parent.name, resumed.name)
            else:
                root_dir = trainer_config.get("default_root_dir") or DEFAULT_ROOT_DIR
                kwargs["logger"] = default_loggers(root_dir, self.run_name)
        return super().instantiate_trainer(**kwargs)

    @property
    def run_name(self) -> str:
        """Name of the run directory: the stem of the last config file outside ``configs/trainer/``."""
        names = [Path(str(c)) for c in self.config.get("config") or []]
        names = [p.stem for p in names if p.parent.name != "trainer"]
        return names[-1] if names else "fer"


AUTO_ACCELERATORS = (XLAAccelerator, MPSAccelerator, CUDAAccelerator)
"""The accelerators Lightning's ``accelerator: auto`` picks, when available, before the CPU."""


def trains_on_cpu(accelerator: Any) -> bool:
    """Whether Lightning's ``accelerator`` setting (``cpu``, ``auto`` ...) trains on the CPU on this machine: it is
    asked before the Trainer exists (the CPU mode fills in the trainer's precision), so ``auto`` is the CPU exactly
    when none of :data:`AUTO_ACCELERATORS` is available."""
    if isinstance(accelerator, str) and accelerator == "auto":
        return not any(candidate.is_available() for candidate in AUTO_ACCELERATORS)
    return isinstance(accelerator, str) and accelerator == "cpu"


def apply_cpu_mode(config: Namespace) -> str | None:
    """On the CPU, fill the choices the config leaves open (``trainer.precision``, ``model.channels_last``) with
    :func:`fer_torch.hardware.cpu_mode`'s and ``model.optimizer.fused`` with True, and return the one line that says
    what runs; explicit choices win.

    Off the CPU nothing changes and None is returned (an unset ``channels_last`` means off).
    """
    if not trains_on_cpu(config.trainer.accelerator):
        return None
    mode = cpu_mode()
    trainer, model = config.trainer, config.model
    configured = []
    if trainer.precision is None:
        trainer.precision = mode.training_precision
    else:
        configured.append("precision")
    if model.channels_last is None:
        model.channels_last = mode.channels_last
    else:
        configured.append("channels_last")
    if model.optimizer.fused is None:  # one kernel per optimizer step (docs/benchmarks.md)
        model["optimizer.fused"] = True
    if not configured:
        return f"Training on {mode.describe()}, chosen for this CPU"
    layout = "channels-last" if model.channels_last else "contiguous"
    return (f"Training on CPU {cpu_name()}: {trainer.precision}, {layout} ({' and '.join(configured)} as configured; "
            f"this CPU's fastest mode: {mode.describe()})")


class ParseOnlyCLI(ParseWithoutSeeding, FERTrainCLI):
    """Parses exactly like ``tools/train.py`` but instantiates nothing (no data, no trainer) and seeds nothing."""

    def instantiate_classes(self) -> None:
        pass


class ResumableCSVLogger(CSVLogger):
    """A CSVLogger that appends to the ``metrics.csv`` of the run it continues.

    Lightning's writer deletes an existing ``metrics.csv`` when it is made: the file steps aside for that moment,
    and its header becomes the writer's known columns, so the new rows append (a new column rewrites the file with
    the merged header, as Lightning does for any new key).
    """

    _appending: ExperimentWriter | None = None

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._appending is None:
            metrics = Path(self.log_dir) / ExperimentWriter.NAME_METRICS_FILE
            aside = metrics.with_name(f"{metrics.name}.resuming")
            if metrics.is_file():
                os.replace(metrics, aside)
            try:
                with warnings.catch_warnings():  # "... will be deleted": not so here
                    warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")
                    writer = super().experiment
            finally:
                if aside.is_file():
                    os.replace(aside, metrics)
            if metrics.is_file():
                with metrics.open(newline="") as file:
                    writer.metrics_keys = sorted(next(csv.reader(file), []))
            self._appending = writer
        return self._appending


def default_loggers(root_dir: str, name: str, version: str | int | None = None) -> list:
    """CSV and (when ``tensorboard`` is installed: the ``[tensorboard]`` extra) TensorBoard loggers sharing one
    ``root_dir/name/version_N`` directory (``version``: an existing one)."""
    from fer_torch.extras import available, install_line

    csv_logger = ResumableCSVLogger(root_dir, name=name, version=version)
    if not (available("tensorboard") or available("tensorboardX")):
        rank_zero_info(f"Logging to CSV only (TensorBoard logs need {install_line('tensorboard')})")
        return [csv_logger]
    return [csv_logger, TensorBoardLogger(root_dir, name=name, version=csv_logger.version, default_hp_metric=False)]


def check_resume_checkpoint(path: str) -> None:
    """Refuse a ``--ckpt_path`` that is not a training checkpoint, reading it with ``weights_only=True``.

    A pickle holding code (or anything but tensors and plain values) is refused without being run.
    """
    hint = "resume from a last.ckpt written by tools/train.py"
    try:
        checkpoint = load_checkpoint(path)
    except RefusedPickle as exc:  # never pass on torch's advice to unpickle it
        raise CheckpointError(f"--ckpt_path {path}: {exc}; {hint}") from None
    except Exception:  # noqa: BLE001 - torch raises many types for a bad or hostile file
        raise CheckpointError(f"--ckpt_path {path}: not a readable checkpoint (corrupt, truncated or not a torch "
                              f"file); {hint}") from None
    missing = [k for k in ("state_dict", "epoch", "loops") if not isinstance(checkpoint, dict) or k not in checkpoint]
    if missing:
        raise CheckpointError(f"--ckpt_path {path}: not a Lightning training checkpoint (no {', '.join(missing)}); "
                              f"{hint}")


def instantiate(argv: list[str], cli_class: type[FERTrainCLI] = FERTrainCLI) -> FERTrainCLI:
    """Parse ``argv`` with ``cli_class``; a parse error becomes one-line :class:`ConfigError`."""
    with warnings.catch_warnings():
        # We always pass args (expanded from sys.argv); LightningCLI warns when both are present.
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
        try:
            return cli_class(args=argv)
        except ArgumentError as exc:
            raise ConfigError(f"{one_line(str(exc))} (see train.py --help-all)") from None
        except MisconfigurationException as exc:  # e.g. an accelerator this machine lacks
            raise ConfigError(f"trainer: {one_line(str(exc))}") from None


def fit(cli: FERTrainCLI) -> StopPoint | None:
    """Fit, resuming from ``--ckpt_path`` (``weights_only=True``); a run that fails before its first checkpoint
    leaves no ``version_N/`` behind, nor the empty folders it made for it. Returns where a SIGTERM stopped the fit (:class:`GracefulStop`), else None."""
    ckpt_path = cli.config.get("ckpt_path")
    log_dir = Path(cli.trainer.log_dir) if cli.trainer.log_dir else None
    new_run = log_dir is not None and not log_dir.exists()
    made = [d for d in (log_dir.parent, log_dir.parent.parent) if not d.exists()] if new_run else []
    try:
        cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=ckpt_path, weights_only=True)
    except SIGTERMException:
        stops = [c.stopped for c in cli.trainer.callbacks if isinstance(c, GracefulStop) and c.stopped]
        if stops:
            return stops[0]
        raise
    except BaseException:
        if new_run and log_dir.is_dir() and not any(log_dir.rglob("*.ckpt")):
            shutil.rmtree(log_dir, ignore_errors=True)
            for folder in made:  # runs/<config>/ when this run made them and left them empty
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
        raise
    return None
