"""Selectable validation splits on data laid out like the Kaggle FER2013 releases (seed 001 and 004 counts)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fer_torch.data.datamodule import FERDataModule
from fer_torch.data.dataset_writers import write_fer2013_csv, write_folders
from fer_torch.data.samples import Samples
from fer_torch.errors import ConfigError, EmptySplitError
from fer_torch.labels import FER2013_CLASSES

# FER2013's per-class counts (angry, disgust, fear, happy, sad, surprise, neutral).
PUBLIC_TEST = (467, 56, 496, 895, 653, 415, 607)
PRIVATE_TEST = (491, 55, 528, 879, 594, 416, 626)
SEED001_CLASSES = ["angry", "happy", "sad", "surprise", "neutral"]


def blank_samples(counts) -> Samples:
    """Black 48x48 images with the given number per FER2013 class (only the counts matter here)."""
    labels = np.repeat(np.arange(len(counts)), counts)
    return Samples(np.zeros((len(labels), 48, 48), np.uint8), labels, FER2013_CLASSES)


@pytest.fixture(scope="module")
def kaggle_csv(tmp_path_factory):
    """``fer2013.csv`` with Usage Training (2 per class), PublicTest and PrivateTest at FER2013's counts."""
    splits = {"train": blank_samples([2] * 7), "val": blank_samples(PUBLIC_TEST), "test": blank_samples(PRIVATE_TEST)}
    return write_fer2013_csv(splits, tmp_path_factory.mktemp("kaggle_csv") / "fer2013.csv")


@pytest.fixture(scope="module")
def kaggle_folders(tmp_path_factory):
    """The folder release: ``train/`` and one ``test/`` holding PublicTest_* and PrivateTest_* files."""
    root = tmp_path_factory.mktemp("kaggle_folders")
    write_folders(blank_samples([2] * 7), root, "train")
    write_folders(blank_samples(PRIVATE_TEST), root, "test")
    for path in write_folders(blank_samples(PUBLIC_TEST), root, "val"):
        shutil.move(path, root / "test" / path.parent.name / path.name)
    shutil.rmtree(root / "val")
    return root


def val_count(root, **kwargs) -> int:
    dm = FERDataModule(root=str(root), **kwargs, dataloader={"num_workers": 0})
    return len(dm.samples("val"))


def test_seed001_merged_public_and_private_test(kaggle_csv):
    assert val_count(kaggle_csv, classes=SEED001_CLASSES, split={"val_split": "val+test"}) == 6043
    assert val_count(kaggle_csv, split={"val_split": "val+test"}) == 7178


def test_merged_split_leaves_no_test_split(kaggle_csv):
    dm = FERDataModule(root=str(kaggle_csv), split={"val_split": "val+test"}, dataloader={"num_workers": 0})
    assert dm.split_names == ("train", "val")
    assert dm.samples("val").class_counts()["happy"] == 895 + 879


def test_default_and_test_choices_on_the_csv(kaggle_csv):
    assert val_count(kaggle_csv) == 3589
    assert val_count(kaggle_csv, split={"val_split": "test"}) == 3589


def test_seed004_folder_release_test_as_val(kaggle_folders):
    assert val_count(kaggle_folders, split={"val_split": "test"}) == 7178
    assert val_count(kaggle_folders, classes=SEED001_CLASSES, split={"val_split": "test"}) == 6043


def test_unknown_choice_and_missing_split(fer_folder):
    with pytest.raises(ConfigError, match="val_split must be one of val, test, val\\+test"):
        FERDataModule(root=str(fer_folder), split={"val_split": "public"})
    with pytest.raises(EmptySplitError, match="needs the test split"):
        val_count(fer_folder, split={"val_split": "test"})
