"""Predictor: detect the faces of a frame, crop each as its model was trained, classify them all in one batch.

Usable from a notebook::

    from fer_torch.inference import Predictor
    predictor = Predictor.from_weights()            # the shipped model; or a .ckpt, .safetensors, .pt, .onnx file
    for face in predictor.predict_frame(cv2.imread("photo.jpg")):
        print(face.box, face.label, face.score)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from fer_torch.device import PRECISIONS
from fer_torch.inference.boxes import Box
from fer_torch.inference.classifier import LoadedClassifier
from fer_torch.inference.crops import FACE_MARGIN, MouthLocator, face_crops
from fer_torch.inference.detect_ahead import detect_ahead
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, build_detector
from fer_torch.inference.detectors import Detection, FaceDetector
from fer_torch.spec import InputSpec


@dataclass(frozen=True)
class FaceResult:
    """One classified face: its box, the crop box the model read (face or mouth), label, score, probabilities."""

    box: Box
    label: str
    score: float
    probabilities: np.ndarray
    class_names: tuple[str, ...]
    region_box: Box | None = None
    face_id: int | None = None
    landmarks: np.ndarray | None = field(default=None, repr=False)

    def probability_dict(self) -> dict[str, float]:
        """``{class name: probability}``."""
        return {name: float(p) for name, p in zip(self.class_names, self.probabilities)}


class Predictor:
    """A classifier plus a face detector: ``predict_frame(frame_bgr) -> list[FaceResult]``.

    ``model`` is a :class:`~fer_torch.inference.classifier.LoadedClassifier`, or a module mapping ``(N, C, H, W)``
    batches to logits together with its ``class_names`` and ``input_spec`` (how its inputs were prepared, through
    :func:`fer_torch.data.transforms.preprocess_batch`, the training pipeline's eval path).
    """

    def __init__(
        self,
        model: torch.nn.Module | LoadedClassifier,
        class_names: Sequence[str] | None = None,
        input_spec: InputSpec | None = None,
        detector: FaceDetector | None = None,
        device: str | torch.device = "cpu",
        margin: float = FACE_MARGIN,
        precision: str = "fp32",
        backend_line: str | None = None,
    ) -> None:
        if not isinstance(model, LoadedClassifier):
            model = LoadedClassifier.from_module(model, class_names, input_spec, device, precision)
        self.classifier = model
        self.device = model.device
        self.precision = model.precision
        self.dtype = PRECISIONS[self.precision]
        self.class_names = model.class_names
        self.input_spec = model.input_spec
        self.detector = detector if detector is not None else build_detector()
        self.margin = margin
        self.mouth_locator = MouthLocator()
        # What runs the classifier, and why (live.py's first line).
        self.backend_line = backend_line or ("onnxruntime fp32" if model.module is None else f"torch {self.precision}")

    @property
    def model(self) -> torch.nn.Module | None:
        """The torch module (``None`` when an ONNX model runs in onnxruntime)."""
        return self.classifier.module

    @classmethod
    def from_weights(
        cls,
        path: str | Path | None = None,
        device: str | torch.device = "auto",
        detector: str | FaceDetector = DEFAULT_DETECTOR,
        margin: float = FACE_MARGIN,
        precision: str = "fp32",
        backend: str | None = None,
        **detector_options,
    ) -> "Predictor":
        """Load a model file (checkpoint, weights, TorchScript or ONNX; default: the shipped weights) with
        :meth:`LoadedClassifier.from_weights` and build the named detector on the model's device
        (:func:`~fer_torch.inference.detector_registry.build_detector` with ``detector_options``, e.g. ``min_size``,
        Haar's ``scale_factor`` and ``min_neighbors``); ``precision`` is ``fp32``, ``bf16`` or ``auto``; ``backend``
        is ``torch``, ``onnxruntime`` or ``auto`` (:func:`~fer_torch.inference.backends.with_backend`; ``None``:
        the model file's own engine); what runs is in :attr:`backend_line`."""
        from fer_torch.inference.backends import with_backend

        classifier = LoadedClassifier.from_weights(path, device, precision)
        backend_line = None
        if backend is not None:
            classifier, backend_line = with_backend(classifier, backend)
        if isinstance(detector, str):
            detector = build_detector(detector, device=str(classifier.device), **detector_options)
        return cls(classifier, detector=detector, margin=margin, backend_line=backend_line)

    @property
    def region(self) -> str:
        """``face`` or ``mouth``: the crop the model reads."""
        return self.input_spec.region

    def crops(self, frame: np.ndarray, detections: Sequence[Detection]) -> tuple[list[Box], list[np.ndarray]]:
        """Region boxes and reader-format crops (gray or RGB) of the detected faces; empty boxes are skipped."""
        return face_crops(frame, detections, self.region, self.input_spec.channels, self.margin, self.mouth_locator)

    def classify(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Class probabilities ``(N, K)`` of reader-format crops, as one batch."""
        return self.classifier.predict_proba(list(images), batch_size=max(1, len(images))).numpy()

    def predict_detections(self, frame: np.ndarray, detections: Sequence[Detection]) -> list[FaceResult]:
        """Classify already-detected faces of a frame (one batch)."""
        region_boxes, images = self.crops(frame, detections)
        keep = [i for i, image in enumerate(images) if image is not None]
        probabilities = self.classify([images[i] for i in keep])
        results = []
        for row, i in enumerate(keep):
            probs = probabilities[row]
            best = int(probs.argmax())
            results.append(
                FaceResult(
                    box=detections[i].box,
                    label=self.class_names[best],
                    score=float(probs[best]),
                    probabilities=probs,
                    class_names=self.class_names,
                    region_box=region_boxes[i],
                    landmarks=detections[i].landmarks,
                )
            )
        return results

    def predict_frame(self, frame_bgr: np.ndarray) -> list[FaceResult]:
        """Detect, crop and classify every face of a BGR (or gray) uint8 frame."""
        return self.predict_detections(frame_bgr, self.detector.detect_faces(frame_bgr))

    def predict_frames(self, frames: Iterable[np.ndarray]) -> Iterator[list[FaceResult]]:
        """:meth:`predict_frame` over a sequence of frames, detecting the next frame's faces while classifying
        the current one (:func:`fer_torch.inference.detect_ahead.detect_ahead`); one list per frame, in order."""
        for frame, detections in detect_ahead(frames, self.detector.detect_faces):
            yield self.predict_detections(frame, detections)


def with_smoothed(result: FaceResult, face_id: int, probabilities: np.ndarray, label_index: int) -> FaceResult:
    """Copy of ``result`` carrying its track id and smoothed probabilities / label."""
    return replace(
        result,
        face_id=face_id,
        probabilities=probabilities,
        label=result.class_names[label_index],
        score=float(probabilities[label_index]),
    )
