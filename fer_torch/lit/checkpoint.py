"""Load a trained :class:`~fer_torch.lit.classifier.FERClassifier` (a Lightning checkpoint or slim weights) as a
LightningModule, to train on from it or to use it as a teacher."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from fer_torch.device import select_device
from fer_torch.errors import CheckpointError, FERError
from fer_torch.model_io.model_file import read_network_record

if TYPE_CHECKING:
    from fer_torch.lit.classifier import FERClassifier

__all__ = ["load_lightning_module"]

TRAINING_ONLY = ("optimizer", "scheduler")
"""Registry names of training only: a model trained with a plugin's optimizer loads without the plugin."""


def load_lightning_module(path: str | Path, device: str | torch.device = "cpu") -> FERClassifier:
    """A :class:`FERClassifier` in eval mode on ``device`` from a Lightning checkpoint or safetensors weights.

    Reads through :func:`fer_torch.model_io.model_file.read_network_record` (no arbitrary pickles, no pretrained
    downloads) and builds the network once, as the module's; raises :class:`CheckpointError` naming the file.
    """
    from fer_torch.lit.classifier import FERClassifier  # deferred: Lightning is a heavy import

    record = read_network_record(path)
    try:
        module = FERClassifier(**classifier_arguments(record.hparams))
    except FERError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    record.load_into(module.model)
    return module.to(select_device(device)).eval()


def classifier_arguments(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded hyper-parameters as :class:`FERClassifier` arguments: the ones it takes, without the
    training-only registry names, never fetching pretrained weights."""
    from fer_torch.lit.classifier import FERClassifier

    accepted = inspect.signature(FERClassifier.__init__).parameters
    kwargs = {k: v for k, v in hparams.items() if k in accepted and k not in ("self", *TRAINING_ONLY)}
    return {**kwargs, "pretrained": False}
