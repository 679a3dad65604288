"""The in-memory form every reader returns: uint8 images, label indices, optional metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from fer_torch.errors import DataError

UNLABELED = -1


@dataclass
class Samples:
    """A split of a dataset held in memory.

    ``images`` is a uint8 array ``(N, H, W)`` (grayscale) or ``(N, H, W, 3)`` (RGB) when all images
    share a size, else a list of such per-image arrays (native resolution is kept so preprocessing
    filters run before resizing). ``labels`` are int64 indices into ``class_names``; ``-1`` marks an
    unlabeled image (Kaggle ``test.csv``). ``meta`` holds optional per-sample columns of length N:
    ``path``, ``subject``, ``region``, ``frame``.
    """

    images: np.ndarray | list[np.ndarray]
    labels: np.ndarray
    class_names: tuple[str, ...]
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.class_names = tuple(self.class_names)
        if len(self.images) != len(self.labels):
            raise DataError(f"{len(self.images)} images but {len(self.labels)} labels")
        for key, col in self.meta.items():
            if len(col) != len(self.labels):
                raise DataError(f"meta column {key!r} has {len(col)} values for {len(self.labels)} samples")
        if len(self.labels) and (self.labels.max() >= len(self.class_names) or self.labels.min() < UNLABELED):
            raise DataError(f"labels outside 0..{len(self.class_names) - 1}")

    def __len__(self) -> int:
        return len(self.labels)

    def image(self, i: int) -> np.ndarray:
        """The i-th image as a uint8 array ``(H, W)`` or ``(H, W, 3)``."""
        return self.images[i]

    def take(self, indices: Sequence[int] | np.ndarray) -> "Samples":
        """A new :class:`Samples` holding the given rows, in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        images = self.images[idx] if isinstance(self.images, np.ndarray) else [self.images[i] for i in idx]
        return replace(self, images=images, labels=self.labels[idx], meta={k: np.asarray(v)[idx] for k, v in self.meta.items()})

    def class_counts(self) -> dict[str, int]:
        """Number of labeled samples per class name, in ``class_names`` order."""
        counts = np.bincount(self.labels[self.labels >= 0], minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts)}

    @property
    def is_rgb(self) -> bool:
        """True when images carry three color channels."""
        first = self.images[0] if len(self) else None
        return first is not None and first.ndim == 3
