"""Stable face ids across frames: boxes are matched to the previous frames' faces by overlap (IoU, Hungarian)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from fer_torch.inference.detectors import Box


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of ``(x, y, w, h)`` boxes."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    ax2, ay2, bx2, by2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@dataclass
class Track:
    face_id: int
    box: Box
    missing: int = 0


class FaceTracker:
    """Gives each face an id that persists while its box overlaps its previous box by at least ``min_iou``.

    A face unseen for more than ``max_missing`` consecutive frames is forgotten; a new face gets the next id.
    """

    def __init__(self, min_iou: float = 0.3, max_missing: int = 10) -> None:
        self.min_iou = min_iou
        self.max_missing = max_missing
        self.tracks: list[Track] = []
        self.next_id = 0

    def update(self, boxes: list[Box]) -> list[int]:
        """Ids of ``boxes`` (same order), matching them to the live tracks by maximum total IoU."""
        ids: list[int | None] = [None] * len(boxes)
        matched: set[int] = set()
        if self.tracks and boxes:
            iou = box_iou(np.array([t.box for t in self.tracks]), np.array(boxes))
            rows, cols = linear_sum_assignment(iou, maximize=True)
            for r, c in zip(rows, cols):
                if iou[r, c] >= self.min_iou:
                    track = self.tracks[r]
                    track.box, track.missing = tuple(boxes[c]), 0
                    ids[c] = track.face_id
                    matched.add(r)
        for r, track in enumerate(self.tracks):
            if r not in matched:
                track.missing += 1
        self.tracks = [t for t in self.tracks if t.missing <= self.max_missing]
        for c, face_id in enumerate(ids):
            if face_id is None:
                self.tracks.append(Track(self.next_id, tuple(boxes[c])))
                ids[c] = self.next_id
                self.next_id += 1
        return [int(i) for i in ids]

    @property
    def active_ids(self) -> set[int]:
        """Ids of the faces still remembered."""
        return {t.face_id for t in self.tracks}
