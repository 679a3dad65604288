"""The real FER2013 folders beside the project (skipped where absent)."""

from __future__ import annotations

import numpy as np
import pytest

from fer_torch.data.dataset_writers import write_fer2013_csv
from fer_torch.data.readers import list_class_names, load_splits
from fer_torch.labels import FER2013_CLASSES

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def fer2013_folders(shared_fer2013, tmp_path_factory):
    return load_splits(shared_fer2013, cache_dir=tmp_path_factory.mktemp("cache"))


def test_fer2013_folder_counts(shared_fer2013, fer2013_folders):
    assert list_class_names(shared_fer2013) == FER2013_CLASSES
    train, val = fer2013_folders["train"], fer2013_folders["val"]
    assert set(fer2013_folders) == {"train", "val"}
    assert len(train) == 28_709 and len(val) == 3_589
    assert train.class_counts()["happy"] == 7_215 and train.class_counts()["disgust"] == 436
    assert train.images.shape == (28_709, 48, 48) and train.images.dtype == np.uint8


def test_fer2013_as_kaggle_csv_reads_back_identically(fer2013_folders, tmp_path):
    csv_path = write_fer2013_csv(fer2013_folders, tmp_path / "fer2013.csv")
    from_csv = load_splits(csv_path)
    assert set(from_csv) == {"train", "val"}
    for split, folder in fer2013_folders.items():
        assert from_csv[split].class_names == folder.class_names == FER2013_CLASSES
        assert from_csv[split].class_counts() == folder.class_counts()
        np.testing.assert_array_equal(from_csv[split].labels, folder.labels)
        np.testing.assert_array_equal(from_csv[split].images, folder.images)
