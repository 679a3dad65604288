"""What every exported file carries besides its weights: class names and input spec, as JSON strings."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from fer_torch.errors import CheckpointError, FERError, first_line
from fer_torch.spec import InputSpec

CLASS_NAMES_KEY = "fer_torch.class_names"
INPUT_SPEC_KEY = "fer_torch.input_spec"
ARCHITECTURE_KEY = "fer_torch.architecture"
"""Slim weights only: the ``FERClassifier`` arguments that rebuild the network (arch, num_classes, in_chans ...)."""


def model_metadata(class_names: Sequence[str], input_spec: InputSpec) -> dict[str, str]:
    """String-to-string metadata (what safetensors, ONNX and TorchScript extra files all hold)."""
    return {CLASS_NAMES_KEY: json.dumps(list(class_names)), INPUT_SPEC_KEY: json.dumps(input_spec.to_dict())}


def read_metadata(metadata: Mapping[str, str] | None, path: Path, what: str) -> tuple[tuple[str, ...], InputSpec]:
    """Class names and input spec from ``metadata``; a file without them is a :class:`CheckpointError`."""
    metadata = metadata or {}
    if CLASS_NAMES_KEY not in metadata or INPUT_SPEC_KEY not in metadata:
        raise CheckpointError(f"{path}: {what} without fer-torch metadata (class names and input spec); "
                              "export it with tools/export.py")
    try:
        class_names = tuple(str(n) for n in json.loads(metadata[CLASS_NAMES_KEY]))
        spec = InputSpec.from_dict(json.loads(metadata[INPUT_SPEC_KEY]))
    except (ValueError, TypeError, FERError) as exc:
        raise CheckpointError(f"{path}: unreadable fer-torch metadata ({first_line(exc)})") from None
    return class_names, spec

