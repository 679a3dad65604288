"""One entry point for every dataset form: FER2013 CSV, split folders, webcam crops.

``load_splits`` detects the form (``source="auto"``) and returns ``{split: Samples}`` with class
names in FER2013 order; ``select_classes`` then picks, reorders and caps classes.
"""

from __future__ import annotations

from pathlib import Path

from fer_torch.data.fer2013_csv import read_fer2013_csv
from fer_torch.data.folders import SPLIT_ALIASES, find_split_dirs, list_folder_class_names, read_folders
from fer_torch.data.samples import Samples
from fer_torch.data.subsets import select_classes
from fer_torch.data.webcam import MANIFEST_NAME, list_webcam_class_names, read_webcam
from fer_torch.choices import DATA_SOURCES
from fer_torch.errors import DataError
from fer_torch.labels import FER2013_CLASSES

__all__ = ["SOURCES", "detect_source", "list_class_names", "load_splits", "select_classes"]

SOURCES = DATA_SOURCES
KAGGLE_CSV_NAMES = ("fer2013.csv", "train.csv", "test.csv")


def kaggle_csv_files(root: Path) -> list[Path]:
    """The Kaggle CSVs a folder holds: ``fer2013.csv`` (all splits) alone, else ``train.csv`` and/or ``test.csv``."""
    present = [root / name for name in KAGGLE_CSV_NAMES if (root / name).is_file()]
    return present[:1] if present and present[0].name == "fer2013.csv" else present


def detect_source(root: str | Path) -> str:
    """``csv`` for a .csv file or a folder holding fer2013.csv/train.csv/test.csv, ``webcam`` for a folder with
    manifest.csv, ``folder`` for split subfolders."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"{root}: no such file or directory")
    if root.is_file() and root.suffix.lower() == ".csv":
        return "csv"
    if root.is_dir() and (root / MANIFEST_NAME).is_file():
        return "webcam"
    if root.is_dir() and find_split_dirs(root):
        return "folder"
    if root.is_dir() and kaggle_csv_files(root):
        return "csv"
    raise DataError(f"{root}: not a dataset; expected a FER2013 .csv file (or a folder holding "
                    f"{', '.join(KAGGLE_CSV_NAMES)}), a folder with {'/, '.join(SPLIT_ALIASES)}/ "
                    f"subfolders holding <class>/ folders, or a webcam folder with {MANIFEST_NAME} "
                    f"(source='webcam' also reads <class>/<subject>_<n>.png without one)")


def _resolve(root: str | Path, source: str) -> tuple[Path, str]:
    root = Path(root).expanduser()
    if source not in SOURCES:
        raise DataError(f"{root}: unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    if not root.exists():
        raise DataError(f"{root}: no such file or directory")
    return root, detect_source(root) if source == "auto" else source


def load_splits(root: str | Path, source: str = "auto", *, rgb: bool = False, region: str | None = None,
                val_fraction: float = 0.2, split_seed: int = 0, split_test_by_prefix: bool = False,
                strict: bool = False, cache_dir: str | Path | None = None, use_cache: bool = True) -> dict[str, Samples]:
    """Read a dataset into ``{split: Samples}`` (keys among train/val/test, only those present).

    Class names are the classes present, in FER2013 order (CSV: all seven). ``rgb`` gives
    ``(H, W, 3)`` RGB images instead of gray. ``region``, ``val_fraction`` and ``split_seed`` apply to
    webcam data (crops filtered by region; train/val split by subject); ``split_test_by_prefix`` to
    folders (test/PublicTest_* -> val). Unreadable image files are skipped with a warning, or raise
    when ``strict``. Decoded folder and webcam images are cached in ``cache_dir`` (default
    ``$FER_TORCH_CACHE`` or ``~/.cache/fer_torch``) unless ``use_cache=False``.
    """
    root, source = _resolve(root, source)
    if source == "csv":
        return read_csv_source(root, rgb=rgb)
    if source == "folder":
        return read_folders(root, rgb=rgb, split_test_by_prefix=split_test_by_prefix, strict=strict,
                            cache_dir=cache_dir, use_cache=use_cache)
    return read_webcam(root, rgb=rgb, region=region, val_fraction=val_fraction, split_seed=split_seed, strict=strict,
                       cache_dir=cache_dir, use_cache=use_cache)


def read_csv_source(root: Path, rgb: bool = False) -> dict[str, Samples]:
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
    return {split: splits[split] for split in ("train", "val", "test") if split in splits}


def list_class_names(root: str | Path, source: str = "auto") -> tuple[str, ...]:
    """Class names of a dataset in FER2013 order, without decoding images (CSV: all seven)."""
    root, source = _resolve(root, source)
    if source == "csv":
        return FER2013_CLASSES
    if source == "folder":
        return list_folder_class_names(root)
    return list_webcam_class_names(root)
