"""Kaggle FER2013 CSV reader (source ``csv``): ``fer2013.csv`` (emotion,pixels,Usage), ``train.csv`` and ``test.csv``,
or a folder holding them.

All pixel strings are parsed in one vectorized pass: they are joined with a ``-1`` sentinel between
rows and read by :func:`numpy.fromstring`; rows are located by the sentinels. Only when that pass
fails does a (still vectorized) diagnosis find the first bad CSV line to name it in the error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fer_torch.data.reader_registry import DataReader
from fer_torch.data.samples import UNLABELED, Samples
from fer_torch.errors import DataError, EmptySplitError, first_line
from fer_torch.labels import FER2013_CLASSES, SPLIT_ORDER

IMAGE_SHAPE = (48, 48)
PIXELS_PER_IMAGE = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
SPLIT_OF_USAGE = {"training": "train", "publictest": "val", "privatetest": "test"}
KAGGLE_CSV_NAMES = ("fer2013.csv", "train.csv", "test.csv")
_ROW_SENTINEL = -1  # never a valid pixel, so it can mark row boundaries in the joined string


def _line(row: int) -> int:
    """1-based file line of a 0-based data row (line 1 is the header)."""
    return row + 2


def kaggle_csv_files(root: Path) -> list[Path]:
    """The Kaggle CSVs a folder holds: ``fer2013.csv`` (all splits) alone, else ``train.csv`` and/or ``test.csv``."""
    present = [root / name for name in KAGGLE_CSV_NAMES if (root / name).is_file()]
    return present[:1] if present and present[0].name == "fer2013.csv" else present


def is_csv_source(root: Path) -> bool:
    """True for a .csv file or a folder holding Kaggle CSVs."""
    if root.is_file():
        return root.suffix.lower() == ".csv"
    return root.is_dir() and bool(kaggle_csv_files(root))


def read_csv_source(root: Path, *, rgb: bool = False) -> dict[str, Samples]:
    """A Kaggle CSV file, or the CSVs of a folder (``fer2013.csv``; or ``train.csv`` + ``test.csv`` merged)."""
    if not root.is_dir():
        return read_fer2013_csv(root, rgb=rgb)
    files = kaggle_csv_files(root)
    if not files:
        raise DataError(f"{root}: holds none of {', '.join(KAGGLE_CSV_NAMES)}")
    splits: dict[str, Samples] = {}
    for path in files:
        for split, samples in read_fer2013_csv(path, rgb=rgb).items():
            if split in splits:
                raise DataError(f"{path}: split {split!r} is also in {files[0]}; keep one CSV per split")
            splits[split] = samples
    return {split: splits[split] for split in SPLIT_ORDER if split in splits}


def read_fer2013_csv(path: str | Path, rgb: bool = False) -> dict[str, Samples]:
    """Read a Kaggle FER2013 CSV into ``{split: Samples}`` with FER2013 label indices (7 classes).

    ``fer2013.csv`` (``emotion,pixels,Usage``) gives train/val/test from Usage
    Training/PublicTest/PrivateTest; ``train.csv`` (``emotion,pixels``) gives train; ``test.csv``
    (``pixels`` only) gives an unlabeled test split (labels ``-1``). ``rgb`` replicates the gray channel.
    Raises :class:`DataError` naming the file and 1-based line for any malformed row.
    """
    path = Path(path)
    frame = _read_frame(path)
    columns = {c.strip().lower(): c for c in frame.columns}
    if "pixels" not in columns or ("usage" in columns and "emotion" not in columns):
        missing = [c for c in ("emotion", "pixels") if c not in columns]
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected emotion,pixels,Usage (fer2013.csv), "
                        f"emotion,pixels (train.csv) or pixels (test.csv)")
    if frame.empty:
        raise EmptySplitError(f"{path}: no data rows")
    images = parse_pixels(frame[columns["pixels"]], path)
    if rgb:
        images = np.repeat(images[..., None], 3, axis=-1)
    if "emotion" in columns:
        labels = _parse_emotions(frame[columns["emotion"]], path)
    else:
        labels = np.full(len(frame), UNLABELED, dtype=np.int64)
    if "usage" in columns:
        splits = _parse_usage(frame[columns["usage"]], path)
    else:
        splits = np.full(len(frame), "train" if "emotion" in columns else "test", dtype=object)
    out = {}
    for split in SPLIT_ORDER:
        idx = np.flatnonzero(splits == split)
        if len(idx):
            out[split] = Samples(images=images[idx], labels=labels[idx], class_names=FER2013_CLASSES,
                                 meta={"line": _line(idx)})
    return out


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file, expected a CSV header (emotion,pixels,Usage)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV: {first_line(exc)}") from None


def parse_pixels(pixels: pd.Series, path: Path) -> np.ndarray:
    """Space-separated pixel strings -> uint8 ``(N, 48, 48)``, in one vectorized pass."""
    joined = f" {_ROW_SENTINEL} ".join(pixels.tolist()) + f" {_ROW_SENTINEL}"
    values = _parse_table(joined, len(pixels), np.int16)
    # int16 parses fastest but wraps tokens of 5+ digits; a row whose text has exactly the length of its
    # values written canonically cannot hold such a token, otherwise read it again exactly.
    if values is not None and not _is_canonical_text(pixels, values):
        values = _parse_table(joined, len(pixels), np.int64)
    if values is None:
        _raise_first_bad_row(pixels, path)
        raise DataError(f"{path}: could not parse the pixels column")
    if values.min() < 0 or values.max() > 255:
        row = int(np.argmax(((values < 0) | (values > 255)).any(axis=1)))
        bad = values[row][(values[row] < 0) | (values[row] > 255)][0]
        raise DataError(f"{path}: line {_line(row)}: pixel value {bad} outside 0-255")
    return values.astype(np.uint8).reshape(len(pixels), *IMAGE_SHAPE)


def _parse_table(joined: str, n: int, dtype: type) -> np.ndarray | None:
    """``(n, 2304)`` values of the sentinel-joined rows, or None when a row is malformed."""
    try:
        flat = np.fromstring(joined, dtype=dtype, sep=" ")
    except ValueError:  # a token numpy cannot read as an integer
        return None
    if len(flat) != n * (PIXELS_PER_IMAGE + 1):
        return None
    table = flat.reshape(n, PIXELS_PER_IMAGE + 1)
    return table[:, :-1] if (table[:, -1] == _ROW_SENTINEL).all() else None


def _is_canonical_text(pixels: pd.Series, values: np.ndarray) -> bool:
    """True when every row's text is its values joined by single spaces (no padding, zeros or overflow)."""
    digits = PIXELS_PER_IMAGE + (values >= 10).sum(axis=1) + (values >= 100).sum(axis=1) + (values < 0).sum(axis=1)
    return bool((pixels.str.len().to_numpy() == digits + PIXELS_PER_IMAGE - 1).all())


def _raise_first_bad_row(pixels: pd.Series, path: Path) -> None:
    """Find the first row with a wrong pixel count or a non-integer token and raise for it."""
    tokens = pixels.str.split()
    counts = tokens.str.len().to_numpy()
    not_integer = pixels.str.contains(r"[^\d\s]|\d{4}", regex=True).to_numpy()  # signs, dots, letters, >3 digits
    bad = (counts != PIXELS_PER_IMAGE) | not_integer
    if not bad.any():
        return
    row = int(np.argmax(bad))
    if not_integer[row]:
        token = next(t for t in tokens.iloc[row] if not (t.isdigit() and len(t) <= 3))
        raise DataError(f"{path}: line {_line(row)}: pixel value {token!r} is not an integer 0-255")
    raise DataError(f"{path}: line {_line(row)}: {counts[row]} pixel values, expected {PIXELS_PER_IMAGE} (48x48)")


def _parse_emotions(column: pd.Series, path: Path) -> np.ndarray:
    values = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    valid = np.isfinite(values) & (values == np.round(values)) & (values >= 0) & (values < len(FER2013_CLASSES))
    if not valid.all():
        row = int(np.argmax(~valid))
        raise DataError(f"{path}: line {_line(row)}: emotion {column.iloc[row]!r} is not a FER2013 label 0-6")
    return values.astype(np.int64)


def _parse_usage(column: pd.Series, path: Path) -> np.ndarray:
    splits = column.str.strip().str.lower().map(SPLIT_OF_USAGE)
    unknown = splits.isna().to_numpy()
    if unknown.any():
        row = int(np.argmax(unknown))
        raise DataError(f"{path}: line {_line(row)}: Usage {column.iloc[row]!r} is not Training, PublicTest or PrivateTest")
    return splits.to_numpy(dtype=object)


CSV_READER = DataReader(
    read=read_csv_source,
    class_names=lambda root: FER2013_CLASSES,
    detect=is_csv_source,
    description=f"a FER2013 .csv file (or a folder holding {', '.join(KAGGLE_CSV_NAMES)})",
)
