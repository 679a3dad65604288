"""Seed 004's server-side camera: an MJPEG stream (``multipart/x-mixed-replace``) of annotated frames."""

from __future__ import annotations

import time
from collections.abc import Iterator

import cv2
import numpy as np

from fer_torch.inference.drawing import draw_faces
from fer_torch.inference.stream import StreamPredictor
from fer_torch.inference.video import FrameSource, open_source

BOUNDARY = "frame"
MIMETYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"


def jpeg_part(image: np.ndarray) -> bytes:
    """One multipart part holding ``image`` as JPEG."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return b"--" + BOUNDARY.encode() + b"\r\nContent-Type: image/jpeg\r\n\r\n" + encoded.tobytes() + b"\r\n"


def mjpeg_parts(source: FrameSource, spec: str, stream: StreamPredictor, bars: bool = True,
                loop: bool = True) -> Iterator[bytes]:
    """Annotated JPEG parts of ``source``, as ``live.py`` draws them. Video files play at their own frame rate and
    start over at their end (``loop``); ``spec`` reopens them. The source is released when the viewer leaves."""
    try:
        while True:
            start = time.perf_counter()
            for frame in source:
                if source.kind == "video":
                    time.sleep(max(0.0, frame.time_s - (time.perf_counter() - start)))
                yield jpeg_part(draw_faces(frame.image, stream.predict_frame(frame.image), bars))
            if not (loop and source.kind == "video"):
                return
            source.release()
            source = open_source(spec)
    finally:
        source.release()
