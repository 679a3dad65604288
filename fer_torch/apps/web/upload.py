"""Uploaded image or video -> annotated result, the live.py ``--log`` CSV (and JSON), emotion histogram and timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from werkzeug.exceptions import BadRequest

from fer_torch.errors import SourceError
from fer_torch.evaluation.plots import plot_emotion_timeline
from fer_torch.apps.live_session import record_session
from fer_torch.inference.image_decoding import decode_image, image_header
from fer_torch.inference.video import IMAGE_SUFFIXES, CaptureSource, DecodedImageSource, FrameSource
from fer_torch.apps.web.service import InferenceService

RESULT_FILES = {"annotated": None, "log_csv": "log.csv", "log_json": "log.json", "histogram": "histogram.png",
                "timeline": "timeline.png"}
"""The files an upload produces (the annotated one is ``annotated.png``, or ``annotated.webm`` for a video: VP8,
which browsers play inline)."""

PLOTTED_FACES = 20
"""A crowd photo still gets readable plots: the faces seen in the most frames, at most this many."""


def claims_image(path: Path, filename: str, mimetype: str) -> bool:
    """Whether an upload is an image by its bytes (header), its declared type or its name's suffix: such an upload
    is decoded as an image or refused, never handed to the video reader."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    return (image_header(head) is not None or mimetype.startswith("image/")
            or Path(filename).suffix.lower() in IMAGE_SUFFIXES)


def open_upload(path: Path, filename: str = "", mimetype: str = "", max_pixels: int | None = None) -> FrameSource:
    """The upload as an image or a video source; 400 when it is neither, 413 when its frames exceed
    ``max_pixels``."""
    if claims_image(path, filename, mimetype):
        return DecodedImageSource(decode_image(path.read_bytes(), max_pixels, "uploaded image"), "upload")
    try:
        return CaptureSource(path, max_pixels)
    except SourceError:
        raise BadRequest("upload is neither a decodable image nor a readable video") from None


def face_summaries(table: pd.DataFrame, class_names: Sequence[str]) -> list[dict]:
    """Per face id of a ``--log`` table, most frames first: frames, first and last time, the dominant emotion (the
    highest mean probability) with that mean, and every class's mean probability."""
    summaries = []
    for face_id, rows in table.groupby("face_id"):
        means = rows[list(class_names)].mean()
        dominant = str(means.idxmax())
        summaries.append({"face_id": int(face_id), "frames": len(rows), "first_s": float(rows["time_s"].min()),
                          "last_s": float(rows["time_s"].max()), "dominant": dominant,
                          "mean_probability": round(float(means[dominant]), 4),
                          "mean_probabilities": {name: round(float(means[name]), 4) for name in class_names}})
    return sorted(summaries, key=lambda s: (-s["frames"], s["face_id"]))


def process_upload(source: FrameSource, service: InferenceService, folder: Path, max_frames: int | None = None,
                   bars: bool = True, on_frame: Callable[[int], None] | None = None) -> dict:
    """Annotate every frame of the upload's ``source`` (up to ``max_frames``) into ``folder``, calling
    ``on_frame(frames done)`` after each; return a summary with each face's dominant emotion and the names of the
    written files. The plots show the :data:`PLOTTED_FACES` faces seen longest."""
    kind = source.kind
    annotated = f"annotated{'.png' if kind == 'image' else '.webm'}"
    files = {**RESULT_FILES, "annotated": annotated}
    # As in live.py, a photo is detected at full size; a video gets the stream's fast detection.
    summary, _ = record_session(source, service.stream(fast_detection=kind != "image"), output=folder / annotated,
                                log=folder / files["log_csv"], max_frames=max_frames, bars=bars, on_frame=on_frame)
    table = pd.read_csv(folder / files["log_csv"])
    table.to_json(folder / files["log_json"], orient="records", indent=1)
    summary.save_histogram(folder / files["histogram"], max_faces=PLOTTED_FACES)
    plot_emotion_timeline(table, service.predictor.class_names, folder / files["timeline"], max_faces=PLOTTED_FACES)
    return {"kind": kind, "frames": summary.frames, "frames_with_faces": summary.frames_with_faces,
            "faces": summary.faces, "fps": source.fps, "stop_reason": summary.stop_reason,
            "per_face": face_summaries(table, service.predictor.class_names),
            "histogram": {str(k): v for k, v in summary.histogram().items()}, "files": files}
