"""Keras behaviours the seeds rely on, as options: restore-best early stopping, absolute plateau min_delta,
time-based learning-rate decay."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.callbacks import BestWeightsEarlyStopping
from fer_torch.errors import ConfigError
from fer_torch.lit.classifier import FERClassifier

VAL_LOSSES = [1.0, 0.5, 0.7, 0.8, 0.9, 1.0]  # best at epoch 1; patience 2 stops at epoch 3


class ScriptedValLoss(pl.LightningModule):
    """A linear model that trains on noise and reports a scripted val/loss; keeps its weights per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(4, 2)
        self.weights_at: list[torch.Tensor] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self.layer(x), y)

    def validation_step(self, batch, batch_idx):
        self.log("val/loss", VAL_LOSSES[self.current_epoch])

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self.weights_at.append(self.layer.weight.detach().clone())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)


def fit(callback) -> ScriptedValLoss:
    data = DataLoader(TensorDataset(torch.randn(16, 4), torch.randint(0, 2, (16,))), batch_size=8)
    model = ScriptedValLoss()
    trainer = pl.Trainer(max_epochs=len(VAL_LOSSES), callbacks=[callback], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(model, data, data)
    return model


@pytest.mark.parametrize("check_on_train_epoch_end", [None, False], ids=["train_epoch_end", "validation_end"])
def test_early_stopping_restores_the_best_epochs_weights(check_on_train_epoch_end):
    callback = BestWeightsEarlyStopping(monitor="val/loss", mode="min", patience=2,
                                        check_on_train_epoch_end=check_on_train_epoch_end)
    model = fit(callback)
    assert len(model.weights_at) == 4 and callback.restored_epoch == 1  # stopped after epoch 3
    assert torch.equal(model.layer.weight, model.weights_at[1])
    assert not torch.equal(model.weights_at[1], model.weights_at[3])


class ScriptedValScore(ScriptedValLoss):
    """Also reports a val/score that improves every epoch: its best checkpoint is always the latest epoch."""

    def validation_step(self, batch, batch_idx):
        super().validation_step(batch, batch_idx)
        self.log("val/score", float(self.current_epoch))


def test_a_ranked_checkpoint_keeps_its_epochs_weights_when_early_stopping_restores(tmp_path):
    data = DataLoader(TensorDataset(torch.randn(16, 4), torch.randint(0, 2, (16,))), batch_size=8)
    model = ScriptedValScore()
    ranked = pl.callbacks.ModelCheckpoint(tmp_path, "best", monitor="val/score", mode="max")
    last = pl.callbacks.ModelCheckpoint(tmp_path, "last")
    callbacks = [BestWeightsEarlyStopping(monitor="val/loss", mode="min", patience=2), ranked, last]
    pl.Trainer(max_epochs=len(VAL_LOSSES), callbacks=callbacks, logger=False, enable_progress_bar=False,
               enable_model_summary=False, num_sanity_val_steps=0).fit(model, data, data)

    def saved_weight(name: str) -> torch.Tensor:
        return torch.load(tmp_path / name, weights_only=True)["state_dict"]["layer.weight"]

    assert len(model.weights_at) == 4  # stopped after epoch 3, the best val/score
    assert torch.equal(saved_weight("best.ckpt"), model.weights_at[3])  # what its name says
    assert torch.equal(saved_weight("last.ckpt"), model.weights_at[1])  # the restored best val/loss


def test_plain_early_stopping_keeps_the_last_weights():
    model = fit(pl.callbacks.EarlyStopping(monitor="val/loss", mode="min", patience=2))
    assert torch.equal(model.layer.weight, model.weights_at[-1])


def plateau_lrs(values, **kwargs) -> list[float]:
    settings = {"patience": 0, **kwargs}
    classifier = FERClassifier(arch="bn_cnn", optimizer={"lr": 1.0},
                               scheduler={"name": "plateau", "options": {"mode": "min", "factor": 0.1, **settings}})
    config = classifier.configure_optimizers()
    scheduler, optimizer = config["lr_scheduler"]["scheduler"], config["optimizer"]
    lrs = []
    for value in values:
        scheduler.step(value)
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def test_plateau_min_delta_is_absolute():
    # 1.0 -> 0.95 improves by 0.05: enough for PyTorch's relative 1e-4, not for an absolute min_delta of 0.1.
    assert plateau_lrs([1.0, 0.95]) == [1.0, 1.0]
    assert plateau_lrs([1.0, 0.95], min_delta=0.1) == pytest.approx([1.0, 0.1])
    assert plateau_lrs([1.0, 0.85], min_delta=0.1) == [1.0, 1.0]


def test_plateau_patience_is_keras_patience_minus_one():
    # Keras' patience 3 cuts on the 3rd epoch without improvement; PyTorch does with patience 2 (the configs' mapping).
    assert plateau_lrs([1.0, 1.0, 1.0, 1.0], patience=2) == pytest.approx([1.0, 1.0, 1.0, 0.1])


def test_time_decay_is_keras_sgd_decay_and_composes_with_plateau():
    classifier = FERClassifier(arch="bn_cnn", optimizer={"name": "sgd", "lr": 0.1},
                               scheduler={"name": "plateau",
                                          "options": {"mode": "min", "patience": 0, "factor": 0.5, "time_decay": 0.5}})
    optimizers, configs = classifier.configure_optimizers()
    optimizer, plateau, decay = optimizers[0], configs[0]["scheduler"], configs[1]["scheduler"]
    assert (configs[0]["interval"], configs[1]["interval"]) == ("epoch", "step")
    lrs = []
    for step in range(1, 5):
        optimizer.step()
        decay.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        if step == 2:
            plateau.step(1.0)
            plateau.step(1.0)  # no improvement: the rate is halved
    assert lrs == pytest.approx([0.1 / 1.5, 0.1 / 2, 0.05 / 2.5, 0.05 / 3])
    assert optimizer.param_groups[0]["weight_decay"] == 0.0


def test_time_decay_alone_and_bad_combination():
    optimizer_config = FERClassifier(arch="bn_cnn", scheduler={"options": {"time_decay": 1e-4}}).configure_optimizers()
    assert optimizer_config["lr_scheduler"]["interval"] == "step"
    with pytest.raises(ConfigError, match="time_decay combines with scheduler none or plateau, not 'onecycle'"):
        FERClassifier(arch="bn_cnn", scheduler={"name": "onecycle", "options": {"time_decay": 1e-4}})


def test_time_decay_in_a_lightning_fit(fer_folder):
    from fer_torch.data.datamodule import FERDataModule

    dm = FERDataModule(root=str(fer_folder), batch_size=8, train_augment=None, dataloader={"num_workers": 0})
    model = FERClassifier(arch="plain_cnn", class_names=list(dm.class_names), num_classes=dm.num_classes,
                          optimizer={"name": "sgd", "lr": 0.1},
                          scheduler={"name": "plateau", "options": {"time_decay": 0.25}})
    trainer = pl.Trainer(max_epochs=1, limit_train_batches=4, limit_val_batches=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, datamodule=dm)
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.1 / (1 + 0.25 * 4))
