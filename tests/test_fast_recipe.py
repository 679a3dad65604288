"""The fast CPU recipe's parts: resnet_fer's narrower stem, and the `window` preset (40-px training windows of 48-px
faces; measured, and left out of the recipe) with the check that a network which cannot take the smaller training
images is refused before training starts."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from fer_torch.data import FERDataModule
from fer_torch.data.augmentation_presets import PRESETS, Affine, Window, output_size, step_sizes
from fer_torch.data.dataset import FERDataset
from fer_torch.data.device_augmentation import BatchPreparation, build_device_augmentation
from fer_torch.data.samples import Samples
from fer_torch.data.transforms import build_transform
from fer_torch.errors import ConfigError
from fer_torch.lit.classifier import FERClassifier
from fer_torch.models import create_model
from fer_torch.spec import InputSpec

QUIET = dict(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
             enable_checkpointing=False)


def test_a_window_shrinks_the_size_of_the_steps_after_it():
    steps = (Affine(scale=0.1, shift=0.1, degrees=5), Window(fraction=40 / 48), Affine(scale=0.1, shift=0.1, degrees=5))
    assert step_sizes(steps, (48, 48)) == [(48, 48), (48, 48), (40, 40)]
    assert output_size(steps, (48, 48)) == (40, 40)
    assert output_size(PRESETS["window"], (43, 72)) == (36, 60)
    assert output_size(PRESETS["standard"], (48, 48)) == (48, 48)


def _windows_of(original: np.ndarray, outputs: np.ndarray) -> set[tuple[int, int]]:
    """The (top, left) of the window of ``original`` (or of its mirror) that each output is; fails if one is none."""
    size = outputs.shape[-1]
    found = set()
    for out in outputs:
        where = [(top, left) for top in range(original.shape[0] - size + 1) for left in range(original.shape[1] - size + 1)
                 for image in (original, original[:, ::-1])
                 if np.allclose(image[top:top + size, left:left + size], out, atol=1e-5)]
        assert where, "an output is no window of the image"
        found.add(where[0])
    return found


@pytest.mark.parametrize("path", ["dataloader", "device"])
def test_the_window_preset_trains_on_unscaled_40_px_windows_of_48_px_faces_on_both_paths(path, monkeypatch):
    monkeypatch.setitem(PRESETS, "window", PRESETS["window"][:2])  # the window and the flip, without affine/colour
    spec = InputSpec(image_size=(48, 48), channels=1, mean=(0.0,), std=(1.0,))
    original = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    images = np.repeat(original[None], 200, axis=0)
    torch.manual_seed(0)
    if path == "dataloader":
        dataset = FERDataset(Samples(images, np.zeros(len(images), dtype=np.int64), ("a",)),
                             build_transform(spec, "window"))
        dataset.reseed(0)
        outputs = torch.stack([dataset[i][0] for i in range(len(images))])
    else:
        prepare = BatchPreparation(spec, build_device_augmentation("window", (48, 48)))
        outputs = prepare(torch.from_numpy(images)[:, None], train=True)
    assert tuple(outputs.shape) == (200, 1, 40, 40)
    windows = _windows_of(original / 255.0, outputs[:, 0].numpy())
    assert len(windows) > 30  # random offsets, not one fixed crop (81 are possible)


def test_the_datamodule_reports_the_training_image_size(fer_folder):
    assert FERDataModule(str(fer_folder), arch="resnet_fer", train_augment="window").train_image_size == (40, 40)
    assert FERDataModule(str(fer_folder), arch="resnet_fer", train_augment="standard").train_image_size == (48, 48)


def test_the_window_preset_trains_a_global_pooling_net_and_validates_on_whole_faces(fer_folder):
    seen = []

    class Sizes(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            seen.append(("train", tuple(batch[0].shape[-2:])))

        def on_validation_batch_start(self, trainer, module, batch, batch_idx, dataloader_idx=0):
            seen.append(("val", tuple(batch[0].shape[-2:])))

    for loader in ("dataloader", "device"):
        seen.clear()
        dm = FERDataModule(str(fer_folder), arch="resnet_fer", train_augment="window", batch_size=8,
                           loader=loader, dataloader={"num_workers": 0})
        model = FERClassifier("resnet_fer", num_classes=7, model_kwargs={"stem_width": 32})
        pl.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, num_sanity_val_steps=0, callbacks=[Sizes()],
                   **QUIET).fit(model, datamodule=dm)
        assert seen == [("train", (40, 40)), ("train", (40, 40)), ("val", (48, 48))], loader


def test_a_flattening_net_is_refused_before_training_on_windows(fer_folder):
    dm = FERDataModule(str(fer_folder), arch="bn_cnn", train_augment="window", batch_size=8,
                       dataloader={"num_workers": 0})
    model = FERClassifier("bn_cnn", num_classes=7)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ConfigError, match=r"^bn_cnn takes 48x48 inputs only, and the training augmentation makes "
                                          r"40x40 crops; use a network with global pooling"):
        pl.Trainer(max_epochs=1, **QUIET).fit(model, datamodule=dm)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the probe left BN statistics alone


@pytest.mark.parametrize("stem_width, params", [(64, 2_807_943), (32, 2_796_263), (48, 2_802_647)])
def test_resnet_fer_stem_width(stem_width, params):
    model = create_model("resnet_fer", 7, stem_width=stem_width)
    assert sum(p.numel() for p in model.parameters()) == params
    assert model.backbone.conv1.out_channels == model.backbone.bn1.num_features == stem_width
    assert (model.backbone.layer1[0].downsample is None) == (stem_width == 32)  # 32 = the first stage's width
    model.eval()
    for size in (48, 40):
        assert model(torch.zeros(2, 1, size, size)).shape == (2, 7)
