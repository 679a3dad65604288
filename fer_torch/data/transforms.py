"""Image pipelines built from an :class:`~fer_torch.spec.InputSpec`: one code path for training and inference.

Order: preprocessing filters at native resolution -> resize to ``spec.image_size`` -> training
augmentation (at the output size, so size-dependent transforms such as ``RandomResizedCrop`` and
``RandomCrop`` know their size) -> channel conversion -> normalize -> tensor.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any

import albumentations as A
import cv2
import numpy as np
import torch
from albumentations.pytorch import ToTensorV2

from fer_torch.data import augmentation_presets as presets
from fer_torch.data.augmentation_presets import Size
from fer_torch.data.filters import build_filters
from fer_torch.errors import ConfigError, DataError
from fer_torch.spec import InputSpec

AugmentSpec = str | Sequence[dict[str, Any]] | None


class ToChannels(A.ImageOnlyTransform):
    """Convert grayscale <-> RGB to ``channels`` (1 or 3); images already in that mode pass through.

    ``A.ToGray``/``A.ToRGB`` would warn on every image that is already in the target mode, and the
    input mode is known only per image (grayscale datasets, RGB webcam frames).
    """

    def __init__(self, channels: int = 1, p: float = 1.0):
        super().__init__(p=p)
        self.channels = channels

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        """Return ``img`` with ``self.channels`` channels."""
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        have = 1 if img.ndim == 2 else img.shape[-1]
        if have == self.channels:
            return img
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB if self.channels == 3 else cv2.COLOR_RGB2GRAY)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        """Arguments albumentations serializes."""
        return ("channels",)


def _affine(step: presets.Affine, size: Size) -> list[A.BasicTransform]:
    return [
        A.Affine(
            scale=(1 - step.scale, 1 + step.scale),
            translate_percent=(-step.shift, step.shift),
            rotate=(-step.degrees, step.degrees),
            border_mode=cv2.BORDER_REPLICATE if step.border == "replicate" else cv2.BORDER_REFLECT_101,
            p=step.p,
        )
    ]


def _pad_crop(step: presets.PadCrop, size: Size) -> list[A.BasicTransform]:
    height, width = size
    pad = 2 * step.padding
    return [
        A.PadIfNeeded(min_height=height + pad, min_width=width + pad, border_mode=cv2.BORDER_CONSTANT, fill=0),
        A.RandomCrop(height=height, width=width),
    ]


def _fraction_crop(step: presets.FractionCrop, size: Size) -> list[A.BasicTransform]:
    return [A.RandomCrop(*step.window(size)), A.Resize(*size, interpolation=cv2.INTER_LINEAR)]


def _window(step: presets.Window, size: Size) -> list[A.BasicTransform]:
    return [A.RandomCrop(*step.window(size))]


def _erase(step: presets.Erase, size: Size) -> list[A.BasicTransform]:
    side = step.side
    return [A.CoarseDropout(num_holes_range=step.holes, hole_height_range=side, hole_width_range=side, p=step.p)]


def _downscale(step: presets.Downscale, size: Size) -> list[A.BasicTransform]:
    return [A.Downscale(scale_range=step.scale, p=step.p,
                        interpolation_pair={"downscale": cv2.INTER_AREA, "upscale": cv2.INTER_LINEAR})]


_ALBUMENTATIONS: dict[type[presets.Step], Callable[[Any, Size], list[A.BasicTransform]]] = {
    presets.Flip: lambda step, size: [A.HorizontalFlip(p=step.p)],
    presets.Affine: _affine,
    presets.BrightnessContrast: lambda step, size: [
        A.RandomBrightnessContrast(brightness_limit=step.brightness, contrast_limit=step.contrast, p=step.p)
    ],
    presets.ResizedCrop: lambda step, size: [
        A.RandomResizedCrop(size=size, scale=step.scale, ratio=step.ratio, p=step.p)
    ],
    presets.PadCrop: _pad_crop,
    presets.FractionCrop: _fraction_crop,
    presets.Window: _window,
    presets.Erase: _erase,
    presets.Gamma: lambda step, size: [A.RandomGamma(gamma_limit=(100 * step.gamma[0], 100 * step.gamma[1]), p=step.p)],
    presets.Downscale: _downscale,
    presets.Blur: lambda step, size: [
        A.GaussianBlur(blur_limit=(step.kernel, step.kernel), sigma_limit=step.sigma, p=step.p)
    ],
    presets.Noise: lambda step, size: [A.GaussNoise(std_range=step.std, p=step.p)],
}
"""Step type of :mod:`~fer_torch.data.augmentation_presets` -> its albumentations transforms at image ``size``."""


def albumentations_steps(steps: Sequence[presets.Step], size: Size) -> list[A.BasicTransform]:
    """The albumentations transforms of preset ``steps`` for images of ``size`` ``(height, width)``."""
    sizes = presets.step_sizes(steps, size)
    return [transform for step, at in zip(steps, sizes) for transform in _ALBUMENTATIONS[type(step)](step, at)]


AUGMENTATION_PRESETS: dict[str, Callable[[Size], list[A.BasicTransform]]] = {
    name: partial(albumentations_steps, steps) for name, steps in presets.PRESETS.items()
}
"""Preset name -> factory of training transforms given the output size ``(height, width)``."""


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _from_config(entry: dict[str, Any], size: Size) -> A.BasicTransform:
    """``{"name": "HorizontalFlip", "p": 0.5, ...}`` -> ``A.HorizontalFlip(p=0.5, ...)``.

    A required ``size`` or ``height``/``width`` argument that is not given gets the output size, and a ``p`` that
    is not given the transform's own default. Not ``A.from_dict``: it reads albumentations' serialized form, where
    every argument is written out, and would give a missing ``p`` 0.5 (with a warning) instead.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"augmentation entries must be dicts with a 'name', got {entry!r}")
    kwargs = {k: v for k, v in entry.items() if k != "name"}
    name = entry["name"]
    cls = getattr(A, name, None)
    if not (inspect.isclass(cls) and issubclass(cls, A.BasicTransform)):
        raise ConfigError(f"unknown albumentations transform {name!r}")
    params = inspect.signature(cls.__init__).parameters
    required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
    defaults = {"size": tuple(size), "height": size[0], "width": size[1]}
    kwargs = {**{k: v for k, v in defaults.items() if k in required}, **kwargs}
    try:
        return cls(**kwargs, strict=True)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad arguments for {name}: {_one_line(exc)}") from None


def build_augmentation(augment: AugmentSpec, size: Size) -> list[A.BasicTransform]:
    """Training transforms from a preset name, a list of ``{"name": ..., **kwargs}`` dicts, or None."""
    if augment is None:
        return []
    if isinstance(augment, str):
        return albumentations_steps(presets.preset_steps(augment), size)
    if isinstance(augment, Sequence):
        return [_from_config(entry, size) for entry in augment]
    raise ConfigError(f"augment must be a preset name or a list of dicts, got {type(augment).__name__}")


def deterministic_steps(spec: InputSpec) -> list[A.BasicTransform]:
    """What every pipeline of ``spec`` runs before augmentation: filters at native resolution, then resize."""
    height, width = spec.image_size
    return [
        *build_filters(spec.preprocessing),
        A.Resize(height, width, interpolation=cv2.INTER_LINEAR, area_for_downscale="image"),
    ]


def build_transform(spec: InputSpec, augment: AugmentSpec = None) -> A.Compose:
    """The pipeline for ``spec``: ``t(image=uint8 HxW or HxWx3 RGB)["image"]`` -> float32 tensor ``(C, H, W)``.

    ``augment`` (preset name or list of dicts) adds training augmentation; ``None`` is the eval path.
    """
    return A.Compose(
        [
            *deterministic_steps(spec),
            *build_augmentation(augment, spec.image_size),
            ToChannels(spec.channels),
            A.Normalize(mean=spec.mean, std=spec.std, max_pixel_value=255.0),
            ToTensorV2(),
        ]
    )


@lru_cache(maxsize=8)
def _eval_transform(spec: InputSpec) -> A.Compose:
    return build_transform(spec, None)


def preprocess_batch(images: Sequence[np.ndarray] | np.ndarray, spec: InputSpec) -> torch.Tensor:
    """Eval-path preprocessing of uint8 images (any native size) into one ``(N, C, H, W)`` float32 batch."""
    transform = _eval_transform(spec)
    tensors = []
    for i, image in enumerate(images):
        image = np.asarray(image)
        if image.dtype != np.uint8:
            raise DataError(f"preprocess_batch expects uint8 images; image {i} is {image.dtype}")
        tensors.append(transform(image=image)["image"])
    if not tensors:
        return torch.empty((0, spec.channels, *spec.image_size), dtype=torch.float32)
    return torch.stack(tensors)
