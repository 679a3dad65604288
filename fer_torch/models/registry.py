"""Model registry: architectures by name, each with the input it expects.

Modelled on timm's ``default_cfgs`` and torchvision's ``Weights`` metadata, reduced to what configs need: a
factory registered under a name with its default :class:`~fer_torch.spec.InputSpec` (size, channels,
normalization, filters, region), built by :func:`create_model`. A config names only ``model.arch`` and gets
that spec; it lists ``data:`` input keys only where it differs. Adding an architecture = one module that
decorates a factory + one config.
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
from fer_torch.registry import Registry
from fer_torch.spec import InputSpec
from fer_torch.suggest import unknown_name

Factory = Callable[..., FERNet]
_BUILD_ARGUMENTS = ("num_classes", "in_chans", "pretrained")  # every factory's; create_model passes them


@dataclass(frozen=True)
class ModelEntry:
    """A registered architecture: its factory and the input it expects by default."""

    name: str
    factory: Factory
    input_spec: InputSpec

    def accepts(self, argument: str) -> bool:
        """Whether the factory names keyword ``argument`` (e.g. ``image_size``: flatten-based CNNs size their
        first dense layer from it)."""
        return argument in inspect.signature(self.factory).parameters

    def architecture_arguments(self) -> list[str] | None:
        """Keyword arguments the factory takes beyond num_classes/in_chans/pretrained (None: any, ``**kwargs``)."""
        params = inspect.signature(self.factory).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return None
        return [p for p in params if p not in _BUILD_ARGUMENTS]


MODELS: Registry[ModelEntry] = Registry("model", ModelError)


def register_model(name: str, **input_spec: Any) -> Callable[[Factory], Factory]:
    """Decorator registering ``factory(num_classes, in_chans=1, pretrained=False, **kwargs) -> FERNet``.

    Keyword arguments are the architecture's default :class:`InputSpec` fields (``image_size``, ``channels``,
    ``mean``, ``std``, ``preprocessing``, ``region``); omitted ones keep InputSpec's defaults, and one
    ``mean``/``std`` value is repeated over ``channels``. A name registered twice is a :class:`ModelError`.
    """
    spec = InputSpec(**input_spec)

    def decorator(factory: Factory) -> Factory:
        MODELS.register(name, ModelEntry(name, factory, spec))
        return factory

    return decorator


def list_models() -> list[str]:
    """Registered architecture names, sorted."""
    return MODELS.names()


def model_entry(name: str) -> ModelEntry:
    """The :class:`ModelEntry` registered as ``name``; an unknown name is a :class:`ModelError` listing them."""
    if name not in MODELS:
        raise ModelError(unknown_name("model", name, list_models()))
    return MODELS.get(name)


def model_input_spec(name: str) -> InputSpec:
    """The :class:`InputSpec` architecture ``name`` expects by default (what a config gets unless it overrides)."""
    return model_entry(name).input_spec


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
    entry = model_entry(name)
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
    accepted = entry.architecture_arguments()
    if accepted is None:
        return
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ModelError(
            f"{entry.name} got unknown argument(s) {', '.join(unknown)}; it takes: {', '.join(accepted) or 'none'}"
        )
