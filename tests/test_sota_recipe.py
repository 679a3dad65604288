"""The state-of-the-art recipe's parts: 48-px architectures, 40/48 random crops, EMA checkpoints."""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EMAWeightAveraging
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.data.augmentation_presets import ten_crop_size
from fer_torch.data.transforms import AUGMENTATION_PRESETS
from fer_torch.lit import load_lightning_module
from fer_torch.lit.classifier import FERClassifier
from fer_torch.models import create_model

SHIP_LIMIT_BYTES = 25_000_000


@pytest.mark.parametrize(
    "name, kwargs, expected",
    [
        ("vgg_fer", {}, 10_462_535),
        ("vgg_fer", {"hidden": (4096, 4096), "image_size": (40, 40)}, 29_888_839),  # the paper's head on 40 px
        ("resnet18_fer", {}, 11_171_271),
    ],
)
def test_parameter_counts(name, kwargs, expected):
    model = create_model(name, 7, **kwargs)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected


@pytest.mark.parametrize("name", ["vgg_fer", "resnet18_fer"])
def test_default_architectures_ship_in_half_precision_under_25_mb(name):
    model = create_model(name, 7)
    assert sum(t.numel() * 2 for t in model.state_dict().values() if t.is_floating_point()) <= SHIP_LIMIT_BYTES


def test_random_crop_views_are_ten_crop_sized_windows_scaled_back():
    assert ten_crop_size(48, 48) == (40, 40)
    image = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    crop_then_resize = A.Compose(AUGMENTATION_PRESETS["random_crop"]((48, 48))[:2])
    windows = [
        cv2.resize(image[y : y + 40, x : x + 40], (48, 48), interpolation=cv2.INTER_LINEAR)
        for y in range(9)
        for x in range(9)
    ]
    crop_then_resize.set_random_seed(0)
    for _ in range(10):
        out = crop_then_resize(image=image)["image"]
        assert out.shape == (48, 48) and any(np.array_equal(out, w) for w in windows)


def test_ema_checkpoint_holds_the_averaged_weights_and_loads_for_inference(tmp_path):
    pl.seed_everything(0, verbose=False)
    data = TensorDataset(torch.randn(32, 1, 48, 48), torch.arange(32) % 7)
    model = FERClassifier("resnet_fer", num_classes=7, optimizer={"name": "sgd", "lr": 1e-2})
    key = "model.head.out.weight"
    raw = {}
    # Listed before the EMA callback, so it sees the trained (not yet averaged) weights at the end of fit.
    keep_raw = pl.callbacks.LambdaCallback(on_train_end=lambda t, m: raw.update(w=m.state_dict()[key].clone()))
    trainer = pl.Trainer(
        accelerator="cpu", max_steps=4, logger=False, enable_progress_bar=False, enable_model_summary=False,
        enable_checkpointing=False, callbacks=[keep_raw, EMAWeightAveraging(decay=0.5)],
    )
    trainer.fit(model, DataLoader(data, batch_size=8))
    path = tmp_path / "ema.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)
    # After fit the callback has put the average into the module, so the checkpoint's state_dict is the average.
    assert torch.equal(checkpoint["state_dict"][key], model.state_dict()[key])
    assert not torch.allclose(checkpoint["state_dict"][key], raw["w"])
    loaded = load_lightning_module(path)
    assert torch.equal(loaded.state_dict()[key], checkpoint["state_dict"][key])


def test_device_random_crop_keeps_a_40_px_window_like_the_dataloader_preset():
    from fer_torch.data.device_augmentation import build_device_augmentation

    torch.manual_seed(0)
    frame = torch.zeros(64, 1, 48, 48)
    frame[..., :4, :] = frame[..., -4:, :] = frame[..., :, :4] = frame[..., :, -4:] = 1.0  # a 4-px white border
    crop = build_device_augmentation("random_crop", (48, 48))[0]  # the crop before flip/affine/erasing
    out = crop(frame)
    assert out.shape == frame.shape
    left, right = out[..., 24, 0] > 0.5, out[..., 24, -1] > 0.5
    top, bottom = out[..., 0, 24] > 0.5, out[..., -1, 24] > 0.5
    # A 40-px window of 48 holds at most one of two opposite borders.
    assert not (left & right).any() and not (top & bottom).any()
