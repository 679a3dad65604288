"""The web app's options (:class:`ServeConfig`), from ``tools/serve.py``'s arguments or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fer_torch.inference.image_decoding import DEFAULT_MAX_PIXELS


@dataclass
class ServeConfig:
    """Server options: ``source`` feeds ``/stream``; streams and browser tabs detect on one frame in
    ``detect_every``, scaled by ``detect_scale``, and track in between (live.py's fast path); a request body is
    refused beyond ``max_upload_mb`` and an image or video frame beyond ``max_pixels`` (checked on its header,
    before decoding); camera frames are kept per tab at most ``max_frame_side`` px; uploads are annotated up to
    ``max_upload_frames``; the newest ``keep_results`` upload results are kept under ``results_dir``;
    ``trusted_hosts`` (``None``: any) are the ``Host`` names answered."""

    weights: str | Path | None = None
    source: str | None = None
    smooth: int = 5
    smooth_method: str = "mean"
    detect_every: int = 1
    detect_scale: float = 1.0
    max_upload_mb: float = 50.0
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_frame_side: int = 1280
    max_form_parts: int = 100
    max_upload_frames: int = 3000
    results_dir: Path | None = None
    keep_results: int = 20
    max_tabs: int = 64
    bars: bool = True
    trusted_hosts: list[str] | None = field(default=None)

    @classmethod
    def from_env(cls) -> ServeConfig:
        """Options of the WSGI factory: ``$FER_TORCH_WEIGHTS`` (model file), ``$FER_TORCH_TRUSTED_HOSTS``
        (comma-separated) and ``$FER_TORCH_RESULTS_DIR``; the rest are the defaults."""
        hosts = [h.strip() for h in os.environ.get("FER_TORCH_TRUSTED_HOSTS", "").split(",") if h.strip()]
        results = os.environ.get("FER_TORCH_RESULTS_DIR")
        return cls(weights=os.environ.get("FER_TORCH_WEIGHTS") or None, trusted_hosts=hosts or None,
                   results_dir=Path(results) if results else None)
