"""TwoPhaseFinetuning: what is trainable in each phase, frozen weights stay put, the switch and its LR."""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback, EarlyStopping
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.callbacks import TwoPhaseFinetuning
from fer_torch.lit.classifier import FERClassifier
from fer_torch.models import FERNet, list_models, register_model

TINY = "tiny_two_phase_cnn"


def _tiny(num_classes: int, in_chans: int = 1, pretrained: bool = False) -> FERNet:
    backbone = nn.Sequential()
    backbone.add_module("conv1", nn.Sequential(nn.Conv2d(in_chans, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()))
    backbone.add_module("conv2", nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()))
    backbone.add_module("pool", nn.AdaptiveAvgPool2d(2))
    head = nn.Sequential(OrderedDict(flatten=nn.Flatten(), out=nn.Linear(32, num_classes)))  # heads name their last layer "out"
    return FERNet(backbone, head)


if TINY not in list_models():
    register_model(TINY, image_size=(12, 12))(_tiny)

# Parameter counts of _tiny(3): conv1 36+4, bn1 8, conv2 288+8, bn2 16, head 32*3+3.
CONV1, BN1, CONV2, BN2, HEAD = 40, 8, 296, 16, 99


def _loader(n: int = 24) -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(n, 1, 12, 12, generator=g), torch.arange(n) % 3
    return DataLoader(TensorDataset(x, y), batch_size=8)


def _trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class PhaseLog(Callback):
    """Per epoch: finetuning phase, trainable count and learning rates, as seen during that epoch."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, list[float]]] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == 0:
            ft = next(c for c in trainer.callbacks if isinstance(c, TwoPhaseFinetuning))
            lrs = [g["lr"] for g in trainer.optimizers[0].param_groups]
            self.rows.append((trainer.current_epoch, ft.phase, _trainable(pl_module), lrs))


def _fit(finetuning: TwoPhaseFinetuning, epochs: int, extra: list | None = None, **model_kwargs) -> tuple:
    pl.seed_everything(0, verbose=False)
    model = FERClassifier(TINY, num_classes=3, **model_kwargs)
    log = PhaseLog()
    trainer = pl.Trainer(max_epochs=epochs, callbacks=[finetuning, log, *(extra or [])], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         num_sanity_val_steps=0)
    trainer.fit(model, _loader(), _loader(12))
    return model, trainer, log.rows


@pytest.mark.parametrize(
    ("unfreeze_from", "train_bn", "phase1", "phase2"),
    [
        (None, True, BN1 + BN2 + HEAD, CONV1 + BN1 + CONV2 + BN2 + HEAD),
        (None, False, HEAD, CONV1 + BN1 + CONV2 + BN2 + HEAD),
        (3, False, HEAD, CONV2 + BN2 + HEAD),  # after the first 3 layers: conv1.0, conv1.1 (BN), conv1.2
        ("conv2", True, BN1 + BN2 + HEAD, BN1 + CONV2 + BN2 + HEAD),
    ],
)
def test_trainable_parameters_in_each_phase(unfreeze_from, train_bn, phase1, phase2):
    module = FERClassifier(TINY, num_classes=3)
    assert _trainable(module) == CONV1 + BN1 + CONV2 + BN2 + HEAD
    ft = TwoPhaseFinetuning(unfreeze_from=unfreeze_from, train_bn=train_bn)
    ft.freeze_before_training(module)
    assert _trainable(module) == phase1
    ft.unfreeze_phase2(module)
    assert _trainable(module) == phase2


def test_unknown_unfreeze_layer_is_a_one_line_error():
    with pytest.raises(ValueError, match="no backbone layer named 'conv9'"):
        TwoPhaseFinetuning(unfreeze_from="conv9").phase2_modules(FERClassifier(TINY, num_classes=3))


@pytest.mark.parametrize(
    "optimizer",
    [{"name": "sgd", "options": {"momentum": 0.9, "nesterov": True}, "weight_decay": 0.1},
     {"name": "adamw", "weight_decay": 0.5}],
    ids=["sgd_nesterov_wd", "adamw"],
)
def test_frozen_weights_do_not_move_in_phase_1(optimizer):
    pl.seed_everything(0, verbose=False)
    module = FERClassifier(TINY, num_classes=3, optimizer={**optimizer, "lr": 0.05})
    before = {n: p.detach().clone() for n, p in module.named_parameters()}
    bn_before = module.model.backbone.conv1[1].weight.detach().clone()
    head_before = module.model.head[1].weight.detach().clone()
    _, _, rows = _fit_module(module, TwoPhaseFinetuning(unfreeze_at_epoch=None, train_bn=True), epochs=2)
    assert [r[1] for r in rows] == [1, 1]
    frozen = [n for n, p in module.named_parameters() if not p.requires_grad]
    assert len(frozen) == 4  # conv1/conv2 weight and bias; BatchNorm stays trainable
    for name, param in module.named_parameters():
        assert torch.equal(param, before[name]) == (name in frozen), name
    assert not torch.equal(module.model.backbone.conv1[1].weight, bn_before)  # BatchNorm trains (seed 003)
    assert not torch.equal(module.model.head[1].weight, head_before)


def _fit_module(module, finetuning, epochs):
    log = PhaseLog()
    trainer = pl.Trainer(max_epochs=epochs, callbacks=[finetuning, log], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(module, _loader(), _loader(12))
    return module, trainer, log.rows


def test_switch_happens_at_the_configured_epoch_with_phase2_lr_and_plateau_scheduler():
    ft = TwoPhaseFinetuning(unfreeze_at_epoch=2, train_bn=False, phase2_lr=1e-4, phase2_early_stopping_patience=20)
    es = EarlyStopping(monitor="val/acc", mode="max", patience=5)
    model, trainer, rows = _fit(ft, 4, extra=[es],
                                optimizer={"name": "sgd", "lr": 0.01, "weight_decay": 1e-4,
                                           "options": {"momentum": 0.9, "nesterov": True}},
                                scheduler={"name": "plateau", "options": {"patience": 10}})
    all_params = CONV1 + BN1 + CONV2 + BN2 + HEAD
    assert [(e, phase, n) for e, phase, n, _ in rows] == [
        (0, 1, HEAD), (1, 1, HEAD), (2, 2, all_params), (3, 2, all_params)
    ]
    assert rows[1][3] == [0.01, 0.01] and rows[2][3] == [1e-4, 1e-4]
    optimizer = trainer.optimizers[0]
    assert [g["name"] for g in optimizer.param_groups] == ["head", "backbone"]  # no group added mid-run
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    assert len(scheduler.min_lrs) == len(optimizer.param_groups) and scheduler.num_bad_epochs <= 2
    assert ft.switch_epoch == 2 and es.patience == 20  # phase 2 early stopping reconfigured


def test_plateau_in_phase_1_triggers_the_switch():
    # lr 0: validation accuracy never changes, so phase 1 "stops improving" after `patience` epochs.
    ft = TwoPhaseFinetuning(unfreeze_at_epoch=None, unfreeze_on_plateau=True, patience=2, phase2_lr=0.0,
                            phase2_early_stopping_patience=None)
    _, _, rows = _fit(ft, 5, optimizer={"lr": 0.0})
    assert [phase for _, phase, _, _ in rows] == [1, 1, 1, 2, 2]  # epochs 0-2 validated, no gain for 2 -> epoch 3


def _validate(ft: TwoPhaseFinetuning, values: list[float]) -> list[bool]:
    """``ft``'s plateau state after validations reporting ``values`` (no training): pending switch per value."""
    pending = []
    for value in values:
        trainer = SimpleNamespace(sanity_checking=False, callback_metrics={"val/loss": torch.tensor(value)})
        ft.on_validation_end(trainer, None)
        pending.append(ft._plateau_pending)
    return pending


@pytest.mark.parametrize("mode, values, pending", [
    ("min", [1.0, 0.9, 0.88, 0.87], [False, False, False, True]),  # gains under min_delta 0.05 do not count
    ("max", [0.5, 0.6, 0.62, 0.63], [False, False, False, True]),
])
def test_plateau_is_early_stoppings_improvement_test_with_an_absolute_min_delta(mode, values, pending):
    ft = TwoPhaseFinetuning(unfreeze_at_epoch=None, unfreeze_on_plateau=True, monitor="val/loss", mode=mode,
                            patience=2, min_delta=0.05)
    assert _validate(ft, values) == pending


def test_plateau_state_round_trips_through_the_checkpoint_format():
    ft = TwoPhaseFinetuning(unfreeze_at_epoch=None, unfreeze_on_plateau=True, monitor="val/loss", mode="min",
                            patience=3)
    assert ft.state_dict()["best"] is None and ft.state_dict()["wait"] == 0
    saved = {"internal_optimizer_metadata": {}, "phase": 1, "switch_epoch": None, "best": 0.5, "wait": 2,
             "plateau_pending": False}  # as checkpoints store it
    ft.load_state_dict(saved)
    assert {k: ft.state_dict()[k] for k in saved} == saved
    assert _validate(ft, [0.6]) == [True]  # the restored wait (2) and best (0.5) count on


def test_early_stopping_is_added_for_phase_2_when_none_is_configured():
    ft = TwoPhaseFinetuning(unfreeze_at_epoch=1, phase2_early_stopping_patience=3)
    _, trainer, _ = _fit(ft, 2)
    stoppers = [c for c in trainer.callbacks if isinstance(c, EarlyStopping)]
    assert len(stoppers) == 1 and stoppers[0].patience == 3 and stoppers[0].monitor == "val/acc"


def test_resumed_phase_2_run_unfreezes_again(tmp_path):
    ft = TwoPhaseFinetuning(unfreeze_at_epoch=1, train_bn=False, phase2_early_stopping_patience=None)
    model, trainer, _ = _fit(ft, 2)
    ckpt = tmp_path / "phase2.ckpt"
    trainer.save_checkpoint(ckpt)
    resumed_ft = TwoPhaseFinetuning(unfreeze_at_epoch=1, train_bn=False, phase2_early_stopping_patience=None)
    log = PhaseLog()
    trainer = pl.Trainer(max_epochs=3, callbacks=[resumed_ft, log], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(FERClassifier(TINY, num_classes=3), _loader(), _loader(12), ckpt_path=ckpt)
    assert log.rows[0][:3] == (2, 2, CONV1 + BN1 + CONV2 + BN2 + HEAD)
    assert log.rows[0][3] == [1e-4, 1e-4]  # phase-2 LR comes back from the optimizer state
