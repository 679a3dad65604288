"""FER2013 CSV and folder readers, the decode cache, class subsets."""

from __future__ import annotations

import os
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest

from fer_torch.data import cache, folders
from fer_torch.data.dataset_writers import write_folders
from fer_torch.data.folders import SkippedFilesWarning
from fer_torch.data.readers import detect_source, list_class_names, load_splits
from fer_torch.data.samples import Samples
from fer_torch.data.subsets import select_classes
from fer_torch.fixtures.synthetic_images import make_synthetic_samples
from fer_torch.errors import DataError, EmptySplitError, UnknownClassError
from fer_torch.labels import FER2013_CLASSES

GOOD_PIXELS = " ".join(["7"] * 2304)


def write_csv(path, rows, header="emotion,pixels,Usage"):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def good_rows(n=4):
    return [(i % 7, GOOD_PIXELS, "Training") for i in range(n)]


# ---- CSV and folder forms agree --------------------------------------------------------------


def test_csv_and_folder_forms_give_identical_samples(fer_folder, fer_csv, fer_splits, tmp_path):
    from_folder = load_splits(fer_folder, cache_dir=tmp_path)
    from_csv = load_splits(fer_csv)
    assert set(from_folder) == set(from_csv) == {"train", "val"}
    for split, expected in fer_splits.items():
        a, b = from_folder[split], from_csv[split]
        assert a.class_names == b.class_names == FER2013_CLASSES
        np.testing.assert_array_equal(a.labels, expected.labels)
        np.testing.assert_array_equal(b.labels, expected.labels)
        np.testing.assert_array_equal(a.images, expected.images)  # PNG is lossless
        np.testing.assert_array_equal(b.images, expected.images)
        assert a.images.dtype == np.uint8 and a.images.shape == (len(expected), 48, 48)
        assert all(p.endswith(".png") for p in a.meta["path"])
    assert from_csv["val"].meta["line"][0] == 2 + len(fer_splits["train"])


def test_detect_source_and_class_names(fer_folder, fer_csv, tmp_path):
    assert detect_source(fer_csv) == "csv"
    assert detect_source(fer_folder) == "folder"
    assert list_class_names(fer_csv) == list_class_names(fer_folder) == FER2013_CLASSES


def test_folder_class_names_are_the_present_classes_in_fer_order(tmp_path):
    three = make_synthetic_samples(2, classes=("surprise", "happy", "neutral"))
    write_folders(three, tmp_path / "data", "train")
    os.rename(tmp_path / "data/train/neutral", tmp_path / "data/train/Normal")
    assert list_class_names(tmp_path / "data") == ("happy", "surprise", "neutral")
    train = load_splits(tmp_path / "data", cache_dir=tmp_path / "cache")["train"]
    assert train.class_names == ("happy", "surprise", "neutral")
    assert train.class_counts() == {"happy": 2, "surprise": 2, "neutral": 2}


def test_kaggle_train_and_test_csv(fer_splits, tmp_path):
    train = fer_splits["train"]
    pixels = [" ".join(map(str, img.ravel())) for img in train.images]
    pd.DataFrame({"emotion": train.labels, "pixels": pixels}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"pixels": pixels}).to_csv(tmp_path / "test.csv", index=False)
    labeled = load_splits(tmp_path / "train.csv")
    assert list(labeled) == ["train"]
    np.testing.assert_array_equal(labeled["train"].labels, train.labels)
    np.testing.assert_array_equal(labeled["train"].images, train.images)
    unlabeled = load_splits(tmp_path / "test.csv")
    assert list(unlabeled) == ["test"]
    assert (unlabeled["test"].labels == -1).all() and unlabeled["test"].class_names == FER2013_CLASSES
    np.testing.assert_array_equal(unlabeled["test"].images, train.images)


def test_csv_usage_gives_train_val_test_and_rgb(tmp_path):
    rows = [(3, GOOD_PIXELS, "Training"), (4, GOOD_PIXELS, "PrivateTest"), (5, GOOD_PIXELS, "PublicTest")]
    splits = load_splits(write_csv(tmp_path / "fer2013.csv", rows), rgb=True)
    assert list(splits) == ["train", "val", "test"]
    assert [int(s.labels[0]) for s in splits.values()] == [3, 5, 4]
    assert splits["test"].images.shape == (1, 48, 48, 3)


# ---- bad CSV input ------------------------------------------------------------------------------

def with_row(row_index, row):
    rows = good_rows()
    rows[row_index] = row
    return rows


@pytest.mark.parametrize("rows, header, error, message", [
    (good_rows(), "emotion,Usage", DataError, r"missing column\(s\) pixels"),
    (good_rows(), "pixels,Usage", DataError, r"missing column\(s\) emotion"),
    (with_row(2, (1, " ".join(["7"] * 2303), "Training")), None, DataError, r"line 4: 2303 pixel values, expected 2304"),
    (with_row(1, (1, GOOD_PIXELS + " 7", "Training")), None, DataError, r"line 3: 2305 pixel values"),
    (with_row(3, (1, "", "Training")), None, DataError, r"line 5: 0 pixel values"),
    (with_row(2, (1, "256 " + GOOD_PIXELS[2:], "Training")), None, DataError, r"line 4: pixel value 256 outside 0-255"),
    (with_row(2, (1, "-3 " + GOOD_PIXELS[2:], "Training")), None, DataError, r"line 4: pixel value -3 outside 0-255"),
    (with_row(1, (1, "65636 " + GOOD_PIXELS[2:], "Training")), None, DataError, r"line 3: pixel value 65636 outside"),
    (with_row(2, (1, "12.5 " + GOOD_PIXELS[2:], "Training")), None, DataError, r"line 4: pixel value '12.5' is not an integer"),
    (with_row(0, (1, GOOD_PIXELS + "x", "Training")), None, DataError, r"line 2: pixel value '7x' is not an integer"),
    (with_row(2, (7, GOOD_PIXELS, "Training")), None, DataError, r"line 4: emotion '7' is not a FER2013 label 0-6"),
    (with_row(1, ("happy", GOOD_PIXELS, "Training")), None, DataError, r"line 3: emotion 'happy' is not a FER2013"),
    (with_row(3, (1, GOOD_PIXELS, "Validation")), None, DataError, r"line 5: Usage 'Validation' is not Training"),
    ([], None, EmptySplitError, r"no data rows"),
])
def test_bad_csv_names_file_and_line(tmp_path, rows, header, error, message):
    path = write_csv(tmp_path / "bad.csv", rows, header or "emotion,pixels,Usage")
    with pytest.raises(error, match=message) as info:
        load_splits(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file or directory"):
        load_splits(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: empty file"):
        load_splits(tmp_path / "empty.csv")
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match=r"other: not a dataset; expected a FER2013 \.csv file"):
        load_splits(tmp_path / "other")
    with pytest.raises(DataError, match="unknown source 'zip'"):
        load_splits(tmp_path / "other", source="zip")


# ---- folders ---------------------------------------------------------------------------------

@pytest.fixture
def folder_copy(fer_folder, tmp_path):
    """A private copy of the fer_folder fixture that a test may change."""
    return shutil.copytree(fer_folder, tmp_path / "data")


def test_unknown_class_folder(folder_copy, tmp_path):
    (folder_copy / "val" / "bored").mkdir()
    with pytest.raises(UnknownClassError, match=r"val/bored: class folder 'bored' is not an emotion"):
        load_splits(folder_copy, cache_dir=tmp_path / "cache")


def test_empty_split_folder(folder_copy, tmp_path):
    shutil.rmtree(folder_copy / "val")
    (folder_copy / "validation" / "happy").mkdir(parents=True)
    with pytest.raises(EmptySplitError, match=r"validation: no image files"):
        load_splits(folder_copy, cache_dir=tmp_path / "cache")


def test_split_aliases_and_conflicts(folder_copy, tmp_path):
    os.rename(folder_copy / "val", folder_copy / "Validation")
    assert list(load_splits(folder_copy, cache_dir=tmp_path / "cache")) == ["train", "val"]
    (folder_copy / "val").mkdir()
    with pytest.raises(DataError, match=r"both Validation/ and val/ hold the val split"):
        load_splits(folder_copy, cache_dir=tmp_path / "cache")


def test_corrupt_files_are_skipped_with_one_warning(folder_copy, tmp_path, fer_splits):
    (folder_copy / "train/happy/broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder_copy / "train/sad/notes.txt").write_text("hello")
    (folder_copy / "train/sad/.DS_Store").write_bytes(b"\0")  # hidden files are not dataset files
    with pytest.warns(SkippedFilesWarning, match=r"train: skipped 2 unreadable or non-image file\(s\)") as record:
        splits = load_splits(folder_copy, cache_dir=tmp_path / "cache")
    assert len(record) == 1
    assert len(splits["train"]) == len(fer_splits["train"])
    with pytest.raises(DataError, match=r"broken\.jpg: not a readable image \(and 1 more in .*train\)"):
        load_splits(folder_copy, strict=True, cache_dir=tmp_path / "cache")  # also when served from the cache


def test_split_test_by_prefix(tmp_path):
    root = tmp_path / "kaggle"
    public, private = make_synthetic_samples(2, seed=1), make_synthetic_samples(3, seed=2)
    write_folders(public, root, "val")  # PublicTest_*.png
    write_folders(private, root, "test")  # PrivateTest_*.png
    for file in (root / "val").rglob("*.png"):
        file.rename(root / "test" / file.parent.name / file.name)
    shutil.rmtree(root / "val")
    plain = load_splits(root, cache_dir=tmp_path / "cache")
    assert list(plain) == ["test"] and len(plain["test"]) == 35
    split = load_splits(root, split_test_by_prefix=True, cache_dir=tmp_path / "cache")
    assert list(split) == ["val", "test"]
    np.testing.assert_array_equal(split["val"].images, public.images)
    np.testing.assert_array_equal(split["test"].labels, private.labels)
    assert all("/PrivateTest_" in p for p in split["test"].meta["path"])


def test_rgb_mode_and_odd_sizes(tmp_path):
    colored = make_synthetic_samples(2, classes=("happy", "sad"), size=(40, 30), rgb=True)
    write_folders(colored, tmp_path / "rgb", "train")
    rgb = load_splits(tmp_path / "rgb", rgb=True, cache_dir=tmp_path / "cache")["train"]
    np.testing.assert_array_equal(rgb.images, colored.images)
    gray = load_splits(tmp_path / "rgb", cache_dir=tmp_path / "cache")["train"]
    assert gray.images.shape == (4, 40, 30)

    sizes = [(48, 48), (60, 50), (20, 31)]
    for i, (h, w) in enumerate(sizes):
        path = tmp_path / "odd" / "train" / "surprised" / f"img_{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.full((h, w, 3), 100, np.uint8))
    odd = load_splits(tmp_path / "odd", cache_dir=tmp_path / "cache")["train"]
    assert isinstance(odd.images, list) and [im.shape for im in odd.images] == sizes
    assert odd.class_names == ("surprise",) and odd.images[0].dtype == np.uint8
    odd_rgb = load_splits(tmp_path / "odd", rgb=True, cache_dir=tmp_path / "cache")["train"]
    assert [im.shape for im in odd_rgb.images] == [(h, w, 3) for h, w in sizes]


# ---- cache -----------------------------------------------------------------------------------

def count_decodes(monkeypatch):
    calls = []

    def counting(path, rgb=False):
        calls.append(path)
        return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)

    monkeypatch.setattr(folders, "decode_image", counting)
    return calls


def test_cache_hit_and_invalidation(folder_copy, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    first = load_splits(folder_copy, cache_dir=cache_dir)
    assert len(list(cache_dir.glob("*.npz"))) == 2  # one entry per split

    def no_decoding(path, rgb=False):
        raise AssertionError("decoded despite the cache")

    monkeypatch.setattr(folders, "decode_image", no_decoding)
    second = load_splits(folder_copy, cache_dir=cache_dir)
    np.testing.assert_array_equal(second["train"].images, first["train"].images)
    np.testing.assert_array_equal(second["val"].labels, first["val"].labels)

    calls = count_decodes(monkeypatch)
    touched = next((folder_copy / "train" / "happy").iterdir())
    os.utime(touched, ns=(0, 10**18))
    load_splits(folder_copy, cache_dir=cache_dir)
    assert len(calls) == len(first["train"])  # only the changed split is decoded again
    assert len(list(cache_dir.glob("*.npz"))) == 2  # the stale entry was replaced

    calls.clear()
    shutil.copy(touched, folder_copy / "val" / "happy" / "extra.png")
    assert len(load_splits(folder_copy, cache_dir=cache_dir)["val"]) == len(first["val"]) + 1
    assert len(calls) == len(first["val"]) + 1


def test_cache_location_and_opt_out(folder_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "env_cache"))
    assert cache.default_cache_dir() == tmp_path / "env_cache"
    load_splits(folder_copy)
    assert len(list((tmp_path / "env_cache").glob("*.npz"))) == 2
    load_splits(folder_copy, use_cache=False, cache_dir=tmp_path / "unused")
    assert not (tmp_path / "unused").exists()


def test_cache_stores_lists_and_unreadable_files(tmp_path):
    images = [np.zeros((2, 3), np.uint8), None, np.ones((4, 5, 3), np.uint8)]
    path = tmp_path / "abc-def.npz"
    cache.save_images(path, images)
    loaded = cache.load_images(path)
    assert loaded[1] is None and loaded[0].shape == (2, 3) and loaded[2].shape == (4, 5, 3) and loaded[2].max() == 1
    (tmp_path / "corrupt-0.npz").write_bytes(b"junk")
    assert cache.load_images(tmp_path / "corrupt-0.npz") is None


# ---- class subsets -----------------------------------------------------------------------------

def test_select_classes_seed_001_five_classes_with_cap(fer_splits):
    train = fer_splits["train"]  # 8 per class, FER2013 order
    five = select_classes(train, ["angry", "happy", "sad", "surprise", "neutral"], max_per_class={"happy": 3}, seed=1)
    assert five.class_names == ("angry", "happy", "sad", "surprise", "neutral")
    assert five.class_counts() == {"angry": 8, "happy": 3, "sad": 8, "surprise": 8, "neutral": 8}
    again = select_classes(train, ["angry", "happy", "sad", "surprise", "neutral"], max_per_class={"happy": 3}, seed=1)
    np.testing.assert_array_equal(five.images, again.images)
    # images keep their class: every kept "sad" image is one of the original sad images
    original_sad = train.images[train.labels == FER2013_CLASSES.index("sad")]
    np.testing.assert_array_equal(five.images[five.labels == 2], original_sad)


def test_select_classes_seed_000_order_and_aliases(fer_splits):
    three = select_classes(fer_splits["val"], ["Happy", "normal", "surprised"])
    assert three.class_names == ("happy", "neutral", "surprise")
    assert three.class_counts() == {"happy": 4, "neutral": 4, "surprise": 4}
    neutral = fer_splits["val"].images[fer_splits["val"].labels == 6]
    np.testing.assert_array_equal(three.images[three.labels == 1], neutral)


def test_select_classes_errors_and_unlabeled(fer_splits):
    three = select_classes(fer_splits["val"], ["happy", "neutral", "surprise"])
    with pytest.raises(UnknownClassError, match="class\\(es\\) angry not in the data"):
        select_classes(three, ["angry", "happy"])
    with pytest.raises(UnknownClassError, match="max_per_class names 'sad'"):
        select_classes(fer_splits["val"], ["happy", "neutral"], max_per_class={"sad": 1})
    with pytest.raises(DataError, match="non-negative integer"):
        select_classes(fer_splits["val"], max_per_class={"happy": -1})
    unlabeled = Samples(images=np.zeros((3, 48, 48), np.uint8), labels=[-1, 3, 0], class_names=FER2013_CLASSES)
    kept = select_classes(unlabeled, ["happy"])
    assert kept.labels.tolist() == [-1, 0]
