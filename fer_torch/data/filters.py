"""Preprocessing filters (seed 003): unsharp mask, histogram equalization, CLAHE.

Each filter is a deterministic albumentations transform (``p=1``, fixed parameters) applied to the
uint8 image at its native resolution, before resizing: seed 003 reports that Keras resized first and
filtered afterwards, which "might have caused a decline in model performance".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import albumentations as A
import numpy as np

from fer_torch.errors import ConfigError

UNSHARP_RADIUS = 2.0
"""Blur radius (Gaussian sigma) of PIL's ``ImageFilter.UnsharpMask()`` default, the filter seed 003 used."""
UNSHARP_PERCENT = 150
"""Percent of ``image - blur`` added back (PIL's default; albumentations' ``UnsharpMask`` caps it at 100)."""
UNSHARP_THRESHOLD = 3
"""Differences of at most this many grey levels are not sharpened (PIL's default threshold)."""
BLUR_PASSES = 3
"""PIL approximates the Gaussian by three passes of a box blur per direction."""
CLAHE_CLIP_LIMIT = 2.0
CLAHE_TILES = (8, 8)


def _box_radius(sigma: float, passes: int = BLUR_PASSES) -> float:
    """Fractional box radius whose ``passes`` repeats have variance ``sigma**2`` (Gwosdek et al., SSVM 2011)."""
    var = sigma * sigma / passes
    whole = math.floor((math.sqrt(12.0 * var + 1.0) - 1.0) / 2.0)
    return whole + (2 * whole + 1) * (whole * (whole + 1) - 3 * var) / (6 * (var - (whole + 1) ** 2))


def _box_blur_rows(image: np.ndarray, radius: float) -> np.ndarray:
    """One box-blur pass along rows in 8.24 fixed point, as PIL does: full weight for the ``int(radius)``
    neighbours, the fractional rest shared by the next pixel on each side; edges replicated; rounded to uint8."""
    whole = int(radius)
    weight = int((1 << 24) / np.float32(2 * radius + 1))
    edge_weight = ((1 << 24) - (2 * whole + 1) * weight) // 2
    width = image.shape[1]
    padded = np.pad(image.astype(np.int64), ((0, 0), (whole + 1, whole + 1)), mode="edge")
    sums = np.cumsum(np.pad(padded, ((0, 0), (1, 0))), axis=1)
    window = sums[:, 2 * whole + 2:2 * whole + 2 + width] - sums[:, 1:1 + width]
    far = padded[:, :width] + padded[:, 2 * whole + 2:2 * whole + 2 + width]
    return ((window * weight + far * edge_weight + (1 << 23)) >> 24).astype(np.uint8)


def pil_gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """PIL's ``ImageFilter.GaussianBlur(sigma)`` of a 2-D uint8 image, bit for bit (3 box passes per axis)."""
    radius = _box_radius(sigma)
    for _ in range(BLUR_PASSES):
        image = _box_blur_rows(image, radius)
    image = image.T
    for _ in range(BLUR_PASSES):
        image = _box_blur_rows(image, radius)
    return np.ascontiguousarray(image.T)


def pil_unsharp_mask(image: np.ndarray, radius: float = UNSHARP_RADIUS, percent: int = UNSHARP_PERCENT,
                     threshold: int = UNSHARP_THRESHOLD) -> np.ndarray:
    """PIL's ``ImageFilter.UnsharpMask(radius, percent, threshold)`` of a uint8 image (gray or per channel):
    where ``|image - blur| > threshold``, add ``percent`` % of the difference (truncated), clipped to 0-255."""
    if image.ndim == 3:
        return np.dstack([pil_unsharp_mask(image[..., c], radius, percent, threshold) for c in range(image.shape[2])])
    original = image.astype(np.int64)
    diff = original - pil_gaussian_blur(image, radius)
    sharpened = np.clip(original + np.fix(diff * percent / 100).astype(np.int64), 0, 255)
    return np.where(np.abs(diff) > threshold, sharpened, original).astype(np.uint8)


class PILUnsharpMask(A.ImageOnlyTransform):
    """Albumentations transform applying :func:`pil_unsharp_mask` (default: PIL's default 2 / 150 % / 3)."""

    def __init__(self, radius: float = UNSHARP_RADIUS, percent: int = UNSHARP_PERCENT,
                 threshold: int = UNSHARP_THRESHOLD, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.radius, self.percent, self.threshold = radius, percent, threshold

    def apply(self, img: np.ndarray, **params: object) -> np.ndarray:
        return pil_unsharp_mask(img, self.radius, self.percent, self.threshold)

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
