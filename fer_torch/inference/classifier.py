"""The one inference core: a trained classifier (torch module, TorchScript or onnxruntime session) with its class
names, input spec, device and precision, and one batched :meth:`LoadedClassifier.predict_proba`.

``Predictor`` (live), evaluation, ensembles and the export checks all run models through it::

    classifier = LoadedClassifier.from_weights("model.onnx")      # or a .ckpt, .safetensors, TorchScript .pt
    probs = classifier.predict_proba(crops)                        # (N, K) float32, crops as the readers give
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fer_torch.errors import CheckpointError, ConfigError
from fer_torch.device import model_input, resolve_precision, select_device, to_precision
from fer_torch.inference.tta import with_tta
from fer_torch.model_io.architecture import ARCHITECTURE_ARGS
from fer_torch.model_io.model_file import read_model_file
from fer_torch.paths import default_weights
from fer_torch.spec import InputSpec


class TorchBackend:
    """A torch module (FERClassifier or TorchScript) in eval mode on a device and precision: batch -> logits."""

    def __init__(self, module: torch.nn.Module, device: torch.device, precision: str) -> None:
        self.module, self.precision = to_precision(module, precision, device)

    def prepare(self, batch: torch.Tensor) -> torch.Tensor:
        """``batch`` on the module's device, dtype and memory format."""
        return model_input(batch, self.module)

    def run(self, prepared: torch.Tensor) -> torch.Tensor:
        """Logits of a prepared batch."""
        return self.module(prepared)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.run(self.prepare(batch))


class OnnxBackend:
    """An onnxruntime session: batch -> logits (fp32; ``bf16`` does not apply)."""

    precision = "fp32"

    def __init__(self, session) -> None:
        self.session = session
        self.input_name = session.get_inputs()[0].name

    def prepare(self, batch: torch.Tensor) -> np.ndarray:
        """``batch`` as a contiguous float32 numpy array."""
        return np.ascontiguousarray(batch.detach().float().cpu().numpy())

    def run(self, prepared: np.ndarray) -> torch.Tensor:
        """Logits of a prepared batch."""
        return torch.from_numpy(self.session.run(None, {self.input_name: prepared})[0])

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.run(self.prepare(batch))


@dataclass
class LoadedClassifier:
    """A trained classifier ready to predict; build it with :meth:`from_weights` or :meth:`from_module`."""

    backend: TorchBackend | OnnxBackend
    class_names: tuple[str, ...]
    input_spec: InputSpec
    device: torch.device
    path: Path | None = None
    format: str = "module"  # checkpoint | weights | torchscript | onnx | module
    architecture: dict[str, Any] | None = None
    """The arguments that rebuild the network (:data:`~fer_torch.model_io.architecture.ARCHITECTURE_ARGS`), where
    known: what slim weights record."""

    @classmethod
    def from_weights(cls, path: str | Path | None = None, device: str | torch.device = "auto",
                     precision: str = "fp32") -> "LoadedClassifier":
        """Load any model file (default: :func:`fer_torch.paths.default_weights`) on ``device`` in ``precision``
        (``fp32``, ``bf16`` or ``auto``; ONNX models run fp32 and refuse ``bf16``)."""
        if path is None:
            path = default_weights()
        model_file = read_model_file(path, device)
        if model_file.session is not None:
            resolve_precision(precision, model_file.device)  # validates the name
            if precision == "bf16":
                raise ConfigError(f"{path}: precision bf16 applies to PyTorch models; ONNX models run in fp32")
            backend = OnnxBackend(model_file.session)
        else:
            backend = TorchBackend(model_file.module, model_file.device, precision)
        classifier = cls(backend, model_file.class_names, model_file.input_spec, model_file.device,
                         model_file.path, model_file.format, architecture_of(model_file.hparams))
        if model_file.format == "torchscript":
            classifier.check_outputs()
        return classifier

    @classmethod
    def from_module(cls, module: torch.nn.Module, class_names: Sequence[str], input_spec: InputSpec | dict,
                    device: str | torch.device = "cpu", precision: str = "fp32") -> "LoadedClassifier":
        """Wrap an in-memory module mapping ``(N, C, H, W)`` batches to logits."""
        torch_device = select_device(device)
        return cls(TorchBackend(module, torch_device, precision), tuple(class_names), InputSpec.from_dict(input_spec),
                   torch_device, architecture=architecture_of(getattr(module, "hparams", None)))

    @property
    def module(self) -> torch.nn.Module | None:
        """The torch module (``None`` for an ONNX model)."""
        return getattr(self.backend, "module", None)

    @property
    def precision(self) -> str:
        """``fp32`` or ``bf16``: what the model runs in."""
        return self.backend.precision

    @property
    def region(self) -> str:
        """``face`` or ``mouth``: the crop the model reads."""
        return self.input_spec.region

    @property
    def name(self) -> str:
        """The model file's path, or ``module`` for an in-memory model."""
        return str(self.path) if self.path is not None else "module"

    def check_outputs(self) -> None:
        """Raise :class:`CheckpointError` unless one forward pass gives one score per class name."""
        height, width = self.input_spec.image_size
        with torch.inference_mode():
            logits = self.backend(torch.zeros(1, self.input_spec.channels, height, width))
        self._check_width(logits)

    def _check_width(self, logits: torch.Tensor) -> None:
        if logits.shape[-1] != len(self.class_names):
            raise CheckpointError(f"{self.name}: the model gives {logits.shape[-1]} class scores for "
                                  f"{len(self.class_names)} class names")

    @torch.inference_mode()
    def predict_proba(self, crops: Sequence[np.ndarray] | np.ndarray, batch_size: int = 256,
                      tta: str = "none") -> torch.Tensor:
        """Softmax probabilities ``(N, K)`` (float32, CPU, in :attr:`class_names` order) of reader-format crops
        (gray or RGB uint8), preprocessed by the shared eval path in batches of ``batch_size``; ``tta``:
        ``none``, ``flip`` or ``tencrop``."""
        from fer_torch.data import transforms  # looked up per call: tests observe preprocess_batch

        if batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {batch_size}")
        predict = with_tta(self._checked_forward, tta)
        out = [predict(transforms.preprocess_batch(crops[start:start + batch_size], self.input_spec)).cpu()
               for start in range(0, len(crops), batch_size)]
        return torch.cat(out).float() if out else torch.zeros(0, len(self.class_names))

    def _checked_forward(self, batch: torch.Tensor) -> torch.Tensor:
        logits = self.backend(batch)
        self._check_width(logits)
        return logits


def architecture_of(hparams: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The network-rebuilding part of a model's recorded arguments (``None`` when it records none)."""
    if not hparams or "arch" not in hparams:
        return None
    return {key: hparams[key] for key in ARCHITECTURE_ARGS if key in hparams}
