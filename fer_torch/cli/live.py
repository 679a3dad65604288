"""``tools/live.py``: live facial-expression recognition on a camera, video, image or folder of images."""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_torch.choices import (
    BACKEND_CHOICES,
    HAAR_MIN_NEIGHBORS,
    HAAR_SCALE_FACTOR,
    LIVE_DETECT_EVERY,
    LIVE_DETECT_SCALE,
    MIN_FACE_SIZE,
    PRECISION_CHOICES,
    SMOOTHING_METHODS,
)
from fer_torch.cli.common import ToolArgumentParser
from fer_torch.errors import ConfigError
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, DETECTORS


def min_size_arg(text: str) -> tuple[int, int]:
    """``30`` or ``30x40`` (width x height) in pixels."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--min-size takes N or WxH, got {text!r}") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"--min-size takes N or WxH, got {text!r}")
    return parts[0], parts[1]


def add_detector_arguments(parser: argparse.ArgumentParser) -> None:
    """``--detector``, ``--scale-factor``, ``--min-neighbors``, ``--min-size`` (shared with collect.py)."""
    parser.add_argument("--detector", choices=DETECTORS.names(), default=DEFAULT_DETECTOR,
                        help=f"face detector (default: {DEFAULT_DETECTOR})")
    parser.add_argument("--scale-factor", type=float, default=HAAR_SCALE_FACTOR,
                        help=f"haar: image pyramid step (default: {HAAR_SCALE_FACTOR}, seed 004)")
    parser.add_argument("--min-neighbors", type=int, default=HAAR_MIN_NEIGHBORS,
                        help=f"haar: detections needed per face (default: {HAAR_MIN_NEIGHBORS})")
    parser.add_argument("--min-size", type=min_size_arg, default=MIN_FACE_SIZE,
                        help="smallest face, N or WxH px (default: 30)")


def detector_options(args: argparse.Namespace) -> dict:
    """The detector options of the command line; the chosen detector gets those it takes
    (:func:`~fer_torch.inference.detector_registry.build_detector`)."""
    return {"min_size": args.min_size, "scale_factor": args.scale_factor, "min_neighbors": args.min_neighbors}


def add_fast_detection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--detect-every`` and ``--detect-scale`` (shared with serve.py): detect on a smaller frame, track between."""
    parser.add_argument("--detect-every", type=int, default=LIVE_DETECT_EVERY,
                        help=f"run the detector on one frame in K and track the faces' boxes by optical flow in "
                             f"between (default: {LIVE_DETECT_EVERY}; 1: detect on every frame; camera and video only)")
    parser.add_argument("--detect-scale", type=float, default=LIVE_DETECT_SCALE,
                        help=f"detect on the frame resized by this factor, boxes mapped back (default: "
                             f"{LIVE_DETECT_SCALE}: new faces from ~60 px; 1: full resolution; camera and video only)")


def check_fast_detection(args: argparse.Namespace) -> None:
    """One-line errors for out-of-range ``--detect-every`` / ``--detect-scale``."""
    if args.detect_every < 1:
        raise ConfigError(f"--detect-every must be >= 1, got {args.detect_every}")
    if not 0 < args.detect_scale <= 1:
        raise ConfigError(f"--detect-scale must be in (0, 1], got {args.detect_scale}")


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    """Device, detector, fast detection and smoothing options of a video stream (shared with serve.py)."""
    parser.add_argument("--device", default="auto", help="auto (CUDA when available) | cpu | cuda | cuda:N")
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default="auto",
                        help="classifier engine: auto (default: onnxruntime on the CPU when a probe at start finds it "
                             "faster than torch at batch 1), torch or onnxruntime")
    add_detector_arguments(parser)
    add_fast_detection_arguments(parser)
    parser.add_argument("--smooth", type=int, default=5,
                        help="average each face's probabilities over its last N frames (1: off; default: 5)")
    parser.add_argument("--smooth-method", choices=SMOOTHING_METHODS, default="mean",
                        help="mean probabilities (default) or majority vote of the per-frame labels")


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="live.py", description=__doc__)
    parser.add_argument("--source", default="0",
                        help="camera index (default: 0), video file, image file or folder of images")
    parser.add_argument("--weights", type=Path, default=None,
                        help="model file: .ckpt, .safetensors, TorchScript .pt or .onnx "
                             "(default: weights/fer_default.safetensors)")
    add_stream_arguments(parser)
    parser.add_argument("--output", type=Path, help="annotated video (.mp4/.avi) or image (.png/.jpg) to write")
    parser.add_argument("--log", type=Path, help="per-frame CSV log; the emotion histogram PNG goes next to it")
    parser.add_argument("--no-display", action="store_true", help="never open a window")
    parser.add_argument("--no-bars", action="store_true", help="draw boxes and labels without probability bars")
    parser.add_argument("--max-frames", type=int, help="stop after N frames")
    parser.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                        help="model precision: auto (default: bf16 on CPUs with AMX-BF16 or AVX512-BF16, else fp32), "
                        "fp32 or bf16")
    parser.add_argument("--no-detect-ahead", action="store_true",
                        help="classify each frame before reading the next (default: detect the next frame's faces "
                             "while classifying this one: more frames/s, one frame of read-ahead)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default: 1: a frame's few faces are too small a batch to split, "
                             "and OpenCV's detector uses the other cores)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smooth < 1:
        raise ConfigError(f"--smooth must be >= 1, got {args.smooth}")
    if args.max_frames is not None and args.max_frames < 1:
        raise ConfigError(f"--max-frames must be >= 1, got {args.max_frames}")
    if args.threads < 1:
        raise ConfigError(f"--threads must be >= 1, got {args.threads}")
    check_fast_detection(args)
    from fer_torch.device import torch_threads

    with torch_threads(args.threads):  # callers in the same process keep their setting
        return run_live(args)


def run_live(args: argparse.Namespace) -> int:
    """Build the predictor, source and outputs from parsed arguments and run the session."""
    from fer_torch.apps.live_session import histogram_path, record_session, use_display
    from fer_torch.inference.predictor import Predictor
    from fer_torch.inference.stream import StreamPredictor
    from fer_torch.inference.video import open_source

    predictor = Predictor.from_weights(args.weights, device=args.device, detector=args.detector,
                                       precision=args.precision, backend=args.backend, **detector_options(args))
    device = predictor.device
    source = open_source(args.source)
    display = use_display(not args.no_display, "running headless (no window)")
    # The fast detection is for streams: a folder's images are unrelated (no box to track from one to the next)
    # and a photo's faces may be small.
    # Tracking and smoothing are for streams too: one face's probabilities are not averaged across unrelated images.
    stream_source = source.kind in ("camera", "video")
    detect_every, detect_scale, smooth = (
        (args.detect_every, args.detect_scale, args.smooth) if stream_source else (1, 1.0, 1))
    header = (f"{source.kind} {source.name}: {args.detector} detector, {predictor.region} model "
              f"({', '.join(predictor.class_names)}) on {device}: {predictor.backend_line}")
    if stream_source:
        header += f", detecting at scale {detect_scale} every {detect_every} frame(s)"
    if smooth > 1:
        header += f", smoothing over {smooth} frames"
    print(header, flush=True)
    stream = StreamPredictor(predictor, smooth, args.smooth_method, detect_every=detect_every,
                             detect_scale=detect_scale)
    summary, output = record_session(source, stream, output=args.output, log=args.log, display=display,
                                     max_frames=args.max_frames, bars=not args.no_bars,
                                     detect_ahead=not args.no_detect_ahead)
    print(summary.format())
    if output is not None:
        print(f"annotated output: {args.output} ({output.frames} frames)")
    if args.log is not None:
        print(f"log: {args.log}; emotion histogram: {summary.save_histogram(histogram_path(args.log))}")
    return 0
