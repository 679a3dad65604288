"""Files that ship inside the package (importable without torch, OpenCV or Lightning): the default model and the
configs, found with :mod:`importlib.resources` so that they resolve the same in a checkout and in a wheel."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from fer_torch.errors import CheckpointError

PACKAGE_ROOT = Path(str(resources.files("fer_torch")))

DEFAULT_WEIGHTS = PACKAGE_ROOT / "weights" / "fer_default.safetensors"
"""The model shipped with the package: slim safetensors weights (``fer-export --format weights``)."""

WEIGHTS_ENV = "FER_TORCH_WEIGHTS"
"""Environment variable naming the model file used when none is passed (before the packaged one)."""

CONFIGS_DIR = PACKAGE_ROOT / "configs"
"""The seed and recipe configs shipped with the package (``configs/`` in a checkout is this folder)."""

WRITABLE_WEIGHTS_HINT = "~/fer_default.safetensors"


def default_weights() -> Path:
    """The model used when none is named: ``$FER_TORCH_WEIGHTS``, else the packaged :data:`DEFAULT_WEIGHTS`;
    a one-line :class:`CheckpointError` naming what to do when neither is there."""
    named = os.environ.get(WEIGHTS_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise CheckpointError(f"${WEIGHTS_ENV}={named}: no such model file")
        return path
    if not DEFAULT_WEIGHTS.is_file():
        raise CheckpointError(
            f"no default model: ${WEIGHTS_ENV} is not set and {DEFAULT_WEIGHTS} is missing; pass a model file "
            f"(--weights PATH), or train one (fer-train --config fer2013_resnet_fer), export it (fer-export "
            f"--weights RUN/checkpoints/best.ckpt --format weights --output {WRITABLE_WEIGHTS_HINT}) and set "
            f"{WEIGHTS_ENV}={WRITABLE_WEIGHTS_HINT}")
    return DEFAULT_WEIGHTS


def default_weights_or_none() -> Path | None:
    """:func:`default_weights`, or ``None`` where there is no default model (benchmarks then use a random one)."""
    try:
        return default_weights()
    except CheckpointError:
        return None
