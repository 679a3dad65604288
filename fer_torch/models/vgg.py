"""VGG16 / VGG19 (torchvision) with the seeds' heads.

``head``:
- ``"replace_last"`` (seed 000 models 6/8): the backbone is ``features``, ``avgpool`` and the
  4096-4096 ``classifier`` without its last Linear; the head is a new Linear(4096, classes).
  Backbone frozen: 12,291 trainable parameters for 3 classes.
- ``"gap_mlp"`` (seed 000 models 7/9): backbone ``features``; head global average pool -> Linear 128
  -> ReLU -> Dropout 0.5 -> classes. Backbone frozen: 66,051 trainable for 3 classes.
- ``"mlp"`` (seed 003): backbone ``features``; head global average pool -> Dropout -> Linear 4096
  -> ReLU -> Dropout -> Linear 1024 -> ReLU -> Dropout -> classes (dropout 0.3).

Backbone layers count like Keras' VGG layers: each conv (with its ReLU) and each max pool of
``features`` is one layer (``block1_conv1`` ... ``block5_pool``: 18 for VGG16, 21 for VGG19), then for
``replace_last`` ``avgpool`` (Keras' ``flatten``), ``fc1`` and ``fc2`` (Linear + ReLU + Dropout each).
State-dict keys stay torchvision's (``backbone.features.0.weight``), so torchvision files load as is.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor, nn

from fer_torch.errors import ModelError
from fer_torch.models.base import FERNet
from fer_torch.models.heads import MLPHead
from fer_torch.models.pretrained import PretrainedArg, adapt_first_conv, build_torchvision
from fer_torch.models.registry import register_model
from fer_torch.spec import IMAGENET_MEAN, IMAGENET_STD

VGG_HEADS = ("replace_last", "gap_mlp", "mlp")


class VGGBackbone(nn.Module):
    """torchvision VGG's ``features`` (plus ``avgpool`` and ``classifier[:-1]`` when ``keep_classifier``)."""

    def __init__(self, vgg: nn.Module, keep_classifier: bool) -> None:
        super().__init__()
        self.features = vgg.features
        if keep_classifier:
            self.avgpool = vgg.avgpool
            self.classifier = vgg.classifier[:-1]  # Linear-ReLU-Dropout x 2: keys classifier.0/.3 as torchvision's

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        if hasattr(self, "classifier"):
            x = self.classifier(torch.flatten(self.avgpool(x), 1))
        return x

    def backbone_layers(self) -> list[tuple[str, nn.Module]]:
        """Keras-named layers; a conv is grouped with its ReLU (Keras' ``Conv2D(activation='relu')``)."""
        layers: list[tuple[str, nn.Module]] = []
        block, conv = 1, 0
        modules = list(self.features)
        for i, m in enumerate(modules):
            if isinstance(m, nn.Conv2d):
                conv += 1
                layers.append((f"block{block}_conv{conv}", nn.Sequential(m, modules[i + 1])))
            elif isinstance(m, nn.MaxPool2d):
                layers.append((f"block{block}_pool", m))
                block, conv = block + 1, 0
        if hasattr(self, "classifier"):
            layers += [("avgpool", self.avgpool), ("fc1", self.classifier[:3]), ("fc2", self.classifier[3:])]
        return layers


def vgg(
    arch: str,
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    head: str = "replace_last",
    dropout: float | None = None,
) -> FERNet:
    """torchvision ``arch`` ("vgg16"/"vgg19") with a seed head; ``dropout`` overrides the head's rate."""
    if head not in VGG_HEADS:
        raise ModelError(f"{arch}: unknown head {head!r}; choose from {', '.join(VGG_HEADS)}")
    net = build_torchvision(arch, pretrained)
    net.features[0] = adapt_first_conv(net.features[0], in_chans)
    backbone = VGGBackbone(net, keep_classifier=head == "replace_last")
    if head == "replace_last":
        head_module = MLPHead(4096, num_classes)
    elif head == "gap_mlp":
        head_module = MLPHead(512, num_classes, hidden=(128,), dropout=0.5 if dropout is None else dropout, pool=True)
    else:
        rate = 0.3 if dropout is None else dropout
        head_module = MLPHead(512, num_classes, hidden=(4096, 1024), dropout=rate, input_dropout=rate, pool=True)
    return FERNet(backbone, head_module)


for _depth in (16, 19):
    _name = f"vgg{_depth}"
    _factory = partial(vgg, _name)
    _factory.__doc__ = f"VGG{_depth} (torchvision) with head 'replace_last', 'gap_mlp' or 'mlp'."
    register_model(_name, image_size=(224, 224), channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD)(_factory)
