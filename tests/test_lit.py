"""FERClassifier: loss, metrics, optimizers/schedules, predictions, and checkpoints inference can load."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping
import torch
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.data.datamodule import FERDataModule
from fer_torch.errors import CheckpointError, ConfigError
from fer_torch.lit import load_lightning_module
from fer_torch.paths import DEFAULT_WEIGHTS
from fer_torch.lit.classifier import FERClassifier
from fer_torch.spec import InputSpec

QUIET = dict(logger=False, enable_progress_bar=False, enable_model_summary=False)


def _trainer(**kwargs) -> pl.Trainer:
    return pl.Trainer(accelerator="cpu", enable_checkpointing=False, **QUIET, **kwargs)


def test_bn_cnn_overfits_32_fixture_images(fer_splits):
    pl.seed_everything(0, verbose=False)
    train = fer_splits["train"].take(np.arange(0, 56, 7)[:8].tolist() + list(range(1, 56, 2))[:24])
    assert len(train) == 32
    x = (torch.from_numpy(train.images).float().unsqueeze(1) / 255 - 0.5) / 0.5
    y = torch.from_numpy(train.labels)
    # Dropout off: this checks the model can fit, not regularization. Stop at the first all-correct epoch.
    model = FERClassifier("bn_cnn", num_classes=7, model_kwargs={"dropout": 0.0}, optimizer={"lr": 1e-3})
    done = EarlyStopping("train/acc", mode="max", stopping_threshold=0.999, patience=100, check_on_train_epoch_end=True)
    trainer = _trainer(max_epochs=40, callbacks=[done])
    trainer.fit(model, DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True))
    assert trainer.callback_metrics["train/acc"].item() == 1.0


def _loaders(n=16, classes=3, size=(43, 72)):
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(n, 1, *size, generator=g), torch.arange(n) % classes)
    return DataLoader(data, batch_size=8), DataLoader(data, batch_size=8)


@pytest.mark.parametrize(
    "settings",
    [
        dict(optimizer={"name": "adamw", "weight_decay": 0.01}, scheduler={"name": "cosine"}),
        dict(optimizer={"name": "sgd", "options": {"nesterov": True}}, scheduler={"name": "onecycle"}),
        dict(optimizer={"name": "adam"},
             scheduler={"name": "plateau", "options": {"monitor": "val/loss", "mode": "min"}}),
        dict(channels_last=True, batch_mixing={"mixup_alpha": 0.4},
             loss={"label_smoothing": 0.1, "class_weights": [1.0, 2.0, 3.0]}),
    ],
    ids=["adamw_cosine", "sgd_onecycle", "adam_plateau", "mixup_smoothing_channels_last_weights"],
)
def test_optimizers_schedules_and_loss_options_train(settings):
    model = FERClassifier("mouth_cnn", num_classes=3, **settings)
    trainer = _trainer(max_epochs=2)
    trainer.fit(model, *_loaders())
    assert [g["name"] for g in trainer.optimizers[0].param_groups] == ["head", "backbone"]
    grouped = sum(len(g["params"]) for g in trainer.optimizers[0].param_groups)
    assert grouped == len(list(model.parameters()))
    assert {"train/loss", "train/acc", "val/loss", "val/acc", "val/f1_macro"} <= set(trainer.callback_metrics)


def test_predict_step_returns_probabilities():
    model = FERClassifier("mouth_cnn", num_classes=3)
    probs = torch.cat(_trainer().predict(model, _loaders(n=10)[1]))
    assert probs.shape == (10, 3)
    assert torch.allclose(probs.sum(1), torch.ones(10)) and (probs >= 0).all()


def test_balanced_class_weights_come_from_the_datamodule(fer_folder):
    dm = FERDataModule(str(fer_folder), classes=["happy", "sad"], max_per_class={"sad": 4},
                       batch_size=8, train_augment=None, dataloader={"num_workers": 0})
    model = FERClassifier("bn_cnn", num_classes=2, class_names=["happy", "sad"], loss={"class_weights": "balanced"})
    _trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=1).fit(model, datamodule=dm)
    # 8 happy, 4 sad: n / (k * count) = 12/16, 12/8
    assert torch.allclose(model.class_weight, torch.tensor([0.75, 1.5]))


def test_class_names_must_match_num_classes():
    with pytest.raises(ConfigError, match="2 class names"):
        FERClassifier("bn_cnn", num_classes=7, class_names=["happy", "sad"])


def test_input_spec_defaults_to_the_architecture_when_not_recorded():
    model = FERClassifier("mouth_cnn", num_classes=3)
    assert model.input_spec == InputSpec(image_size=(43, 72), channels=1, mean=(0.0,), std=(1.0,), region="mouth")
    assert model.class_names == ("class_0", "class_1", "class_2")
    spec = InputSpec(image_size=(40, 40), preprocessing=("hist_eq",))
    model = FERClassifier("bn_cnn", num_classes=2, class_names=["happy", "sad"], input_spec=spec.to_dict())
    assert model.input_spec == spec and model.class_names == ("happy", "sad")
    assert model(torch.zeros(2, 1, 40, 40)).shape == (2, 2)  # flatten size follows the spec's image size


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    spec = InputSpec(image_size=(43, 72), preprocessing=("unsharp_mask",))
    model = FERClassifier("mouth_cnn", num_classes=3, class_names=["happy", "neutral", "surprise"],
                          input_spec=spec.to_dict())
    trainer = _trainer(max_epochs=1)
    trainer.fit(model, *_loaders())
    path = tmp_path / "m.ckpt"
    trainer.save_checkpoint(path)
    hparams = torch.load(path, weights_only=True)["hyper_parameters"]
    assert hparams["class_names"] == ["happy", "neutral", "surprise"] and hparams["input_spec"] == spec.to_dict()
    loaded = load_lightning_module(path)
    assert not loaded.training and loaded.class_names == ("happy", "neutral", "surprise")
    assert loaded.input_spec == spec
    x = torch.randn(4, 1, 43, 72)
    model.eval()
    assert torch.allclose(loaded(x), model(x))


def test_load_classifier_errors_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="missing.ckpt: checkpoint not found"):
        load_lightning_module(tmp_path / "missing.ckpt")
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"bad.ckpt: cannot load checkpoint") as info:
        load_lightning_module(bad)
    assert "\n" not in str(info.value)
    assert DEFAULT_WEIGHTS.name == "fer_default.safetensors" and DEFAULT_WEIGHTS.parent.name == "weights"
