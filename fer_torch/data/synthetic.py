"""Synthetic, learnable stand-ins for face crops: test fixtures and benchmark inputs.

Each class draws a distinct pattern (a bar at a class-specific position and angle on a noisy
oval), so a small network can fit them quickly while every reader and transform sees real uint8 images.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fer_torch.data.samples import Samples
from fer_torch.labels import FER2013_CLASSES


def synthetic_image(label: int, num_classes: int, size: tuple[int, int] = (48, 48), rng: np.random.Generator | None = None,
                    rgb: bool = False) -> np.ndarray:
    """One uint8 image of class ``label``: ``(H, W)`` or ``(H, W, 3)`` when ``rgb``."""
    rng = rng or np.random.default_rng(label)
    h, w = size
    img = rng.normal(90, 12, size=(h, w)).clip(0, 255).astype(np.uint8)
    cv2.ellipse(img, (w // 2, h // 2), (int(w * 0.38), int(h * 0.45)), 0, 0, 360, 150, -1)
    frac = (label + 0.5) / num_classes
    angle = np.pi * frac
    cx, cy = w / 2 + np.cos(angle) * w * 0.2, h * (0.25 + 0.5 * frac)
    dx, dy = np.cos(angle) * w * 0.22, np.sin(angle) * h * 0.22
    cv2.line(img, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)), 250, max(1, min(h, w) // 12))
    jitter = rng.integers(-1, 2, size=2)
    img = np.roll(img, tuple(jitter), axis=(0, 1))
    if rgb:
        tint = np.array([1.0, 0.9, 0.8]) if label % 2 else np.array([0.8, 0.9, 1.0])
        img = (img[..., None] * tint).clip(0, 255).astype(np.uint8)
    return img


def make_synthetic_samples(n_per_class: int, classes: Sequence[str] = FER2013_CLASSES, size: tuple[int, int] = (48, 48),
                           seed: int = 0, rgb: bool = False) -> Samples:
    """``n_per_class`` synthetic images of each class, labels indexing ``classes``."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(classes)), n_per_class)
    images = np.stack([synthetic_image(int(k), len(classes), size, rng, rgb) for k in labels])
    return Samples(images=images, labels=labels, class_names=tuple(classes))
