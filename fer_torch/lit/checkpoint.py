"""Load a trained :class:`~fer_torch.lit.classifier.FERClassifier` (a Lightning checkpoint or slim weights) as a
LightningModule, to train on from it or to use it as a teacher."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from fer_torch.errors import CheckpointError, FERError
from fer_torch.model_io.model_file import read_model_file

if TYPE_CHECKING:
    from fer_torch.lit.classifier import FERClassifier

__all__ = ["load_lightning_module"]

TRAINING_ONLY = ("optimizer", "scheduler")
"""Registry names of training only: a model trained with a plugin's optimizer loads without the plugin."""


def load_lightning_module(path: str | Path, device: str | torch.device = "cpu") -> FERClassifier:
    """A :class:`FERClassifier` in eval mode on ``device`` from a Lightning checkpoint or safetensors weights.

    Reads through :func:`fer_torch.model_io.model_file.read_model_file` (no arbitrary pickles, no pretrained
    downloads); raises :class:`CheckpointError` naming the file.
    """
    from fer_torch.lit.classifier import FERClassifier  # deferred: Lightning is a heavy import

    model_file = read_model_file(path, device)
    if model_file.hparams is None:
        raise CheckpointError(f"{path}: a {model_file.format} model holds no FERClassifier; "
                              "pass a Lightning checkpoint or weights file")
    accepted = inspect.signature(FERClassifier.__init__).parameters
    kwargs = {k: v for k, v in model_file.hparams.items() if k in accepted and k not in ("self", *TRAINING_ONLY)}
    try:
        module = FERClassifier(**{**kwargs, "pretrained": False})
    except FERError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    module.model.load_state_dict(model_file.module.state_dict())
    return module.to(model_file.device).eval()
