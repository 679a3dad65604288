"""Decide where and in what precision a model runs: the one parser of device names (``auto`` picks CUDA when the
engine has it; asking for CUDA without it fails), for torch and for onnxruntime's execution providers, and the
inference precision (``auto``: bfloat16 on CPUs with bfloat16 instructions, :mod:`fer_torch.hardware`)."""

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
    device = _choose(name, torch.cuda.is_available(),
                     "CUDA is not available on this machine (torch.cuda.is_available() is False)")
    count = torch.cuda.device_count() if device.type == "cuda" else 0
    if device.index is not None and device.index >= count:
        raise DeviceError(f"device {str(device)!r} requested but only {count} CUDA device(s) exist "
                          f"(cuda:0..cuda:{count - 1})")
    return device


def onnx_providers(name: str | torch.device = "auto",
                   feature: str = "running an ONNX model") -> tuple[list, torch.device]:
    """onnxruntime execution providers for the device named ``name`` (``auto``: CUDA when onnxruntime has it) and
    that device; ``feature`` names what needs onnxruntime when it is missing."""
    ort = require("onnxruntime", feature)
    device = _choose(name, "CUDAExecutionProvider" in ort.get_available_providers(),
                     "this onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu)")
    if device.type == "cpu":
        return ["CPUExecutionProvider"], device
    return [("CUDAExecutionProvider", {"device_id": device.index or 0}), "CPUExecutionProvider"], device


def _choose(name: str | torch.device, has_cuda: bool, without_cuda: str) -> torch.device:
    """The one parser of device names, for an engine that has CUDA or not (``without_cuda`` says why not)."""
    name = str(name).strip().lower()
    if name == "auto":
        name = "cuda" if has_cuda else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if name != "cuda" and not name.startswith("cuda:"):
        raise DeviceError(f"unknown device {name!r}; choose from {', '.join(DEVICE_CHOICES)}")
    if not has_cuda:
        raise DeviceError(f"device {name!r} requested but {without_cuda}; use --device cpu or --device auto")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise DeviceError(f"invalid device {name!r}: {exc}") from None


def resolve_precision(precision: str, device: torch.device) -> str:
    """``fp32`` or ``bf16`` for an inference precision of ``auto``/``fp32``/``bf16`` on ``device``.

    ``auto`` is ``bf16`` on a CPU with bfloat16 instructions (:func:`fer_torch.hardware.cpu_mode`: AMX-BF16 or
    AVX512-BF16), where a CNN's forward pass is faster in bf16 and its labels stay those of fp32 on all but a few
    images (measured: docs/benchmarks.md, "Figures from the code: device and model loading"); ``fp32`` elsewhere.
    """
    if precision not in PRECISION_CHOICES:
        raise ConfigError(f"precision must be one of {', '.join(PRECISION_CHOICES)}, got {precision!r}")
    if precision == "auto":
        return "bf16" if device.type == "cpu" and cpu_mode().bf16 else "fp32"
    return precision


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` torch CPU threads, restoring the previous setting after it."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
