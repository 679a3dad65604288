"""Preprocessing filters (seed 003): unsharp mask, histogram equalization, CLAHE.

Each filter is a deterministic albumentations transform (``p=1``, fixed parameters) applied to the
uint8 image at its native resolution, before resizing: seed 003 reports that Keras resized first and
filtered afterwards, which "might have caused a decline in model performance".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import albumentations as A
import numpy as np
from PIL import Image, ImageFilter

from fer_torch.errors import ConfigError

UNSHARP_RADIUS = 2.0
"""Blur radius (Gaussian sigma) of PIL's ``ImageFilter.UnsharpMask()`` default, the filter seed 003 used."""
UNSHARP_PERCENT = 150
"""Percent of ``image - blur`` added back (PIL's default; albumentations' ``UnsharpMask`` caps it at 100)."""
UNSHARP_THRESHOLD = 3
"""Differences of at most this many grey levels are not sharpened (PIL's default threshold)."""
CLAHE_CLIP_LIMIT = 2.0
CLAHE_TILES = (8, 8)


class PILUnsharpMask(A.ImageOnlyTransform):
    """PIL's ``ImageFilter.UnsharpMask(radius, percent, threshold)`` as an albumentations transform (gray or RGB
    uint8): where ``|image - blur| > threshold``, ``percent`` % of the difference is added. PIL blurs with three
    box-blur passes, not a true Gaussian, so calling PIL itself is what reproduces seed 003 exactly (and it is
    faster than albumentations' ``UnsharpMask``, which caps the amount at 100 %: docs/benchmarks.md)."""

    def __init__(self, radius: float = UNSHARP_RADIUS, percent: int = UNSHARP_PERCENT,
                 threshold: int = UNSHARP_THRESHOLD, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.radius, self.percent, self.threshold = radius, percent, threshold

    def apply(self, img: np.ndarray, **params: object) -> np.ndarray:
        sharpened = Image.fromarray(np.ascontiguousarray(img)).filter(
            ImageFilter.UnsharpMask(self.radius, self.percent, self.threshold))
        return np.array(sharpened)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("radius", "percent", "threshold")


def unsharp_mask() -> PILUnsharpMask:
    """Sharpen edges exactly as seed 003 did with PIL's ``ImageFilter.UnsharpMask()`` (radius 2, 150 %, threshold 3)."""
    return PILUnsharpMask()


def hist_eq() -> A.Equalize:
    """Global histogram equalization (``cv2.equalizeHist``); RGB images equalize their luma (YCrCb Y)."""
    return A.Equalize(mode="cv", by_channels=False, p=1.0)


def clahe() -> A.CLAHE:
    """Contrast Limited Adaptive Histogram Equalization (``cv2.createCLAHE``); RGB images use LAB lightness."""
    return A.CLAHE(clip_limit=(CLAHE_CLIP_LIMIT, CLAHE_CLIP_LIMIT), tile_grid_size=CLAHE_TILES, p=1.0)


FILTERS: dict[str, Callable[[], A.ImageOnlyTransform]] = {
    "unsharp_mask": unsharp_mask,
    "hist_eq": hist_eq,
    "clahe": clahe,
}
"""Filter name (as in :attr:`fer_torch.spec.InputSpec.preprocessing`) -> transform factory."""


def build_filters(names: Sequence[str]) -> list[A.ImageOnlyTransform]:
    """The filter transforms for ``names``, in the given order."""
    unknown = [n for n in names if n not in FILTERS]
    if unknown:
        raise ConfigError(f"unknown preprocessing {unknown}; choose from {', '.join(FILTERS)}")
    return [FILTERS[n]() for n in names]
