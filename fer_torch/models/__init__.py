"""Architectures by registry name: ``create_model("bn_cnn", num_classes=7)``.

Every model is a :class:`FERNet` (``backbone`` + ``head``). Importing this package registers the
architecture modules listed below; a new architecture is one module here plus one config.
"""

from fer_torch.models.base import FERNet
from fer_torch.models.registry import (
    ModelEntry, create_model, list_models, model_entry, model_input_spec, register_model,
)

# Architecture modules register themselves on import.
from fer_torch.models import facenet, small_cnns, sota_nets, timm_backbones, vgg  # noqa: E402,F401  isort: skip

__all__ = [
    "FERNet", "ModelEntry", "create_model", "list_models", "model_entry", "model_input_spec", "register_model",
]
