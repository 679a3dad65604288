"""Test-time augmentation around a model's forward on an already-preprocessed batch.

``flip`` averages the softmax of the batch and of its horizontal mirror; ``tencrop`` averages the
ten crops of :func:`torchvision.transforms.v2.functional.ten_crop` (corners, center and their
mirrors), each ``TEN_CROP_FRACTION`` of the input side (40x40 from 48x48) resized back to the input size:
the views the ``random_crop`` training preset draws.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torchvision.transforms.v2.functional as TF

from fer_torch.choices import TTA_MODES  # noqa: F401  (listed by tools without torch)
from fer_torch.data.augmentation_presets import ten_crop_size
from fer_torch.errors import ConfigError
from fer_torch.suggest import unknown_name

Forward = Callable[[torch.Tensor], torch.Tensor]


def augmented_views(batch: torch.Tensor, mode: str) -> list[torch.Tensor]:
    """The views of ``batch`` (N, C, H, W) that ``mode`` averages over, each of the input's shape."""
    if mode == "none":
        return [batch]
    if mode == "flip":
        return [batch, TF.horizontal_flip(batch)]
    if mode == "tencrop":
        size = list(batch.shape[-2:])
        crops = TF.ten_crop(batch, list(ten_crop_size(*size)))
        return [TF.resize(c, size, antialias=True) for c in crops]
    raise ConfigError(unknown_name("TTA mode", mode, TTA_MODES))


def with_tta(forward: Forward, mode: str = "none") -> Forward:
    """Wrap ``forward`` (batch -> logits) into batch -> class probabilities averaged over the ``mode`` views."""
    if mode not in TTA_MODES:
        raise ConfigError(unknown_name("TTA mode", mode, TTA_MODES))

    def predict_proba(batch: torch.Tensor) -> torch.Tensor:
        views = augmented_views(batch, mode)
        logits = forward(torch.cat(views))  # one forward pass over all views
        probs = logits.float().softmax(dim=-1)
        return probs.view(len(views), batch.shape[0], -1).mean(dim=0)

    return predict_proba
