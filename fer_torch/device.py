"""Choose the torch device and precision for inference: ``auto`` picks CUDA when available (asking for CUDA
without it fails) and bfloat16 on CPUs with bfloat16 instructions (:mod:`fer_torch.hardware`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from fer_torch.errors import ConfigError, DeviceError
from fer_torch.extras import require
from fer_torch.hardware import cpu_mode

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}
"""Inference precisions: ``bf16`` runs the model in bfloat16, fast on CPUs with bf16 instructions and recent GPUs."""

from fer_torch.choices import PRECISION_CHOICES  # noqa: E402  (auto + PRECISIONS, listed without torch)
"""What a caller may ask for: ``auto`` resolves per device (:func:`resolve_precision`)."""


def select_device(name: str | torch.device = "auto") -> torch.device:
    """Return the device named ``auto``, ``cpu``, ``cuda`` or ``cuda:N``; raise :class:`DeviceError` if unusable."""
    if isinstance(name, torch.device):
        name = str(name)
    name = str(name).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {name!r} requested but CUDA is not available on this machine "
                "(torch.cuda.is_available() is False); use --device cpu or --device auto"
            )
        try:
            device = torch.device(name)
        except RuntimeError as exc:
            raise DeviceError(f"invalid device {name!r}: {exc}") from None
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise DeviceError(
                f"device {name!r} requested but only {count} CUDA device(s) exist (cuda:0..cuda:{count - 1})"
            )
        return device
    raise DeviceError(f"unknown device {name!r}; choose from {', '.join(DEVICE_CHOICES)}")


def resolve_precision(precision: str, device: torch.device) -> str:
    """``fp32`` or ``bf16`` for an inference precision of ``auto``/``fp32``/``bf16`` on ``device``.

    ``auto`` is ``bf16`` on a CPU with bfloat16 instructions (:func:`fer_torch.hardware.cpu_mode`: AMX-BF16 or
    AVX512-BF16), where bn_cnn's forward pass is ~2x faster and the default model's FER2013 val predictions agree
    with fp32 on 99.4% of images (docs/live.md); ``fp32`` elsewhere.
    """
    if precision not in PRECISION_CHOICES:
        raise ConfigError(f"precision must be one of {', '.join(PRECISION_CHOICES)}, got {precision!r}")
    if precision == "auto":
        return "bf16" if device.type == "cpu" and cpu_mode().bf16 else "fp32"
    return precision


def to_precision(model: torch.nn.Module, precision: str, device: torch.device) -> tuple[torch.nn.Module, str]:
    """``model`` in eval mode on ``device`` in ``precision`` (``auto`` resolved), and the precision's name.

    bf16 also switches to channels-last memory format: oneDNN's AMX convolution kernels want it (bn_cnn at batch
    1: 2.3 ms channels-last against 4.4 ms contiguous on one core); fp32 gains nothing from it.
    """
    precision = resolve_precision(precision, device)
    memory_format = torch.channels_last if precision == "bf16" else torch.contiguous_format
    return model.to(device, PRECISIONS[precision]).to(memory_format=memory_format).eval(), precision


def model_input(batch: torch.Tensor, model: torch.nn.Module) -> torch.Tensor:
    """``batch`` on the model's device, dtype and (for 4-D bf16 models) channels-last format."""
    parameter = next(model.parameters())
    memory_format = torch.channels_last if parameter.dtype == torch.bfloat16 and batch.ndim == 4 else None
    batch = batch.to(parameter.device, parameter.dtype)
    return batch.contiguous(memory_format=memory_format) if memory_format is not None else batch


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` torch CPU threads, restoring the previous setting after it."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def onnx_session(model: str | bytes, providers: list, feature: str = "running an ONNX model"):
    """An onnxruntime session of a model file or serialized graph, with as many threads as torch uses (the tools
    set torch's count: live.py --threads) and onnxruntime's log quiet."""
    ort = require("onnxruntime", feature)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=providers)
