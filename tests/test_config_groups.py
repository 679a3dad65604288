"""The constructors' shape (issue 37): few top-level arguments, related options in plain-typed groups."""

from __future__ import annotations

import inspect

import pytest

from fer_torch.config_groups import DATA_GROUPS, MODEL_GROUPS, OptimizerOptions, group, plain
from fer_torch.data.datamodule import FERDataModule
from fer_torch.errors import ConfigError
from fer_torch.lit.classifier import FERClassifier


@pytest.mark.parametrize(("cls", "limit", "groups"), [(FERClassifier, 12, MODEL_GROUPS),
                                                      (FERDataModule, 14, DATA_GROUPS)],
                         ids=["FERClassifier", "FERDataModule"])
def test_constructors_take_few_arguments_and_every_group(cls, limit, groups):
    parameters = [name for name in inspect.signature(cls.__init__).parameters if name != "self"]
    assert len(parameters) <= limit
    assert set(groups) <= set(parameters)


def test_a_group_is_recorded_as_plain_values():
    recorded = plain(group(OptimizerOptions, {"name": "sgd", "options": {"betas": (0.9, 0.99)}}, "optimizer"))
    assert recorded == {"name": "sgd", "lr": 1e-3, "weight_decay": 0.0, "fused": None,
                        "options": {"betas": [0.9, 0.99]}}


def test_the_classifier_records_its_groups_as_dicts():
    model = FERClassifier("mouth_cnn", num_classes=3, optimizer=OptimizerOptions(name="sgd", lr=0.1),
                          batch_mixing={"cutmix_alpha": 0.5})
    assert model.hparams.optimizer == {"name": "sgd", "lr": 0.1, "weight_decay": 0.0, "fused": None, "options": None}
    assert model.hparams.batch_mixing == {"mixup_alpha": 0.0, "cutmix_alpha": 0.5}
    assert model.mixup is not None


def test_a_group_given_something_else_is_a_one_line_error():
    with pytest.raises(ConfigError, match="split must be a mapping of val_split, val_fraction, split_seed"):
        FERDataModule("unused", split=0.2)
