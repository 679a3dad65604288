"""Accuracy under webcam-like corruptions (ImageNet-C style): clean, per corruption and severity, mean and drop.

Each image of ``--split`` goes through every corruption of :mod:`fer_torch.evaluation.corruptions` at every
``--severities`` (seeded per image: every run and every model sees the same images), then through each model's own
preprocessing exactly as ``tools/evaluate.py`` runs it (``predict_proba``: the InputSpec's filters, resize and
normalisation; ``--precision`` fp32 by default). The mean corruption accuracy is the plain mean over corruptions x
severities (ImageNet-C's mCE normalises errors by AlexNet's instead); the drop is clean minus that mean.

``--full-frame`` measures the live path instead: each face is pasted into a 640x480 frame
(:mod:`fer_torch.evaluation.frames`), found by the live detector and cropped as live.py crops a photo's faces; it
reports the faces found, the IoU of the found box with the pasted one, and the accuracy over all faces (a missed face
counts as wrong) and over the found ones.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from fer_torch.choices import PRECISION_CHOICES
from fer_torch.data.samples import Samples
from fer_torch.errors import ConfigError
from fer_torch.evaluation.corruptions import CORRUPTIONS, SEVERITIES, corrupt_all
from fer_torch.evaluation.frames import FACE_SIDES, FRAME_SIZE, detect_framed_faces
from fer_torch.evaluation.runner import load_models, load_split, to_model_classes
from fer_torch.inference.classifier import LoadedClassifier
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, DETECTORS
from fer_torch.labels import SPLIT_ORDER

LOCATED_IOU = 0.5
"""A found face whose box overlaps the pasted one by at least this IoU counts as located."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``tools/benchmark.py robustness``."""
    parser.add_argument("--weights", nargs="+", type=Path, default=None, metavar="MODEL",
                        help="model files, one row each (default: the shipped default model)")
    parser.add_argument("--data", required=True, help="dataset root, e.g. ../shared/data/fer2013")
    parser.add_argument("--split", choices=SPLIT_ORDER, default="val", help="split to measure (default val)")
    parser.add_argument("--corruptions", nargs="+", choices=list(CORRUPTIONS), default=list(CORRUPTIONS),
                        metavar="NAME", help=f"corruptions to apply (default: all: {', '.join(CORRUPTIONS)})")
    parser.add_argument("--severities", nargs="+", type=int, choices=SEVERITIES, default=list(SEVERITIES),
                        help="severities to apply (default: 1 2 3)")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most N images per class, a seeded stratified subset (default: the whole split)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the corruptions, frames and --limit (default 0)")
    parser.add_argument("--precision", choices=PRECISION_CHOICES, default="fp32",
                        help="model precision (default fp32, as tools/evaluate.py)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--full-frame", action="store_true",
                        help="instead of the corruptions: paste each face into a 640x480 frame, find and crop it as "
                             "live.py does, and report detection rate, box IoU and accuracy")
    parser.add_argument("--detector", choices=DETECTORS.names(), default=DEFAULT_DETECTOR,
                        help=f"face detector of --full-frame (default: {DEFAULT_DETECTOR}, live.py's)")


def stratified_subset(samples: Samples, per_class: int, seed: int) -> Samples:
    """At most ``per_class`` samples of each class, drawn with ``seed``, in their split order."""
    rng = np.random.default_rng(seed)
    keep = [i for label in np.unique(samples.labels)
            for i in rng.permutation(np.flatnonzero(samples.labels == label))[:per_class]]
    return samples.take(np.sort(keep))


def hits(model: LoadedClassifier, images: np.ndarray | list[np.ndarray], labels: np.ndarray, batch_size: int) -> int:
    """How many ``images`` ``model`` labels right (``labels`` in its class order)."""
    predictions = model.predict_proba(images, batch_size, "none").argmax(1).numpy()
    return int((predictions == labels).sum())


def corruption_rows(samples: Samples, models: list[LoadedClassifier], labels: list[np.ndarray],
                    args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per model: clean accuracy, accuracy per corruption and severity, their means and the drop."""
    n, severities = len(samples), sorted(set(args.severities))
    rows = [{"weights": m.name, "clean": hits(m, samples.images, y, args.batch_size) / n, "corruptions": {}}
            for m, y in zip(models, labels)]
    for name in dict.fromkeys(args.corruptions):
        for severity in severities:
            started = time.perf_counter()
            images = corrupt_all(samples.images, name, severity, args.seed)
            for row, model, y in zip(rows, models, labels):
                cell = row["corruptions"].setdefault(name, {"by_severity": {}})
                cell["by_severity"][str(severity)] = hits(model, images, y, args.batch_size) / n
            print(f"{name} severity {severity}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    for row in rows:
        for cell in row["corruptions"].values():
            cell["mean"] = statistics.fmean(cell["by_severity"].values())
        row["mean_corruption_accuracy"] = statistics.fmean(c["mean"] for c in row["corruptions"].values())
        row["drop"] = row["clean"] - row["mean_corruption_accuracy"]
    return rows


def full_frame_rows(samples: Samples, models: list[LoadedClassifier], labels: list[np.ndarray],
                    args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The detection figures of the framed faces, and per model: clean accuracy and accuracy over all and found
    faces."""
    region = models[0].region
    detections = detect_framed_faces(samples, args.seed, args.detector, (region,))
    n, found, iou = len(samples), len(detections.found), detections.iou
    frames = {"detector": args.detector, "frame_size": list(FRAME_SIZE), "face_sides": list(FACE_SIDES), "faces": n,
              "found": found, "detection_rate": found / n, "located": int((iou >= LOCATED_IOU).sum()),
              "mean_iou": float(iou.mean()) if found else None}
    rows = []
    for model, y in zip(models, labels):
        right = hits(model, detections.crops[region].images, y[detections.found], args.batch_size)
        rows.append({"weights": model.name, "clean": hits(model, samples.images, y, args.batch_size) / n,
                     "accuracy_all_faces": right / n, "accuracy_found_faces": right / found if found else None})
    return frames, rows


def run(args: argparse.Namespace) -> str:
    """Measure every model; markdown tables (and ``--json``)."""
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be >= 0, got {args.seed}")
    models = load_models(args.weights, args.device, args.precision)
    regions = sorted({m.region for m in models})
    if len(regions) > 1:
        raise ConfigError(f"the models read different regions ({', '.join(regions)}): measure them apart")
    samples = load_split(args.data, args.split, rgb=any(m.input_spec.channels == 3 for m in models), region=regions[0])
    if args.limit:
        samples = stratified_subset(samples, args.limit, args.seed)
    labels = [to_model_classes(samples, m.class_names, m.name).labels for m in models]
    started = time.perf_counter()
    result: dict[str, Any] = {"split": args.split, "images": len(samples), "seed": args.seed, "limit": args.limit,
                              "precision": ", ".join(sorted({m.precision for m in models}))}
    if args.full_frame:
        result["full_frame"], result["models"] = full_frame_rows(samples, models, labels, args)
    else:
        result["severities"] = sorted(set(args.severities))
        result["models"] = corruption_rows(samples, models, labels, args)
    result["seconds"] = time.perf_counter() - started
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return "\n".join(full_frame_report(result) if args.full_frame else corruption_report(result))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(r) + " |" for r in (header, ["---"] * len(header), *rows)]


def _title(result: dict[str, Any], what: str) -> str:
    subset = f", at most {result['limit']} per class" if result["limit"] else ""
    return (f"### {what} ({result['split']}, {result['images']:,} images{subset}, {result['precision']}, "
            f"seed {result['seed']}; {result['seconds']:.0f} s)")


def corruption_report(result: dict[str, Any]) -> list[str]:
    """Markdown lines: accuracy (%) per model, clean, per corruption (mean over severities), mean and drop; then
    per severity."""
    rows = result["models"]
    names = list(rows[0]["corruptions"])
    header = ["model", "clean", *names, "mean corruption", "drop"]
    body = [[Path(r["weights"]).name, _percent(r["clean"]), *(_percent(r["corruptions"][c]["mean"]) for c in names),
             _percent(r["mean_corruption_accuracy"]), _percent(r["drop"])] for r in rows]
    per_severity = [_severity_row(r, s, names) for r in rows for s in result["severities"]]
    return [_title(result, "Robustness to webcam-like corruptions, accuracy %"), "", *_table(header, body), "",
            "Per severity:", "", *_table(["model", "severity", *names, "mean"], per_severity), ""]


def _severity_row(row: dict[str, Any], severity: int, names: list[str]) -> list[str]:
    cells = [row["corruptions"][name]["by_severity"][str(severity)] for name in names]
    return [Path(row["weights"]).name, str(severity), *map(_percent, cells), _percent(statistics.fmean(cells))]


def full_frame_report(result: dict[str, Any]) -> list[str]:
    """Markdown lines: the faces found and how well their boxes fit, then accuracy (%) per model."""
    frames = result["full_frame"]
    width, height = frames["frame_size"]
    iou = "–" if frames["mean_iou"] is None else f"{frames['mean_iou']:.3f}"
    found = (f"{frames['detector']} found {frames['found']:,} of {frames['faces']:,} faces "
             f"({_percent(frames['detection_rate'])} %) in {width}x{height} frames (faces "
             f"{frames['face_sides'][0]}-{frames['face_sides'][1]} px wide); {frames['located']:,} located "
             f"(IoU >= {LOCATED_IOU}); mean IoU of the found boxes with the pasted ones: {iou}.")
    body = [[Path(r["weights"]).name, _percent(r["clean"]), _percent(r["accuracy_all_faces"]),
             _percent(r["accuracy_found_faces"])] for r in result["models"]]
    header = ["model", "clean crops", "full frames, all faces (missed = wrong)", "full frames, found faces"]
    return [_title(result, "Full frames through the live detector and crop, accuracy %"), "", found, "",
            *_table(header, body), ""]
