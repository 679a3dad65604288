"""Full-frame photos: find the largest face (Haar), crop it with a margin, count images without a face."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
import cv2
import numpy as np

from fer_torch.data.samples import Samples
from fer_torch.inference.detectors import FaceDetector, HaarFaceDetector, crop_with_margin, mouth_box


def crop_largest_faces(samples: Samples, margin: float = 0.1, regions: Sequence[str] = ("face",),
                       detector: FaceDetector | None = None) -> tuple[dict[str, Samples], int]:
    """Detect the largest face of each full-frame image (Haar) and crop it with ``margin``.

    Returns one :class:`Samples` of crops per requested region (``face`` and/or ``mouth``), holding only
    images with a face, and the number of images without one.
    """
    detector = detector or HaarFaceDetector()
    kept: list[int] = []
    crops: dict[str, list[np.ndarray]] = {r: [] for r in regions}
    for i in range(len(samples)):
        image = samples.image(i)
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        boxes = detector.detect(gray)
        if not boxes:
            continue
        face = max(boxes, key=lambda b: b[2] * b[3])
        kept.append(i)
        for region in regions:
            box = face if region == "face" else mouth_box(gray, face)
            crops[region].append(crop_with_margin(image, box, margin if region == "face" else 0.0))
    subset = samples.take(kept)
    return {r: replace(subset, images=crops[r]) for r in regions}, len(samples) - len(kept)
