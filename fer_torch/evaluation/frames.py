"""Face crops put back into webcam-sized frames, then found and cropped by the live path's own detector and cropping
(:func:`fer_torch.evaluation.faces.crop_faces`): the full-frame mode of ``tools/benchmark.py robustness``.

Each crop is upscaled (INTER_LINEAR) to a seeded side in :data:`FACE_SIDES` and pasted at a seeded position on a
seeded background (a smooth colour gradient plus low-frequency noise texture) of :data:`FRAME_SIZE`; image ``i``'s
frame depends only on ``(seed, i)`` (:func:`frame_rng`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from fer_torch.data.samples import Samples
from fer_torch.evaluation.faces import crop_faces
from fer_torch.inference.boxes import Box
from fer_torch.inference.crops import FACE_MARGIN
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, build_detector
from fer_torch.inference.detectors import FaceDetector
from fer_torch.inference.tracking import box_iou

FRAME_SIZE = (640, 480)
"""(width, height) of a frame: a webcam's VGA."""
FACE_SIDES = (100, 220)
"""Smallest and largest width (px) of a placed face."""


@dataclass(frozen=True)
class FramedFace:
    """A frame (RGB uint8, ``(height, width, 3)``) and the box ``(x, y, w, h)`` its face was pasted at."""

    frame: np.ndarray
    box: Box


def frame_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of image ``index``'s frame: the same in every run."""
    return np.random.default_rng([seed, index])


def background(rng: np.random.Generator, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """An RGB uint8 background of ``size`` (width, height): a colour ramp at a random angle plus smooth brightness
    noise."""
    width, height = size
    start, end = rng.uniform(30, 225, (2, 3))
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = xs * np.cos(angle) + ys * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
    texture = sum(cv2.resize(rng.normal(0, amplitude, (cells, cells * 4 // 3)).astype(np.float32), size,
                             interpolation=cv2.INTER_CUBIC) for cells, amplitude in ((3, 30), (12, 12)))
    return np.clip(start + ramp[..., None] * (end - start) + texture[..., None], 0, 255).astype(np.uint8)


def place_face(face: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = FRAME_SIZE,
               sides: tuple[int, int] = FACE_SIDES) -> FramedFace:
    """``face`` (uint8 gray or RGB) upscaled to a width drawn from ``sides`` (aspect kept) and pasted at a random
    position of a :func:`background` of ``size``."""
    frame = background(rng, size)
    width = int(rng.integers(sides[0], sides[1] + 1))
    height = max(1, round(width * face.shape[0] / face.shape[1]))
    x, y = int(rng.integers(0, size[0] - width + 1)), int(rng.integers(0, size[1] - height + 1))
    patch = cv2.resize(face, (width, height), interpolation=cv2.INTER_LINEAR)
    frame[y : y + height, x : x + width] = patch[..., None] if patch.ndim == 2 else patch
    return FramedFace(frame, (x, y, width, height))


@dataclass(frozen=True)
class FrameDetections:
    """What the detector found in the frames of ``placed.shape[0]`` images."""

    crops: dict[str, Samples]  # per region, the crop of each found face (the largest of its frame), as live crops it
    found: np.ndarray  # the image index of each found face
    detected: np.ndarray  # (found, 4) the detector's box of each found face
    placed: np.ndarray  # (images, 4) the pasted box of every image

    @property
    def iou(self) -> np.ndarray:
        """IoU of each found face's detected box with its pasted box."""
        return np.array([box_iou(d, p)[0, 0] for d, p in zip(self.detected, self.placed[self.found])])


def detect_framed_faces(samples: Samples, seed: int = 0, detector: FaceDetector | str = DEFAULT_DETECTOR,
                        regions: tuple[str, ...] = ("face",), size: tuple[int, int] = FRAME_SIZE,
                        sides: tuple[int, int] = FACE_SIDES, chunk: int = 64) -> FrameDetections:
    """Place each image of ``samples`` in its frame (:func:`place_face`, :func:`frame_rng`) and find and crop its
    face with :func:`crop_faces` (margin :data:`FACE_MARGIN`), ``chunk`` frames at a time."""
    detector = build_detector(detector) if isinstance(detector, str) else detector
    placed: list[Box] = []
    found: list[int] = []
    detected: list[np.ndarray] = []
    crops: dict[str, list[np.ndarray]] = {r: [] for r in regions}
    for start in range(0, len(samples), chunk):
        indices = np.arange(start, min(start + chunk, len(samples)))
        framed = [place_face(samples.image(i), frame_rng(seed, int(i)), size, sides) for i in indices]
        placed.extend(f.box for f in framed)
        frames = Samples([f.frame for f in framed], samples.labels[indices], samples.class_names, {"index": indices})
        faces, _ = crop_faces(frames, FACE_MARGIN, regions, detector)
        found.extend(faces[regions[0]].meta["index"])
        detected.extend(faces[regions[0]].meta["face_box"])
        for region in regions:
            crops[region].extend(faces[region].images)
    kept = samples.take(found)
    return FrameDetections({r: replace(kept, images=crops[r]) for r in regions}, np.asarray(found, dtype=np.int64),
                           np.asarray(detected, dtype=np.int64).reshape(-1, 4),
                           np.asarray(placed, dtype=np.int64).reshape(-1, 4))
