"""Annotate frames: face boxes, labels with scores and per-class probability bars."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np

from fer_torch.inference.contrast import readable_text_color
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
    draw_caption(frame, caption, face.box, color, scale)
    if bars:
        draw_probability_bars(frame, face)


def draw_caption(frame: np.ndarray, text: str, box: tuple[int, int, int, int], color: tuple[int, int, int],
                 scale: float) -> None:
    """``text`` on a filled label of the box's ``color`` (black or white text, whichever reads better: at least
    4.5:1), above the box, or inside its top edge when there is no room above; kept inside the frame."""
    x, y, w, h = box
    thickness = 2 if scale >= 0.7 else 1
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, thickness)
    pad = 3
    label_w, label_h = width + 2 * pad, height + baseline + 2 * pad
    left = int(np.clip(x, 0, max(0, frame.shape[1] - label_w)))
    top = y - label_h if y - label_h >= 0 else max(0, y)
    top = min(top, max(0, frame.shape[0] - label_h))
    cv2.rectangle(frame, (left, top), (left + label_w, top + label_h), color, -1)
    ink = readable_text_color(color[::-1])[::-1]  # colours here are BGR
    cv2.putText(frame, text, (left + pad, top + pad + height), FONT, scale, ink, thickness, cv2.LINE_AA)


BAR_TEXT_WIDTH = 86
"""Pixels of a bar row kept for its ``name p`` text (on the dark track, never on the coloured fill)."""


def draw_probability_bars(frame: np.ndarray, face: FaceResult, bar_height: int = 13) -> None:
    """One row per class under the face box (above it when there is no room): ``name p`` in white on a dark track,
    then a bar of the class colour as long as ``p``."""
    x, y, w, h = face.box
    width = max(w, BAR_TEXT_WIDTH + 60)
    step = bar_height + 2
    top = y + h + 4
    if top + step * len(face.class_names) > frame.shape[0]:
        top = max(0, y - 24 - step * len(face.class_names))
    x0 = int(np.clip(x, 0, max(0, frame.shape[1] - width)))
    for i, (name, p) in enumerate(zip(face.class_names, face.probabilities)):
        y0 = top + i * step
        cv2.rectangle(frame, (x0, y0), (x0 + width, y0 + bar_height), (50, 50, 50), -1)
        fill_x, fill_w = x0 + BAR_TEXT_WIDTH, width - BAR_TEXT_WIDTH
        cv2.rectangle(frame, (fill_x, y0 + 2), (fill_x + int(fill_w * float(p)), y0 + bar_height - 2),
                      class_color(name, i), -1)
        blit_text(frame, f"{name} {float(p):.2f}", x0 + 3, y0 + bar_height - 3)


BAR_FONT_SCALE = 0.38


@functools.lru_cache(maxsize=1024)
def _text_alpha(text: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """White-on-black-outline ``text`` rendered once (a bar's label: 7 classes x 101 values) as two alpha masks,
    outline and fill, float32 in [0, 1], and where the text's origin lies in them."""
    (width, height), baseline = cv2.getTextSize(text, FONT, BAR_FONT_SCALE, 2)
    pad = 4  # the anti-aliased outline reaches past getTextSize's box
    shape = (height + baseline + 2 * pad, width + 2 * pad)
    outline, fill = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    origin = (pad, height + pad)
    cv2.putText(outline, text, origin, FONT, BAR_FONT_SCALE, 255, 2, cv2.LINE_AA)
    cv2.putText(fill, text, origin, FONT, BAR_FONT_SCALE, 255, 1, cv2.LINE_AA)
    return outline.astype(np.float32)[..., None] / 255, fill.astype(np.float32)[..., None] / 255, origin


def blit_text(frame: np.ndarray, text: str, x: int, y: int) -> None:
    """``text`` in white with a black outline, its baseline starting at ``(x, y)``, clipped to the frame: what two
    ``cv2.putText`` calls draw, from a cached rendering (the bars' text was a fifth of a live frame's drawing)."""
    outline, fill, (origin_x, origin_y) = _text_alpha(text)
    top, left = y - origin_y, x - origin_x
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(frame.shape[0], top + outline.shape[0]), min(frame.shape[1], left + outline.shape[1])
    if y1 <= y0 or x1 <= x0:
        return
    rows, cols = slice(y0 - top, y1 - top), slice(x0 - left, x1 - left)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region *= 1 - outline[rows, cols]
    region += 255 * fill[rows, cols] - region * fill[rows, cols]
    frame[y0:y1, x0:x1] = region.astype(np.uint8)


def draw_faces(frame: np.ndarray, faces: Sequence[FaceResult], bars: bool = True) -> np.ndarray:
    """Annotate every face of ``frame`` in place and return it (gray frames become BGR copies)."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    for face in faces:
        draw_face(frame, face, bars)
    return frame
