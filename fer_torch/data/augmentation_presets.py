"""The training-augmentation presets, once, as backend-neutral steps.

:mod:`fer_torch.data.transforms` translates each step into albumentations transforms (per image, in DataLoader
workers), :mod:`fer_torch.data.device_augmentation` into ``kornia.augmentation`` modules (per batch, on the
device). Both read :data:`PRESETS`, so a parameter changed here changes both. This module imports neither backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fer_torch.errors import ConfigError
from fer_torch.suggest import unknown_name

Size = tuple[int, int]

TEN_CROP_FRACTION = 40 / 48
"""Side of a ten-crop view over the input side: 40x40 crops of 48x48 faces (Khaireddin & Chen 2021)."""


@dataclass(frozen=True)
class Flip:
    """Mirror left-right with probability ``p``."""

    p: float = 0.5


@dataclass(frozen=True)
class Affine:
    """With probability ``p``: rescale by 1 +- ``scale``, shift by +- ``shift`` of the side, rotate by +- ``degrees``.

    Borders are filled by ``border``: ``reflect`` (mirrored, without repeating the edge pixel) or ``replicate`` (the
    edge pixels stretched outwards, as a face zoomed out of a tight crop looks).
    """

    scale: float
    shift: float
    degrees: float
    p: float = 0.5
    border: Literal["reflect", "replicate"] = "reflect"


@dataclass(frozen=True)
class BrightnessContrast:
    """With probability ``p``: add up to +- ``brightness`` of the full range, multiply by 1 +- ``contrast``."""

    brightness: float
    contrast: float
    p: float = 0.5


@dataclass(frozen=True)
class ResizedCrop:
    """With probability ``p``: crop ``scale`` of the area at aspect ``ratio``, resized back to the output size."""

    scale: tuple[float, float]
    ratio: tuple[float, float]
    p: float = 0.5


@dataclass(frozen=True)
class PadCrop:
    """Zero-pad ``padding`` pixels on every side, then take a random crop of the original size."""

    padding: int


@dataclass(frozen=True)
class FractionCrop:
    """A random window of ``fraction`` of each side, resized back to the output size (always)."""

    fraction: float

    def window(self, size: Size) -> Size:
        """The window's ``(height, width)`` for an output of ``size``, at least 1 px each."""
        return fraction_window(size, self.fraction)


@dataclass(frozen=True)
class Window:
    """A random window of ``fraction`` of each side, kept at its own size (always).

    The steps after it, and the training step, run on the smaller image (``fraction**2`` of the pixels, so a
    cheaper epoch); validation and inference see the whole face at the input size, which only a network with
    global pooling accepts.
    """

    fraction: float

    def window(self, size: Size) -> Size:
        """The window's ``(height, width)`` for an input of ``size``, at least 1 px each."""
        return fraction_window(size, self.fraction)


def fraction_window(size: Size, fraction: float) -> Size:
    """``(height, width)`` of ``fraction`` of each side of ``size``, rounded, at least 1 px each."""
    return max(1, round(size[0] * fraction)), max(1, round(size[1] * fraction))


@dataclass(frozen=True)
class Erase:
    """With probability ``p``: zero ``holes`` (inclusive range) rectangles, each side ``side`` of the image side."""

    holes: tuple[int, int]
    side: tuple[float, float]
    p: float = 0.5


@dataclass(frozen=True)
class Gamma:
    """With probability ``p``: ``x ** gamma`` (``x`` in [0, 1]), ``gamma`` drawn in ``gamma``: > 1 darkens, < 1 lifts
    the shadows (under- and over-exposed webcam faces)."""

    gamma: tuple[float, float]
    p: float = 0.5


@dataclass(frozen=True)
class Downscale:
    """With probability ``p``: down to ``scale`` (drawn in the range) of each side by area averaging, and back up
    bilinearly: a face a few metres from a webcam."""

    scale: tuple[float, float]
    p: float = 0.5


@dataclass(frozen=True)
class Blur:
    """With probability ``p``: Gaussian blur, ``sigma`` px drawn in the range, a ``kernel`` x ``kernel`` kernel
    (odd): defocus and motion softness."""

    sigma: tuple[float, float]
    kernel: int = 7
    p: float = 0.5


@dataclass(frozen=True)
class Noise:
    """With probability ``p``: additive Gaussian noise, its standard deviation drawn in ``std`` (a fraction of the full
    range), clipped to the range: sensor noise in dim light."""

    std: tuple[float, float]
    p: float = 0.5


Step = (Flip | Affine | BrightnessContrast | ResizedCrop | PadCrop | FractionCrop | Window | Erase | Gamma | Downscale
        | Blur | Noise)


def ten_crop_size(height: int, width: int) -> Size:
    """Crop size of ``TEN_CROP_FRACTION`` of ``height x width`` (40x40 for 48x48)."""
    return FractionCrop(TEN_CROP_FRACTION).window((height, width))


_FLIP = (Flip(p=0.5),)
_STANDARD = (
    *_FLIP,
    Affine(scale=0.1, shift=0.1, degrees=15, p=0.5),
    BrightnessContrast(brightness=0.2, contrast=0.2, p=0.5),
)

# What a webcam does to a face: exposure (levels, contrast, gamma), distance (resolution), focus and sensor noise,
# in the order a camera applies them. Parameters span the robustness benchmark's severities
# (fer_torch/evaluation/corruptions.py) without exceeding its worst ones.
_WEBCAM = (
    BrightnessContrast(brightness=0.25, contrast=0.5, p=0.5),
    Gamma(gamma=(0.5, 2.5), p=0.3),
    Downscale(scale=(0.4, 0.9), p=0.25),
    Blur(sigma=(0.4, 1.6), kernel=7, p=0.2),
    Noise(std=(0.02, 0.1), p=0.2),
)



def _webcam_strong(affine: Affine) -> tuple[Step, ...]:
    """Flip, zoomed crops, ``affine``, the webcam conditions and random erasing."""
    return (*_FLIP, ResizedCrop(scale=(0.7, 1.0), ratio=(0.9, 1.1), p=0.5), affine, *_WEBCAM,
            Erase(holes=(1, 2), side=(0.1, 0.25), p=0.5))


PRESETS: dict[str, tuple[Step, ...]] = {
    "none": (),
    "flip": _FLIP,
    "standard": _STANDARD,
    "strong": (
        *_STANDARD,
        ResizedCrop(scale=(0.7, 1.0), ratio=(0.9, 1.1), p=0.5),
        Erase(holes=(1, 2), side=(0.1, 0.25), p=0.5),
    ),
    # The fast FER2013 recipe: zero-pad 4 px, take a random crop of the original size, mirror.
    "crop_flip": (PadCrop(padding=4), *_FLIP),
    # Khaireddin & Chen's recipe: random 40/48 crops (scaled back to the input size, which is what
    # `--tta tencrop` averages over at test time), mirror, rescale/shift/rotate, random erasing.
    "random_crop": (
        FractionCrop(fraction=TEN_CROP_FRACTION),
        *_FLIP,
        Affine(scale=0.2, shift=0.2, degrees=10, p=0.5),
        Erase(holes=(1, 1), side=(0.1, 0.4), p=0.5),
    ),
    # A random 40/48 window kept at 40x40 (69 % of the pixels per training image), then `standard`; validation and
    # inference run on the whole 48x48 face. Cheaper epochs, but it lost accuracy per CPU-minute in the fast
    # recipe's ablation (docs/experiments.md).
    "window": (Window(fraction=TEN_CROP_FRACTION), *_STANDARD),
    # `standard`'s geometry with webcam conditions: exposure, low resolution, blur and noise (issue 34).
    "webcam": (*_FLIP, Affine(scale=0.1, shift=0.1, degrees=15, p=0.5), *_WEBCAM),
    # `webcam` with random zoomed crops (70-100 % of the area, so the whole face stays in the distribution that
    # single-view inference sees) and random erasing.
    "webcam_strong": _webcam_strong(Affine(scale=0.1, shift=0.1, degrees=15, p=0.5)),
    # `webcam_strong` zooming out as well as in (0.65-1.35x, replicated borders) and turning further (+-20 deg): the
    # ablation's webcam runs read loosely cropped faces worst (docs/experiments.md). configs/fer2013_long.yaml's.
    "webcam_zoom": _webcam_strong(Affine(scale=0.35, shift=0.1, degrees=20, p=0.6, border="replicate")),
}
"""Preset name -> training augmentation steps, in order, each at the size the steps before it leave (the input
size, unless a :class:`Window` shrank it)."""


def output_size(steps: Sequence[Step], size: Size) -> Size:
    """The size of a training image of ``size`` after ``steps``: a :class:`Window` shrinks it, other steps keep it."""
    for step in steps:
        if isinstance(step, Window):
            size = step.window(size)
    return size


def step_sizes(steps: Sequence[Step], size: Size) -> list[Size]:
    """The image size each of ``steps`` works at, for training images of ``size``."""
    return [output_size(steps[:i], size) for i in range(len(steps))]


def preset_steps(name: str) -> tuple[Step, ...]:
    """The steps of preset ``name``; :class:`~fer_torch.errors.ConfigError` for an unknown name."""
    if name not in PRESETS:
        raise ConfigError(unknown_name("augmentation preset", name, PRESETS))
    return PRESETS[name]
