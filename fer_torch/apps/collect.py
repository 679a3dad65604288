"""Collect a webcam dataset (seed 000): face and mouth crops of one subject per emotion, from a camera or videos.

Every capture writes one face crop and one mouth crop through :class:`fer_torch.data.webcam.WebcamDatasetWriter`
(``ROOT/<class>/<subject>_<n>.png`` plus a ``ROOT/manifest.csv`` row). Collection is resumable: crops already in
the manifest for the subject and class count towards ``count``, and frame numbers continue after the last one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_torch.data.webcam import MANIFEST_NAME, WebcamDatasetWriter, read_manifest
from fer_torch.inference.crops import FACE_MARGIN, MouthLocator, face_crops
from fer_torch.inference.detectors import Detection, FaceDetector
from fer_torch.inference.video import Frame
from fer_torch.spec import REGIONS

def manifest_state(root: str | Path, subject: str) -> tuple[Counter, dict[str, int]]:
    """Crops already collected for ``subject``: counts per ``(label, region)`` and the last frame per label."""
    if not (Path(root) / MANIFEST_NAME).is_file():
        return Counter(), {}
    table = read_manifest(root)
    table = table[table["subject"] == subject]
    counts = Counter(zip(table["label"], table["region"]))
    return counts, {str(k): int(v) for k, v in table.groupby("label")["frame"].max().items()}


@dataclass
class CaptureResult:
    """What one class's capture wrote."""

    label: str
    captured: int
    wanted: int
    frames_read: int


def largest_face(detections: list[Detection]) -> Detection | None:
    """The biggest detected face (the subject in front of the camera)."""
    return max(detections, key=lambda d: d.box[2] * d.box[3], default=None)


class Collector:
    """Captures face + mouth crops of the largest face every ``every`` frames and writes them."""

    def __init__(self, root: str | Path, subject: str, detector: FaceDetector, *, count: int = 100, every: int = 3,
                 margin: float = FACE_MARGIN, writer=None) -> None:
        if count < 1 or every < 1:
            raise ValueError(f"count and every must be >= 1, got {count} and {every}")
        writer = writer if writer is not None else WebcamDatasetWriter(root)
        self.root, self.subject, self.detector = Path(root), subject, detector
        self.count, self.every, self.margin = count, every, margin
        self.writer = writer
        self.mouth_locator = MouthLocator()

    def remaining(self, label: str) -> int:
        """Captures still needed for ``label`` (resuming from the manifest)."""
        counts, _ = manifest_state(self.root, self.subject)
        return max(0, self.count - min(counts[label, region] for region in REGIONS))

    def write_crops(self, frame: np.ndarray, face: Detection, label: str, frame_number: int) -> dict[str, tuple]:
        """Write the face and mouth crops of one face; return their boxes by region."""
        boxes, crops = {}, {}
        for region in REGIONS:
            (box,), (crop,) = face_crops(frame, [face], region, 3, self.margin, self.mouth_locator)
            if crop is None:
                return boxes
            boxes[region], crops[region] = box, crop
        for region, crop in crops.items():
            self.writer.add(crop, label, self.subject, region=region, frame=frame_number)
        return boxes

    def capture(self, frames: Iterable[Frame], label: str,
                on_frame: Callable[[Frame, Detection | None, int, int], bool] | None = None) -> CaptureResult:
        """Capture ``label`` crops from ``frames`` until the count is reached or the frames end.

        ``on_frame(frame, face, captured, wanted)`` (preview / progress) may return ``False`` to stop early.
        """
        wanted = self.remaining(label)
        _, last_frame = manifest_state(self.root, self.subject)
        offset = last_frame.get(label, -1) + 1  # frame numbers stay increasing across resumed sessions
        captured = frames_read = 0
        next_capture = 0
        for frame in frames:
            if captured >= wanted:
                break
            frames_read += 1
            face = None
            if frame.index >= next_capture:
                face = largest_face(self.detector.detect_faces(frame.image))
                if face is not None and len(self.write_crops(frame.image, face, label, offset + frame.index)) == 2:
                    captured += 1
                    next_capture = frame.index + self.every
            if on_frame is not None and on_frame(frame, face, captured, wanted) is False:
                break
        return CaptureResult(label, captured, wanted, frames_read)


def preview(frame: Frame, face: Detection | None, text: str, window: str) -> int:
    """Show a frame with the face box and ``text``; return the key pressed (``-1`` for none)."""
    image = frame.image.copy()
    if face is not None:
        x, y, w, h = face.box
        cv2.rectangle(image, (x, y), (x + w, y + h), (0, 200, 0), 2)
    cv2.putText(image, text, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 255), 2, cv2.LINE_AA)
    cv2.imshow(window, image)
    return cv2.waitKey(1) & 0xFF
