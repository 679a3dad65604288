"""The face or mouth crops the models read, cut from a frame around detected faces: the one place faces are
cropped, for live inference, evaluation and collection."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fer_torch.inference.boxes import Box, box_with_aspect, clip_box, expand_box
from fer_torch.inference.detectors import SMILE_CASCADE, Detection, load_cascade, to_gray

FACE_MARGIN = 0.1
"""Face crops (live and collected) are the detector's box grown by 10% on every side."""


class MouthLocator:
    """Mouth box of a face: from MTCNN's mouth-corner landmarks, else the lower third of the face box refined by
    OpenCV's smile cascade (seed 000 detects the mouth with a Haar cascade); boxes have the 43:72 mouth aspect."""

    def __init__(self, min_neighbors: int = 10, corner_padding: float = 1.6, face_fraction: float = 0.7) -> None:
        self.min_neighbors = min_neighbors
        self.corner_padding = corner_padding  # mouth-corner distance -> crop width (lips plus some cheek)
        self.face_fraction = face_fraction  # crop width / Haar face width, about the same crop as from landmarks
        self._smile: cv2.CascadeClassifier | None = None

    @property
    def smile_cascade(self) -> cv2.CascadeClassifier:
        if self._smile is None:
            self._smile = load_cascade(SMILE_CASCADE)
        return self._smile

    def locate(self, frame: np.ndarray, face: Box, landmarks: np.ndarray | None = None) -> Box:
        """Mouth box of ``face`` in ``frame`` (clipped to the frame)."""
        if landmarks is not None and len(landmarks) >= 5:
            left, right = np.asarray(landmarks[3], float), np.asarray(landmarks[4], float)
            cx, cy = (left + right) / 2
            width = max(np.linalg.norm(right - left) * self.corner_padding, face[2] * 0.3)
            return clip_box(box_with_aspect(cx, cy, width), frame.shape)
        x, y, w, h = face
        # Lower third of the face, inner 80% of its width: where the mouth sits in a frontal Haar box.
        region = clip_box((x + w // 10, y + 2 * h // 3, w - 2 * (w // 10), h - 2 * h // 3), frame.shape)
        width = w * self.face_fraction
        fallback = box_with_aspect(x + w / 2, y + h * 0.8, width)
        rx, ry, rw, rh = region
        if rw < 16 or rh < 8:
            return clip_box(fallback, frame.shape)
        gray = to_gray(frame)[ry : ry + rh, rx : rx + rw]
        smiles = self.smile_cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=self.min_neighbors, minSize=(max(8, rw // 4), max(4, rh // 5))
        )
        if len(smiles) == 0:
            return clip_box(fallback, frame.shape)
        sx, sy, sw, sh = max(smiles, key=lambda s: s[2] * s[3])
        return clip_box(box_with_aspect(rx + sx + sw / 2, ry + sy + sh / 2, width), frame.shape)


_DEFAULT_MOUTH_LOCATOR: MouthLocator | None = None


def mouth_box(frame: np.ndarray, face: Box, landmarks: np.ndarray | None = None) -> Box:
    """Mouth box ``(x, y, w, h)`` of a face (see :class:`MouthLocator`)."""
    global _DEFAULT_MOUTH_LOCATOR
    if _DEFAULT_MOUTH_LOCATOR is None:
        _DEFAULT_MOUTH_LOCATOR = MouthLocator()
    return _DEFAULT_MOUTH_LOCATOR.locate(frame, face, landmarks)


def region_box(
    frame: np.ndarray,
    detection: Detection,
    region: str = "face",
    margin: float = FACE_MARGIN,
    mouth_locator: MouthLocator | None = None,
) -> Box:
    """Box of the ``face`` (grown by ``margin``) or ``mouth`` region of a detected face, clipped to the frame."""
    if region == "mouth":
        return (mouth_locator or MouthLocator()).locate(frame, detection.box, detection.landmarks)
    return clip_box(expand_box(detection.box, margin), frame.shape)


def reader_image(crop_bgr: np.ndarray, channels: int) -> np.ndarray:
    """A BGR or gray crop converted to what the dataset readers produce: gray uint8, or RGB uint8 for 3 channels."""
    if channels == 1:
        return crop_bgr if crop_bgr.ndim == 2 else cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(crop_bgr, cv2.COLOR_GRAY2RGB if crop_bgr.ndim == 2 else cv2.COLOR_BGR2RGB)


def face_crops(
    frame: np.ndarray,
    detections: Sequence[Detection],
    region: str = "face",
    channels: int = 1,
    margin: float = FACE_MARGIN,
    mouth_locator: MouthLocator | None = None,
) -> tuple[list[Box], list[np.ndarray | None]]:
    """Region boxes and reader-format crops of detected faces in a BGR (or gray) frame: the one place faces are
    cropped, for live inference and for evaluation. A crop is ``None`` where the clipped box is empty."""
    boxes, images = [], []
    for detection in detections:
        box = region_box(frame, detection, region, margin, mouth_locator)
        x, y, w, h = box
        boxes.append(box)
        images.append(reader_image(frame[y : y + h, x : x + w], channels) if w and h else None)
    return boxes, images
