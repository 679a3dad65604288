"""Load a trained :class:`~fer_torch.lit.classifier.FERClassifier` for evaluation and live inference."""

from __future__ import annotations

from pathlib import Path

import torch

from fer_torch.errors import CheckpointError

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "fer_default.ckpt"
"""The model shipped with the repository (``weights/fer_default.ckpt``), once one has been trained."""


def load_classifier(path: str | Path, device: str | torch.device = "cpu"):
    """Load a Lightning checkpoint into a :class:`FERClassifier` in eval mode on ``device``.

    Loads with ``weights_only=True`` (no arbitrary pickles) and never fetches pretrained weights:
    the checkpoint already holds every weight. Raises :class:`CheckpointError` naming the file.
    """
    from fer_torch.lit.classifier import FERClassifier  # deferred: keeps this module import-light

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        model = FERClassifier.load_from_checkpoint(
            path, map_location=torch.device(device), weights_only=True, pretrained=False
        )
    except CheckpointError:
        raise
    except Exception as exc:  # torch/Lightning raise many types for a bad file; report one line
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: cannot load checkpoint ({first_line})") from exc
    return model.eval()
