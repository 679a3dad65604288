"""The inference core: face detection, the :class:`Predictor` API, tracking/smoothing and detect-ahead (the live loop
above it is :mod:`fer_torch.apps.live_session`).

The public names are imported lazily, so ``fer_torch.inference.detector_registry`` (what the tools list in
``--help``) loads without OpenCV or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fer_torch.lazy import lazy_namespace

__all__, __getattr__, __dir__ = lazy_namespace(globals(), {
    "fer_torch.errors": ("DetectorError",),
    "fer_torch.inference.detector_registry": ("DETECTORS", "build_detector"),
    "fer_torch.inference.crops": ("MouthLocator", "face_crops", "mouth_box"),
    "fer_torch.inference.detectors": ("Detection", "FaceDetector", "HaarFaceDetector", "MTCNNFaceDetector",
                                      "ScaledDetector", "face_boxes"),
    "fer_torch.device": ("select_device",),
    "fer_torch.inference.predictor": ("FaceResult", "Predictor"),
    "fer_torch.inference.smoothing": ("ProbabilitySmoother",),
    "fer_torch.inference.stream": ("StreamPredictor",),
    "fer_torch.inference.tracking": ("FaceTracker", "FlowBoxTracker", "TrackingDetector"),
})

if TYPE_CHECKING:
    from fer_torch.errors import DetectorError
    from fer_torch.inference.detector_registry import DETECTORS, build_detector
    from fer_torch.inference.crops import MouthLocator, face_crops, mouth_box
    from fer_torch.inference.detectors import (
        Detection,
        FaceDetector,
        HaarFaceDetector,
        MTCNNFaceDetector,
        ScaledDetector,
        face_boxes,
    )
    from fer_torch.device import select_device
    from fer_torch.inference.predictor import FaceResult, Predictor
    from fer_torch.inference.smoothing import ProbabilitySmoother
    from fer_torch.inference.stream import StreamPredictor
    from fer_torch.inference.tracking import FaceTracker, FlowBoxTracker, TrackingDetector
