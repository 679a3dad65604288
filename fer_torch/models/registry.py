"""Model registry: architectures by name, each with the input it expects.

Modelled on timm's ``_registry`` and torchvision's ``models/_api.py``, reduced to what configs need:
a factory registered under a name with its default input (size, channels, normalization), built by
:func:`create_model`. Adding an architecture = one module that decorates a factory + one config.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fer_torch.errors import ModelError
from fer_torch.models.base import FERNet
from fer_torch.models.pretrained import PretrainedArg, is_weights_file, load_weights_file

Factory = Callable[..., FERNet]


@dataclass(frozen=True)
class ModelEntry:
    """A registered architecture: its factory and the input it expects by default."""

    name: str
    factory: Factory
    image_size: tuple[int, int]
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    name: str,
    *,
    image_size: tuple[int, int] = (48, 48),
    channels: int = 1,
    mean: tuple[float, ...] = (0.5,),
    std: tuple[float, ...] = (0.5,),
) -> Callable[[Factory], Factory]:
    """Decorator registering ``factory(num_classes, in_chans=1, pretrained=False, **kwargs) -> FERNet``.

    ``mean``/``std`` of one value are repeated over ``channels``. A name registered twice is a
    :class:`ModelError`.
    """
    if len(mean) == 1:
        mean = tuple(mean) * channels
    if len(std) == 1:
        std = tuple(std) * channels

    def decorator(factory: Factory) -> Factory:
        if name in _REGISTRY:
            raise ModelError(f"model name {name!r} is already registered; pick another name")
        _REGISTRY[name] = ModelEntry(name, factory, tuple(image_size), channels, tuple(mean), tuple(std))
        return factory

    return decorator


def list_models() -> list[str]:
    """Registered architecture names, sorted."""
    return sorted(_REGISTRY)


def _entry(name: str) -> ModelEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; registered models: {', '.join(list_models())}") from None


def model_defaults(name: str) -> dict[str, Any]:
    """``dict(image_size=(H, W), channels, mean, std)``: the input ``name`` expects by default."""
    e = _entry(name)
    return {"image_size": e.image_size, "channels": e.channels, "mean": e.mean, "std": e.std}


def create_model(
    name: str,
    num_classes: int,
    in_chans: int = 1,
    pretrained: PretrainedArg = False,
    *,
    freeze_layers: int | str | None = None,
    **kwargs: Any,
) -> FERNet:
    """Build the registered architecture ``name`` with a ``num_classes`` output.

    ``pretrained``: ``False``; a library weight name the family knows (``True``/``"imagenet"`` for
    torchvision VGG, a timm tag such as ``"resnet50.a1_in1k"``, facenet-pytorch ``"vggface2"``); or a
    local file (state dict, ``{"state_dict"|"model": ...}`` or Lightning checkpoint), which needs no
    network. ``freeze_layers``: freeze the first N :meth:`FERNet.backbone_layers` (or all layers before
    the one named). Other keyword arguments go to the architecture's factory.
    """
    entry = _entry(name)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ModelError(f"{name}: num_classes must be a positive integer, got {num_classes!r}")
    if in_chans not in (1, 3):
        raise ModelError(f"{name}: in_chans must be 1 or 3, got {in_chans!r}")
    _check_kwargs(entry, kwargs)
    weights_file = pretrained if is_weights_file(pretrained) else None
    model = entry.factory(num_classes, in_chans=in_chans, pretrained=False if weights_file else pretrained, **kwargs)
    if weights_file is not None:
        load_weights_file(model, os.fspath(weights_file))
    if freeze_layers is not None:
        model.freeze_backbone_layers(freeze_layers)
    return model


def _check_kwargs(entry: ModelEntry, kwargs: dict[str, Any]) -> None:
    params = inspect.signature(entry.factory).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = [p for p in params if p not in ("num_classes", "in_chans", "pretrained")]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ModelError(
            f"{entry.name} got unknown argument(s) {', '.join(unknown)}; it takes: {', '.join(accepted) or 'none'}"
        )
