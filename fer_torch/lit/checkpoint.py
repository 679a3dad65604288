"""Load a trained :class:`~fer_torch.lit.classifier.FERClassifier` (a Lightning checkpoint or slim weights)."""

from __future__ import annotations

from pathlib import Path

import torch

from fer_torch.errors import CheckpointError

__all__ = ["load_classifier"]


def load_classifier(path: str | Path, device: str | torch.device = "cpu"):
    """A :class:`FERClassifier` in eval mode on ``device`` from a Lightning checkpoint or safetensors weights.

    Reads through :func:`fer_torch.export.model_file.read_model_file` (no arbitrary pickles, no pretrained
    downloads); raises :class:`CheckpointError` naming the file.
    """
    from fer_torch.export.model_file import read_model_file

    model_file = read_model_file(path, device)
    if model_file.format not in ("checkpoint", "weights"):
        raise CheckpointError(f"{path}: a {model_file.format} model holds no FERClassifier; "
                              "pass a Lightning checkpoint or weights file")
    return model_file.module
