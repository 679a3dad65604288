"""Webcam dataset (seed 000): writer, manifest reader, subject split, region filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fer_torch.data.folders import SkippedFilesWarning
from fer_torch.data.readers import detect_source, list_class_names, load_splits
from fer_torch.fixtures.synthetic_images import synthetic_image
from fer_torch.data.webcam import WebcamDatasetWriter, split_subjects
from fer_torch.errors import DataError, EmptySplitError, UnknownClassError

CLASSES = ("happy", "normal", "surprised")  # seed 000's folder names
SUBJECTS = ("ann", "bob", "cy", "dee", "eve")


def collect(root, subjects=SUBJECTS, per_class=2):
    """Per subject and class: ``per_class`` frames, each with a 48x48 face and a 43x72 mouth crop."""
    writer = WebcamDatasetWriter(root)
    for subject in subjects:
        for k, label in enumerate(CLASSES):
            for frame in range(per_class):
                writer.add(synthetic_image(k, 3), label, subject, region="face", frame=frame)
                writer.add(synthetic_image(k, 3, size=(43, 72)), label, subject, region="mouth", frame=frame)
    return root


@pytest.fixture(scope="module")
def webcam_root(tmp_path_factory):
    return collect(tmp_path_factory.mktemp("webcam"))


def test_writer_layout_and_manifest(webcam_root):
    manifest = pd.read_csv(webcam_root / "manifest.csv")
    assert list(manifest.columns) == ["path", "label", "subject", "region", "frame"]
    assert len(manifest) == len(SUBJECTS) * 3 * 2 * 2
    assert set(manifest["label"]) == {"happy", "neutral", "surprise"}
    ann_happy = manifest[(manifest.subject == "ann") & (manifest.label == "happy")]
    assert ann_happy["path"].tolist() == [f"happy/ann_{n}.png" for n in range(4)]  # face and mouth get distinct n
    assert ann_happy["region"].tolist() == ["face", "mouth", "face", "mouth"]
    assert ann_happy["frame"].tolist() == [0, 0, 1, 1]
    assert all((webcam_root / p).is_file() for p in manifest["path"])


def test_writer_resumes_after_existing_files(tmp_path):
    first = WebcamDatasetWriter(tmp_path)
    assert first.add(np.zeros((8, 8), np.uint8), "happy", "s1").name == "s1_0.png"
    assert first.add(np.zeros((8, 8), np.uint8), "happy", "s1").name == "s1_1.png"
    assert first.add(np.zeros((8, 8, 3), np.uint8), "Surprised", "s1", region="mouth").name == "s1_0.png"
    resumed = WebcamDatasetWriter(tmp_path)
    assert resumed.add(np.zeros((8, 8), np.uint8), "happy", "s1") == tmp_path / "happy" / "s1_2.png"
    assert resumed.add(np.zeros((8, 8), np.uint8), 3, "s1_b") == tmp_path / "happy" / "s1_b_0.png"  # FER2013 index
    lines = (tmp_path / "manifest.csv").read_text().splitlines()
    assert lines[0] == "path,label,subject,region,frame" and len(lines) == 6 and lines.count(lines[0]) == 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(label="bored"), "unknown class name 'bored'"),
    (dict(subject="../x"), "subject '../x' must be"),
    (dict(region="eyes"), "region 'eyes' is not face or mouth"),
    (dict(image=np.zeros((4, 4), np.float32)), "expected a uint8 HxW or HxWx3 image"),
])
def test_writer_rejects_bad_input(tmp_path, kwargs, message):
    args = dict(image=np.zeros((4, 4), np.uint8), label="happy", subject="s1") | kwargs
    with pytest.raises(DataError, match=message):
        WebcamDatasetWriter(tmp_path).add(**args)


def test_subject_split_keeps_people_apart(webcam_root, tmp_path):
    splits = load_splits(webcam_root, cache_dir=tmp_path)
    assert detect_source(webcam_root) == "webcam" and list(splits) == ["train", "val"]
    train, val = splits["train"], splits["val"]
    assert set(train.meta["subject"]).isdisjoint(val.meta["subject"])
    assert len(set(val.meta["subject"])) == 1 and len(train) + len(val) == 60  # round(0.2 * 5) subjects
    assert train.class_names == val.class_names == list_class_names(webcam_root) == ("happy", "surprise", "neutral")
    assert isinstance(train.images, list)  # faces 48x48 and mouths 43x72 together
    assert set(train.meta["region"]) == {"face", "mouth"} and set(train.meta["frame"]) == {0, 1}
    assert all(p.startswith(str(webcam_root)) for p in train.meta["path"])
    other = load_splits(webcam_root, val_fraction=0.4, split_seed=3, cache_dir=tmp_path)
    assert len(set(other["val"].meta["subject"])) == 2
    assert set(other["train"].meta["subject"]).isdisjoint(other["val"].meta["subject"])


def test_split_subjects_rules():
    assert split_subjects(["a", "b"], 0.1) and len(split_subjects(["a", "b"], 0.9)) == 1  # one on each side
    assert split_subjects(["a"], 0.5) == set() and split_subjects(list("abcd"), 0.0) == set()
    assert split_subjects(list("abcdefghij"), 0.3, seed=1) == split_subjects(list("jihgfedcba"), 0.3, seed=1)


def test_region_filter(webcam_root, tmp_path):
    mouths = load_splits(webcam_root, region="mouth", cache_dir=tmp_path)
    faces = load_splits(webcam_root, region="face", cache_dir=tmp_path)
    assert mouths["train"].images.shape[1:] == (43, 72) and faces["train"].images.shape[1:] == (48, 48)
    assert set(mouths["val"].meta["region"]) == {"mouth"}
    assert set(mouths["val"].meta["subject"]) == set(faces["val"].meta["subject"])  # one subject split for both
    np.testing.assert_array_equal(mouths["train"].class_counts()["happy"], 4 * 2)


def test_scan_without_manifest(tmp_path):
    root = collect(tmp_path / "cam", subjects=("ann", "bob"), per_class=1)
    (root / "manifest.csv").unlink()
    with pytest.raises(DataError, match="not a dataset"):
        load_splits(root)
    splits = load_splits(root, source="webcam", cache_dir=tmp_path / "cache")
    assert {s for part in splits.values() for s in part.meta["subject"]} == {"ann", "bob"}
    assert set(splits["train"].meta["region"]) == {"face"} and set(splits["train"].meta["frame"]) == {-1}
    (root / "happy" / "stray.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"stray\.png: expected a file named <subject>_<n>\.png"):
        load_splits(root, source="webcam")


def test_bad_manifest_rows(tmp_path):
    root = collect(tmp_path / "cam", subjects=("ann", "bob"), per_class=1)
    manifest = root / "manifest.csv"
    good = manifest.read_text()
    manifest.write_text(good + "happy/ann_0.png,bored,ann,face,0\n")
    with pytest.raises(UnknownClassError, match=r"manifest\.csv: line 14: unknown class 'bored'"):
        load_splits(root)
    manifest.write_text(good + "happy/ann_0.png,happy,ann,eyes,0\n")
    with pytest.raises(DataError, match=r"manifest\.csv: line 14: region 'eyes' is not face or mouth"):
        load_splits(root)
    manifest.write_text("path,label\nhappy/ann_0.png,happy\n")
    with pytest.raises(DataError, match=r"manifest\.csv: missing column\(s\) subject"):
        load_splits(root)
    manifest.write_text("path,label,subject,region,frame\n")
    with pytest.raises(EmptySplitError, match=r"manifest\.csv: no rows"):
        load_splits(root)


def test_missing_crop_is_skipped_or_strict(tmp_path):
    root = collect(tmp_path / "cam", subjects=("ann", "bob"), per_class=1)
    (root / "happy" / "bob_1.png").unlink()
    with pytest.warns(SkippedFilesWarning, match="skipped 1 unreadable"):
        splits = load_splits(root, cache_dir=tmp_path / "cache")
    assert sum(len(s) for s in splits.values()) == 11
    with pytest.raises(DataError, match=r"bob_1\.png: not a readable image"):
        load_splits(root, strict=True, cache_dir=tmp_path / "cache")
