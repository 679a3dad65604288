"""The private Lightning and torch names of fer_torch.lightning_compat still exist and behave as it assumes, and the
public replacements of the others agree with what Lightning does: a Lightning or torch release that moves one fails
here, not in a training run."""

from __future__ import annotations

import csv
import inspect
import os
import re
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.accelerators import CPUAccelerator
from pytorch_lightning.cli import LightningCLI
from pytorch_lightning.demos.boring_classes import BoringModel
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.strategies import DDPStrategy
from pytorch_lightning.utilities.seed import isolate_rng
from torch.optim.lr_scheduler import ReduceLROnPlateau

from fer_torch import lightning_compat
from fer_torch.cli import lightning_cli
from fer_torch.cli.lightning_cli import ResumableCSVLogger, trains_on_cpu
from fer_torch.lightning_compat import ParseWithoutSeeding, enable_ddp_find_unused_parameters, refresh_last_lr


def test_ddp_find_unused_parameters_is_set_where_ddp_reads_it():
    strategy = DDPStrategy(find_unused_parameters=False)
    assert enable_ddp_find_unused_parameters(strategy) is True
    assert strategy._ddp_kwargs["find_unused_parameters"] is True
    assert enable_ddp_find_unused_parameters(DDPStrategy(find_unused_parameters=True)) is False
    # DDPStrategy wraps the model with these keyword arguments.
    assert "**self._ddp_kwargs" in inspect.getsource(DDPStrategy._setup_model)


def test_get_last_lr_reports_learning_rates_set_by_hand():
    optimizer = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
                                 {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.01}])
    scheduler = ReduceLROnPlateau(optimizer)
    for group in optimizer.param_groups:
        group["lr"] = 1e-4
    assert scheduler.get_last_lr() == [0.1, 0.01]  # stale until the next step: why the compat function exists
    refresh_last_lr(scheduler)
    assert scheduler.get_last_lr() == [1e-4, 1e-4]
    scheduler.step(1.0)
    assert scheduler.get_last_lr() == [1e-4, 1e-4]


class _Parse(LightningCLI):
    def instantiate_classes(self) -> None:
        pass


class _ParseWithoutSeeding(ParseWithoutSeeding, _Parse):
    pass


def _parse(cli_class: type[LightningCLI]) -> LightningCLI:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cli_class(BoringModel, run=False, args=[], seed_everything_default=7)


def test_a_parse_without_seeding_leaves_the_random_state_alone(monkeypatch):
    for name in ("PL_GLOBAL_SEED", "PL_SEED_WORKERS"):  # restored after the test, set or not
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    with isolate_rng():
        state = torch.random.get_rng_state()
        assert _parse(_ParseWithoutSeeding).config.seed_everything == 7
        assert torch.equal(torch.random.get_rng_state(), state) and "PL_GLOBAL_SEED" not in os.environ
        _parse(_Parse)  # LightningCLI seeds after parsing: the mixin is what stops it
        assert os.environ.get("PL_GLOBAL_SEED") == "7"


PRIVATE_USES = re.compile(r"\._ddp_kwargs|\._last_lr\b|def _set_seed|_run_early_stopping_check|_select_auto_accelerator"
                          r"|_ExperimentWriter|_check_log_dir_exists|_check_on_train_epoch_end")


def test_no_module_but_the_compat_one_uses_those_private_names():
    package = Path(lightning_compat.__file__).parent
    users = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
             if PRIVATE_USES.search(path.read_text())}
    assert users == {"lightning_compat.py"}


@pytest.mark.parametrize("available", [set(), {"CUDAAccelerator"}, {"MPSAccelerator"}, {"XLAAccelerator"}])
def test_auto_trains_on_the_cpu_exactly_when_no_other_accelerator_is_available(monkeypatch, available):
    for accelerator in lightning_cli.AUTO_ACCELERATORS:
        monkeypatch.setattr(accelerator, "is_available", staticmethod(lambda a=accelerator: a.__name__ in available))
    assert trains_on_cpu("auto") is (not available)
    assert trains_on_cpu("cpu") and not trains_on_cpu("gpu")


def test_auto_is_what_lightnings_trainer_picks_on_this_machine():
    trainer = pl.Trainer(accelerator="auto", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    assert isinstance(trainer.accelerator, CPUAccelerator) == trains_on_cpu("auto")


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_lightnings_csv_logger_deletes_an_existing_metrics_file(tmp_path):
    """What ResumableCSVLogger works around (if Lightning stops deleting it, the workaround is no longer needed)."""
    run = tmp_path / "fer" / "version_0"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("epoch,step,val/acc\n0,9,0.5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        CSVLogger(tmp_path, name="fer", version=0).experiment
    assert not (run / "metrics.csv").exists()


def test_a_resumed_run_appends_to_its_metrics_file_and_merges_new_columns(tmp_path):
    run = tmp_path / "fer" / "version_0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "metrics.csv").write_text("epoch,step,val/acc\n0,9,0.5\n")
    logger = ResumableCSVLogger(str(tmp_path), name="fer", version="version_0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "previous log files ... will be deleted"
        logger.log_metrics({"epoch": 1, "val/acc": 0.6}, step=19)
        logger.save()
    assert _rows(run / "metrics.csv") == [{"epoch": "0", "step": "9", "val/acc": "0.5"},
                                          {"epoch": "1", "step": "19", "val/acc": "0.6"}]
    logger.log_metrics({"epoch": 2, "val/f1": 0.3}, step=29)
    logger.save()
    rows = _rows(run / "metrics.csv")
    assert list(rows[0]) == ["epoch", "step", "val/acc", "val/f1"] and len(rows) == 3
    assert rows[2] == {"epoch": "2", "step": "29", "val/acc": "", "val/f1": "0.3"}
    assert sorted(p.name for p in run.iterdir()) == ["checkpoints", "metrics.csv"]
