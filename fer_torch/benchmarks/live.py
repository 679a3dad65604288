"""Live path frames/s: Haar alone, on a downscaled frame, every K frames with flow tracking between; Haar + model;
and the whole live.py loop (decode, detect, classify, draw, write) with Haar on every full frame and with live.py's
default fast detection. Face recall (against Haar alone on every full frame) and label agreement (fast against
every-frame live path) say what the fast path gives up.

All stages run on the same frames in one process, the model ones in fp32 and bf16. The stages are timed in
turn ``--repeats`` times (interleaved, so a change in the machine's load hits them all) and each stage's best
run is reported. Without ``--source`` a 720x480 video is synthesized from ``skimage.data.astronaut()``'s head
moving over a real indoor photo (``--background scene``, the default: a detector pays for a webcam room's
texture; ``gradient`` is a smooth ramp that Haar scans ~2.5x faster);
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
from pathlib import Path

import torch

from fer_torch.choices import LIVE_DETECT_SCALE
from fer_torch.errors import ConfigError
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, DETECTORS, build_detector
from fer_torch.inference.detectors import Box, face_boxes
from fer_torch.inference.device import PRECISIONS
from fer_torch.inference.predictor import Predictor
from fer_torch.apps.live_session import FaceLog, run_session
from fer_torch.inference.stream import StreamPredictor
from fer_torch.fixtures.synthetic_video import BACKGROUNDS, make_face_video
from fer_torch.inference.tracking import LIVE_DETECT_EVERY, TrackingDetector, box_iou
from fer_torch.fixtures.untrained import untrained_classifier
from fer_torch.inference.video import FrameWriter, open_source


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
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return measure(args)
    finally:
        torch.set_num_threads(previous_threads)


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


def measure(args: argparse.Namespace) -> str:
    """Time the stages and format the markdown report."""
    scale, every = args.detect_scale, args.detect_every
    fast = f"scale {scale}, every {every}"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = args.source or make_face_video(tmp / "astronaut_720x480.mp4", frames=args.frames, faces=args.faces,
                                                  background=args.background)
        with open_source(source) as video:
            frames = [frame.image for _, frame in zip(range(args.frames), video)]
        detector = build_detector(args.detector)
        predictors, model_note = build_predictors(args, detector)
        faces = sum(len(predictors["fp32"].predict_frame(frame)) for frame in frames)  # also warms up
        for predictor in predictors.values():
            predictor.predict_frame(frames[0])
        outputs: dict[str, list] = {}

        def detection(name: str, k: int, detect_scale: float) -> int:
            finder = TrackingDetector(detector, k, detect_scale)
            outputs[name] = [face_boxes(finder, frame) for frame in frames]
            return len(frames)

        def detect_and_classify(predictor: Predictor) -> int:
            for frame in frames:
                predictor.predict_frame(frame)
            return len(frames)

        def detect_ahead_and_classify(predictor: Predictor) -> int:
            return sum(1 for _ in predictor.predict_frames(frames))

        def full_live_path(name: str, predictor: Predictor, k: int) -> int:
            stream = StreamPredictor(predictor, args.smooth, detect_every=k, detect_scale=scale if k > 1 else 1.0)
            summary = run_session(open_source(source), stream, output=FrameWriter(tmp / "annotated.mp4", fps=15.0),
                                  log=FaceLog(tmp / "log.csv", predictor.class_names), max_frames=len(frames))
            outputs[name] = read_log(tmp / "log.csv", len(frames))
            return summary.frames

        d = args.detector
        region = predictors["fp32"].region
        baseline = f"{d} alone"
        stages = {}
        for name, k, detect_scale in ((baseline, 1, 1.0), (f"{d} at scale {scale}", 1, scale),
                                      (f"{d} every {every}, flow tracking between", every, 1.0),
                                      (f"{d} at {fast}, flow tracking between (live.py's detection)", every, scale)):
            stages[name] = lambda n=name, k=k, s=detect_scale: detection(n, k, s)
        for precision, predictor in predictors.items():
            name = f"{d} + model {precision}, in turn ({region} crops, one batch per frame)"
            stages[name] = lambda p=predictor: detect_and_classify(p)
        for precision, predictor in predictors.items():
            name = f"{d} + model {precision}, detect ahead (next frame detected while this one is classified)"
            stages[name] = lambda p=predictor: detect_ahead_and_classify(p)
        every_frame, default_path = {}, {}
        for precision, predictor in predictors.items():
            every_frame[precision] = (f"full live path {precision}, {d} on every full frame (decode, detect ahead, "
                                      f"classify, smooth {args.smooth}, draw, write mp4+CSV)")
            default_path[precision] = f"**full live path {precision}, {d} at {fast} (live.py's default)**"
            for name, k in ((every_frame[precision], 1), (default_path[precision], every)):
                stages[name] = lambda n=name, p=predictor, k=k: full_live_path(n, p, k)
        best = {name: float("inf") for name in stages}
        counts = {}
        fer_name = "`fer` package 22.5 (Haar + its Keras model on every frame; TensorFlow, same cores)"
        for _ in range(max(1, args.repeats)):
            for name, stage in stages.items():
                start = time.perf_counter()
                counts[name] = stage()
                best[name] = min(best[name], time.perf_counter() - start)
            if args.fer_python:
                peer = fer_package(args.fer_python, Path(source), len(frames))
                counts[fer_name] = peer["frames"]
                if peer["seconds"] < best.get(fer_name, float("inf")):
                    best[fer_name] = peer["seconds"]
                    outputs[fer_name] = [[tuple(face["box"]) for face in found] for found in peer["faces"]]
        stages_run = [*stages, *([fer_name] if args.fer_python else [])]
    reference = outputs[baseline]
    recall = {name: face_recall(reference, [[b if isinstance(b[0], int) else b[0] for b in f] for f in found])
              for name, found in outputs.items()}
    agreement = {default_path[p]: label_agreement(outputs[every_frame[p]], outputs[default_path[p]])
                 for p in predictors}
    base = counts[baseline] / best[baseline]

    def cell(table: dict[str, float], name: str) -> str:
        return f"{table[name]:.1%}" if name in table else ""

    rows = [f"| {name} | {counts[name]} | {best[name]:.2f} | {counts[name] / best[name]:.1f} | "
            f"{counts[name] / best[name] / base:.2f} | {cell(recall, name)} | {cell(agreement, name)} |"
            for name in stages_run]
    versus = []
    if args.fer_python:
        peer_fps = counts[fer_name] / best[fer_name]
        versus = ["", "Against the `fer` package: " + "; ".join(
            f"{p} default path {counts[default_path[p]] / best[default_path[p]] / peer_fps:.2f}x"
            for p in predictors) + "."]
    height, width = frames[0].shape[:2]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    device = predictors["fp32"].device
    return "\n".join([
        f"### Live path ({width}x{height}, {faces / len(frames):.2f} faces/frame, {device}, "
        f"{args.threads} torch thread(s), best of {args.repeats})",
        "",
        f"Source: {args.source or f'synthesized astronaut video on the {args.background} background'}; "
        f"{model_note}; load average {load}. Face recall: the faces {d} alone finds on each full frame that the "
        f"row also finds (IoU >= 0.3); label agreement: the default path's labels against the every-frame path's "
        f"(same precision, smoothing {args.smooth}).",
        "",
        "| stage | frames | seconds | frames/s | x detector alone | face recall | label agreement |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        *versus,
        "",
    ])
