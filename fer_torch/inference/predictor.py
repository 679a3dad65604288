"""Predictor: detect the faces of a frame, crop each as its model was trained, classify them all in one batch.

Usable from a notebook::

    from fer_torch.inference import Predictor
    predictor = Predictor.from_checkpoint("weights/fer_default.ckpt")
    for face in predictor.predict_frame(cv2.imread("photo.jpg")):
        print(face.box, face.label, face.score)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from fer_torch.errors import CheckpointError
from fer_torch.inference.detectors import (
    Box,
    Detection,
    FaceDetector,
    MouthLocator,
    build_detector,
    clip_box,
    expand_box,
)
from fer_torch.inference.device import PRECISIONS, model_input, select_device, to_precision
from fer_torch.inference.pipeline import detect_ahead
from fer_torch.spec import InputSpec

FACE_MARGIN = 0.1
"""Face crops (live and collected) are the detector's box grown by 10% on every side."""


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


def region_box(
    frame: np.ndarray,
    detection: Detection,
    region: str = "face",
    margin: float = FACE_MARGIN,
    mouth_locator: MouthLocator | None = None,
) -> Box:
    """Box of the ``face`` (grown by ``margin``) or ``mouth`` region of a detected face, clipped to the frame."""
    if region == "mouth":
        return (mouth_locator or MouthLocator()).locate(frame, detection.box, detection.landmarks)
    return clip_box(expand_box(detection.box, margin), frame.shape)


def reader_image(crop_bgr: np.ndarray, channels: int) -> np.ndarray:
    """A BGR or gray crop converted to what the dataset readers produce: gray uint8, or RGB uint8 for 3 channels."""
    if channels == 1:
        return crop_bgr if crop_bgr.ndim == 2 else cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(crop_bgr, cv2.COLOR_GRAY2RGB if crop_bgr.ndim == 2 else cv2.COLOR_BGR2RGB)


class Predictor:
    """A classifier plus a face detector: ``predict_frame(frame_bgr) -> list[FaceResult]``.

    ``model`` maps a ``(N, C, H, W)`` batch to logits; ``input_spec`` says how its inputs were prepared
    (through :func:`fer_torch.data.transforms.preprocess_batch`, the training pipeline's eval path).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        class_names: Sequence[str],
        input_spec: InputSpec,
        detector: FaceDetector | None = None,
        device: str | torch.device = "cpu",
        margin: float = FACE_MARGIN,
        precision: str = "fp32",
    ) -> None:
        self.device = select_device(device)
        self.model, self.precision = to_precision(model, precision, self.device)
        self.dtype = PRECISIONS[self.precision]
        self.class_names = tuple(class_names)
        self.input_spec = InputSpec.from_dict(input_spec)
        self.detector = detector if detector is not None else build_detector("haar")
        self.margin = margin
        self.mouth_locator = MouthLocator()

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path | None = None,
        device: str | torch.device = "auto",
        detector: str | FaceDetector = "haar",
        margin: float = FACE_MARGIN,
        precision: str = "fp32",
        **detector_options,
    ) -> "Predictor":
        """Load a checkpoint (default ``weights/fer_default.ckpt``) and build the named detector
        (``haar`` | ``mtcnn``; options ``scale_factor``, ``min_neighbors``, ``min_size``); ``precision`` is
        ``fp32``, ``bf16`` or ``auto``."""
        from fer_torch.lit.checkpoint import DEFAULT_WEIGHTS, load_classifier

        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        if not path.is_file():
            hint = ("train one with `python tools/train.py --config configs/<config>.yaml` and copy its best .ckpt "
                    "there, or pass --weights PATH")
            if path == DEFAULT_WEIGHTS:
                raise CheckpointError(f"no default model at {path}: {hint}")
            raise CheckpointError(f"{path}: checkpoint not found ({hint})")
        torch_device = select_device(device)
        classifier = load_classifier(path, device=torch_device)
        if isinstance(detector, str):
            detector = build_detector(detector, device=str(torch_device), **detector_options)
        return cls(classifier, classifier.class_names, classifier.input_spec, detector, torch_device, margin, precision)

    @property
    def region(self) -> str:
        """``face`` or ``mouth``: the crop the model reads."""
        return self.input_spec.region

    def crops(self, frame: np.ndarray, detections: Sequence[Detection]) -> tuple[list[Box], list[np.ndarray]]:
        """Region boxes and reader-format crops (gray or RGB) of the detected faces; empty boxes are skipped."""
        boxes, images = [], []
        for detection in detections:
            box = region_box(frame, detection, self.region, self.margin, self.mouth_locator)
            x, y, w, h = box
            boxes.append(box)
            images.append(reader_image(frame[y : y + h, x : x + w], self.input_spec.channels) if w and h else None)
        return boxes, images

    def classify(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Class probabilities ``(N, K)`` of reader-format crops, as one batch."""
        from fer_torch.data.transforms import preprocess_batch

        if not images:
            return np.zeros((0, len(self.class_names)), dtype=np.float32)
        batch = model_input(preprocess_batch(list(images), self.input_spec), self.model)
        with torch.inference_mode():
            logits = self.model(batch)
        if logits.shape[-1] != len(self.class_names):
            raise CheckpointError(f"model gives {logits.shape[-1]} logits for {len(self.class_names)} class names")
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()

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
        the current one (:func:`fer_torch.inference.pipeline.detect_ahead`); one list per frame, in order."""
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
