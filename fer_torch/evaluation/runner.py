"""Run one or more checkpoints over a dataset split: probabilities, metrics and the evaluation files.

Every model reads the split through its own saved :class:`~fer_torch.spec.InputSpec` via
:func:`fer_torch.data.transforms.preprocess_batch` (the shared eval preprocessing), so an ensemble can
mix input sizes, channels and filters. Probabilities are reordered by class name into the first
model's class order; the data's classes must be among the models' classes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fer_torch.data.readers import load_splits
from fer_torch.data.samples import Samples
from fer_torch.errors import CheckpointError, ConfigError, EmptySplitError
from fer_torch.evaluation.ensemble import align_columns, combine_probabilities
from fer_torch.evaluation.faces import crop_faces
from fer_torch.evaluation.metrics import compute_metrics
from fer_torch.evaluation.plots import plot_confusion_matrix
from fer_torch.evaluation.report import write_metrics_json, write_predictions_csv, write_report
from fer_torch.evaluation.sequence import sequence_accuracy, sequence_metrics
from fer_torch.inference.classifier import LoadedClassifier
from fer_torch.labels import canonical_names, remap_table

OUTPUT_FILES = ("metrics.json", "confusion_matrix.png", "report.md", "predictions.csv")


@dataclass
class SplitPredictions:
    """Per-model probabilities (columns in ``class_names`` order) for the evaluated samples."""

    probs: list[torch.Tensor]
    class_names: tuple[str, ...]
    models: list[LoadedClassifier]
    samples: Samples  # evaluated samples; labels index ``class_names``
    no_face: int | None
    seconds: float  # face detection + preprocessing + forward passes


@dataclass
class EvaluationResult:
    """Everything written to an evaluation's output directory."""

    metrics: dict[str, Any]
    scores: torch.Tensor
    predictions: torch.Tensor
    split: SplitPredictions

    @property
    def images_per_second(self) -> float:
        return len(self.split.samples) / max(self.split.seconds, 1e-9)


def load_models(checkpoints: Sequence[str | Path] | None, device: str = "auto",
                precision: str = "fp32") -> list[LoadedClassifier]:
    """Load every model file (none given: the shipped default) in ``precision`` (``fp32``, ``bf16``, ``auto``);
    all must predict the same set of classes (order may differ)."""
    models = [LoadedClassifier.from_weights(path, device, precision) for path in (checkpoints or [None])]
    reference = models[0]
    for model in models[1:]:
        if set(canonical_names(model.class_names)) != set(canonical_names(reference.class_names)):
            raise CheckpointError(f"{model.name}: classes {list(model.class_names)} differ from "
                                  f"{Path(reference.name).name}'s {list(reference.class_names)}")
    return models


def load_split(data: str | Path, split: str, source: str = "auto", rgb: bool = False, region: str | None = None) -> Samples:
    """The labeled samples of one split (unlabeled rows dropped); a missing or empty split is an error.

    ``region`` keeps only the ``face`` or ``mouth`` crops of a webcam dataset.
    """
    splits = load_splits(data, source, rgb=rgb, region=region)
    if split not in splits:
        raise EmptySplitError(f"{data}: no {split!r} split (found: {', '.join(splits) or 'none'})")
    samples = splits[split]
    samples = samples.take(np.flatnonzero(samples.labels >= 0))
    if len(samples) == 0:
        raise EmptySplitError(f"{data}: the {split!r} split has no labeled samples")
    return samples


def to_model_classes(samples: Samples, class_names: Sequence[str], checkpoint: str | Path,
                     model_classes_only: bool = False) -> Samples:
    """Relabel ``samples`` into the model's class order by name. Data classes the model lacks are an error, or, with
    ``model_classes_only`` (a model trained on a subset of the classes), their samples are left out."""
    table = np.asarray(remap_table(samples.class_names, class_names))
    present = np.unique(samples.labels)
    missing = [samples.class_names[i] for i in present if table[i] < 0]
    if missing and not model_classes_only:
        raise CheckpointError(f"{checkpoint}: model classes {list(class_names)} lack the data's {missing}; "
                              "evaluate on the model's classes only with --model-classes-only")
    if missing:
        samples = samples.take(np.flatnonzero(table[samples.labels] >= 0))
        if len(samples) == 0:
            raise EmptySplitError(f"no sample of the model's classes {list(class_names)} in the split")
    return replace(samples, labels=table[samples.labels], class_names=tuple(class_names))


def predict_split(checkpoints: Sequence[str | Path] | None, data: str | Path, *, split: str = "val",
                  source: str = "auto", tta: str = "none", detect_faces: bool = False, face_margin: float = 0.1,
                  batch_size: int = 256, device: str = "auto", precision: str = "fp32", detector: str = "haar",
                  every_face: bool = False, model_classes_only: bool = False) -> SplitPredictions:
    """Each model's probabilities on ``split`` of ``data``, reordered into the first model's class order.

    ``model_classes_only``: leave out the samples of classes the models do not predict (see :func:`to_model_classes`).
    ``detect_faces``: the split holds full-frame photos; ``detector`` (a registered detector name) finds the largest
    face of each (every face with ``every_face``), cropped as live inference crops it.
    """
    if batch_size < 1:
        raise ConfigError(f"batch size must be >= 1, got {batch_size}")
    models = load_models(checkpoints, device, precision)
    class_names = models[0].class_names
    rgb = detect_faces or any(m.input_spec.channels == 3 for m in models)
    regions = sorted({m.input_spec.region for m in models})
    if len(regions) > 1 and not detect_faces:
        raise ConfigError("an ensemble of face and mouth models needs full frames and --detect-faces")
    region = None if detect_faces else regions[0]
    samples = to_model_classes(load_split(data, split, source, rgb, region), class_names, models[0].name,
                               model_classes_only)
    start = time.perf_counter()
    no_face = None
    inputs = {regions[0]: samples}
    if detect_faces:
        inputs, no_face = crop_faces(samples, face_margin, regions, detector, every_face)
        samples = inputs[regions[0]]
        if len(samples) == 0:
            raise EmptySplitError(f"{data}: no face found in any of the {no_face} {split!r} images")
    probs = []
    for model in models:
        p = model.predict_proba(inputs[model.region].images, batch_size, tta)
        probs.append(align_columns(p, model.class_names, class_names, what=model.name))
    return SplitPredictions(probs, tuple(class_names), models, samples, no_face, time.perf_counter() - start)


def evaluate(checkpoints: Sequence[str | Path] | None, data: str | Path, *, split: str = "val", source: str = "auto",
             tta: str = "none", detect_faces: bool = False, face_margin: float = 0.1, batch_size: int = 256,
             device: str = "auto", ensemble_weights: Sequence[float] | None = None, vote: str = "mean",
             sequence_n: Sequence[int] | None = None, precision: str = "fp32", detector: str = "haar",
             every_face: bool = False, model_classes_only: bool = False) -> EvaluationResult:
    """Evaluate a checkpoint (or an ensemble of several) on one split; see :func:`write_evaluation` for the files."""
    if ensemble_weights is not None and len(ensemble_weights) != len(checkpoints or [None]):
        raise ConfigError(f"{len(ensemble_weights)} --ensemble-weights for {len(checkpoints or [None])} checkpoint(s)")
    split_preds = predict_split(checkpoints, data, split=split, source=source, tta=tta, detect_faces=detect_faces,
                                face_margin=face_margin, batch_size=batch_size, device=device, precision=precision,
                                detector=detector, every_face=every_face, model_classes_only=model_classes_only)
    scores, preds = combine_probabilities(split_preds.probs, ensemble_weights, vote)
    samples = split_preds.samples
    metrics = compute_metrics(preds, samples.labels, split_preds.class_names)
    if split_preds.no_face is not None:
        metrics["no_face"] = split_preds.no_face
    if sequence_n:
        metrics["sequence"] = sequence_accuracy(scores, samples.labels, samples.meta, sequence_n)
        metrics["sequence_metrics"] = sequence_metrics(scores, samples.labels, samples.meta, sequence_n, split_preds.class_names)
    return EvaluationResult(metrics, scores, preds, split_preds)


def write_evaluation(result: EvaluationResult, output: str | Path, details: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``metrics.json``, ``confusion_matrix.png``, ``report.md`` and ``predictions.csv`` into ``output``."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    samples, names = result.split.samples, result.split.class_names
    paths = samples.meta.get("path")
    paths = [str(p) for p in paths] if paths is not None else [f"#{i}" for i in range(len(samples))]
    return {
        "metrics.json": write_metrics_json(result.metrics, out / "metrics.json"),
        "confusion_matrix.png": plot_confusion_matrix(result.metrics["confusion_matrix"], names, out / "confusion_matrix.png"),
        "report.md": write_report(result.metrics, out / "report.md", details=details),
        "predictions.csv": write_predictions_csv(out / "predictions.csv", paths, samples.labels,
                                                 result.predictions.tolist(), result.scores, names),
    }
