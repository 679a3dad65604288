"""Predictions over a stream of frames: stable face ids (IoU tracking) and per-face smoothed probabilities."""

from __future__ import annotations

import numpy as np

from fer_torch.inference.detectors import Detection
from fer_torch.inference.predictor import FaceResult, Predictor, with_smoothed
from fer_torch.inference.smoothing import ProbabilitySmoother
from fer_torch.inference.tracking import FaceTracker, TrackingDetector


class StreamPredictor:
    """Wraps a :class:`Predictor` for video: each result carries a ``face_id`` and probabilities averaged over
    that face's last ``smooth`` frames (``smooth=1``: raw per-frame predictions). With ``detect_every`` K > 1
    the predictor's detector runs on one frame in K and optical flow moves the boxes in between; with
    ``detect_scale`` < 1 it scans the frame downscaled (:class:`~fer_torch.inference.tracking.TrackingDetector`;
    live.py's defaults are ``LIVE_DETECT_EVERY`` = 5 and ``LIVE_DETECT_SCALE`` = 0.8)."""

    def __init__(self, predictor: Predictor, smooth: int = 1, method: str = "mean", min_iou: float = 0.3,
                 max_missing: int = 10, detect_every: int = 1, detect_scale: float = 1.0) -> None:
        self.predictor = predictor
        self.face_finder = TrackingDetector(predictor.detector, detect_every, detect_scale)
        self.tracker = FaceTracker(min_iou=min_iou, max_missing=max_missing)
        self.smoother = ProbabilitySmoother(smooth, method)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.predictor.class_names

    def detect_faces(self, frame_bgr: np.ndarray) -> list[Detection]:
        """Faces of the next frame, detected or tracked (call in frame order; may run ahead of
        :meth:`predict_detections` in another thread)."""
        return self.face_finder.detect_faces(frame_bgr)

    def predict_frame(self, frame_bgr: np.ndarray) -> list[FaceResult]:
        """Classify the faces of the next frame of the stream."""
        return self.predict_detections(frame_bgr, self.detect_faces(frame_bgr))

    def predict_detections(self, frame_bgr: np.ndarray, detections: list[Detection]) -> list[FaceResult]:
        """Classify the already-detected faces of the next frame of the stream, then track and smooth them."""
        results = self.predictor.predict_detections(frame_bgr, detections)
        ids = self.tracker.update([r.box for r in results])
        self.smoother.retain(self.tracker.active_ids)
        if not results:
            return []
        probabilities, labels = self.smoother.update(ids, np.stack([r.probabilities for r in results]))
        return [with_smoothed(r, i, p, int(k)) for r, i, p, k in zip(results, ids, probabilities, labels)]
