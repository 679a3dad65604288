"""Faces across frames: stable ids (boxes matched to the previous frames' faces by IoU, Hungarian) and
detection every K frames with optical-flow box tracking in between (:class:`TrackingDetector`)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from fer_torch.choices import LIVE_DETECT_EVERY  # noqa: F401  (re-exported; tools read it without OpenCV)
from fer_torch.errors import ConfigError
from fer_torch.inference.boxes import Box, clip_box
from fer_torch.inference.detectors import Detection, FaceDetector, ScaledDetector, to_gray


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


class FlowBoxTracker:
    """Moves a face box from one frame to the next by pyramidal Lucas-Kanade optical flow (Median Flow,
    Kalal et al. 2010): corners inside the box are tracked forward and back, those that do not come back within
    ``max_fb_error`` px are dropped, and the box moves by the median shift and scales by the median change of
    the distances between points. Only a window around the box is read, which keeps a step cheap beside a
    detection (docs/benchmarks.md, "Figures from the code")."""

    def __init__(self, max_points: int = 40, min_points: int = 6, max_fb_error: float = 1.0,
                 min_inside: float = 0.5) -> None:
        self.max_points, self.min_points = max_points, min_points
        self.max_fb_error, self.min_inside = max_fb_error, min_inside
        self.lk = dict(winSize=(15, 15), maxLevel=2,
                       criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03))

    def step(self, previous: np.ndarray, current: np.ndarray, box: Box) -> tuple[float, float, float] | None:
        """``(dx, dy, scale)`` of ``box`` from gray frame ``previous`` to ``current``, or ``None`` when the face is
        lost (too few points survive, or less than ``min_inside`` of the moved box is left in the frame)."""
        if previous is None or previous.shape != current.shape:  # no previous frame, or the size changed
            return None
        x, y, w, h = box
        pad = max(w, h) // 2
        wx, wy, ww, wh = clip_box((x - pad, y - pad, w + 2 * pad, h + 2 * pad), previous.shape)
        if ww < 8 or wh < 8 or w < 1 or h < 1:  # LK on an empty or tiny window can stall OpenCV
            return None
        before, after = previous[wy : wy + wh, wx : wx + ww], current[wy : wy + wh, wx : wx + ww]
        mask = np.zeros_like(before)
        mask[max(0, y - wy) : y - wy + h, max(0, x - wx) : x - wx + w] = 255
        points = cv2.goodFeaturesToTrack(before, self.max_points, 0.01, max(2, min(w, h) // 12), mask=mask)
        if points is None or len(points) < self.min_points:
            return None
        moved, found, _ = cv2.calcOpticalFlowPyrLK(before, after, points, None, **self.lk)
        back, found_back, _ = cv2.calcOpticalFlowPyrLK(after, before, moved, None, **self.lk)
        good = (found.ravel() == 1) & (found_back.ravel() == 1)
        good &= np.linalg.norm((back - points).reshape(-1, 2), axis=1) <= self.max_fb_error
        if good.sum() < self.min_points:
            return None
        p0, p1 = points.reshape(-1, 2)[good], moved.reshape(-1, 2)[good]
        dx, dy = np.median(p1 - p0, axis=0)
        i, j = np.triu_indices(len(p0), k=1)
        d0, d1 = np.linalg.norm(p0[i] - p0[j], axis=1), np.linalg.norm(p1[i] - p1[j], axis=1)
        scale = float(np.median(d1[d0 > 1] / d0[d0 > 1])) if (d0 > 1).any() else 1.0
        moved_box = move_box(box, float(dx), float(dy), scale)
        inside = clip_box(moved_box, current.shape)
        if inside[2] * inside[3] < self.min_inside * moved_box[2] * moved_box[3]:
            return None
        return float(dx), float(dy), scale


def move_box(box: Box, dx: float, dy: float, scale: float) -> Box:
    """``box`` shifted by ``(dx, dy)`` and scaled by ``scale`` about its centre."""
    x, y, w, h = box
    cx, cy = x + w / 2 + dx, y + h / 2 + dy
    nw, nh = w * scale, h * scale
    return int(round(cx - nw / 2)), int(round(cy - nh / 2)), int(round(nw)), int(round(nh))


def move_detection(detection: Detection, dx: float, dy: float, scale: float, shape: tuple[int, ...]) -> Detection:
    """A detection carried along by a tracker step: box and landmarks moved the same way, box clipped."""
    x, y, w, h = detection.box
    marks = detection.landmarks
    if marks is not None:
        centre = np.array([x + w / 2, y + h / 2], np.float32)
        marks = (marks - centre) * np.float32(scale) + centre + np.array([dx, dy], np.float32)
    return Detection(clip_box(move_box(detection.box, dx, dy, scale), shape), marks, detection.score)


class TrackingDetector:
    """A stateful detector for one stream: ``detector`` runs on every ``every``-th frame, on the frame resized by
    ``scale`` (raised while a tracked face is small: :meth:`ScaledDetector.scale_for`); on the frames between,
    each face's box is moved by :class:`FlowBoxTracker`. When the tracker loses a face (it left the frame, or
    its points scattered) the detector runs on that frame instead, and after a detection that found fewer faces
    than were tracked it runs on the next frame too. So a face is dropped at the next detection that does not
    find it, and a new face is found within ``every`` frames. ``every=1, scale=1`` is plain detection on every
    frame.

    Call :meth:`detect_faces` on the frames in order (``detect_ahead``'s worker thread does).
    """

    def __init__(self, detector: FaceDetector, every: int = LIVE_DETECT_EVERY, scale: float = 1.0,
                 tracker: FlowBoxTracker | None = None) -> None:
        if every < 1:
            raise ConfigError(f"detect every must be >= 1 frame, got {every}")
        self.detector, self.every = ScaledDetector(detector, scale), int(every)
        self.tracker = tracker or FlowBoxTracker()
        self.faces: list[Detection] = []
        self.previous: np.ndarray | None = None
        self.since_detection = 0
        self.detect_next = True
        self.detections = 0  # detector runs so far

    def detect_faces(self, frame: np.ndarray) -> list[Detection]:
        """Faces of the next frame of the stream: detected, or tracked from the previous frame."""
        gray = to_gray(frame) if self.every > 1 else None
        due = self.detect_next or self.since_detection >= self.every - 1
        faces = None if due else self.track(gray)
        if faces is None:
            faces = self.detector.detect_faces(frame, self.detector.scale_for([f.box for f in self.faces]))
            self.detections += 1
            self.detect_next = len(faces) < len(self.faces)
            self.since_detection = 0
        else:
            self.since_detection += 1
        self.faces, self.previous = faces, gray
        return faces

    def track(self, gray: np.ndarray) -> list[Detection] | None:
        """Every tracked face moved to ``gray``, or ``None`` when one is lost or there is no previous frame of the
        same size to track from (then the caller detects)."""
        if self.previous is None or self.previous.shape != gray.shape:
            return None
        moved = []
        for face in self.faces:
            step = self.tracker.step(self.previous, gray, face.box)
            if step is None:
                return None
            moved.append(move_detection(face, *step, gray.shape))
        return moved
