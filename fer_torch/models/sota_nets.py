"""Wider nets for 48-px faces, for the long state-of-the-art recipes (``configs/fer2013_*_sota.yaml``).

``vgg_fer`` follows Khaireddin & Chen 2021 ("Facial Emotion Recognition: State of the Art Performance on
FER2013", 73.28 % single-network on PrivateTest): four VGG stages of two 3x3 conv -> BatchNorm -> ReLU and a
max pool, then dense layers with dropout. The paper's 4096-4096 head on 40-px crops makes a 29.9 M-parameter,
120 MB network; the default head here is 1024-1024 on 48-px input (10.5 M parameters, 21 MB in fp16), and
``hidden=(4096, 4096), image_size=(40, 40)`` rebuilds the paper's. ``resnet18_fer`` is ResNet-18's
topology (basic blocks, 64-128-256-512 channels, 2-2-2-2 blocks) on ``resnet_fer``'s 48-px stem.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from fer_torch.models.base import FERNet
from fer_torch.models.heads import MLPHead
from fer_torch.models.pretrained import PretrainedArg, require_no_library_weights
from fer_torch.models.registry import register_model
from fer_torch.models.small_cnns import flat_features, resnet_fer


def _vgg_stage(in_ch: int, out_ch: int, convs: int) -> nn.Sequential:
    """``convs`` x (3x3 conv -> BatchNorm -> ReLU), then a 2x2 max pool."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for i in range(1, convs + 1):
        layers[f"conv{i}"] = nn.Conv2d(in_ch if i == 1 else out_ch, out_ch, 3, padding=1, bias=False)
        layers[f"bn{i}"] = nn.BatchNorm2d(out_ch)
        layers[f"relu{i}"] = nn.ReLU(inplace=True)
    layers["pool"] = nn.MaxPool2d(2)
    return nn.Sequential(layers)


@register_model("vgg_fer")
def vgg_fer(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    channels: Sequence[int] = (64, 128, 256, 512),
    convs_per_stage: int = 2,
    hidden: Sequence[int] = (1024, 1024),
    dropout: float = 0.2,
    image_size: Sequence[int] = (48, 48),
) -> FERNet:
    """Khaireddin & Chen's VGGNet: ``len(channels)`` stages of ``convs_per_stage`` conv-BN-ReLU + max pool,
    flatten, dense ``hidden`` layers with ReLU and ``dropout``, output. 10,462,535 parameters for 7 classes.
    """
    require_no_library_weights("vgg_fer", pretrained)
    stages: OrderedDict[str, nn.Module] = OrderedDict()
    ch = in_chans
    for i, out_ch in enumerate(channels, start=1):
        stages[f"stage{i}"] = _vgg_stage(ch, out_ch, convs_per_stage)
        ch = out_ch
    backbone = nn.Sequential(stages)
    head = MLPHead(flat_features(backbone, in_chans, image_size), num_classes, hidden=hidden, dropout=dropout)
    return FERNet(backbone, head)


@register_model("resnet18_fer")
def resnet18_fer(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    dropout: float = 0.2,
    drop_path_rate: float = 0.1,
) -> FERNet:
    """ResNet-18 (basic blocks 2-2-2-2, 64-128-256-512 channels) with ``resnet_fer``'s 3x3 stride-1 stem, so the
    stages run at 24, 12, 6 and 3 px of a 48-px face. 11,171,271 parameters for 7 classes.
    """
    require_no_library_weights("resnet18_fer", pretrained)
    return resnet_fer(
        num_classes,
        in_chans,
        channels=(64, 128, 256, 512),
        blocks=(2, 2, 2, 2),
        dropout=dropout,
        drop_path_rate=drop_path_rate,
    )
