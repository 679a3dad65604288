"""The augmentation presets of :mod:`fer_torch.data.transforms` as batched ``kornia.augmentation`` on the device.

Each preset draws its parameters per sample, like the albumentations preset of the same name does per image,
and works on float images in ``[0, 1]`` of shape ``(N, C, H, W)`` (after resize and channel conversion; the
presets treat every channel alike, so augmenting before or after channel replication is the same).
Differences kornia cannot express exactly are noted where they occur.
"""

from __future__ import annotations

from collections.abc import Callable

import kornia.augmentation as K
import torch
from torch import nn

from fer_torch.data.transforms import AUGMENTATION_PRESETS, TEN_CROP_FRACTION, AugmentSpec, Size
from fer_torch.errors import ConfigError
from fer_torch.spec import InputSpec


def _flip(size: Size) -> list[nn.Module]:
    return [K.RandomHorizontalFlip(p=0.5)]


def _standard(size: Size) -> list[nn.Module]:
    return [
        *_flip(size),
        # albumentations' BORDER_REFLECT_101 is grid_sample's "reflection" up to the edge pixel's repeat.
        K.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1), padding_mode="reflection", p=0.5),
        # Brightness adds a factor-1 in [-0.2, 0.2] of the full range, contrast multiplies by [0.8, 1.2]:
        # A.RandomBrightnessContrast's defaults (brightness_by_max), clipped to [0, 1].
        K.ColorJiggle(brightness=0.2, contrast=0.2, p=0.5),
    ]


def _strong(size: Size) -> list[nn.Module]:
    return [
        *_standard(size),
        K.RandomResizedCrop(size, scale=(0.7, 1.0), ratio=(0.9, 1.1), p=0.5),
        # CoarseDropout's 1-2 holes of 10-25 % of each side: one hole of 1-6.25 % of the area here.
        K.RandomErasing(scale=(0.01, 0.0625), ratio=(0.4, 2.5), value=0.0, p=0.5),
    ]


def _crop_flip(size: Size) -> list[nn.Module]:
    return [K.RandomCrop(size, padding=4, fill=0.0, padding_mode="constant"), *_flip(size)]


def _random_crop(size: Size) -> list[nn.Module]:
    area = TEN_CROP_FRACTION**2  # a square 40x40 window of a 48x48 face, scaled back to 48x48
    return [
        K.RandomResizedCrop(size, scale=(area, area), ratio=(1.0, 1.0), p=1.0),
        *_flip(size),
        K.RandomAffine(degrees=10, translate=(0.2, 0.2), scale=(0.8, 1.2), padding_mode="reflection", p=0.5),
        # CoarseDropout's one hole of 10-40 % of each side: 1-16 % of the area here.
        K.RandomErasing(scale=(0.01, 0.16), ratio=(0.25, 4.0), value=0.0, p=0.5),
    ]


DEVICE_AUGMENTATION_PRESETS: dict[str, Callable[[Size], list[nn.Module]]] = dict(
    none=lambda size: [], flip=_flip, standard=_standard, strong=_strong, crop_flip=_crop_flip,
    random_crop=_random_crop,
)
"""Preset name -> factory of kornia augmentations; the same names as ``AUGMENTATION_PRESETS``."""

assert DEVICE_AUGMENTATION_PRESETS.keys() == AUGMENTATION_PRESETS.keys(), "every preset needs a device twin"


def build_device_augmentation(augment: AugmentSpec, size: Size) -> nn.Module | None:
    """A ``kornia.augmentation.AugmentationSequential`` for a preset name; None for no augmentation."""
    if augment is None:
        return None
    if not isinstance(augment, str):
        raise ConfigError("data.loader 'device' takes an augmentation preset name, not a list of albumentations "
                          f"transforms; choose from {', '.join(DEVICE_AUGMENTATION_PRESETS)}")
    if augment not in DEVICE_AUGMENTATION_PRESETS:
        raise ConfigError(
            f"unknown augmentation preset {augment!r}; choose from {', '.join(DEVICE_AUGMENTATION_PRESETS)}"
        )
    transforms = DEVICE_AUGMENTATION_PRESETS[augment](tuple(size))
    return K.AugmentationSequential(*transforms) if transforms else None


class BatchPreparation(nn.Module):
    """uint8 ``(N, C, H, W)`` -> float in ``[0, 1]`` -> ``augment`` (training batches) -> ``(x - mean) / std``.

    The same arithmetic as ``A.Normalize(max_pixel_value=255)``. Mean and std are buffers, moved to the training
    device once with the module, so no batch copies constants from the host (a pageable copy waits for the GPU).
    """

    def __init__(self, spec: InputSpec, augment: nn.Module | None = None) -> None:
        super().__init__()
        self.augment = augment
        self.register_buffer("mean", torch.tensor(spec.mean, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(spec.std, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor, train: bool = False) -> torch.Tensor:
        x = images.float().div_(255.0)
        if train and self.augment is not None:
            x = self.augment(x)
        return (x - self.mean) / self.std
