"""Synthetic face videos from ``skimage.data.astronaut()`` (no camera, no download): for tests and benchmarks."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from fer_torch.inference.video import VIDEO_FOURCC

# Head and shoulders of the astronaut (her face is about 95 px wide in this 260 px patch).
HEAD_ROWS, HEAD_COLS = slice(0, 260), slice(94, 354)


def astronaut_head() -> np.ndarray:
    """BGR patch of the astronaut's head."""
    from skimage import data

    return np.ascontiguousarray(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[HEAD_ROWS, HEAD_COLS])


BACKGROUNDS = ("gradient", "scene")
"""``gradient``: a smooth grey ramp (cheap for a detector); ``scene``: a real indoor photo without faces
(``skimage.data.coffee()``), whose texture costs a detector about what a webcam's room does."""


def background_image(kind: str, size: tuple[int, int]) -> np.ndarray:
    """A BGR background of ``size`` (width, height): see :data:`BACKGROUNDS`."""
    width, height = size
    if kind == "gradient":
        background = np.empty((height, width, 3), np.uint8)
        background[:] = np.linspace(60, 140, width, dtype=np.uint8)[None, :, None]
        return background
    if kind == "scene":
        from skimage import data

        return cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), size, interpolation=cv2.INTER_AREA)
    raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, got {kind!r}")


def face_frames(frames: int, size: tuple[int, int] = (720, 480), faces: int = 1, motion: bool = True,
                background: str = "gradient"):
    """Yield ``frames`` BGR frames of ``size`` (width, height) showing ``faces`` (1 or 2, side by side) heads
    that drift and grow/shrink smoothly over the clip when ``motion`` is set, on a ``background``
    (:data:`BACKGROUNDS`)."""
    if faces not in (1, 2):
        raise ValueError(f"faces must be 1 or 2, got {faces}")
    width, height = size
    head = astronaut_head()
    background = background_image(background, size)
    base = 0.55 * min(height, width / faces) / head.shape[0]
    for i in range(frames):
        phase = 2 * math.pi * i / max(frames, 1)
        scale = base * (1 + 0.25 * math.sin(phase)) if motion else base
        side = max(8, int(round(head.shape[0] * scale)))
        patch = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
        frame = background.copy()
        for k in range(faces):
            cx = width * (2 * k + 1) / (2 * faces) + (0.08 * width / faces * math.sin(phase + k) if motion else 0)
            cy = height / 2 + (0.06 * height * math.cos(phase) if motion else 0)
            x0 = int(np.clip(cx - side / 2, 0, width - side))
            y0 = int(np.clip(cy - side / 2, 0, height - side))
            frame[y0 : y0 + side, x0 : x0 + side] = patch
        yield frame


def make_face_video(path: str | Path, frames: int = 60, size: tuple[int, int] = (720, 480), faces: int = 1,
                    motion: bool = True, fps: float = 15.0, background: str = "gradient") -> Path:
    """Write a synthetic face video (see :func:`face_frames`) to ``path`` (``.mp4`` or ``.avi``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*VIDEO_FOURCC[path.suffix.lower()]), fps, size)
    try:
        for frame in face_frames(frames, size, faces, motion, background):
            writer.write(frame)
    finally:
        writer.release()
    return path
