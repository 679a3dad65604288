""""Did you mean" suggestions and the quiet console."""

from __future__ import annotations

import logging
import warnings

import pytest

from fer_torch import console
from fer_torch.suggest import did_you_mean, unknown_name


def test_unknown_names_suggest_the_closest_and_list_the_choices():
    assert unknown_name("optimizer", "adm", ["adam", "adamw", "sgd"]) == (
        "unknown optimizer 'adm'; did you mean 'adam'? choose from adam, adamw, sgd")
    assert unknown_name("optimizer", "zzz", ["adam", "sgd"]) == "unknown optimizer 'zzz'; choose from adam, sgd"
    assert did_you_mean("trainer.max_epoch", ["trainer.max_epochs", "trainer.max_steps"], prefix="--") == (
        "; did you mean --trainer.max_epochs?")


@pytest.fixture
def fresh_console(monkeypatch):
    """quiet_console as in a new process, its filters undone afterwards."""
    monkeypatch.setattr(console, "_quiet", False)
    logger = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    filters = list(logger.filters)
    yield logger
    logger.filters[:] = filters


def test_quiet_console_hides_exactly_the_listed_messages(fresh_console, caplog):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        console.quiet_console()
        console.quiet_console()  # once per process: the filters are not stacked
        warnings.warn("Precision bf16-mixed is not supported by the model summary.  Estimated model size ...")
        warnings.warn("The number of training batches (5) is smaller than the logging interval Trainer(...)")
        warnings.warn("something a user should read")
    assert [str(w.message) for w in seen] == ["something a user should read"]
    with caplog.at_level(logging.INFO, logger=fresh_console.name):
        fresh_console.info("💡 Tip: For seamless cloud logging, try installing [litlogger](https://pypi.org/...)")
        fresh_console.info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]


def test_verbose_is_asked_by_option_or_environment(monkeypatch):
    monkeypatch.delenv(console.VERBOSE_ENV, raising=False)
    assert console.verbose_requested(["--verbose"]) and not console.verbose_requested(["--data", "x"])
    monkeypatch.setenv(console.VERBOSE_ENV, "1")
    assert console.verbose_requested([])
    monkeypatch.setenv(console.VERBOSE_ENV, "0")
    assert not console.verbose_requested(None)
