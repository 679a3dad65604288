"""Checkpoints and configs of before the option groups (issue 37): old checkpoints load, evaluate and resume to the
old code's own figures; old flat keys are one-line errors naming their new place.

The fixture (tests/fixtures/pre_issue37/, made by its make_fixture.py with the code of commit 2799996) is the long
recipe's shape on a tiny resnet_fer, stopped by SIGTERM mid-epoch, as the long run in progress was.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from fer_torch.cli.common import run_tool
from fer_torch.cli.evaluate import main as evaluate_main
from fer_torch.cli.train import main as train_main
from fer_torch.cli.train import run
from fer_torch.config_groups import MOVED_DATA_KEYS, MOVED_MODEL_KEYS, migrate
from fer_torch.lit.checkpoint import load_lightning_module
from fer_torch.lit.classifier import FERClassifier
from fer_torch.model_io.architecture import migrated_hparams

FIXTURE = Path(__file__).parent / "fixtures" / "pre_issue37"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
OLD_CHECKPOINT = FIXTURE / "last_step6.ckpt"
TOLERANCE = 1e-5  # float32 on whichever CPU runs the tests; the fixture was written on an Intel Xeon (AMX)


def test_the_old_checkpoint_records_flat_arguments():
    recorded = torch.load(OLD_CHECKPOINT, weights_only=True)["hyper_parameters"]
    assert recorded["optimizer"] == "adamw" and recorded["lr"] == 3e-3 and recorded["in_chans"] == 1


def test_flat_hyperparameters_migrate_into_their_groups():
    recorded = torch.load(OLD_CHECKPOINT, weights_only=True)["hyper_parameters"]
    migrated = migrated_hparams(recorded)
    assert migrated["optimizer"] == {"name": "adamw", "lr": 3e-3, "weight_decay": 0.05,
                                     "options": {"betas": [0.9, 0.99]}, "fused": False}
    assert migrated["scheduler"] == {"name": "onecycle", "options": {"pct_start": 0.15}}
    assert migrated["loss"] == {"label_smoothing": 0.1, "class_weights": None}
    assert migrated["batch_mixing"] == {"mixup_alpha": 0.2, "cutmix_alpha": 0.0}
    assert "in_chans" not in migrated and migrated["input_spec"]["channels"] == 1
    assert not set(MOVED_MODEL_KEYS) & set(migrated)
    assert migrated_hparams(migrated) == migrated  # today's records come back unchanged
    assert migrate({"num_workers": 0, "image_size": [40, 40], "rgb": True}, MOVED_DATA_KEYS) == {
        "dataloader": {"num_workers": 0}, "input_spec": {"image_size": [40, 40]}, "reading": {"rgb": True}}


def test_an_old_checkpoint_without_an_input_spec_keeps_its_channels():
    migrated = migrated_hparams({"arch": "bn_cnn", "in_chans": 3, "input_spec": None, "lr": 0.1})
    assert migrated["input_spec"]["channels"] == 3 and migrated["optimizer"] == {"lr": 0.1}


@pytest.mark.parametrize("load", [load_lightning_module, FERClassifier.load_from_checkpoint],
                         ids=["load_lightning_module", "load_from_checkpoint"])
def test_an_old_checkpoint_loads_with_its_settings_in_groups(load):
    module = load(OLD_CHECKPOINT)
    assert isinstance(module, FERClassifier) and module.input_spec.image_size == (48, 48)
    assert module.hparams.batch_mixing["mixup_alpha"] == 0.2
    state = torch.load(OLD_CHECKPOINT, weights_only=True)["state_dict"]
    for name, value in module.state_dict().items():
        assert torch.equal(value, state[name]), name


def test_an_old_checkpoint_evaluates_to_the_old_codes_accuracy(fer_folder, tmp_path):
    code = run_tool(evaluate_main, ["--weights", str(OLD_CHECKPOINT), "--data", str(fer_folder), "--split", "val",
                                    "--output", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["accuracy"] == pytest.approx(EXPECTED["checkpoint_val_accuracy"])


def test_an_old_checkpoint_resumes_to_the_old_codes_uninterrupted_run(fer_folder, tmp_path):
    checkpoint = tmp_path / "last_step6.ckpt"
    shutil.copy(OLD_CHECKPOINT, checkpoint)
    resumed = run(["--config", str(FIXTURE / "config.yaml"), "--data.root", str(fer_folder),
                   "--trainer.default_root_dir", str(tmp_path / "runs"), "--ckpt_path", str(checkpoint)])
    assert resumed.trainer.global_step == EXPECTED["global_step"]
    for key, value in EXPECTED["uninterrupted"].items():
        assert float(resumed.trainer.callback_metrics[key]) == pytest.approx(value, abs=TOLERANCE), key
    uninterrupted = load_file(str(FIXTURE / "uninterrupted.safetensors"))
    for name, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, uninterrupted[name], atol=TOLERANCE, rtol=0, msg=name)
    saved = torch.load(Path(resumed.trainer.log_dir) / "checkpoints" / "last.ckpt", weights_only=True)
    assert saved["hyper_parameters"]["optimizer"]["name"] == "adamw"  # written in today's shape


def test_the_same_seeded_run_trains_to_the_old_codes_figures(fer_folder, tmp_path):
    full = run(["--config", str(FIXTURE / "config.yaml"), "--data.root", str(fer_folder),
                "--trainer.default_root_dir", str(tmp_path)])
    for key, value in EXPECTED["uninterrupted"].items():
        assert float(full.trainer.callback_metrics[key]) == pytest.approx(value, abs=TOLERANCE), key
    uninterrupted = load_file(str(FIXTURE / "uninterrupted.safetensors"))
    for name, value in full.model.state_dict().items():
        torch.testing.assert_close(value, uninterrupted[name], atol=TOLERANCE, rtol=0, msg=name)


@pytest.mark.parametrize(("args", "expect"), [
    (["--model.lr", "0.1"], "--model.lr is now --model.optimizer.lr"),
    (["--model.optimizer=sgd"], "--model.optimizer sgd is now --model.optimizer.name sgd"),
    (["--data.num_workers", "0"], "--data.num_workers is now --data.dataloader.num_workers"),
    (["--model.in_chans", "3"], "--model.in_chans is now --data.input_spec.channels"),
], ids=["lr", "optimizer_name", "num_workers", "in_chans"])
def test_an_old_flat_option_is_a_one_line_error_naming_its_place(fer_folder, capsys, args, expect):
    code = run_tool(train_main, ["--config", str(FIXTURE / "config.yaml"), "--data.root", str(fer_folder), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and expect in err and "Traceback" not in err


def test_an_old_flat_config_is_a_one_line_error_naming_each_keys_place(fer_folder, capsys):
    code = run_tool(train_main, ["--config", str(FIXTURE / "old_config.yaml"), "--data.root", str(fer_folder)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and err.startswith(f"error: {FIXTURE / 'old_config.yaml'}: ")
    for part in ("model.optimizer: adamw is now model.optimizer.name: adamw", "model.lr is now model.optimizer.lr",
                 "model.mixup_alpha is now model.batch_mixing.mixup_alpha",
                 "data.image_size is now data.input_spec.image_size",
                 "data.val_fraction is now data.split.val_fraction"):
        assert part in err


@pytest.mark.parametrize(("kwargs", "expect"), [
    ({"optimizer": "sgd"}, "optimizer is a group now: write optimizer.name: sgd"),
    ({"optimizer": {"nme": "sgd"}}, "optimizer takes fused, lr, name, options, weight_decay; got nme"),
    ({"loss": {"label_smoothing": 0.1, "weights": [1.0]}}, "loss takes class_weights, label_smoothing; got weights"),
])
def test_groups_refuse_what_they_do_not_hold(kwargs, expect):
    from fer_torch.errors import ConfigError

    with pytest.raises(ConfigError, match=expect):
        FERClassifier("bn_cnn", **kwargs)
