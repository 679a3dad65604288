"""Folder reader (source ``folder``): ``ROOT/<split>/<class>/*`` image files (FER2013's folder release and alike).

Splits are ``train``, ``val`` and ``test`` (aliases ``training``, ``valid``/``validation``,
``testing``); class folder names go through :func:`fer_torch.labels.canonical_name`. Images of any
size or mode are decoded with OpenCV in a thread pool (cv2 releases the GIL) and cached on disk
(:mod:`fer_torch.data.cache`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from fer_torch.data.cache import FileEntry, cached_decode
from fer_torch.data.reader_registry import DataReader
from fer_torch.data.samples import Samples
from fer_torch.errors import DataError, EmptySplitError, UnknownClassError
from fer_torch.labels import SPLIT_ORDER, canonical_name, in_fer2013_order

SPLIT_ALIASES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
                 "test": "test", "testing": "test"}
VAL_FILE_PREFIX = "publictest"  # Kaggle's folder release names validation files PublicTest_*.jpg
DECODE_THREADS = max(1, min(8, os.cpu_count() or 1))


class SkippedFilesWarning(UserWarning):
    """Some files of a dataset could not be decoded and were left out."""


def decode_image(path: str | Path, rgb: bool = False) -> np.ndarray | None:
    """Decode one image file to uint8 gray ``(H, W)`` or RGB ``(H, W, 3)``; None if it is not a readable image."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR if rgb else cv2.IMREAD_GRAYSCALE) if data.size else None
    except (OSError, cv2.error):
        return None
    if image is not None and rgb:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def decode_images(paths: Sequence[str | Path], rgb: bool = False,
                  threads: int = DECODE_THREADS) -> list[np.ndarray | None]:
    """Decode many files with a thread pool, keeping their order (None for unreadable files)."""
    paths = list(paths)
    chunk = max(1, -(-len(paths) // (threads * 8)))
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    if threads <= 1 or len(chunks) <= 1:
        return [decode_image(p, rgb) for p in paths]
    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(lambda part: [decode_image(p, rgb) for p in part], chunks)
        return [img for part in parts for img in part]


def stack_if_uniform(images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray | list[np.ndarray]:
    """One ``(N, H, W[, 3])`` array when all images share a shape, else the list itself."""
    if isinstance(images, np.ndarray):
        return images
    if images and all(img.shape == images[0].shape for img in images):
        return np.stack(images)
    return list(images)


def keep_decoded(images: np.ndarray | Sequence[np.ndarray | None], paths: Sequence[str], where: Path,
                 strict: bool) -> tuple[np.ndarray | list[np.ndarray], np.ndarray]:
    """Leave out files that did not decode: one warning for all of them, or a DataError when ``strict``.

    Returns the decoded images (stacked when uniform) and the indices of the files they came from.
    """
    if isinstance(images, np.ndarray):
        return images, np.arange(len(images))
    ok = np.array([img is not None for img in images], dtype=bool)
    bad = np.flatnonzero(~ok)
    if len(bad) and strict:
        more = f" (and {len(bad) - 1} more in {where})" if len(bad) > 1 else ""
        raise DataError(f"{paths[bad[0]]}: not a readable image{more}")
    if len(bad):
        example = os.path.basename(paths[bad[0]])
        warnings.warn(f"{where}: skipped {len(bad)} unreadable or non-image file(s), e.g. {example}; "
                      f"strict=True makes this an error", SkippedFilesWarning, stacklevel=4)
    kept = np.flatnonzero(ok)
    return stack_if_uniform([images[i] for i in kept]), kept


def find_split_dirs(root: Path) -> dict[str, Path]:
    """``{split: folder}`` of the split subfolders of ``root`` (aliases resolved), in train/val/test order."""
    found: dict[str, Path] = {}
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        split = SPLIT_ALIASES.get(entry.name.lower())
        if split and entry.is_dir():
            if split in found:
                raise DataError(f"{root}: both {found[split].name}/ and {entry.name}/ hold the {split} split")
            found[split] = Path(entry.path)
    return {s: found[s] for s in SPLIT_ORDER if s in found}


def find_class_dirs(split_dir: Path) -> dict[str, Path]:
    """``{canonical class name: folder}`` of a split folder; unknown or duplicate names raise."""
    found: dict[str, Path] = {}
    for entry in sorted(os.scandir(split_dir), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            name = canonical_name(entry.name)
        except UnknownClassError as exc:
            raise UnknownClassError(f"{entry.path}: class folder {entry.name!r} is not an emotion: {exc}") from None
        if name in found:
            raise DataError(f"{split_dir}: folders {found[name].name}/ and {entry.name}/ are both {name!r}")
        found[name] = Path(entry.path)
    return found


def list_folder_class_names(root: str | Path) -> tuple[str, ...]:
    """Classes with a folder in any split, in FER2013 order (no decoding)."""
    names = {name for split_dir in find_split_dirs(Path(root)).values() for name in find_class_dirs(split_dir)}
    return in_fer2013_order(names)


def _list_files(class_dir: Path) -> list[tuple[str, FileEntry]]:
    """``(file name, FileEntry)`` of the visible files of a folder."""
    entries = [e for e in os.scandir(class_dir) if not e.name.startswith(".") and e.is_file()]
    return [(e.name, FileEntry(e.path, (st := e.stat()).st_size, st.st_mtime_ns)) for e in entries]


def read_split_dir(root: Path, split: str, split_dir: Path, class_names: tuple[str, ...], *, rgb: bool = False,
                   strict: bool = False, cache_dir: str | Path | None = None, use_cache: bool = True) -> Samples:
    """Decode (or load from the cache) one split folder; labels index ``class_names``."""
    labeled = [(file_name, class_names.index(name), entry) for name, class_dir in find_class_dirs(split_dir).items()
               for file_name, entry in _list_files(class_dir)]
    # Ordered by file name across classes, so a split written by export.write_folders reads back in its order.
    labeled.sort(key=lambda item: item[:2])
    files = [entry for _, _, entry in labeled]
    labels = [label for _, label, _ in labeled]
    if not files:
        raise EmptySplitError(f"{split_dir}: no image files in its class folders")
    decoded = cached_decode(root, split, rgb, files, lambda paths: decode_images(paths, rgb), cache_dir, use_cache)
    paths = [f.path for f in files]
    images, kept = keep_decoded(decoded, paths, split_dir, strict)
    if not len(kept):
        raise EmptySplitError(f"{split_dir}: none of its {len(files)} files is a readable image")
    return Samples(images=images, labels=np.asarray(labels)[kept], class_names=class_names,
                   meta={"path": np.array(paths)[kept]})


def read_folders(root: str | Path, *, rgb: bool = False, split_test_by_prefix: bool = False, strict: bool = False,
                 cache_dir: str | Path | None = None, use_cache: bool = True) -> dict[str, Samples]:
    """Read ``ROOT/<split>/<class>/*`` into ``{split: Samples}``.

    Images are gray (``rgb=False``) or RGB; same-size images are stacked, others kept as a list.
    Class names are the classes with a folder in any split, in FER2013 order (so labels are FER2013
    indices when all seven are present). ``split_test_by_prefix`` moves ``test/PublicTest_*`` files
    to the val split (Kaggle's folder release puts PublicTest and PrivateTest together in test/).
    Unreadable files are skipped with one warning per split (``strict=True``: DataError).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder" if root.exists() else f"{root}: no such file or directory")
    split_dirs = find_split_dirs(root)
    if not split_dirs:
        raise DataError(f"{root}: no split folders; expected {'/, '.join(SPLIT_ORDER)}/ "
                        f"(or {', '.join(a for a in SPLIT_ALIASES if a not in SPLIT_ORDER)}) holding <class>/ folders")
    class_names = in_fer2013_order({n for d in split_dirs.values() for n in find_class_dirs(d)})
    splits = {split: read_split_dir(root, split, d, class_names, rgb=rgb, strict=strict, cache_dir=cache_dir,
                                    use_cache=use_cache)
              for split, d in split_dirs.items()}
    if split_test_by_prefix and "test" in splits:
        splits = _split_test_by_prefix(root, splits)
    return splits


def _split_test_by_prefix(root: Path, splits: dict[str, Samples]) -> dict[str, Samples]:
    test = splits["test"]
    is_val = np.char.startswith(np.char.lower([Path(p).name for p in test.meta["path"]]), VAL_FILE_PREFIX)
    if not is_val.any():
        return splits
    if "val" in splits:
        raise DataError(f"{root}: split_test_by_prefix would move PublicTest_* files of test/ to val, "
                        f"but a val/ folder exists too")
    out = {"train": splits["train"]} if "train" in splits else {}
    out["val"] = test.take(np.flatnonzero(is_val))
    if not is_val.all():
        out["test"] = test.take(np.flatnonzero(~is_val))
    for part in out.values():
        part.images = stack_if_uniform(part.images)
    return out


FOLDER_READER = DataReader(
    read=read_folders,
    class_names=list_folder_class_names,
    detect=lambda root: root.is_dir() and bool(find_split_dirs(root)),
    description=f"a folder with {'/, '.join(SPLIT_ALIASES)}/ subfolders holding <class>/ folders",
    priority=1,  # before csv: a folder of split folders that also holds a Kaggle CSV reads as folders
)
