"""The one inference core: a trained classifier (torch module, TorchScript or onnxruntime session) with its class
names, input spec, device and precision, and one batched :meth:`LoadedClassifier.predict_proba`.

``Predictor`` (live), evaluation, ensembles and the export checks all run models through it::

    classifier = LoadedClassifier.from_weights("model.onnx")      # or a .ckpt, .safetensors, TorchScript .pt
    probs = classifier.predict_proba(crops)                        # (N, K) float32, crops as the readers give

A model file is read on the CPU (:func:`~fer_torch.model_io.model_file.read_model_file`); :func:`build_backend`
then decides, once, the device and precision it runs in and builds the engine that runs it there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fer_torch.errors import CheckpointError, ConfigError, first_line
from fer_torch.device import PRECISIONS, onnx_providers, resolve_precision, select_device
from fer_torch.extras import require
from fer_torch.inference.tta import with_tta
from fer_torch.model_io.architecture import ARCHITECTURE_ARGS
from fer_torch.model_io.model_file import ModelFile, read_model_file
from fer_torch.paths import default_weights
from fer_torch.spec import InputSpec


class TorchBackend:
    """A torch module (FERClassifier, plain network or TorchScript) in eval mode on ``device`` in ``precision``
    (``fp32`` or ``bf16``, already resolved): batch -> logits.

    bf16 also switches to channels-last memory format, which oneDNN's AMX convolution kernels want; fp32 gains
    nothing from it.
    """

    def __init__(self, module: torch.nn.Module, device: torch.device, precision: str) -> None:
        self.device, self.precision, self.dtype = device, precision, PRECISIONS[precision]
        self.memory_format = torch.channels_last if precision == "bf16" else torch.contiguous_format
        self.module = module.to(device, self.dtype).to(memory_format=self.memory_format).eval()

    def prepare(self, batch: torch.Tensor) -> torch.Tensor:
        """``batch`` on the module's device and dtype (and, for a 4-D batch in bf16, channels-last)."""
        batch = batch.to(self.device, self.dtype)
        channels_last = batch.ndim == 4 and self.memory_format == torch.channels_last
        return batch.contiguous(memory_format=torch.channels_last) if channels_last else batch

    def run(self, prepared: torch.Tensor) -> torch.Tensor:
        """Logits of a prepared batch."""
        return self.module(prepared)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.run(self.prepare(batch))


class OnnxBackend:
    """An ONNX graph in an onnxruntime session on ``device``'s execution providers (see
    :func:`~fer_torch.device.onnx_providers`): batch -> logits (fp32; ``bf16`` does not apply)."""

    precision = "fp32"

    def __init__(self, graph: bytes | str, providers: list, device: torch.device) -> None:
        ort = require("onnxruntime", "running an ONNX model")
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # the tools set torch's count (live.py --threads)
        options.log_severity_level = 3
        self.session = ort.InferenceSession(graph, options, providers=providers)
        self.device = device
        self.input_name = self.session.get_inputs()[0].name

    def prepare(self, batch: torch.Tensor) -> np.ndarray:
        """``batch`` as a contiguous float32 numpy array."""
        return np.ascontiguousarray(batch.detach().float().cpu().numpy())

    def run(self, prepared: np.ndarray) -> torch.Tensor:
        """Logits of a prepared batch."""
        return torch.from_numpy(self.session.run(None, {self.input_name: prepared})[0])

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.run(self.prepare(batch))


def build_backend(model_file: ModelFile, device: str | torch.device = "auto",
                  precision: str = "fp32") -> TorchBackend | OnnxBackend:
    """The engine that runs ``model_file`` on ``device`` in ``precision``: the one place where a model file's
    device and precision are decided.

    An ONNX graph opens in onnxruntime on the device's execution providers and runs fp32 (``auto`` resolves to
    it; ``bf16`` is refused); a torch module moves to the device in the precision resolved for it. Formats that
    do not record their number of outputs (ONNX, TorchScript) are checked against their class names here.
    """
    if model_file.onnx is not None:
        providers, torch_device = onnx_providers(device)
        resolve_precision(precision, torch_device)  # validates the name
        if precision == "bf16":
            raise ConfigError(f"{model_file.path}: precision bf16 applies to PyTorch models; ONNX models run in fp32")
        try:
            backend = OnnxBackend(model_file.onnx, providers, torch_device)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise CheckpointError(f"{model_file.path}: cannot load ONNX model ({first_line(exc)})") from None
        check_width(model_file.path, backend.session.get_outputs()[0].shape[-1], model_file.class_names)
        return backend
    backend = torch_backend(model_file.module, device, precision)
    if model_file.format == "torchscript":  # a traced graph records no output width: one forward pass shows it
        height, width = model_file.input_spec.image_size
        with torch.inference_mode():
            logits = backend(torch.zeros(1, model_file.input_spec.channels, height, width))
        check_width(model_file.path, logits.shape[-1], model_file.class_names)
    return backend


def torch_backend(module: torch.nn.Module, device: str | torch.device = "cpu",
                  precision: str = "fp32") -> TorchBackend:
    """``module`` on the device named ``device`` (:func:`~fer_torch.device.select_device`) in ``precision``
    (``fp32``, ``bf16`` or ``auto``, resolved for that device by :func:`~fer_torch.device.resolve_precision`)."""
    torch_device = select_device(device)
    return TorchBackend(module, torch_device, resolve_precision(precision, torch_device))


def check_width(name: str | Path, width: object, class_names: Sequence[str]) -> None:
    """Raise :class:`CheckpointError` when model ``name`` gives a number of class scores (``width``; a symbolic
    one is not checked) other than its number of class names."""
    if isinstance(width, int) and width != len(class_names):
        raise CheckpointError(f"{name}: the model gives {width} class scores for {len(class_names)} class names")


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
        (``fp32``, ``bf16`` or ``auto``; ONNX models run fp32 and refuse ``bf16``): :func:`build_backend`."""
        if path is None:
            path = default_weights()
        model_file = read_model_file(path)
        backend = build_backend(model_file, device, precision)
        return cls(backend, model_file.class_names, model_file.input_spec, backend.device, model_file.path,
                   model_file.format, architecture_of(model_file.hparams))

    @classmethod
    def from_module(cls, module: torch.nn.Module, class_names: Sequence[str], input_spec: InputSpec | dict,
                    device: str | torch.device = "cpu", precision: str = "fp32") -> "LoadedClassifier":
        """Wrap an in-memory module mapping ``(N, C, H, W)`` batches to logits."""
        backend = torch_backend(module, device, precision)
        return cls(backend, tuple(class_names), InputSpec.from_dict(input_spec), backend.device,
                   architecture=architecture_of(getattr(module, "hparams", None)))

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
        check_width(self.name, logits.shape[-1], self.class_names)
        return logits


def architecture_of(hparams: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The network-rebuilding part of a model's recorded arguments (``None`` when it records none)."""
    if not hparams or "arch" not in hparams:
        return None
    return {key: hparams[key] for key in ARCHITECTURE_ARGS if key in hparams}
