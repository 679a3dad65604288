"""Live inference: face detection, the :class:`Predictor` API, tracking/smoothing and the live loop."""

from fer_torch.inference.detectors import (
    Detection,
    DetectorError,
    HaarFaceDetector,
    MTCNNFaceDetector,
    MouthLocator,
    ScaledDetector,
    build_detector,
    crop_with_margin,
    mouth_box,
)
from fer_torch.inference.device import select_device
from fer_torch.inference.predictor import FaceResult, Predictor
from fer_torch.inference.smoothing import ProbabilitySmoother
from fer_torch.inference.stream import StreamPredictor
from fer_torch.inference.tracking import FaceTracker, FlowBoxTracker, TrackingDetector

__all__ = [
    "Detection",
    "DetectorError",
    "FaceResult",
    "FaceTracker",
    "FlowBoxTracker",
    "HaarFaceDetector",
    "MTCNNFaceDetector",
    "MouthLocator",
    "Predictor",
    "ProbabilitySmoother",
    "ScaledDetector",
    "StreamPredictor",
    "TrackingDetector",
    "build_detector",
    "crop_with_margin",
    "mouth_box",
    "select_device",
]
