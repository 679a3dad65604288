"""Webcam-like corruptions of face images, in the manner of ImageNet-C (Hendrycks & Dietterich 2019): a fixed, seeded
set of 8 corruptions at 3 severities, for ``tools/benchmark.py robustness``.

Images are uint8, ``(H, W)`` gray or ``(H, W, 3)`` RGB, of any size; a corruption returns the same shape and dtype.
Parameters are set for a 48-px face (FER2013); the geometric ones (sizes, blur sigma) scale with the image's shorter
side.

| corruption | severity 1 | 2 | 3 | what it does |
|---|---|---|---|---|
| `low_resolution` | 32 px | 24 px | 20 px | short side down to this (INTER_AREA) and back (INTER_LINEAR): a far face |
| `jpeg` | quality 40 | 20 | 10 | JPEG round trip (`cv2.imencode`): a compressed stream |
| `dark` | gamma 1.6 | 2.2 | 3.0 | `255 (x / 255) ** gamma`: an underexposed room |
| `washed_out` | c = 0.6 | 0.45 | 0.3 | `c x + (1 - c) 220`: low contrast pulled toward bright (backlight) |
| `blur` | sigma 0.8 px | 1.3 px | 2.0 px | Gaussian blur: defocus, motion |
| `noise` | std 8 | 16 | 28 | Gaussian sensor noise in grey levels, clipped |
| `rotation` | 10° | 20° | 30° | in-plane, about the centre, sign drawn per image, BORDER_REFLECT_101 |
| `loose_crop` | 0.85 | 0.7 | 0.55 | face shrunk to this fraction of the side, seeded offset, BORDER_REPLICATE |

The loose crop's offset from the centred position is uniform in ± a quarter of the free margin on each axis.
Randomness (noise, rotation sign, crop offset) comes from a numpy Generator seeded by (seed, corruption, severity,
image index) (:func:`image_rng`), so every run and every model sees the very same corrupted images.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from fer_torch.errors import ConfigError

REFERENCE_SIDE = 48
"""The face size (px, shorter side) the parameters are set for."""
SEVERITIES = (1, 2, 3)

Corruption = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
"""``(image, parameter of the severity, rng) -> corrupted image`` of the same shape and dtype."""


def _relative_size(image: np.ndarray, fraction: float) -> tuple[int, int]:
    """``(width, height)`` of ``image`` scaled by ``fraction`` (at least 1 px)."""
    height, width = image.shape[:2]
    return max(1, round(width * fraction)), max(1, round(height * fraction))


def _lookup(image: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """``image`` mapped through a grey-level curve (256 floats), rounded and clipped to uint8."""
    return cv2.LUT(image, np.clip(np.rint(curve), 0, 255).astype(np.uint8))


def _low_resolution(image: np.ndarray, side: float, rng: np.random.Generator) -> np.ndarray:
    small = cv2.resize(image, _relative_size(image, side / REFERENCE_SIDE), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)


def _jpeg(image: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    swap = (lambda x: cv2.cvtColor(x, cv2.COLOR_RGB2BGR)) if image.ndim == 3 else (lambda x: x)  # OpenCV codes BGR
    _, encoded = cv2.imencode(".jpg", swap(image), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return swap(cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED))


def _dark(image: np.ndarray, gamma: float, rng: np.random.Generator) -> np.ndarray:
    return _lookup(image, 255 * (np.arange(256) / 255) ** gamma)


def _washed_out(image: np.ndarray, contrast: float, rng: np.random.Generator) -> np.ndarray:
    return _lookup(image, contrast * np.arange(256) + (1 - contrast) * 220)


def _blur(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    scaled = sigma * min(image.shape[:2]) / REFERENCE_SIDE
    return cv2.GaussianBlur(image, (0, 0), sigmaX=scaled, borderType=cv2.BORDER_REFLECT_101)


def _noise(image: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(np.rint(image + rng.normal(0.0, std, image.shape)), 0, 255).astype(np.uint8)


def _rotation(image: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees * rng.choice((-1, 1)), 1.0)
    return cv2.warpAffine(image, turn, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _loose_crop(image: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    small = cv2.resize(image, _relative_size(image, fraction), interpolation=cv2.INTER_AREA)
    free_y, free_x = height - small.shape[0], width - small.shape[1]
    top, left = (int(round(free / 2 + rng.uniform(-1, 1) * free / 4)) for free in (free_y, free_x))
    return cv2.copyMakeBorder(small, top, free_y - top, left, free_x - left, cv2.BORDER_REPLICATE)


CORRUPTIONS: dict[str, tuple[Corruption, tuple[float, float, float]]] = {
    "low_resolution": (_low_resolution, (32, 24, 20)),
    "jpeg": (_jpeg, (40, 20, 10)),
    "dark": (_dark, (1.6, 2.2, 3.0)),
    "washed_out": (_washed_out, (0.6, 0.45, 0.3)),
    "blur": (_blur, (0.8, 1.3, 2.0)),
    "noise": (_noise, (8, 16, 28)),
    "rotation": (_rotation, (10, 20, 30)),
    "loose_crop": (_loose_crop, (0.85, 0.7, 0.55)),
}
"""Name -> (function, its parameter at severities 1, 2, 3): the table of the module docstring."""


def check_corruption(name: str, severity: int) -> None:
    """Raise :class:`ConfigError` for an unknown corruption name or a severity outside :data:`SEVERITIES`."""
    if name not in CORRUPTIONS:
        raise ConfigError(f"unknown corruption {name!r} (known: {', '.join(CORRUPTIONS)})")
    if severity not in SEVERITIES:
        raise ConfigError(f"severity must be one of {', '.join(map(str, SEVERITIES))}, got {severity}")


def image_rng(seed: int, name: str, severity: int, index: int) -> np.random.Generator:
    """The generator of image ``index`` under corruption ``name`` at ``severity``: the same in every run."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), severity, index])


def corrupt(image: np.ndarray, name: str, severity: int, rng: np.random.Generator) -> np.ndarray:
    """``image`` (uint8 gray or RGB) under corruption ``name`` at ``severity`` (1-3); same shape and dtype."""
    check_corruption(name, severity)
    function, parameters = CORRUPTIONS[name]
    return function(np.ascontiguousarray(image, dtype=np.uint8), parameters[severity - 1], rng)


def corrupt_all(images: Sequence[np.ndarray] | np.ndarray, name: str, severity: int,
                seed: int = 0) -> list[np.ndarray] | np.ndarray:
    """Every image corrupted, image ``i`` with :func:`image_rng` ``(seed, name, severity, i)``; an array in, an array
    out."""
    check_corruption(name, severity)
    out = [corrupt(image, name, severity, image_rng(seed, name, severity, i)) for i, image in enumerate(images)]
    return np.asarray(out, dtype=np.uint8).reshape(images.shape) if isinstance(images, np.ndarray) else out
