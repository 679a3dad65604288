"""Webcam dataset reader (source ``webcam``, seed 000's own data): ``ROOT/<class>/<subject>_<n>.png`` crops plus
``ROOT/manifest.csv``.

The manifest has columns ``path,label,subject,region,frame`` (path relative to ROOT, region
``face`` or ``mouth``). Without a manifest the class folders are scanned (region ``face``, frame
``-1``). Train/val are split by subject, so nobody appears in both.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from fer_torch.data.cache import cached_decode, stat_files
from fer_torch.data.folders import decode_images, keep_decoded
from fer_torch.data.reader_registry import DataReader
from fer_torch.data.samples import Samples
from fer_torch.errors import DataError, EmptySplitError, UnknownClassError, first_line
from fer_torch.labels import FER2013_CLASSES, canonical_name, in_fer2013_order
from fer_torch.spec import REGIONS

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("path", "label", "subject", "region", "frame")
UNKNOWN_FRAME = -1
_FILE_NAME = re.compile(r"^(?P<subject>.+)_(?P<n>\d+)\.[A-Za-z0-9]+$")
_SUBJECT = re.compile(r"^[A-Za-z0-9][\w.-]*$")


def read_manifest(root: str | Path) -> pd.DataFrame:
    """The manifest as a frame (canonical labels, int frames), or a scan of the class folders without one."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder" if root.exists() else f"{root}: no such file or directory")
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        return _scan_class_folders(root)
    try:
        frame = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise EmptySplitError(f"{manifest}: empty file, expected the header {','.join(MANIFEST_COLUMNS)}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{manifest}: not a readable CSV: {first_line(exc)}") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in ("path", "label", "subject") if c not in frame.columns]
    if missing:
        raise DataError(f"{manifest}: missing column(s) {', '.join(missing)}; expected {','.join(MANIFEST_COLUMNS)}")
    if frame.empty:
        raise EmptySplitError(f"{manifest}: no rows")
    if "region" not in frame.columns:
        frame["region"] = "face"
    if "frame" not in frame.columns:
        frame["frame"] = str(UNKNOWN_FRAME)
    frame = frame[list(MANIFEST_COLUMNS)].apply(lambda col: col.str.strip())

    def fail(bad: np.ndarray, what: str, error: type[DataError] = DataError) -> None:
        if bad.any():
            row = int(np.argmax(bad))
            raise error(f"{manifest}: line {row + 2}: {what.format(**frame.iloc[row].to_dict())}")

    fail((frame["path"] == "").to_numpy() | (frame["subject"] == "").to_numpy(), "empty path or subject")
    frame["region"] = frame["region"].str.lower()
    fail(~frame["region"].isin(REGIONS).to_numpy(), "region {region!r} is not face or mouth")
    frames = pd.to_numeric(frame["frame"], errors="coerce")
    fail((frames.isna() | (frames != frames.round())).to_numpy(), "frame {frame!r} is not an integer")
    frame["frame"] = frames.astype(np.int64)
    names = {}
    for label in frame["label"].unique():
        try:
            names[label] = canonical_name(label)
        except UnknownClassError:
            fail((frame["label"] == label).to_numpy(), "unknown class {label!r}", UnknownClassError)
    frame["label"] = frame["label"].map(names)
    return frame


def _scan_class_folders(root: Path) -> pd.DataFrame:
    rows = []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            label = canonical_name(class_dir.name)
        except UnknownClassError as exc:
            raise UnknownClassError(f"{class_dir}: class folder {class_dir.name!r} is not an emotion: {exc}") from None
        for file in sorted(f for f in class_dir.iterdir() if f.is_file() and not f.name.startswith(".")):
            match = _FILE_NAME.match(file.name)
            if not match:
                raise DataError(f"{file}: expected a file named <subject>_<n>.png (no {MANIFEST_NAME} in {root})")
            rows.append((f"{class_dir.name}/{file.name}", label, match["subject"], "face", UNKNOWN_FRAME))
    if not rows:
        raise EmptySplitError(f"{root}: no {MANIFEST_NAME} and no <class>/<subject>_<n>.png files")
    return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))


def list_webcam_class_names(root: str | Path) -> tuple[str, ...]:
    """Classes in the manifest (or class folders), in FER2013 order."""
    return in_fer2013_order(read_manifest(root)["label"].unique())


def split_subjects(subjects: list[str], val_fraction: float = 0.2, seed: int = 0) -> set[str]:
    """A seeded choice of validation subjects: ``round(val_fraction * n)``, at least one on each side when n >= 2."""
    subjects = sorted(set(subjects))
    n_val = round(val_fraction * len(subjects))
    if val_fraction > 0 and len(subjects) >= 2:
        n_val = min(max(n_val, 1), len(subjects) - 1)
    order = np.random.default_rng(seed).permutation(len(subjects))
    return {subjects[i] for i in order[:n_val]}


def read_webcam(root: str | Path, *, rgb: bool = False, region: str | None = None, val_fraction: float = 0.2,
                split_seed: int = 0, strict: bool = False, cache_dir: str | Path | None = None,
                use_cache: bool = True) -> dict[str, Samples]:
    """Read a webcam dataset into ``{"train", "val"}`` split by subject.

    ``region`` keeps only ``face`` or ``mouth`` crops (None: both). The subject split is drawn over
    all subjects of the manifest, so face and mouth models of one collection share it. Class names
    are the manifest's classes in FER2013 order; meta holds path, subject, region and frame.
    """
    root = Path(root)
    if region is not None and region not in REGIONS:
        raise DataError(f"{root}: region {region!r} is not face or mouth")
    table = read_manifest(root)
    class_names = in_fer2013_order(table["label"].unique())
    val_subjects = split_subjects(table["subject"].tolist(), val_fraction, split_seed)
    if region is not None:
        table = table[table["region"] == region]
        if table.empty:
            raise EmptySplitError(f"{root}: no {region} crops in {MANIFEST_NAME}")
    paths = [os.path.join(root, p) for p in table["path"]]
    decoded = cached_decode(root, f"webcam-{region or 'all'}", rgb, stat_files(paths),
                            lambda ps: decode_images(ps, rgb), cache_dir, use_cache)
    images, kept = keep_decoded(decoded, paths, root, strict)
    if not len(kept):
        raise EmptySplitError(f"{root}: none of the {len(paths)} listed crops is a readable image")
    table = table.iloc[kept]
    samples = Samples(images=images, labels=table["label"].map(class_names.index).to_numpy(), class_names=class_names,
                      meta={"path": np.array(paths)[kept], "subject": table["subject"].to_numpy(str),
                            "region": table["region"].to_numpy(str), "frame": table["frame"].to_numpy(np.int64)})
    is_val = np.isin(samples.meta["subject"], sorted(val_subjects))
    out = {"train": samples.take(np.flatnonzero(~is_val))}
    if is_val.any():
        out["val"] = samples.take(np.flatnonzero(is_val))
    return {split: s for split, s in out.items() if len(s)}


WEBCAM_READER = DataReader(
    read=read_webcam,
    class_names=list_webcam_class_names,
    detect=lambda root: root.is_dir() and (root / MANIFEST_NAME).is_file(),
    description=f"a webcam folder with {MANIFEST_NAME} (source='webcam' also reads <class>/<subject>_<n>.png "
                f"without one)",
    priority=2,  # a manifest is the surest sign of a form
)


class WebcamDatasetWriter:
    """Append crops to a webcam dataset: ``ROOT/<class>/<subject>_<n>.png`` plus a ``manifest.csv`` row.

    ``n`` counts per (class, subject) and continues after the files already there, so collection
    can resume; face and mouth crops get distinct ``n`` and the manifest's region tells them apart.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest = self.root / MANIFEST_NAME
        self._next_n: dict[tuple[str, str], int] = {}
        self._header_checked = False

    def add(self, image: np.ndarray, label: str | int, subject: str, region: str = "face", frame: int = 0) -> Path:
        """Write one uint8 gray or RGB crop; returns its path. ``label`` is a class name/alias or FER2013 index."""
        name = FER2013_CLASSES[int(label)] if isinstance(label, (int, np.integer)) else canonical_name(label)
        subject = str(subject).strip()
        if not _SUBJECT.match(subject):
            raise DataError(f"{self.root}: subject {subject!r} must be letters, digits, '_', '-' or '.'")
        if region not in REGIONS:
            raise DataError(f"{self.root}: region {region!r} is not face or mouth")
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise DataError(f"{self.root}: expected a uint8 HxW or HxWx3 image, got {image.dtype} {image.shape}")
        key = (name, subject)
        n = self._next_n.get(key)
        if n is None:
            n = self._first_free_n(name, subject)
        path = self.root / name / f"{subject}_{n}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image):
            raise DataError(f"{path}: could not write image")
        self._next_n[key] = n + 1
        self._append_row((f"{name}/{path.name}", name, subject, region, int(frame)))
        return path

    def _first_free_n(self, name: str, subject: str) -> int:
        pattern = re.compile(rf"^{re.escape(subject)}_(\d+)\.png$")
        class_dir = self.root / name
        taken = [int(m[1]) for f in (os.listdir(class_dir) if class_dir.is_dir() else ()) if (m := pattern.match(f))]
        return max(taken, default=-1) + 1

    def _append_row(self, row: tuple) -> None:
        new = not self.manifest.is_file() or self.manifest.stat().st_size == 0
        if not new and not self._header_checked:
            with open(self.manifest, newline="") as f:
                header = next(csv.reader(f), [])
            if tuple(h.strip().lower() for h in header) != MANIFEST_COLUMNS:
                raise DataError(f"{self.manifest}: header {','.join(header)!r} is not {','.join(MANIFEST_COLUMNS)}")
        with open(self.manifest, "a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(MANIFEST_COLUMNS)
            writer.writerow(row)
        self._header_checked = True
