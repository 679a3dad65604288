"""Write :class:`Samples` out as the on-disk forms the readers accept (folders, FER2013 CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from fer_torch.data.samples import Samples
from fer_torch.errors import DataError
from fer_torch.labels import FER2013_CLASSES, canonical_name

# Split name <-> the ``Usage`` column of Kaggle's fer2013.csv.
USAGE_OF_SPLIT = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
FILE_PREFIX_OF_SPLIT = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}


def write_folders(samples: Samples, root: str | Path, split: str, ext: str = ".png") -> list[Path]:
    """Write ``ROOT/<split>/<class>/<Prefix>_<i>.<ext>`` files (FER2013's folder release layout)."""
    prefix = FILE_PREFIX_OF_SPLIT.get(split, split)
    paths = []
    for i in range(len(samples)):
        name = samples.class_names[samples.labels[i]]
        path = Path(root) / split / name / f"{prefix}_{i:05d}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        img = samples.image(i)
        if not cv2.imwrite(str(path), img[..., ::-1] if img.ndim == 3 else img):
            raise DataError(f"{path}: could not write image")
        paths.append(path)
    return paths


_PIXEL_TEXT = [str(v) for v in range(256)]


def _pixel_strings(images: np.ndarray) -> list[str]:
    """Each 48x48 image as FER2013's space-separated pixel string (a lookup table beats ``str(int)``)."""
    return [" ".join([_PIXEL_TEXT[v] for v in row]) for row in images.reshape(len(images), -1).tolist()]


def write_fer2013_csv(splits: Mapping[str, Samples], path: str | Path) -> Path:
    """Write Kaggle's ``fer2013.csv`` (``emotion,pixels,Usage``) with FER2013 label indices.

    Images must be 48x48 grayscale; class names are mapped to FER2013 indices by name.
    """
    frames = []
    for split, samples in splits.items():
        images = np.asarray(samples.images)
        if images.ndim != 3 or images.shape[1:] != (48, 48):
            raise DataError(f"split {split!r}: FER2013 CSV needs 48x48 grayscale images, got {images.shape[1:]}")
        to_fer = np.array([FER2013_CLASSES.index(canonical_name(n)) for n in samples.class_names])
        frames.append(pd.DataFrame({"emotion": to_fer[samples.labels], "pixels": _pixel_strings(images),
                                    "Usage": USAGE_OF_SPLIT[split]}))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames, ignore_index=True).to_csv(out, index=False)
    return out
