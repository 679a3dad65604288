"""Live path frames/s: Haar alone, on a downscaled frame, every K frames with flow tracking between; Haar + model;
and the whole live.py loop (decode, detect, classify, draw, write) with Haar on every full frame and with live.py's
default fast detection. Face recall (against Haar alone on every full frame) and label agreement (fast against
every-frame live path) say what the fast path gives up.

All stages run on the same frames in one process, the model ones in fp32 and bf16. The stages are timed in
turn ``--repeats`` times (interleaved, so a change in the machine's load hits them all) and each stage's best
run is reported. Without ``--source`` a 720x480 video is synthesized from ``skimage.data.astronaut()``'s head
moving over a real indoor photo (``--background scene``, the default: a detector pays for a webcam room's
texture; ``gradient`` is a smooth ramp that Haar scans much faster: docs/benchmarks.md);
``--arch NAME`` times a randomly initialised registry model instead of a checkpoint (speed does not depend on
the weights), as does ``bn_cnn`` when there is neither ``--weights`` nor a default model. The model runs in torch
(fp32, bf16) and in onnxruntime (``--backend onnxruntime``); ``--fer-python PY`` adds the ``fer`` package (Haar + its
Keras model, every frame) on the same clip, run by ``tools/peers/fer_package_live.py`` in that interpreter (a scratch
virtualenv with TensorFlow: never a fer-torch dependency).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from fer_torch.choices import LIVE_DETECT_SCALE
from fer_torch.errors import ConfigError
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, DETECTORS, build_detector
from fer_torch.inference.boxes import Box
from fer_torch.inference.detectors import FaceDetector, face_boxes
from fer_torch.device import PRECISIONS, torch_threads
from fer_torch.inference.predictor import Predictor
from fer_torch.apps.live_session import record_session
from fer_torch.inference.stream import StreamPredictor
from fer_torch.fixtures.synthetic_video import BACKGROUNDS, make_face_video
from fer_torch.inference.tracking import LIVE_DETECT_EVERY, TrackingDetector, box_iou
from fer_torch.fixtures.untrained import untrained_classifier
from fer_torch.inference.video import open_source


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, help="video file (default: a synthesized 720x480 astronaut video)")
    parser.add_argument("--weights", type=Path,
                        help="model file (default: weights/fer_default.safetensors, else a random bn_cnn)")
    parser.add_argument("--arch", help="time a randomly initialised registry model (e.g. bn_cnn) instead of a checkpoint")
    parser.add_argument("--frames", type=int, default=150, help="frames per stage (default: 150)")
    parser.add_argument("--faces", type=int, choices=(1, 2), default=1,
                        help="faces in the synthesized video (default: 1)")
    parser.add_argument("--background", choices=BACKGROUNDS, default="scene",
                        help="background of the synthesized video (default: scene, a real photo without faces)")
    parser.add_argument("--detector", choices=DETECTORS.names(), default=DEFAULT_DETECTOR,
                        help=f"face detector (default: {DEFAULT_DETECTOR})")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--smooth", type=int, default=5, help="smoothing window of the full live path (default: 5)")
    parser.add_argument("--detect-scale", type=float, default=LIVE_DETECT_SCALE,
                        help=f"live.py's --detect-scale for the fast rows (default: {LIVE_DETECT_SCALE})")
    parser.add_argument("--detect-every", type=int, default=LIVE_DETECT_EVERY,
                        help=f"live.py's --detect-every for the fast rows (default: {LIVE_DETECT_EVERY})")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads, as live.py --threads (default: 1)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per stage, interleaved; the best is reported (default: 3)")
    parser.add_argument("--fer-python", help="python of a virtualenv with the `fer` package: time it side by side")


def run(args: argparse.Namespace) -> str:
    """The live suite's markdown report, timed with ``--threads`` torch CPU threads."""
    with torch_threads(args.threads):
        return measure(args)


def _relative(path: object) -> str:
    """``path`` relative to the working directory when it lies below it (tables carry no machine paths)."""
    try:
        return str(Path(str(path)).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def build_predictors(args: argparse.Namespace, detector) -> tuple[dict[str, Predictor], str]:
    """One predictor per precision (each converts its own copy of the model) and a note naming the model."""
    from fer_torch.paths import default_weights_or_none

    if args.arch and args.weights:
        raise ConfigError("give --arch or --weights, not both")
    trained = not args.arch and (args.weights is not None or default_weights_or_none() is not None)
    arch = args.arch or "bn_cnn"
    from fer_torch.extras import available
    from fer_torch.inference.backends import with_backend

    predictors = {}
    for precision in PRECISIONS:
        if trained:  # no --weights: from_weights loads the shipped default
            if precision != "fp32" and predictors["fp32"].model is None:
                continue  # an ONNX model runs in onnxruntime, fp32 only
            predictors[precision] = Predictor.from_weights(args.weights, args.device, detector, precision=precision)
        else:
            classifier = untrained_classifier(arch)
            predictors[precision] = Predictor(classifier, classifier.class_names, classifier.input_spec, detector,
                                              args.device, precision=precision)
    reference = predictors["fp32"]
    if reference.model is not None and reference.device.type == "cpu" and available("onnxruntime"):
        onnx, _ = with_backend(reference.classifier, "onnxruntime")
        predictors["onnxruntime"] = Predictor(onnx, detector=detector, margin=reference.margin)
    if trained:
        name = predictors["fp32"].classifier.name
        return predictors, f"model {_relative(name)}"
    why = "--arch" if args.arch else "no --weights and no weights/fer_default.safetensors"
    return predictors, f"randomly initialised {arch} ({why}; speed does not depend on weights)"


def face_recall(reference: list[list[Box]], found: list[list[Box]], min_iou: float = 0.3) -> float:
    """Share of the reference's faces (over all frames) that ``found`` has a box for (IoU >= ``min_iou``)."""
    total = sum(len(boxes) for boxes in reference)
    hits = sum(int((box_iou(ref, got) >= min_iou).any(axis=1).sum()) for ref, got in zip(reference, found)
               if ref and got)
    return hits / total if total else float("nan")


def label_agreement(reference: list[list[tuple[Box, str]]], found: list[list[tuple[Box, str]]]) -> float:
    """Share of the faces both paths found (IoU >= 0.3) that got the same label."""
    same = both = 0
    for ref, got in zip(reference, found):
        if not ref or not got:
            continue
        iou = box_iou([b for b, _ in ref], [b for b, _ in got])
        for i, j in enumerate(iou.argmax(axis=1)):
            if iou[i, j] >= 0.3:
                both += 1
                same += ref[i][1] == got[j][1]
    return same / both if both else float("nan")


def read_log(path: Path, frames: int) -> list[list[tuple[Box, str]]]:
    """Per-frame ``(box, label)`` lists from a live session's CSV log."""
    faces: list[list[tuple[Box, str]]] = [[] for _ in range(frames)]
    with path.open(newline="") as file:
        for row in csv.DictReader(file):
            box = tuple(int(row[k]) for k in ("x", "y", "w", "h"))
            faces[int(row["frame"])].append((box, row["label"]))
    return faces


def fer_package(python: str, video: Path, frames: int) -> dict:
    """One timed pass of the ``fer`` package over ``video`` (tools/peers/fer_package_live.py in ``python``)."""
    script = Path(__file__).resolve().parents[2] / "tools" / "peers" / "fer_package_live.py"
    done = subprocess.run([python, str(script), str(video), "--frames", str(frames)], capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"--fer-python {python}: the fer package did not run ({done.stderr.strip().splitlines()[-1:]})")
    return json.loads(done.stdout.strip().splitlines()[-1])


FER_ROW = "`fer` package 22.5 (Haar + its Keras model on every frame; TensorFlow, same cores)"
"""The row of ``--fer-python``."""

StageRun = Callable[[], tuple[int, list | None]]
"""A timed stage: returns the frames it handled and, per frame, the boxes (or the live path's ``(box, label)``
pairs) it found, ``None`` when it reports no faces."""


@dataclass
class Setup:
    """What every stage runs on: the video, its first ``--frames`` frames, the detector, one predictor per
    engine, the note naming the model, the faces fp32 finds in the frames and a scratch folder."""

    source: Path
    frames: list[np.ndarray]
    detector: FaceDetector
    predictors: dict[str, Predictor]
    model_note: str
    faces: int
    folder: Path


@dataclass
class Stages:
    """The table's rows in order, each with its stage; the baseline row of face recall, and per engine the two
    full live path rows that label agreement compares (every full frame, live.py's default)."""

    baseline: str
    runs: dict[str, StageRun] = field(default_factory=dict)
    every_frame: dict[str, str] = field(default_factory=dict)
    default_path: dict[str, str] = field(default_factory=dict)


@dataclass
class Results:
    """Per row: the frames handled, the best seconds over the repeats and the faces found (see :data:`StageRun`)."""

    frames: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    found: dict[str, list] = field(default_factory=dict)

    def add(self, name: str, frames: int, seconds: float) -> bool:
        """Record one run of a row; whether it is the row's fastest so far."""
        self.frames[name] = frames
        if seconds < self.seconds.get(name, float("inf")):
            self.seconds[name] = seconds
            return True
        return False

    def fps(self, name: str) -> float:
        """Frames/s of a row's best run."""
        return self.frames[name] / self.seconds[name]


def prepare(args: argparse.Namespace, folder: Path) -> Setup:
    """Read (or synthesize into ``folder``) the clip, build the detector and predictors and warm them up."""
    source = args.source or make_face_video(folder / "astronaut_720x480.mp4", frames=args.frames, faces=args.faces,
                                              background=args.background)
    with open_source(source) as video:
        frames = [frame.image for _, frame in zip(range(args.frames), video)]
    detector = build_detector(args.detector)
    predictors, model_note = build_predictors(args, detector)
    faces = sum(len(predictors["fp32"].predict_frame(frame)) for frame in frames)  # also warms up
    for predictor in predictors.values():
        predictor.predict_frame(frames[0])
    return Setup(Path(source), frames, detector, predictors, model_note, faces, folder)


def fast_detection(args: argparse.Namespace) -> str:
    """live.py's fast detection in words: ``scale S, every K``."""
    return f"scale {args.detect_scale}, every {args.detect_every}"


def detection_only(frames: list[np.ndarray], detector: FaceDetector, every: int, scale: float) -> tuple[int, list]:
    """Find the faces of every frame: ``detector`` at ``scale`` on one frame in ``every``, flow tracking between."""
    finder = TrackingDetector(detector, every, scale)
    return len(frames), [face_boxes(finder, frame) for frame in frames]


def classify_in_turn(predictor: Predictor, frames: list[np.ndarray]) -> tuple[int, None]:
    """Detect, then classify, each frame."""
    for frame in frames:
        predictor.predict_frame(frame)
    return len(frames), None


def classify_detect_ahead(predictor: Predictor, frames: list[np.ndarray]) -> tuple[int, None]:
    """Classify the frames while the next one's faces are detected."""
    return sum(1 for _ in predictor.predict_frames(frames)), None


def full_live_path(setup: Setup, predictor: Predictor, smooth: int, every: int, scale: float) -> tuple[int, list]:
    """live.py's loop over the clip (decode, detect ahead, classify, smooth, draw, write mp4 + CSV); the faces
    are read back from its log."""
    stream = StreamPredictor(predictor, smooth, detect_every=every, detect_scale=scale)
    frames, log = len(setup.frames), setup.folder / "log.csv"
    summary, _ = record_session(open_source(setup.source), stream, output=setup.folder / "annotated.mp4", log=log,
                                max_frames=frames)
    return summary.frames, read_log(log, frames)


def detection_stages(args: argparse.Namespace, setup: Setup, baseline: str) -> dict[str, StageRun]:
    """The detector alone: on every full frame (``baseline``), downscaled, every K frames, both."""
    d, scale, every = args.detector, args.detect_scale, args.detect_every
    rows = ((baseline, 1, 1.0), (f"{d} at scale {scale}", 1, scale),
            (f"{d} every {every}, flow tracking between", every, 1.0),
            (f"{d} at {fast_detection(args)}, flow tracking between (live.py's detection)", every, scale))
    return {name: partial(detection_only, setup.frames, setup.detector, k, s) for name, k, s in rows}


def model_stages(args: argparse.Namespace, setup: Setup) -> dict[str, StageRun]:
    """Detector + model per engine: in turn, then detecting ahead."""
    d, region = args.detector, setup.predictors["fp32"].region
    stages: dict[str, StageRun] = {}
    for precision, predictor in setup.predictors.items():
        name = f"{d} + model {precision}, in turn ({region} crops, one batch per frame)"
        stages[name] = partial(classify_in_turn, predictor, setup.frames)
    for precision, predictor in setup.predictors.items():
        name = f"{d} + model {precision}, detect ahead (next frame detected while this one is classified)"
        stages[name] = partial(classify_detect_ahead, predictor, setup.frames)
    return stages


def live_path_stages(args: argparse.Namespace, setup: Setup, stages: Stages) -> None:
    """Per engine, the full live path with the detector on every full frame, then with live.py's default fast
    detection (added to ``stages`` with the row names label agreement compares)."""
    d, every = args.detector, args.detect_every
    for precision, predictor in setup.predictors.items():
        every_frame = (f"full live path {precision}, {d} on every full frame (decode, detect ahead, classify, "
                       f"smooth {args.smooth}, draw, write mp4+CSV)")
        default_path = f"**full live path {precision}, {d} at {fast_detection(args)} (live.py's default)**"
        stages.every_frame[precision], stages.default_path[precision] = every_frame, default_path
        for name, k in ((every_frame, 1), (default_path, every)):
            stages.runs[name] = partial(full_live_path, setup, predictor, args.smooth, k,
                                        args.detect_scale if k > 1 else 1.0)


def build_stages(args: argparse.Namespace, setup: Setup) -> Stages:
    """Every row in table order: the detector alone, detector + model, the full live path."""
    stages = Stages(baseline=f"{args.detector} alone")
    stages.runs.update(detection_stages(args, setup, stages.baseline))
    stages.runs.update(model_stages(args, setup))
    live_path_stages(args, setup, stages)
    return stages


def time_stages(args: argparse.Namespace, setup: Setup, stages: Stages) -> Results:
    """Run the stages in turn ``--repeats`` times (and the ``fer`` package after each round): each row's best
    time, and the faces of its last run (the ``fer`` package's: of its best run)."""
    results = Results()
    for _ in range(max(1, args.repeats)):
        for name, stage in stages.runs.items():
            start = time.perf_counter()
            frames, found = stage()
            results.add(name, frames, time.perf_counter() - start)
            if found is not None:
                results.found[name] = found
        if args.fer_python:
            peer = fer_package(args.fer_python, setup.source, len(setup.frames))
            if results.add(FER_ROW, peer["frames"], peer["seconds"]):
                results.found[FER_ROW] = [[tuple(face["box"]) for face in found] for found in peer["faces"]]
    return results


def face_recalls(stages: Stages, results: Results) -> dict[str, float]:
    """Per row that reports faces: the share of the baseline's faces it finds too."""
    reference = results.found[stages.baseline]
    return {name: face_recall(reference, [[b if isinstance(b[0], int) else b[0] for b in f] for f in found])
            for name, found in results.found.items()}


def label_agreements(stages: Stages, results: Results) -> dict[str, float]:
    """Per default live path row: the share of faces labelled as on the every-frame path of the same engine."""
    return {fast: label_agreement(results.found[stages.every_frame[engine]], results.found[fast])
            for engine, fast in stages.default_path.items()}


def table_rows(args: argparse.Namespace, stages: Stages, results: Results) -> list[str]:
    """The markdown table's rows, the ``fer`` package's last."""
    recall, agreement = face_recalls(stages, results), label_agreements(stages, results)
    base = results.fps(stages.baseline)

    def cell(table: dict[str, float], name: str) -> str:
        return f"{table[name]:.1%}" if name in table else ""

    names = [*stages.runs, *([FER_ROW] if args.fer_python else [])]
    return [f"| {name} | {results.frames[name]} | {results.seconds[name]:.2f} | {results.fps(name):.1f} | "
            f"{results.fps(name) / base:.2f} | {cell(recall, name)} | {cell(agreement, name)} |"
            for name in names]


def versus_fer(args: argparse.Namespace, stages: Stages, results: Results) -> list[str]:
    """The default live paths' speed against the ``fer`` package's (nothing without ``--fer-python``)."""
    if not args.fer_python:
        return []
    peer_fps = results.fps(FER_ROW)
    return ["", "Against the `fer` package: " + "; ".join(
        f"{engine} default path {results.fps(name) / peer_fps:.2f}x" for engine, name in stages.default_path.items())
        + "."]


def format_report(args: argparse.Namespace, setup: Setup, stages: Stages, results: Results) -> str:
    """The markdown report: a heading with the clip and machine, what the columns mean, the table."""
    height, width = setup.frames[0].shape[:2]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    device = setup.predictors["fp32"].device
    return "\n".join([
        f"### Live path ({width}x{height}, {setup.faces / len(setup.frames):.2f} faces/frame, {device}, "
        f"{args.threads} torch thread(s), best of {args.repeats})",
        "",
        f"Source: {args.source or f'synthesized astronaut video on the {args.background} background'}; "
        f"{setup.model_note}; load average {load}. Face recall: the faces {args.detector} alone finds on each full "
        f"frame that the row also finds (IoU >= 0.3); label agreement: the default path's labels against the "
        f"every-frame path's (same precision, smoothing {args.smooth}).",
        "",
        "| stage | frames | seconds | frames/s | x detector alone | face recall | label agreement |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *table_rows(args, stages, results),
        *versus_fer(args, stages, results),
        "",
    ])


def measure(args: argparse.Namespace) -> str:
    """Time the stages and format the markdown report."""
    with tempfile.TemporaryDirectory() as tmp:
        setup = prepare(args, Path(tmp))
        stages = build_stages(args, setup)
        results = time_stages(args, setup, stages)
    return format_report(args, setup, stages, results)
