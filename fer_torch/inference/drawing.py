"""Annotate frames: face boxes, labels with scores and per-class probability bars."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fer_torch.inference.predictor import FaceResult

FONT = cv2.FONT_HERSHEY_SIMPLEX
# One BGR colour per FER2013 emotion; other names cycle through the palette.
EMOTION_COLORS = {
    "angry": (40, 40, 220), "disgust": (40, 140, 40), "fear": (160, 60, 160), "happy": (0, 200, 255),
    "sad": (200, 120, 40), "surprise": (0, 140, 255), "neutral": (180, 180, 180),
}
PALETTE = tuple(EMOTION_COLORS.values())


def class_color(name: str, index: int = 0) -> tuple[int, int, int]:
    """BGR colour of a class."""
    return EMOTION_COLORS.get(name, PALETTE[index % len(PALETTE)])


def draw_face(frame: np.ndarray, face: FaceResult, bars: bool = True) -> None:
    """Draw one face's box, ``#id label score`` and (``bars``) its probability bars, in place."""
    x, y, w, h = face.box
    color = class_color(face.label, face.class_names.index(face.label))
    scale = max(0.4, min(1.0, w / 200))
    thickness = max(1, int(round(w / 120)))
    cv2.rectangle(frame, (x, y), (x + w, y + h), color, thickness)
    if face.region_box is not None and face.region_box[2] * face.region_box[3] < w * h:  # a mouth crop: show it
        rx, ry, rw, rh = face.region_box
        cv2.rectangle(frame, (rx, ry), (rx + rw, ry + rh), color, 1)
    caption = f"{'' if face.face_id is None else f'#{face.face_id} '}{face.label} {face.score:.2f}"
    cv2.putText(frame, caption, (x, max(12, y - 6)), FONT, scale, color, thickness, cv2.LINE_AA)
    if bars:
        draw_probability_bars(frame, face)


def draw_probability_bars(frame: np.ndarray, face: FaceResult, bar_height: int = 13) -> None:
    """One bar per class (``name p`` written on it) under the face box, or above it when there is no room."""
    x, y, w, h = face.box
    width = max(w, 110)
    step = bar_height + 2
    top = y + h + 4
    if top + step * len(face.class_names) > frame.shape[0]:
        top = max(0, y - 24 - step * len(face.class_names))
    x0 = int(np.clip(x, 0, max(0, frame.shape[1] - width)))
    for i, (name, p) in enumerate(zip(face.class_names, face.probabilities)):
        y0 = top + i * step
        cv2.rectangle(frame, (x0, y0), (x0 + width, y0 + bar_height), (50, 50, 50), -1)
        cv2.rectangle(frame, (x0, y0), (x0 + int(width * float(p)), y0 + bar_height), class_color(name, i), -1)
        text = (x0 + 3, y0 + bar_height - 3)
        cv2.putText(frame, f"{name} {float(p):.2f}", text, FONT, 0.38, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.putText(frame, f"{name} {float(p):.2f}", text, FONT, 0.38, (255, 255, 255), 1, cv2.LINE_AA)


def draw_faces(frame: np.ndarray, faces: Sequence[FaceResult], bars: bool = True) -> np.ndarray:
    """Annotate every face of ``frame`` in place and return it (gray frames become BGR copies)."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    for face in faces:
        draw_face(frame, face, bars)
    return frame
