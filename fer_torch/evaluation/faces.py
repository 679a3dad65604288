"""Full-frame photos: detect faces as live inference does, crop them through the same code, count photos
without a face."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from fer_torch.data.samples import Samples
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, build_detector
from fer_torch.inference.crops import FACE_MARGIN, MouthLocator, face_crops
from fer_torch.inference.detectors import FaceDetector


def crop_faces(samples: Samples, margin: float = FACE_MARGIN, regions: Sequence[str] = ("face",),
               detector: FaceDetector | str = DEFAULT_DETECTOR,
               every_face: bool = False) -> tuple[dict[str, Samples], int]:
    """Detect the faces of each full-frame photo and crop them with :func:`~fer_torch.inference.crops.face_crops`.

    Keeps the largest face of a photo, or every face (``every_face``: each is scored with the photo's label).
    Returns one :class:`Samples` of RGB crops per requested region (``face`` and/or ``mouth``), in the same face
    order, each with the detector's box ``(x, y, w, h)`` of its face as meta column ``face_box``, and the number of
    photos without a face.
    """
    detector = build_detector(detector) if isinstance(detector, str) else detector
    mouth_locator = MouthLocator()
    kept: list[int] = []
    boxes: list[tuple[int, int, int, int]] = []
    crops: dict[str, list[np.ndarray]] = {r: [] for r in regions}
    no_face = 0
    for i in range(len(samples)):
        image = samples.image(i)
        frame = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image  # live frames are BGR
        detections = detector.detect_faces(frame)
        if not every_face and detections:
            detections = [max(detections, key=lambda d: d.box[2] * d.box[3])]
        by_region = {r: face_crops(frame, detections, r, 3, margin, mouth_locator)[1] for r in regions}
        faces = [j for j in range(len(detections)) if all(by_region[r][j] is not None for r in regions)]
        no_face += not faces
        kept.extend([i] * len(faces))
        boxes.extend(detections[j].box for j in faces)
        for region in regions:
            crops[region].extend(by_region[region][j] for j in faces)
    subset = samples.take(kept)
    subset.meta["face_box"] = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    return {r: replace(subset, images=crops[r]) for r in regions}, no_face
