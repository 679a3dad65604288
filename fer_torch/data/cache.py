"""On-disk cache of decoded images, keyed by the files they came from.

A cache entry holds the decoded images of one file list (a folder split, a webcam dataset) as an
uncompressed ``.npz``. Its key hashes the resolved root, a tag (the split), the color mode and a
fingerprint of the files (relative paths, sizes, mtimes), so changing, adding or removing a file
selects a new entry; the stale one is deleted when the new one is written. Each entry stores a SHA-256
digest of its arrays: an entry whose arrays no longer match it (a damaged or edited file) is reported with
a warning and rebuilt from the images, never served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

CACHE_ENV = "FER_TORCH_CACHE"
CACHE_FORMAT = 2  # bump when the stored layout changes (2: arrays carry a digest)


class FileEntry(NamedTuple):
    """One source file: where it is and what identifies its version."""

    path: str
    size: int
    mtime_ns: int


def stat_files(paths: Sequence[str]) -> list[FileEntry]:
    """:class:`FileEntry` of each path; a missing file gets size ``-1`` (it will fail to decode)."""
    entries = []
    for p in paths:
        try:
            st = os.stat(p)
            entries.append(FileEntry(str(p), st.st_size, st.st_mtime_ns))
        except OSError:
            entries.append(FileEntry(str(p), -1, 0))
    return entries


def default_cache_dir() -> Path:
    """``$FER_TORCH_CACHE`` if set, else ``~/.cache/fer_torch``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "fer_torch")


def cache_path(root: Path, tag: str, rgb: bool, files: Sequence[FileEntry], cache_dir: str | Path | None = None) -> Path:
    """The cache file for these files: ``<cache_dir>/<hash of root, tag, mode>-<fingerprint of files>.npz``."""
    source = hashlib.sha256(f"{CACHE_FORMAT}\0{Path(root).resolve()}\0{tag}\0{'rgb' if rgb else 'gray'}".encode())
    prefix = os.path.join(str(root), "")
    fingerprint = hashlib.sha256()
    for f in files:
        relative = f.path[len(prefix):] if f.path.startswith(prefix) else f.path
        fingerprint.update(f"{relative}\0{f.size}\0{f.mtime_ns}\n".encode())
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / f"{source.hexdigest()[:16]}-{fingerprint.hexdigest()[:24]}.npz"


def arrays_digest(flat: np.ndarray, shapes: np.ndarray, ok: np.ndarray) -> str:
    """SHA-256 over a cache entry's arrays (dtype, shape and bytes of each)."""
    digest = hashlib.sha256()
    for array in (flat, shapes, ok):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def load_images(path: Path) -> np.ndarray | list[np.ndarray | None] | None:
    """Images stored at ``path``, or None when there is no usable entry.

    Same-size images that all decoded come back stacked in one array; otherwise a list with None
    where a file did not decode. An entry whose arrays fail their digest is reported with a warning.
    """
    try:
        with np.load(path) as data:
            flat, shapes, ok, digest = data["flat"], data["shapes"], data["ok"], str(data["digest"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    sizes = np.where(ok, np.prod(np.maximum(shapes, 1), axis=1), 0)
    if digest != arrays_digest(flat, shapes, ok) or sizes.sum() != len(flat):
        warnings.warn(f"{path}: image cache entry failed its integrity check (damaged or edited); "
                      "decoding the images again", stacklevel=3)
        return None
    if ok.all() and len(shapes) and (shapes == shapes[0]).all():
        return flat.reshape(len(shapes), *(shapes[0] if shapes[0][2] else shapes[0][:2]))
    images: list[np.ndarray | None] = []
    for chunk, shape, good in zip(np.split(flat, np.cumsum(sizes)[:-1]), shapes, ok):
        images.append(chunk.reshape(shape if shape[2] else shape[:2]) if good else None)
    return images


def save_images(path: Path, images: Sequence[np.ndarray | None]) -> None:
    """Store images atomically (temporary file + rename) and delete older entries of the same source."""
    ok = np.array([img is not None for img in images], dtype=bool)
    shapes = np.array([(*img.shape[:2], img.shape[2] if img.ndim == 3 else 0) if img is not None else (0, 0, 0)
                       for img in images], dtype=np.int64).reshape(len(images), 3)
    flat = np.concatenate([img.ravel() for img in images if img is not None] or [np.empty(0, np.uint8)])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.stem, suffix=".tmp", delete=False) as tmp:
            try:
                np.savez(tmp, flat=flat, shapes=shapes, ok=ok, digest=np.array(arrays_digest(flat, shapes, ok)))
            except BaseException:
                os.unlink(tmp.name)
                raise
        os.replace(tmp.name, path)
    except OSError as exc:
        warnings.warn(f"{path.parent}: could not write the image cache ({exc}); decoding again next time", stacklevel=3)
        return
    source = path.name.split("-", 1)[0]
    for stale in path.parent.glob(f"{source}-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)


def cached_decode(root: Path, tag: str, rgb: bool, files: Sequence[FileEntry],
                  decode: Callable[[Sequence[str]], list[np.ndarray | None]],
                  cache_dir: str | Path | None = None, use_cache: bool = True) -> np.ndarray | list[np.ndarray | None]:
    """``decode([f.path for f in files])``, served from the cache when these exact files were decoded before.

    Returns a list with None for files that did not decode, or (from the cache) a stacked array when
    every file decoded to the same size.
    """
    if not use_cache:
        return decode([f.path for f in files])
    path = cache_path(root, tag, rgb, files, cache_dir)
    images = load_images(path) if path.is_file() else None
    if images is None or len(images) != len(files):
        images = decode([f.path for f in files])
        save_images(path, images)
    return images
