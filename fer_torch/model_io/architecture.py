"""What a trained model records about itself (its ``FERClassifier`` init arguments) and the plain network rebuilt
from that record through :func:`fer_torch.models.create_model`, never through the LightningModule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from fer_torch.config_groups import MOVED_MODEL_KEYS, migrate
from fer_torch.errors import ConfigError
from fer_torch.labels import FER2013_CLASSES
from fer_torch.spec import InputSpec

ARCHITECTURE_ARGS = ("arch", "num_classes", "model_kwargs", "channels_last")
"""The ``FERClassifier`` arguments that rebuild the network; training-only ones (optimizer ...) are dropped."""

NETWORK_PREFIX = "model."
"""Key prefix of the network's tensors in a checkpoint or weights file (the LightningModule's ``model``)."""


def sized_model_kwargs(arch: str, model_kwargs: Mapping[str, Any] | None,
                       input_spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """``model_kwargs`` plus ``image_size`` from the input spec when the architecture takes one.

    Flatten-based CNNs size their first dense layer from the input, so the model must be built for the
    size the datamodule delivers (``--data.input_spec.image_size`` alone is enough to change it).
    """
    from fer_torch.models import model_entry  # deferred: the registry imports timm/torchvision

    kwargs = dict(model_kwargs or {})
    if input_spec is not None and "image_size" not in kwargs and model_entry(arch).accepts("image_size"):
        kwargs["image_size"] = tuple(input_spec["image_size"])
    return kwargs


def build_network(record: Mapping[str, Any], pretrained: bool | str | None = False) -> nn.Module:
    """The architecture ``record`` names (``arch``, ``num_classes``, ``model_kwargs``, ``input_spec``: its
    channels are the input channels), with fresh weights unless ``pretrained`` names library weights."""
    from fer_torch.models import create_model, model_input_spec

    arch, num_classes = record["arch"], record.get("num_classes", len(FER2013_CLASSES))
    kwargs = sized_model_kwargs(arch, record.get("model_kwargs"), record.get("input_spec"))
    spec = record.get("input_spec")  # a plain dict: its channels are the input channels
    channels = spec["channels"] if spec else model_input_spec(arch).channels
    return create_model(arch, num_classes, in_chans=channels, pretrained=pretrained, **kwargs)


def migrated_hparams(record: Mapping[str, Any]) -> dict[str, Any]:
    """A model's recorded ``FERClassifier`` arguments in today's shape: the flat keys of checkpoints written before
    the option groups moved into them (:func:`fer_torch.config_groups.migrate`), and ``in_chans`` into the input
    spec (the architecture's, with those channels, when none was recorded). Today's records come back unchanged."""
    out = migrate(record, MOVED_MODEL_KEYS)
    if "in_chans" in out:
        if not out.get("input_spec") and "arch" in out:
            out["input_spec"] = recorded_input_spec(out).to_dict()
        out.pop("in_chans")
    return out


def recorded_class_names(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Output class names (index = logit index): the recorded ones, else FER2013's for 7 classes, else
    ``class_0`` ..."""
    num_classes = record.get("num_classes", len(FER2013_CLASSES))
    names = record.get("class_names")
    if names:
        if len(names) != num_classes:
            raise ConfigError(f"{len(names)} class names {list(names)} for num_classes={num_classes}")
        return tuple(names)
    if num_classes == len(FER2013_CLASSES):
        return FER2013_CLASSES
    return tuple(f"class_{i}" for i in range(num_classes))


def recorded_input_spec(record: Mapping[str, Any]) -> InputSpec:
    """The preprocessing the model was trained with (the architecture's defaults when none was recorded)."""
    spec = record.get("input_spec")
    if spec:
        return InputSpec.from_dict(spec)
    from fer_torch.models import model_input_spec

    return model_input_spec(record["arch"]).override(channels=record.get("in_chans"))  # a pre-groups record's
