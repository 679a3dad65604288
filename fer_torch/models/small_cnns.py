"""The seeds' from-scratch CNNs for 48x48 faces (and 43x72 mouths), plus ``resnet_fer``.

Layers are named like Keras layers (``conv1``, ``bn1``, ``relu1``, ``pool1``, ``drop1``) so a seed's
model summary reads against ``print(model)``. The backbone ends at the last convolutional block; the
head flattens and holds the dense layers. Parameter counts equal the seeds' Keras summaries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from functools import partial

import timm
import torch
from torch import nn

from fer_torch.errors import ModelError
from fer_torch.models.base import FERNet
from fer_torch.models.heads import MLPHead
from fer_torch.models.pretrained import PretrainedArg, require_no_library_weights
from fer_torch.models.registry import register_model


def _add_conv(
    layers: OrderedDict[str, nn.Module],
    in_ch: int,
    out_ch: int,
    kernel: int,
    *,
    padding: str = "valid",
    norm: str | None = None,
    pool: bool = False,
    pool_layer: type[nn.Module] = nn.MaxPool2d,
    dropout: float = 0.0,
) -> int:
    """Append ``conv -> [bn] -> relu -> [bn] -> [pool] -> [dropout]``; ``norm`` is "pre" or "post" ReLU."""
    i = sum(name.startswith("conv") for name in layers) + 1
    layers[f"conv{i}"] = nn.Conv2d(in_ch, out_ch, kernel, padding=padding)
    if norm == "pre":
        layers[f"bn{i}"] = nn.BatchNorm2d(out_ch)
    layers[f"relu{i}"] = nn.ReLU(inplace=True)
    if norm == "post":
        layers[f"bn{i}"] = nn.BatchNorm2d(out_ch)
    if pool:
        layers[f"pool{i}"] = pool_layer(2)
    if dropout:
        layers[f"drop{i}"] = nn.Dropout(dropout)
    return out_ch


def flat_features(backbone: nn.Module, in_chans: int, image_size: Sequence[int]) -> int:
    """Length of the flattened backbone output for one image of ``image_size`` (Keras' Flatten size)."""
    backbone.eval()  # a probe must not touch BatchNorm running statistics
    try:
        with torch.no_grad():
            out = backbone(torch.zeros(1, in_chans, *image_size))
    except RuntimeError as e:  # a kernel larger than the shrunken feature map
        raise ModelError(f"input {tuple(image_size)} is too small for this network ({e})") from None
    finally:
        backbone.train()
    if out.numel() == 0:
        raise ModelError(f"input {tuple(image_size)} is too small for this network")
    return out.numel()


def _cnn(
    convs: OrderedDict[str, nn.Module], in_chans: int, image_size: Sequence[int], num_classes: int, **head: object
) -> FERNet:
    backbone = nn.Sequential(convs)
    return FERNet(backbone, MLPHead(flat_features(backbone, in_chans, image_size), num_classes, **head))


@register_model("mouth_cnn", image_size=(43, 72), mean=(0.0,), std=(1.0,), region="mouth")
def mouth_cnn(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    dense_layers: int = 2,
    hidden: Sequence[int] | None = None,
    image_size: Sequence[int] = (43, 72),
) -> FERNet:
    """Seed 000's mouth CNN: 4 x (conv -> ReLU -> max pool), then ``dense_layers`` dense layers (the last
    is the output). ``hidden`` gives the ``dense_layers - 1`` hidden widths (default 48 each).
    4,731 parameters for 3 classes with the default two dense layers.
    """
    require_no_library_weights("mouth_cnn", pretrained)
    if dense_layers < 1:
        raise ModelError(f"mouth_cnn: dense_layers must be >= 1, got {dense_layers}")
    hidden = (48,) * (dense_layers - 1) if hidden is None else tuple(hidden)
    if len(hidden) != dense_layers - 1:
        raise ModelError(f"mouth_cnn: {dense_layers} dense layers need {dense_layers - 1} hidden widths, got {hidden}")
    convs: OrderedDict[str, nn.Module] = OrderedDict()
    ch = in_chans
    # 43x72 -> 41x70 -> 20x35 -> 18x33 -> 9x16 -> 8x15 -> 4x7 -> 3x6 -> 1x3 (x16 = 48 features)
    for out_ch, kernel in ((8, 3), (8, 3), (16, 2), (16, 2)):
        ch = _add_conv(convs, ch, out_ch, kernel, pool=True)
    return _cnn(convs, in_chans, image_size, num_classes, hidden=hidden)


@register_model("plain_cnn", mean=(0.0,), std=(1.0,))
def plain_cnn(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    width: int = 64,
    image_size: Sequence[int] = (48, 48),
) -> FERNet:
    """Seed 001's CNN: 3 x (2 valid 3x3 convs -> max pool [-> dropout 0.3/0.4]), dense 512 -> dropout 0.3
    -> dense 512 -> dropout 0.2 -> output. ``width`` is the seed's ``features`` (64). 861,767 parameters
    for 7 classes, 860,741 for 5.
    """
    require_no_library_weights("plain_cnn", pretrained)
    convs: OrderedDict[str, nn.Module] = OrderedDict()
    ch = in_chans
    for out_ch, dropout in ((width, 0.3), (width, 0.4), (2 * width, 0.0)):
        ch = _add_conv(convs, ch, out_ch, 3)
        ch = _add_conv(convs, ch, out_ch, 3, pool=True, dropout=dropout)
    return _cnn(convs, in_chans, image_size, num_classes, hidden=(8 * width, 8 * width), dropout=(0.3, 0.2))


BN_CNN_CONVS = ((64, 3), (128, 5), (512, 3), (512, 3))  # seed 002 Fig. 9: (filters, kernel) per conv block
POOL_LAYERS: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


@register_model("bn_cnn")
def bn_cnn(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    dropout: float = 0.25,
    image_size: Sequence[int] = (48, 48),
    convs: Sequence[Sequence[int]] = BN_CNN_CONVS,
    pool: str = "max",
) -> FERNet:
    """Seeds 002/004 (seed 002's model C): 4 x [conv (64 3x3, 128 5x5, 512 3x3, 512 3x3; same) -> BN -> ReLU
    -> pool -> dropout], [dense 256 -> BN -> ReLU -> dropout], [dense 512 -> BN -> ReLU -> dropout], output.
    4,474,759 trainable parameters for 7 classes; BatchNorm running mean/var add 3,968 buffers.
    ``convs`` ((filters, kernel) per conv block) and ``pool`` (``max`` | ``avg``) make seed 002's ablations.
    """
    require_no_library_weights("bn_cnn", pretrained)
    if pool not in POOL_LAYERS:
        raise ModelError(f"bn_cnn: pool must be one of {', '.join(POOL_LAYERS)}, got {pool!r}")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    ch = in_chans
    for out_ch, kernel in convs:
        ch = _add_conv(layers, ch, out_ch, kernel, padding="same", norm="pre", pool=True,
                       pool_layer=POOL_LAYERS[pool], dropout=dropout)
    return _cnn(layers, in_chans, image_size, num_classes, hidden=(256, 512), dropout=dropout, batch_norm=True)


# Seed 002's ablation model A (Fig. 12: 71.08 %): only 2 conv blocks, 64 (3x3) and 256 (5x5) filters, dropout
# 0.2. The seed prints no summary; kernels and dense blocks follow model C, so the 12x12x256 flatten makes
# 9,985,287 trainable parameters for 7 classes (2,176 BatchNorm buffers).
register_model("bn_cnn_two_conv")(partial(bn_cnn, convs=((64, 3), (256, 5)), dropout=0.2))
# Seed 002's ablation model B (Fig. 12: 69.55 %): model C with 2x2 average pooling (trained with SGD, lr 1e-3);
# pooling has no weights, so 4,474,759 trainable parameters, as C.
register_model("bn_cnn_avg_pool")(partial(bn_cnn, pool="avg"))


@register_model("five_layer_cnn", mean=(0.0,), std=(1.0,))
def five_layer_cnn(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    dropout: float = 0.2,
    image_size: Sequence[int] = (48, 48),
) -> FERNet:
    """Seed 003's baseline: convs 64 5x5, 128, 128, 256, 256 (3x3, same, ReLU); BN -> pool -> dropout after
    the 1st, 3rd and 5th; dense 1024 -> dense 512 -> dropout -> output.
    11,075,847 trainable parameters for 7 classes and 896 BatchNorm statistics.
    """
    require_no_library_weights("five_layer_cnn", pretrained)
    convs: OrderedDict[str, nn.Module] = OrderedDict()
    ch = in_chans
    for out_ch, kernel, block_end in ((64, 5, True), (128, 3, False), (128, 3, True), (256, 3, False), (256, 3, True)):
        norm = "post" if block_end else None
        ch = _add_conv(
            convs, ch, out_ch, kernel, padding="same", norm=norm, pool=block_end, dropout=dropout if block_end else 0.0
        )
    return _cnn(convs, in_chans, image_size, num_classes, hidden=(1024, 512), dropout=(0.0, dropout))


@register_model("resnet_fer")
def resnet_fer(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    channels: Sequence[int] = (32, 64, 128, 256),
    blocks: Sequence[int] = (2, 2, 2, 2),
    dropout: float = 0.2,
    drop_path_rate: float = 0.05,
    stem_width: int = 64,
) -> FERNet:
    """A compact ResNet for 48x48 faces: timm's ``ResNet`` with basic blocks of ``channels`` widths, its
    7x7 stride-2 stem conv replaced by a 3x3 stride-1 one (``stem_width`` channels, then timm's max pool), so the
    stages run at 24, 12, 6 and 3 px. Global average pool -> Dropout -> Linear. ~2.8M parameters.

    The stem is the only layer at the full 48 px, so ``stem_width=32`` trains markedly faster per epoch on a CPU
    (measured in docs/experiments.md, "The fast CPU recipe").
    """
    require_no_library_weights("resnet_fer", pretrained)
    backbone = timm.models.resnet.ResNet(
        block=timm.models.resnet.BasicBlock,
        layers=tuple(blocks),
        channels=tuple(channels),
        in_chans=in_chans,
        num_classes=0,
        drop_path_rate=drop_path_rate,
    )
    # A 7x7 stride-2 stem would leave 12 px for the first stage of a 48 px face.
    backbone.conv1 = _he_conv(in_chans, stem_width, 3)
    if stem_width != backbone.bn1.num_features:  # timm's plain stem is always 64 wide: rewire the first block
        backbone.bn1 = nn.BatchNorm2d(stem_width)
        first = backbone.layer1[0]
        first.conv1 = _he_conv(stem_width, first.conv1.out_channels, 3)
        if stem_width == channels[0]:
            first.downsample = None
        else:
            first.downsample = nn.Sequential(_he_conv(stem_width, channels[0], 1), nn.BatchNorm2d(channels[0]))
    return FERNet(backbone, MLPHead(backbone.num_features, num_classes, input_dropout=dropout))


def _he_conv(in_ch: int, out_ch: int, kernel: int) -> nn.Conv2d:
    """A bias-free ``kernel`` x ``kernel`` conv (same padding) with timm's ResNet init."""
    conv = nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False)
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    return conv
