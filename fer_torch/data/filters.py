"""Preprocessing filters (seed 003): unsharp mask, histogram equalization, CLAHE.

Each filter is a deterministic albumentations transform (``p=1``, fixed parameters) applied to the
uint8 image at its native resolution, before resizing: seed 003 reports that Keras resized first and
filtered afterwards, which "might have caused a decline in model performance".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import albumentations as A

from fer_torch.errors import ConfigError

UNSHARP_SIGMA = 2.0
"""Gaussian sigma of the unsharp mask; PIL's ``UnsharpMask`` default ``radius=2`` (the filter seed 003 used)."""
UNSHARP_KSIZE = 13
"""Blur kernel size: 2 * ceil(3 * sigma) + 1, so the kernel covers +-3 sigma."""
UNSHARP_AMOUNT = 1.0
"""Weight of ``image - blur`` added back; albumentations caps it at 1.0 (PIL's default is 150 %)."""
UNSHARP_THRESHOLD = 3
"""Differences below this many grey levels are not sharpened (PIL's default threshold)."""
CLAHE_CLIP_LIMIT = 2.0
CLAHE_TILES = (8, 8)


def unsharp_mask() -> A.UnsharpMask:
    """Sharpen edges: ``image + amount * (image - gaussian_blur(image))``, noise below the threshold kept."""
    return A.UnsharpMask(
        blur_limit=(UNSHARP_KSIZE, UNSHARP_KSIZE),
        sigma_limit=(UNSHARP_SIGMA, UNSHARP_SIGMA),
        alpha=(UNSHARP_AMOUNT, UNSHARP_AMOUNT),
        threshold=UNSHARP_THRESHOLD,
        p=1.0,
    )


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
