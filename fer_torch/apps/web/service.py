"""One model shared by every request: a lock around it and per-browser-tab tracking/smoothing state."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from fer_torch.inference.detectors import Detection
from fer_torch.inference.predictor import FaceResult, Predictor
from fer_torch.inference.stream import StreamPredictor


class LockedStreamPredictor(StreamPredictor):
    """A :class:`StreamPredictor` whose detection and classification run under a lock shared with every other
    user of the same :class:`Predictor` (OpenCV's cascade and the model are used by one thread at a time)."""

    def __init__(self, predictor: Predictor, lock: threading.Lock, smooth: int = 1, method: str = "mean",
                 detect_every: int = 1, detect_scale: float = 1.0) -> None:
        super().__init__(predictor, smooth, method, detect_every=detect_every, detect_scale=detect_scale)
        self.lock = lock

    def detect_faces(self, frame_bgr: np.ndarray) -> list[Detection]:
        with self.lock:
            return super().detect_faces(frame_bgr)

    def predict_detections(self, frame_bgr: np.ndarray, detections: list[Detection]) -> list[FaceResult]:
        with self.lock:
            return super().predict_detections(frame_bgr, detections)


class InferenceService:
    """The served :class:`Predictor`: single-image predictions, fresh streams, and one stream per browser tab
    (the ``max_tabs`` most recently active tabs keep their face ids and smoothing history)."""

    def __init__(self, predictor: Predictor, smooth: int = 5, smooth_method: str = "mean", max_tabs: int = 64,
                 detect_every: int = 1, detect_scale: float = 1.0) -> None:
        self.predictor = predictor
        self.detection = {"detect_every": detect_every, "detect_scale": detect_scale}
        self.smooth, self.smooth_method, self.max_tabs = smooth, smooth_method, max_tabs
        self.lock = threading.Lock()
        self.tabs: OrderedDict[str, LockedStreamPredictor] = OrderedDict()
        self.tabs_lock = threading.Lock()

    def predict(self, frame_bgr: np.ndarray) -> list[FaceResult]:
        """Faces of one independent image (no tracking, no smoothing)."""
        with self.lock:
            return self.predictor.predict_frame(frame_bgr)

    def stream(self, fast_detection: bool = True) -> LockedStreamPredictor:
        """A new tracked, smoothed stream (an upload, an MJPEG viewer); ``fast_detection=False`` detects every
        frame at full size (a photo)."""
        detection = self.detection if fast_detection else {}
        return LockedStreamPredictor(self.predictor, self.lock, self.smooth, self.smooth_method, **detection)

    def tab(self, tab_id: str) -> LockedStreamPredictor:
        """The stream of browser tab ``tab_id``, created on first use; the least recently used tab is forgotten
        beyond ``max_tabs``."""
        with self.tabs_lock:
            stream = self.tabs.pop(tab_id, None) or self.stream()
            self.tabs[tab_id] = stream
            while len(self.tabs) > self.max_tabs:
                self.tabs.popitem(last=False)
            return stream
