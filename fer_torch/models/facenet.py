"""FaceNet (facenet-pytorch ``InceptionResnetV1``) with seed 003's dense head.

The backbone outputs the 512-d L2-normalized face embedding (``classify=False``; the identity
``logits`` layer of pretrained weights is dropped). Input 160x160 RGB normalized as facenet-pytorch's
``fixed_image_standardization`` ((x - 127.5) / 128). Head: Dropout -> Linear 4096 -> ReLU -> Dropout
-> Linear 1024 -> ReLU -> Dropout -> classes, dropout 0.3. Backbone layers: ``conv2d_1a`` ...
``conv2d_4b``, the blocks ``repeat_1.0`` ... ``repeat_3.4``, ``mixed_6a``, ``mixed_7a``, ``block8``,
``avgpool_1a``, ``dropout``, ``last_linear``, ``last_bn``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fer_torch.models.base import FERNet
from fer_torch.models.heads import MLPHead
from fer_torch.models.pretrained import PretrainedArg, adapt_first_conv, build_facenet
from fer_torch.models.registry import register_model

FACENET_MEAN = (127.5 / 255,)
FACENET_STD = (128.0 / 255,)


@register_model("inception_resnet_v1", image_size=(160, 160), channels=3, mean=FACENET_MEAN, std=FACENET_STD)
def inception_resnet_v1(
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    hidden: Sequence[int] = (4096, 1024),
    dropout: float = 0.3,
) -> FERNet:
    """FaceNet embedding network (``pretrained``: False, True/"vggface2", "casia-webface") under a dense head."""
    backbone = build_facenet(pretrained)
    backbone.conv2d_1a.conv = adapt_first_conv(backbone.conv2d_1a.conv, in_chans)
    head = MLPHead(512, num_classes, hidden=hidden, dropout=dropout, input_dropout=dropout)
    return FERNet(backbone, head)
