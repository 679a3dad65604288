"""The live loop: read frames, classify faces, draw, show, write the annotated video and a per-frame CSV log.

Stopping with ``q``/Esc in the window or Ctrl-C still finalizes the video and log (``try/finally``). Ctrl-C
stops after the frame in progress (a second one stops at once), so the summary, the annotated output and the
log hold the same frames.
At the end, :class:`SessionSummary` counts frames, faces, frames/s and each face's emotion histogram
(seed 001, Figure 29). :func:`record_session` opens the annotated output and the log, then runs the loop
(live.py, the web upload, the live benchmark).
"""

from __future__ import annotations

import csv
import os
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fer_torch.inference.drawing import draw_faces
from fer_torch.inference import detect_ahead as ahead
from fer_torch.inference.predictor import FaceResult
from fer_torch.inference.stream import StreamPredictor
from fer_torch.inference.video import FrameSource, FrameWriter

WINDOW_NAME = "fer-torch live (q / Esc to stop)"
STOP_KEYS = (ord("q"), ord("Q"), 27)
LOG_COLUMNS = ("frame", "time_s", "face_id", "x", "y", "w", "h", "label", "score")


def display_available() -> tuple[bool, str]:
    """Whether ``cv2.imshow`` can open a window here, and why not."""
    gui = next((line.split(":", 1)[1].strip() for line in cv2.getBuildInformation().splitlines()
                if line.strip().startswith("GUI:")), "NONE")
    if gui.upper() == "NONE":
        return False, "this OpenCV build has no GUI (opencv-python-headless)"
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False, "no DISPLAY is set"
    return True, ""


def use_display(requested: bool, fallback: str) -> bool:
    """Whether to show a window: ``requested`` and possible; otherwise say why in one line on stderr."""
    if not requested:
        return False
    available, reason = display_available()
    if not available:
        print(f"note: {reason}: {fallback}", file=sys.stderr)
    return available


class FaceLog:
    """Per-frame CSV: ``frame,time_s,face_id,x,y,w,h,label,score`` plus one probability column per class."""

    def __init__(self, path: str | Path, class_names: tuple[str, ...]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow((*LOG_COLUMNS, *class_names))

    def write(self, index: int, time_s: float, faces: list[FaceResult]) -> None:
        for face in faces:
            self.writer.writerow((index, f"{time_s:.3f}", face.face_id, *face.box, face.label, f"{face.score:.4f}",
                                  *(f"{p:.4f}" for p in face.probabilities)))

    def close(self) -> None:
        self.file.close()


@dataclass
class SessionSummary:
    """What a live session saw: frames, faces, speed, and per face its label counts, summed probabilities and last
    box."""

    class_names: tuple[str, ...]
    frames: int = 0
    frames_with_faces: int = 0
    faces: int = 0
    seconds: float = 0.0
    stop_reason: str = "end of source"
    skipped: int = 0  # unreadable images of a folder source
    label_counts: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    probability_sums: dict[int, np.ndarray] = field(default_factory=dict)
    boxes: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)

    def add(self, faces: list[FaceResult]) -> None:
        self.frames += 1
        self.frames_with_faces += bool(faces)
        self.faces += len(faces)
        for face in faces:
            fid = -1 if face.face_id is None else face.face_id
            self.label_counts[fid][face.label] += 1
            probabilities = np.asarray(face.probabilities, dtype=np.float64)
            self.probability_sums[fid] = self.probability_sums.get(fid, 0) + probabilities
            self.boxes[fid] = tuple(int(v) for v in face.box)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def histogram(self) -> dict[int, dict[str, int]]:
        """``{face_id: {class: frames}}`` in class order."""
        return {fid: {name: counts[name] for name in self.class_names}
                for fid, counts in sorted(self.label_counts.items())}

    def mean_probabilities(self, face_id: int) -> dict[str, float]:
        """A face's probabilities averaged over the frames it was seen in, highest first."""
        mean = self.probability_sums[face_id] / sum(self.label_counts[face_id].values())
        return dict(sorted(zip(self.class_names, mean.tolist()), key=lambda item: -item[1]))

    def format(self, top: int = 3) -> str:
        """The session in lines: one for the whole, then one per face. A single image gives each face's box and
        ``top`` probabilities; a video or camera each face's label counts and ``top`` mean probabilities."""
        lines = [f"frames: {self.frames} ({self.frames_with_faces} with a face), faces: {self.faces}, "
                 f"{self.fps:.1f} frames/s; stopped: {self.stop_reason}"]
        if self.skipped:
            lines[0] += f"; {self.skipped} unreadable image(s) skipped"
        for fid, counts in self.histogram().items():
            probabilities = ", ".join(f"{name} {p:.2f}" for name, p in list(self.mean_probabilities(fid).items())[:top])
            if self.frames == 1:
                x, y, w, h = self.boxes[fid]
                lines.append(f"face #{fid} at x={x} y={y} w={w} h={h}: {probabilities}")
                continue
            total = sum(counts.values())
            parts = ", ".join(f"{name} {n} ({n / total:.0%})" for name, n in counts.items() if n)
            lines.append(f"face #{fid}: {total} frames: {parts}; mean probabilities: {probabilities}")
        return "\n".join(lines)

    def save_histogram(self, path: str | Path, max_faces: int | None = None) -> Path:
        """Bar chart of each face's label counts over the session (seed 001, Figure 29) as a PNG, five faces a row;
        ``max_faces`` keeps the faces seen in the most frames."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        histogram = self.histogram() or {None: {name: 0 for name in self.class_names}}
        if max_faces is not None and len(histogram) > max_faces:
            kept = sorted(histogram, key=lambda fid: -sum(histogram[fid].values()))[:max_faces]
            histogram = {fid: histogram[fid] for fid in sorted(kept)}
        columns = min(5, len(histogram))
        rows = -(-len(histogram) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.5 * rows), squeeze=False)
        for ax in axes.flat[len(histogram):]:
            ax.set_visible(False)
        for ax, (fid, counts) in zip(axes.flat, histogram.items()):
            ax.bar(list(counts), list(counts.values()), color="tab:blue")
            ax.set_title("no faces found" if fid is None else f"face #{fid}")
            ax.set_ylabel("frames")
            ax.tick_params(axis="x", rotation=45)
        fig.suptitle("Predicted emotions over the session")
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path


def histogram_path(log_path: str | Path) -> Path:
    """Where the session histogram goes: next to the log, ``<log stem>_histogram.png``."""
    log_path = Path(log_path)
    return log_path.with_name(f"{log_path.stem}_histogram.png")


class DeferredInterrupt:
    """While installed, the first Ctrl-C only sets ``requested`` (the loop stops after the frame in progress);
    a second one raises ``KeyboardInterrupt`` at once. Only the main thread can own signal handlers: elsewhere
    this does nothing."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)

    def _on_sigint(self, signum, frame) -> None:
        self.requested = True
        self.restore()

    def restore(self) -> None:
        """Put back the handler that was there before."""
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def run_session(
    source: FrameSource,
    stream: StreamPredictor,
    *,
    output: FrameWriter | None = None,
    log: FaceLog | None = None,
    display: bool = False,
    max_frames: int | None = None,
    bars: bool = True,
    detect_ahead: bool = True,
    on_frame: Callable[[int], None] | None = None,
) -> SessionSummary:
    """Run the live loop until the source ends, ``max_frames``, ``q``/Esc or Ctrl-C; always release outputs.
    ``on_frame`` is called with the number of frames done after each one (a progress report).

    With ``detect_ahead`` the faces of frame t+1 are detected while frame t is classified, drawn and written
    (:func:`~fer_torch.inference.detect_ahead.detect_ahead`: higher frames/s, one frame of read-ahead).
    """
    summary = SessionSummary(stream.class_names)
    start = time.perf_counter()
    if detect_ahead:
        detected = ahead.detect_ahead(source, lambda frame: stream.detect_faces(frame.image))
    else:
        detected = ((frame, stream.detect_faces(frame.image)) for frame in source)
    interrupt = DeferredInterrupt()
    try:
        for frame, detections in detected:
            faces = stream.predict_detections(frame.image, detections)
            summary.add(faces)
            if on_frame is not None:
                on_frame(summary.frames)
            if log is not None:
                log.write(frame.index, frame.time_s, faces)
            if output is not None or display:
                annotated = draw_faces(frame.image, faces, bars)
                if output is not None:
                    output.write(annotated)
                if display:
                    cv2.imshow(WINDOW_NAME, annotated)
                    if cv2.waitKey(1) & 0xFF in STOP_KEYS:
                        summary.stop_reason = "key pressed"
                        break
                    if cv2.getWindowProperty(WINDOW_NAME, cv2.WND_PROP_VISIBLE) < 1:
                        summary.stop_reason = "window closed"
                        break
            if max_frames is not None and summary.frames >= max_frames:
                summary.stop_reason = f"--max-frames {max_frames}"
                break
            if interrupt.requested:
                summary.stop_reason = "interrupted (Ctrl-C)"
                break
        else:
            if source.stopped_early:
                summary.stop_reason = f"{source.name} stopped delivering frames"
    except KeyboardInterrupt:
        summary.stop_reason = "interrupted (Ctrl-C)"
    finally:
        interrupt.restore()
        detected.close()  # a detection still running ahead finishes before the source is released
        summary.seconds = time.perf_counter() - start
        summary.skipped = source.skipped
        source.release()
        if output is not None:
            output.release()
        if log is not None:
            log.close()
        if display:
            cv2.destroyAllWindows()
    return summary


def record_session(
    source: FrameSource,
    stream: StreamPredictor,
    *,
    output: str | Path | None = None,
    log: str | Path | None = None,
    **options: Any,
) -> tuple[SessionSummary, FrameWriter | None]:
    """Open the annotated ``output`` (a video at the source's frame rate, or images: a single one for an image
    source) and the CSV ``log`` of ``stream``'s classes, then :func:`run_session` with ``options`` (``display``,
    ``max_frames``, ``bars``, ``detect_ahead``, ``on_frame``). When an output cannot be opened, ``source`` is
    released and the error raised. Returns the summary and the writer (``None`` without ``output``)."""
    try:
        writer = FrameWriter(output, fps=source.fps, single_image=source.kind == "image") if output else None
        face_log = FaceLog(log, stream.class_names) if log else None
    except BaseException:
        source.release()  # a writer holds no file before its first frame: nothing else to close
        raise
    summary = run_session(source, stream, output=writer, log=face_log, **options)
    return summary, writer
