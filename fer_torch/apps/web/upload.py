"""Uploaded image or video -> annotated result, the live.py ``--log`` CSV (and JSON), emotion histogram and timeline."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from werkzeug.exceptions import BadRequest

from fer_torch.errors import SourceError
from fer_torch.evaluation.plots import plot_emotion_timeline
from fer_torch.apps.live_session import FaceLog, run_session
from fer_torch.inference.video import CaptureSource, FrameSource, FrameWriter, ImageFilesSource
from fer_torch.apps.web.service import InferenceService

RESULT_FILES = {"annotated": None, "log_csv": "log.csv", "log_json": "log.json", "histogram": "histogram.png",
                "timeline": "timeline.png"}
"""The files an upload produces (the annotated one is ``annotated.png`` or ``annotated.mp4``)."""


def open_upload(path: Path) -> FrameSource:
    """The upload as an image or a video source; 400 when it is neither."""
    try:
        return ImageFilesSource(path)  # decodes the image once; a video does not decode as one
    except SourceError:
        pass
    try:
        return CaptureSource(path)
    except SourceError:
        raise BadRequest("upload is neither a decodable image nor a readable video") from None


def process_upload(path: Path, service: InferenceService, folder: Path, max_frames: int | None = None,
                   bars: bool = True) -> dict:
    """Annotate every frame of the uploaded ``path`` (up to ``max_frames``) into ``folder``; return a summary
    with the names of the written files."""
    source = open_upload(path)
    kind = source.kind
    annotated = f"annotated{'.png' if kind == 'image' else '.mp4'}"
    files = {**RESULT_FILES, "annotated": annotated}
    try:
        output = FrameWriter(folder / annotated, fps=source.fps, single_image=kind == "image")
        log = FaceLog(folder / files["log_csv"], service.predictor.class_names)
    except BaseException:
        source.release()
        raise
    # As in live.py, a photo is detected at full size; a video gets the stream's fast detection.
    summary = run_session(source, service.stream(fast_detection=kind != "image"), output=output, log=log, max_frames=max_frames, bars=bars)
    table = pd.read_csv(folder / files["log_csv"])
    table.to_json(folder / files["log_json"], orient="records", indent=1)
    summary.save_histogram(folder / files["histogram"])
    plot_emotion_timeline(table, service.predictor.class_names, folder / files["timeline"])
    return {"kind": kind, "frames": summary.frames, "frames_with_faces": summary.frames_with_faces,
            "faces": summary.faces, "stop_reason": summary.stop_reason,
            "histogram": {str(k): v for k, v in summary.histogram().items()}, "files": files}
