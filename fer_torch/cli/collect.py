"""``tools/collect.py``: collect your own webcam dataset of face and mouth crops (seed 000), per emotion.

On a camera it prompts the subject for each class of ``--classes``; on videos ``--label`` names the emotion of
every video, or ``--labels`` one per video (no prompts: works headless).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fer_torch.cli.common import ToolArgumentParser, invoked_as
from fer_torch.cli.live import add_detector_arguments, detector_options
from fer_torch.errors import ConfigError
from fer_torch.labels import canonical_name, canonical_names

if TYPE_CHECKING:
    from fer_torch.apps.collect import CaptureResult, Collector
    from fer_torch.inference.video import FrameSource

SEED_CLASSES = ("happy", "neutral", "surprise")
WINDOW_NAME = "fer-torch collect (Enter/space: start, q: quit)"
START_KEYS = (13, 10, ord(" "))
QUIT_KEYS = (ord("q"), ord("Q"), 27)


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="collect.py", description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="dataset folder (created; resumed if it exists)")
    parser.add_argument("--subject", required=True, help="name of the person filmed (files <class>/<subject>_<n>.png)")
    parser.add_argument("--source", nargs="+", default=["0"], help="camera index (default: 0) or video file(s)")
    parser.add_argument("--classes", nargs="+", default=list(SEED_CLASSES),
                        help="emotions to prompt for on a camera (default: happy neutral surprise, seed 000)")
    parser.add_argument("--label", help="emotion shown in every video source")
    parser.add_argument("--labels", nargs="+", help="emotion of each video source, in order")
    parser.add_argument("--count", type=int, default=100,
                        help="face crops (and as many mouth crops) per class (default: 100)")
    parser.add_argument("--every", type=int, default=3, help="capture every K-th frame (default: 3)")
    add_detector_arguments(parser)
    parser.add_argument("--no-display", action="store_true", help="no preview window; prompts go to the terminal")
    return parser


def video_plan(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``(source, label)`` pairs for video sources."""
    if args.labels:
        if len(args.labels) != len(args.source):
            raise ConfigError(f"--labels gives {len(args.labels)} labels for {len(args.source)} sources")
        return [(s, canonical_name(label)) for s, label in zip(args.source, args.labels)]
    if args.label:
        return [(s, canonical_name(args.label)) for s in args.source]
    raise ConfigError("video sources need --label CLASS (all videos) or --labels CLASS... (one per video)")


def wait_for_start(source: FrameSource, collector: Collector, label: str, display: bool) -> bool:
    """Prompt the subject to show ``label``; ``False`` when they quit."""
    from fer_torch.apps.collect import preview

    message = f"Show a {label.upper()} face"
    if not display:
        wanted = collector.remaining(label)
        answer = input(f"{message} and press Enter to capture {wanted} face + mouth crops (q + Enter quits): ")
        return answer.strip().lower() != "q"
    for frame in source:
        key = preview(frame, None, f"{message}: Enter/space starts, q quits", WINDOW_NAME)
        if key in QUIT_KEYS:
            return False
        if key in START_KEYS:
            return True
    return False


def report(result: CaptureResult) -> None:
    """One line per class: what was captured, and whether the source ran out first."""
    short = "" if result.captured >= result.wanted else f"; the source ended {result.wanted - result.captured} short"
    print(f"{result.label}: wrote {result.captured} face + {result.captured} mouth crops from {result.frames_read} "
          f"frames ({result.wanted} were still needed{short})")


def preview_progress(label: str):
    """Preview callback showing the capture count; ``q`` stops the class."""
    from fer_torch.apps.collect import preview

    def show(frame, face, captured, wanted) -> bool:
        return preview(frame, face, f"{label}: {captured}/{wanted} (q stops)", WINDOW_NAME) not in QUIT_KEYS

    return show


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.count < 1 or args.every < 1:
        raise ConfigError(f"--count and --every must be >= 1, got {args.count} and {args.every}")
    import cv2

    from fer_torch.apps.collect import Collector
    from fer_torch.inference.detector_registry import build_detector
    from fer_torch.apps.live_session import use_display
    from fer_torch.inference.video import open_source

    cameras = [s for s in args.source if s.strip().isdigit()]
    if cameras and len(args.source) > 1:
        raise ConfigError("use one camera, or video files only, as --source")
    plan = [] if cameras else video_plan(args)
    detector = build_detector(args.detector, **detector_options(args))
    collector = Collector(args.root, args.subject, detector, count=args.count, every=args.every)
    if cameras:
        classes = canonical_names(args.classes)
        display = use_display(not args.no_display, "no preview window, prompts go to the terminal")
        source = open_source(cameras[0])
        try:
            for label in classes:
                if collector.remaining(label) == 0:
                    print(f"{label}: already complete for {args.subject}")
                    continue
                if not wait_for_start(source, collector, label, display):
                    break
                report(collector.capture(source, label, preview_progress(label) if display else None))
                if source.stopped_early:
                    print(f"note: {source.name} stopped delivering frames", file=sys.stderr)
                    break
        finally:
            source.release()
            if display:
                cv2.destroyAllWindows()
    else:
        for path, label in plan:
            with open_source(path) as source:
                result = collector.capture(source, label)
            report(result)
    command = training_command(args.root)
    print(f"dataset: {args.root}" + (f"; fine-tune the default model on it:\n  {command}" if command else ""))
    return 0


def training_command(root: Path) -> str | None:
    """The command that fine-tunes the default model on the collection at ``root`` with the classes it holds
    (None while it holds none)."""
    import shlex

    from fer_torch.data.readers import list_class_names
    from fer_torch.errors import DataError

    try:
        classes = list_class_names(root, "webcam")
    except (DataError, OSError):  # nothing captured yet
        return None
    return shlex.join([*invoked_as("train"), "--config", "webcam_finetune", "--data.root", str(root),
                       "--data.classes", f"[{','.join(classes)}]"]) if classes else None
