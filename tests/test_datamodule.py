"""FERDataModule and FERDataset over the synthetic folder and CSV fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from fer_torch.data.datamodule import FERDataModule
from fer_torch.data.dataset import FERDataset, seed_worker
from fer_torch.data.samples import Samples
from fer_torch.data.transforms import build_transform
from fer_torch.errors import ConfigError, EmptySplitError
from fer_torch.labels import FER2013_CLASSES
from fer_torch.spec import InputSpec

FIVE = ["angry", "happy", "sad", "surprise", "neutral"]  # seed 001's subset


@pytest.fixture(params=["fer_folder", "fer_csv"])
def root(request) -> str:
    return str(request.getfixturevalue(request.param))


def _dm(root: str, **kwargs) -> FERDataModule:
    return FERDataModule(root, **{"dataloader": {"num_workers": 0}, "batch_size": 16, "loader": "dataloader", **kwargs})


def test_all_classes(root):
    dm = _dm(root)
    assert dm.num_classes == 7
    assert dm.class_names == FER2013_CLASSES
    assert dm.samples("train").class_counts() == {name: 8 for name in FER2013_CLASSES}
    assert dm.samples("val").class_counts() == {name: 4 for name in FER2013_CLASSES}
    torch.testing.assert_close(dm.class_weights, torch.ones(7))
    assert dm.class_weights.dtype == torch.float32


def test_class_names_do_not_decode_images(fer_folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("class_names decoded the dataset")

    monkeypatch.setattr("fer_torch.data.datamodule.load_splits", refuse)
    assert _dm(str(fer_folder)).class_names == FER2013_CLASSES
    assert _dm(str(fer_folder), classes=["Surprised", "normal"]).class_names == ("surprise", "neutral")


def test_five_class_subset_with_caps(root):
    dm = _dm(root, classes=FIVE, max_per_class={"happy": 3})
    assert dm.class_names == tuple(FIVE) and dm.num_classes == 5
    assert dm.samples("train").class_counts() == {"angry": 8, "happy": 3, "sad": 8, "surprise": 8, "neutral": 8}
    assert dm.samples("val").class_counts() == {name: 4 for name in FIVE}  # caps bound training data only
    # balanced: n / (k * count_c) = 35 / (5 * 8) and 35 / (5 * 3)
    torch.testing.assert_close(dm.class_weights, torch.tensor([0.875, 35 / 15, 0.875, 0.875, 0.875]))
    labels = torch.cat([y for _, y in dm.val_dataloader()])
    assert sorted(labels.tolist()) == sorted(list(range(5)) * 4)


@pytest.mark.parametrize(("channels", "size"), [(1, (48, 48)), (3, (64, 64)), (1, (43, 72))])
def test_batches(fer_folder, channels, size):
    dm = _dm(str(fer_folder),
             input_spec={"channels": channels, "image_size": size, "mean": [0.5], "std": [0.5],
                         "preprocessing": ["hist_eq"]})
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, channels, *size) and x.dtype == torch.float32
    assert y.shape == (16,) and y.dtype == torch.int64
    assert sum(len(x) for x, _ in dm.val_dataloader()) == 28
    assert sum(len(x) for x, _ in dm.train_dataloader()) == 56  # drop_last=False


def test_eval_batches_are_the_eval_transform_in_order(fer_folder):
    dm = _dm(str(fer_folder), input_spec={"image_size": (40, 40), "preprocessing": ["unsharp_mask"]})
    x, y = next(iter(dm.val_dataloader()))
    val = dm.samples("val")
    transform = build_transform(dm.input_spec, None)
    assert torch.equal(x, torch.stack([transform(image=val.image(i))["image"] for i in range(16)]))
    assert torch.equal(y, torch.from_numpy(val.labels[:16]))


def test_test_and_predict_fall_back_to_val(fer_folder):
    dm = _dm(str(fer_folder))
    with pytest.warns(UserWarning, match="no 'test' split; using 'val'"):
        assert len(dm.test_dataloader().dataset) == 28
    with pytest.raises(EmptySplitError, match="has no 'test' split"):
        dm.samples("test")


def test_input_spec_round_trip(fer_folder):
    dm = _dm(str(fer_folder),
             input_spec={"image_size": [43, 72], "channels": 3, "mean": [0.485, 0.456, 0.406],
                         "std": [0.229, 0.224, 0.225], "preprocessing": ["unsharp_mask", "clahe"], "region": "mouth"})
    spec = dm.input_spec
    assert spec == InputSpec(image_size=(43, 72), channels=3, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                             preprocessing=("unsharp_mask", "clahe"), region="mouth")
    assert InputSpec.from_dict(spec.to_dict()) == spec
    assert dm.hparams["input_spec"]["image_size"] == [43, 72] and dm.hparams["input_spec"]["region"] == "mouth"


def test_val_split_carved_from_kaggle_train_csv(fer_csv, tmp_path):
    frame = pd.read_csv(fer_csv)
    train_csv = tmp_path / "train.csv"
    frame[frame["Usage"] == "Training"][["emotion", "pixels"]].to_csv(train_csv, index=False)
    dm = _dm(str(train_csv), split={"val_fraction": 0.25, "split_seed": 3})
    assert dm.samples("train").class_counts() == {name: 6 for name in FER2013_CLASSES}
    assert dm.samples("val").class_counts() == {name: 2 for name in FER2013_CLASSES}
    again = _dm(str(train_csv), split={"val_fraction": 0.25, "split_seed": 3}).samples("val")
    assert np.array_equal(again.images, dm.samples("val").images)


def test_bad_config_fails_at_construction(fer_folder):
    with pytest.raises(ConfigError, match="unknown augmentation preset 'wild'"):
        _dm(str(fer_folder), train_augment="wild")
    with pytest.raises(ConfigError, match="channels must be 1 or 3"):
        _dm(str(fer_folder), input_spec={"channels": 2})
    with pytest.raises(ConfigError, match=r"val_fraction must be in \[0, 1\), got 1.5"):
        _dm(str(fer_folder), split={"val_fraction": 1.5})


def test_configurable_from_yaml_values(fer_folder):
    """LightningCLI builds the module through jsonargparse from plain YAML values."""
    from jsonargparse import ArgumentParser

    parser = ArgumentParser()
    parser.add_class_arguments(FERDataModule, "data")
    cfg = parser.parse_object({"data": {
        "root": str(fer_folder), "classes": ["happy", "neutral", "surprise"],
        "input_spec": {"image_size": [43, 72], "channels": 3}, "max_per_class": {"happy": 5},
        "train_augment": [{"name": "HorizontalFlip", "p": 0.5}], "dataloader": {"num_workers": 0},
    }})
    dm = parser.instantiate_classes(cfg)["data"]
    assert dm.class_names == ("happy", "neutral", "surprise")
    assert dm.input_spec.image_size == (43, 72)
    x, _ = next(iter(dm.train_dataloader()))
    assert x.shape[1:] == (3, 43, 72)


def test_workers_draw_different_augmentations(fer_folder):
    """Forked workers must not replay the same augmentation stream (albumentations keeps its own RNG)."""
    image = np.tile(np.arange(48, dtype=np.uint8) * 5, (48, 1))
    samples = Samples(np.stack([image] * 16), np.zeros(16, dtype=np.int64), ("happy",))
    dataset = FERDataset(samples, build_transform(InputSpec(), "standard"))
    loader = DataLoader(dataset, batch_size=8, num_workers=2, worker_init_fn=seed_worker)
    first, second = (x for x, _ in loader)  # batch i comes from worker i
    assert not torch.equal(first, second)
    assert _dm(str(fer_folder)).train_dataloader().worker_init_fn is seed_worker
