"""The augmentation presets of :mod:`fer_torch.data.augmentation_presets` as batched ``kornia.augmentation``.

Each preset draws its parameters per sample, like the albumentations preset of the same name does per image,
and works on float images in ``[0, 1]`` of shape ``(N, C, H, W)`` (after resize and channel conversion; the
presets treat every channel alike, so augmenting before or after channel replication is the same).
Differences kornia cannot express exactly are noted where they occur.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import kornia.augmentation as K
import torch
import torch.nn.functional as F
from kornia.augmentation._2d.intensity.base import IntensityAugmentationBase2D
from torch import nn

from fer_torch.data import augmentation_presets as presets
from fer_torch.data.augmentation_presets import Size
from fer_torch.data.transforms import AugmentSpec
from fer_torch.errors import ConfigError
from fer_torch.spec import InputSpec


def _affine(step: presets.Affine, size: Size) -> nn.Module:
    # albumentations' BORDER_REFLECT_101 is grid_sample's "reflection" up to the edge pixel's repeat; BORDER_REPLICATE
    # is its "border".
    return K.RandomAffine(degrees=step.degrees, translate=(step.shift, step.shift),
                          scale=(1 - step.scale, 1 + step.scale), p=step.p,
                          padding_mode="border" if step.border == "replicate" else "reflection")


def _brightness_contrast(step: presets.BrightnessContrast, size: Size) -> nn.Module:
    # Brightness adds a factor-1 in [-b, b] of the full range, contrast multiplies by [1-c, 1+c]:
    # A.RandomBrightnessContrast's defaults (brightness_by_max), clipped to [0, 1].
    return K.ColorJiggle(brightness=step.brightness, contrast=step.contrast, p=step.p)


def _fraction_crop(step: presets.FractionCrop, size: Size) -> nn.Module:
    area = step.fraction**2  # RandomCrop + Resize in one: a 40x40 window of a 48x48 face, scaled back to 48x48
    return K.RandomResizedCrop(size, scale=(area, area), ratio=(1.0, 1.0), p=1.0)


def _erase(step: presets.Erase, size: Size) -> nn.Module:
    # CoarseDropout's holes of side[0]-side[1] of each side: one hole of side[0]**2-side[1]**2 of the area here,
    # at the aspect ratios those sides allow (``holes`` has no kornia twin).
    low, high = step.side
    area = (round(low**2, 12), round(high**2, 12))  # without float noise: 0.1**2 is 0.010000000000000002
    return K.RandomErasing(scale=area, ratio=(low / high, high / low), value=0.0, p=step.p)


class _PerSampleRange(IntensityAugmentationBase2D):
    """A kornia augmentation drawing one value per sample uniformly in ``low``-``high`` (``params["value"]``)."""

    def __init__(self, low: float, high: float, p: float) -> None:
        super().__init__(p=p)
        self.low, self.high = float(low), float(high)

    def generate_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        return {"value": torch.empty(batch_shape[0]).uniform_(self.low, self.high)}


class RandomDownscale(_PerSampleRange):
    """``A.Downscale`` (INTER_AREA down, INTER_LINEAR up) for batches: each selected sample goes down to its drawn
    fraction of each side and back. Samples of one rounded size share one interpolation call."""

    def apply_transform(self, input: torch.Tensor, params: dict[str, torch.Tensor], flags: dict[str, Any],
                        transform: torch.Tensor | None = None) -> torch.Tensor:
        height, width = input.shape[-2:]
        output = input.clone()
        selected = params["batch_prob"].to(input.device) > 0.5
        sides = (params["value"].to(input.device) * min(height, width)).round().clamp(min=1)
        for side in sides[selected].unique().tolist():
            rows = torch.nonzero(selected & (sides == side)).flatten()
            small = F.interpolate(input[rows], size=(max(1, round(height * side / min(height, width))),
                                                     max(1, round(width * side / min(height, width)))), mode="area")
            output[rows] = F.interpolate(small, size=(height, width), mode="bilinear", align_corners=False)
        return output


class RandomNoise(_PerSampleRange):
    """``A.GaussNoise(std_range)`` for batches: Gaussian noise of a per-sample standard deviation (a fraction of the
    ``[0, 1]`` range), clipped to it as albumentations clips uint8 images."""

    def apply_transform(self, input: torch.Tensor, params: dict[str, torch.Tensor], flags: dict[str, Any],
                        transform: torch.Tensor | None = None) -> torch.Tensor:
        std = params["value"].to(input.device, input.dtype).view(-1, 1, 1, 1)
        return (input + torch.randn_like(input) * std).clamp_(0.0, 1.0)


_KORNIA: dict[type[presets.Step], Callable[[Any, Size], nn.Module]] = {
    presets.Flip: lambda step, size: K.RandomHorizontalFlip(p=step.p),
    presets.Affine: _affine,
    presets.BrightnessContrast: _brightness_contrast,
    presets.ResizedCrop: lambda step, size: K.RandomResizedCrop(size, scale=step.scale, ratio=step.ratio, p=step.p),
    presets.PadCrop: lambda step, size: K.RandomCrop(size, padding=step.padding, fill=0.0, padding_mode="constant"),
    presets.FractionCrop: _fraction_crop,
    presets.Window: lambda step, size: K.RandomCrop(step.window(size), p=1.0),
    presets.Erase: _erase,
    presets.Gamma: lambda step, size: K.RandomGamma(gamma=step.gamma, p=step.p),
    presets.Downscale: lambda step, size: RandomDownscale(*step.scale, p=step.p),
    # "reflect" pads as cv2's default BORDER_REFLECT_101 does.
    presets.Blur: lambda step, size: K.RandomGaussianBlur((step.kernel, step.kernel), step.sigma, p=step.p,
                                                          border_type="reflect"),
    presets.Noise: lambda step, size: RandomNoise(*step.std, p=step.p),
}
"""Step type of :mod:`~fer_torch.data.augmentation_presets` -> its kornia module at image ``size``."""


def kornia_steps(steps: Sequence[presets.Step], size: Size) -> list[nn.Module]:
    """The kornia augmentations of preset ``steps`` for images of ``size`` ``(height, width)``."""
    return [_KORNIA[type(step)](step, at) for step, at in zip(steps, presets.step_sizes(steps, size))]


def build_device_augmentation(augment: AugmentSpec, size: Size) -> nn.Module | None:
    """A ``kornia.augmentation.AugmentationSequential`` for a preset name; None for no augmentation."""
    if augment is None:
        return None
    if not isinstance(augment, str):
        raise ConfigError("data.loader 'device' takes an augmentation preset name, not a list of albumentations "
                          f"transforms; choose from {', '.join(presets.PRESETS)}")
    transforms = kornia_steps(presets.preset_steps(augment), tuple(size))
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
