"""Classifier heads: the dense layers the seeds put on top of their feature extractors."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from fer_torch.errors import ModelError


class MLPHead(nn.Sequential):
    """``[global avg pool] -> flatten -> [Dropout] -> (Linear [-> BN] -> ReLU [-> Dropout]) * len(hidden) -> Linear``.

    ``dropout`` is one rate for every hidden layer or one per hidden layer (0 = no Dropout module);
    ``input_dropout`` drops the flattened features before the first Linear (seed 003's "dropout
    before the first fully connected layer"); ``batch_norm`` puts BatchNorm1d between Linear and ReLU
    (Keras' Dense -> BatchNormalization -> Activation of seeds 002/004); ``pool`` global-average-pools
    a feature map first. Module names (``fc1``, ``bn1``, ``out`` ...) keep state-dict keys readable.
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        hidden: Sequence[int] = (),
        dropout: float | Sequence[float] = 0.0,
        input_dropout: float = 0.0,
        batch_norm: bool = False,
        pool: bool = False,
    ) -> None:
        hidden = tuple(hidden)
        rates = (float(dropout),) * len(hidden) if isinstance(dropout, (int, float)) else tuple(dropout)
        if len(rates) != len(hidden):
            raise ModelError(f"head: {len(rates)} dropout rates for {len(hidden)} hidden layers")
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if pool:
            layers["pool"] = nn.AdaptiveAvgPool2d(1)
        layers["flatten"] = nn.Flatten()
        if input_dropout:
            layers["drop0"] = nn.Dropout(input_dropout)
        width = in_features
        for i, (units, rate) in enumerate(zip(hidden, rates), start=1):
            layers[f"fc{i}"] = nn.Linear(width, units)
            if batch_norm:
                layers[f"bn{i}"] = nn.BatchNorm1d(units)
            layers[f"act{i}"] = nn.ReLU(inplace=True)
            if rate:
                layers[f"drop{i}"] = nn.Dropout(rate)
            width = units
        layers["out"] = nn.Linear(width, num_classes)
        super().__init__(layers)
