"""ResNet-50 and SE-ResNet-50 from timm with seed 003's dense head.

The backbone is the timm model with ``num_classes=0`` (it ends in global average pooling, so any
input of at least 32 px works; the seed used 197x197). timm's ``in_chans=1`` sums pretrained RGB
kernels. Head: Dropout -> Linear 4096 -> ReLU -> Dropout -> Linear 1024 -> ReLU -> Dropout -> classes.
Backbone layers: ``conv1, bn1, act1, maxpool``, the bottleneck blocks ``layer1.0`` ... ``layer4.2``,
``global_pool``; ``"layer4"`` names the first block of that stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from fer_torch.models.base import FERNet
from fer_torch.models.heads import MLPHead
from fer_torch.models.pretrained import PretrainedArg, build_timm
from fer_torch.models.registry import register_model
from fer_torch.spec import IMAGENET_MEAN, IMAGENET_STD


def timm_fernet(
    arch: str,
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    hidden: Sequence[int] = (4096, 1024),
    dropout: float = 0.5,
    drop_path_rate: float = 0.0,
) -> FERNet:
    """timm ``arch`` as backbone (``pretrained``: True / a timm tag / False) under seed 003's head."""
    backbone = build_timm(arch, pretrained, in_chans, drop_path_rate=drop_path_rate)
    head = MLPHead(backbone.num_features, num_classes, hidden=hidden, dropout=dropout, input_dropout=dropout)
    return FERNet(backbone, head)


for _arch in ("resnet50", "seresnet50"):
    _factory = partial(timm_fernet, _arch)
    _factory.__doc__ = f"timm {_arch} with seed 003's 4096-1024 head."
    register_model(_arch, image_size=(197, 197), channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD)(_factory)
