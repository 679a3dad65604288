"""Face detectors: OpenCV's Haar cascade, facenet-pytorch's MTCNN, and a detector run on a downscaled frame.

Boxes (:mod:`fer_torch.inference.boxes`) are ``(x, y, w, h)`` ints in frame pixels. Frames are BGR uint8 (as OpenCV decodes them) or gray uint8.
Detectors are built by name through :mod:`fer_torch.inference.detector_registry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from fer_torch.choices import HAAR_MIN_NEIGHBORS, HAAR_SCALE_FACTOR, MIN_FACE_SIZE
from fer_torch.errors import DetectorError, MissingDependency
from fer_torch.extras import require
from fer_torch.inference.boxes import Box, clip_box

FACE_CASCADE = "haarcascade_frontalface_default.xml"
SMILE_CASCADE = "haarcascade_smile.xml"
RELIABLE_FACE_PX = 48
"""Haar (step 1.3, 5 neighbours) finds a face in most frames only once it is about this wide in the image it scans
(24 px is its window, but a 36-40 px face is missed in 1 frame of 3 to 5 on the synthetic clips)."""


@dataclass(frozen=True)
class Detection:
    """One detected face: its box, optional 5 landmarks ``(x, y)`` (eyes, nose, mouth corners) and score."""

    box: Box
    landmarks: np.ndarray | None = None
    score: float = 1.0


class FaceDetector(Protocol):
    """What the predictor needs from a detector: the faces of a BGR or gray frame, left to right."""

    def detect_faces(self, frame: np.ndarray) -> list[Detection]: ...


def face_boxes(detector: FaceDetector, frame: np.ndarray) -> list[Box]:
    """The boxes ``(x, y, w, h)`` of the faces ``detector`` finds in ``frame``, left to right."""
    return [d.box for d in detector.detect_faces(frame)]


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Gray uint8 view of a BGR or gray frame."""
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def load_cascade(filename: str) -> cv2.CascadeClassifier:
    """Load one of OpenCV's bundled Haar cascades (``cv2.data.haarcascades``) or a cascade file path."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(filename) if Path(filename).is_file() or folder is None else Path(folder) / filename
    if not path.is_file():
        raise DetectorError(
            f"Haar cascade {path} not found (OpenCV {cv2.__version__}; OpenCV 5 dropped the bundled cascades: "
            "install opencv-python(-headless)<5 or pass a cascade file path)"
        )
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise DetectorError(f"Haar cascade {path} could not be loaded")
    return cascade


class HaarFaceDetector:
    """Viola-Jones frontal-face detector; defaults are seed 004's fast ``detectMultiScale(gray, 1.3, 5)``."""

    def __init__(
        self,
        scale_factor: float = HAAR_SCALE_FACTOR,
        min_neighbors: int = HAAR_MIN_NEIGHBORS,
        min_size: tuple[int, int] = MIN_FACE_SIZE,
        cascade: str = FACE_CASCADE,
    ) -> None:
        if scale_factor <= 1.0:
            raise DetectorError(f"scale_factor must be > 1, got {scale_factor}")
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self.min_size = (int(min_size[0]), int(min_size[1]))
        self.cascade = load_cascade(cascade)

    def detect_faces(self, frame: np.ndarray) -> list[Detection]:
        """Faces (boxes without landmarks) in a BGR or gray frame, left to right."""
        found = self.cascade.detectMultiScale(
            to_gray(frame), scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=self.min_size
        )
        boxes = sorted((tuple(int(v) for v in box) for box in found), key=lambda b: (b[0], b[1]))
        return [Detection(box) for box in boxes]


class MTCNNFaceDetector:
    """facenet-pytorch's MTCNN (weights ship in its wheel): boxes plus 5 landmarks per face."""

    def __init__(
        self, device: str = "cpu", min_face_size: int = 20, thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
        min_score: float = 0.9,
    ) -> None:
        try:
            MTCNN = require("facenet_pytorch", "--detector mtcnn").MTCNN
        except MissingDependency as exc:
            raise DetectorError(str(exc)) from None
        self.min_score = float(min_score)
        self.mtcnn = MTCNN(keep_all=True, device=device, min_face_size=min_face_size, thresholds=list(thresholds))

    def detect_faces(self, frame: np.ndarray) -> list[Detection]:
        """Faces with landmarks in a BGR or gray frame, left to right."""
        rgb = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB if frame.ndim == 2 else cv2.COLOR_BGR2RGB)
        boxes, probs, points = self.mtcnn.detect(rgb, landmarks=True)
        if boxes is None:
            return []
        height, width = rgb.shape[:2]
        faces = []
        for (x1, y1, x2, y2), prob, marks in zip(boxes, probs, points):
            if prob is None or prob < self.min_score:
                continue
            x1, y1 = max(0, int(round(x1))), max(0, int(round(y1)))
            x2, y2 = min(width, int(round(x2))), min(height, int(round(y2)))
            if x2 > x1 and y2 > y1:
                faces.append(Detection((x1, y1, x2 - x1, y2 - y1), np.asarray(marks, dtype=np.float32), float(prob)))
        return sorted(faces, key=lambda d: (d.box[0], d.box[1]))


def mtcnn_detector(min_size: tuple[int, int] = MIN_FACE_SIZE, device: str = "cpu") -> MTCNNFaceDetector:
    """The ``mtcnn`` entry of the detector registry: MTCNN on ``device`` finding faces from ``min(min_size)`` px."""
    return MTCNNFaceDetector(device=device, min_face_size=min(min_size))


class ScaledDetector:
    """Runs ``detector`` on the frame resized by ``scale`` (< 1: fewer pixels to scan) and maps its boxes and
    landmarks back to full-resolution pixels. The detector's own minimum size applies in the resized frame."""

    def __init__(self, detector: FaceDetector, scale: float = 1.0) -> None:
        if not 0 < scale <= 1:
            raise DetectorError(f"detection scale must be in (0, 1], got {scale}")
        self.detector, self.scale = detector, float(scale)

    def scale_for(self, known: Sequence[Box] = ()) -> float:
        """The scale to scan at: ``scale``, raised so that the smallest ``known`` face (tracked, so expected again)
        keeps :data:`RELIABLE_FACE_PX`."""
        smallest = min((min(w, h) for _, _, w, h in known if min(w, h) > 0), default=None)
        return self.scale if smallest is None else min(1.0, max(self.scale, RELIABLE_FACE_PX / smallest))

    def detect_faces(self, frame: np.ndarray, scale: float | None = None) -> list[Detection]:
        """Faces of a BGR or gray frame scanned at ``scale`` (default: :attr:`scale`), boxes in the frame's own
        pixels, left to right."""
        scale = self.scale if scale is None else scale
        if scale == 1:
            return self.detector.detect_faces(frame)
        # INTER_LINEAR: the interpolation Haar's own image pyramid uses; INTER_AREA's blur loses small faces.
        small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        return [scaled_back(d, scale, frame.shape) for d in self.detector.detect_faces(small)]


def scaled_back(detection: Detection, scale: float, shape: tuple[int, ...]) -> Detection:
    """A detection made on a frame resized by ``scale``, in the pixels of the full frame of ``shape``."""
    box = clip_box(tuple(int(round(v / scale)) for v in detection.box), shape)
    marks = None if detection.landmarks is None else detection.landmarks / np.float32(scale)
    return Detection(box, marks, detection.score)
