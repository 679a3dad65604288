"""Choose the torch device for inference: ``auto`` picks CUDA when available, asking for CUDA without it fails."""

from __future__ import annotations

import torch

from fer_torch.errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")


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
