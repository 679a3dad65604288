"""Optimizer and scheduler registries: a dummy of each, registered from outside fer-torch, trains through
tools/train.py; unknown names and options are one-line errors listing the choices; the builtins build exactly
what the flat arguments used to."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, MultiplicativeLR, OneCycleLR, ReduceLROnPlateau, StepLR

from fer_torch.callbacks import BestWeightsEarlyStopping, EpochReseeding
from fer_torch.cli.common import run_tool
from fer_torch.cli.train import build_cli, main, run
from fer_torch.lit.checkpoint import load_lightning_module
from fer_torch.lit.classifier import FERClassifier
from fer_torch.lit.optimizers import OPTIMIZERS, check_optimizer
from fer_torch.lit.schedulers import SCHEDULERS, TimeDecayStep

REPO = Path(__file__).resolve().parents[1]
SEED002 = str(REPO / "configs" / "seed002_bn_cnn.yaml")
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]
DUMMY_OPTIMIZER, DUMMY_SCHEDULER = "test_dampened_sgd", "test_halving"


def dampened_sgd(params, lr, weight_decay, fused, *, dampening: float = 0.0) -> torch.optim.Optimizer:
    """A plugin's optimizer: SGD with momentum 0.5 and a ``dampening`` option."""
    return torch.optim.SGD(params, lr=lr, momentum=0.5, dampening=dampening, weight_decay=weight_decay)


def halving(optimizer, trainer, *, every: int = 1) -> dict:
    """A plugin's scheduler: halve the rate every ``every`` epochs."""
    return {"scheduler": StepLR(optimizer, step_size=every, gamma=0.5), "interval": "epoch"}


@pytest.fixture
def dummies():
    OPTIMIZERS.register(DUMMY_OPTIMIZER, dampened_sgd)
    SCHEDULERS.register(DUMMY_SCHEDULER, f"{__name__}:halving")  # lazy, as a plugin would register it
    yield
    OPTIMIZERS.unregister(DUMMY_OPTIMIZER)
    SCHEDULERS.unregister(DUMMY_SCHEDULER)


def test_registered_optimizer_and_scheduler_train_through_the_cli(dummies, fer_folder, tmp_path):
    cli = run(["--config", SEED002, "--data.root", str(fer_folder), "--data.dataloader.num_workers", "0",
               "--data.batch_size", "16", "--trainer.default_root_dir", str(tmp_path), "--trainer.max_epochs", "2",
               "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1", *QUIET,
               "--model.optimizer.name", DUMMY_OPTIMIZER, "--model.optimizer.options", "{dampening: 0.25}",
               "--model.scheduler.name", DUMMY_SCHEDULER, "--model.scheduler.options", "{every: 1}"])
    optimizer = cli.trainer.optimizers[0]
    assert type(optimizer) is torch.optim.SGD
    assert [(g["name"], g["dampening"], g["momentum"]) for g in optimizer.param_groups] == [
        ("head", 0.25, 0.5), ("backbone", 0.25, 0.5)]
    (config,) = cli.trainer.lr_scheduler_configs
    assert type(config.scheduler) is StepLR and config.interval == "epoch"
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 / 4)  # halved after each of the 2 epochs
    rows = list(csv.DictReader(open(Path(cli.trainer.log_dir) / "metrics.csv")))
    logged = [float(r["lr-SGD/head"]) for r in rows if r.get("lr-SGD/head")]
    assert logged == pytest.approx([1e-3, 5e-4])
    # The default reseeding callback joins the config's own callbacks.
    callbacks = cli.trainer.callbacks
    assert any(isinstance(c, EpochReseeding) for c in callbacks)
    assert any(isinstance(c, BestWeightsEarlyStopping) for c in callbacks)
    last = Path(cli.trainer.log_dir) / "checkpoints" / "last.ckpt"
    hparams = torch.load(last, weights_only=True)["hyper_parameters"]
    assert (hparams["optimizer"]["name"], hparams["optimizer"]["options"]) == (DUMMY_OPTIMIZER, {"dampening": 0.25})
    # Inference does not need the training-only plugin.
    OPTIMIZERS.unregister(DUMMY_OPTIMIZER)
    SCHEDULERS.unregister(DUMMY_SCHEDULER)
    assert load_lightning_module(last).class_names == cli.model.class_names


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--model.optimizer.name", "nadam"],
         f"unknown optimizer 'nadam'; did you mean 'adam'? choose from adam, adamw, sgd, {DUMMY_OPTIMIZER}"),
        (["--model.scheduler.name", "step"],
         f"unknown scheduler 'step'; choose from cosine, none, onecycle, plateau, {DUMMY_SCHEDULER}"),
        (["--model.optimizer.name", DUMMY_OPTIMIZER, "--model.optimizer.options", "{nesterov: true}"],
         f"optimizer.options: nesterov combines with optimizer sgd, not '{DUMMY_OPTIMIZER}' "
         f"(optimizer '{DUMMY_OPTIMIZER}' takes: dampening)"),
        (["--model.scheduler.options.pattience", "3"],
         "scheduler.options: unknown option pattience; did you mean 'patience'? (scheduler 'plateau' takes: monitor, mode, factor, patience, "
         "min_lr, min_delta, time_decay)"),
        (["--model.scheduler.name", "cosine"],  # the config's plateau options stay unless replaced
         "scheduler.options: monitor, mode, factor, patience, min_delta combine with scheduler plateau, not 'cosine' "
         "(scheduler 'cosine' takes: eta_min)"),
    ],
    ids=["optimizer", "scheduler", "optimizer_option", "scheduler_option", "options_of_another_scheduler"],
)
def test_unknown_names_and_options_are_one_line_errors_listing_the_choices(dummies, fer_folder, tmp_path, capsys,
                                                                           args, expect):
    code = run_tool(main, ["--config", SEED002, "--data.root", str(fer_folder), "--data.dataloader.num_workers", "0",
                           "--trainer.default_root_dir", str(tmp_path), *QUIET, *args])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line.lower()]
    assert code == 2 and "Traceback" not in err, err
    assert errors == [f"error: {expect}"], err


def test_a_factory_with_keyword_arguments_takes_any_option():
    OPTIMIZERS.register("test_open", lambda params, lr, weight_decay, fused, **options: None)
    try:
        check_optimizer("test_open", {"anything": 1})
    finally:
        OPTIMIZERS.unregister("test_open")


def _plateau(**kwargs):
    return lambda opt, trainer: ReduceLROnPlateau(opt, **kwargs)


# What the flat arguments built before the registries, per config: (optimizer from the parameter groups,
# [(Lightning config without "scheduler", scheduler from optimizer and trainer)]).
BEFORE = {
    "seed003_resnet50": (
        lambda groups: torch.optim.SGD(groups, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.0),
        [({"monitor": "val/acc", "interval": "epoch"},
          _plateau(mode="max", factor=0.5, patience=9, min_lr=0.0, threshold=1e-4, threshold_mode="abs")),
         ({"interval": "step"}, lambda opt, trainer: MultiplicativeLR(opt, TimeDecayStep(1e-4)))]),
    "seed004_bn_cnn": (  # plateau settings partly from its base, seed002_bn_cnn
        lambda groups: torch.optim.Adam(groups, lr=5e-4, betas=(0.9, 0.999), weight_decay=0.0),
        [({"monitor": "val/loss", "interval": "epoch"},
          _plateau(mode="min", factor=0.1, patience=1, min_lr=1e-5, threshold=1e-4, threshold_mode="abs"))]),
    "seed002_model_b": (
        lambda groups: torch.optim.SGD(groups, lr=1e-3, momentum=0.0, nesterov=False, weight_decay=0.0),
        [({"monitor": "val/loss", "interval": "epoch"},
          _plateau(mode="min", factor=0.2, patience=2, min_lr=0.0, threshold=1e-4, threshold_mode="abs"))]),
    "fer2013_vgg_fer_sota": (
        lambda groups: torch.optim.SGD(groups, lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4),
        [({"monitor": "val/acc", "interval": "epoch"}, _plateau(mode="max", factor=0.75, patience=5, min_lr=0.0))]),
    "fer2013_resnet_fer": (
        lambda groups: torch.optim.AdamW(groups, lr=3e-3, betas=(0.9, 0.999), weight_decay=0.05),
        [({"interval": "step"}, lambda opt, trainer: OneCycleLR(
            opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=trainer.estimated_stepping_batches,
            pct_start=0.2))]),
    "seed001_plain_cnn": (lambda groups: torch.optim.Adam(groups, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.0), []),
}


def _built(model: FERClassifier, trainer) -> tuple[torch.optim.Optimizer, list[dict]]:
    model._trainer = trainer
    out = model.configure_optimizers()
    if isinstance(out, tuple):
        (optimizer,), configs = out
        return optimizer, configs
    return out["optimizer"], [out["lr_scheduler"]] if "lr_scheduler" in out else []


def _assert_same(optimizer, configs, expected_optimizer, expected_configs):
    assert type(optimizer) is type(expected_optimizer)
    assert optimizer.defaults == expected_optimizer.defaults
    for group, expected in zip(optimizer.param_groups, expected_optimizer.param_groups, strict=True):
        assert {k: v for k, v in group.items() if k != "params"} == {k: v for k, v in expected.items() if k != "params"}
        assert [id(p) for p in group["params"]] == [id(p) for p in expected["params"]]
    assert len(configs) == len(expected_configs)
    for config, (expected_config, expected_scheduler) in zip(configs, expected_configs):
        assert {k: v for k, v in config.items() if k != "scheduler"} == expected_config
        assert type(config["scheduler"]) is type(expected_scheduler)
        assert config["scheduler"].state_dict() == expected_scheduler.state_dict()


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_builtins_build_what_the_flat_arguments_built(name):
    model_args = build_cli(["--config", str(REPO / "configs" / f"{name}.yaml")], parse_only=True).config.model
    # optimizer.fused: as the config leaves it (the CPU mode's fused step is tests/test_cpu_mode.py's subject)
    model_args = {**model_args.as_dict(), "arch": "mouth_cnn", "model_kwargs": None, "pretrained": False,
                  "num_classes": 3, "class_names": None, "input_spec": None}
    model_args["optimizer"] = {**model_args["optimizer"], "fused": None}
    model = FERClassifier(**model_args)
    trainer = SimpleNamespace(max_epochs=5, estimated_stepping_batches=40)
    optimizer, configs = _built(model, trainer)
    make_optimizer, schedulers = BEFORE[name]
    expected = make_optimizer([g for g in model.param_groups() if g["params"]])
    _assert_same(optimizer, configs, expected, [(c, make(expected, trainer)) for c, make in schedulers])


def test_cosine_and_fused_build_what_the_flat_arguments_built():
    model = FERClassifier("mouth_cnn", num_classes=3,
                          optimizer={"name": "adamw", "lr": 2e-3, "weight_decay": 0.01,
                                     "options": {"betas": [0.8, 0.99]}, "fused": False},
                          scheduler={"name": "cosine", "options": {"eta_min": 1e-5}})
    trainer = SimpleNamespace(max_epochs=5, estimated_stepping_batches=40)
    optimizer, configs = _built(model, trainer)
    expected = torch.optim.AdamW([g for g in model.param_groups() if g["params"]], lr=2e-3, betas=(0.8, 0.99),
                                 weight_decay=0.01, fused=False)
    _assert_same(optimizer, configs, expected, [({"interval": "epoch"}, CosineAnnealingLR(expected, 5, 1e-5))])
