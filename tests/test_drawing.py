"""Annotation drawing: the probability bars' text comes from a cached rendering that matches cv2.putText."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_torch.inference.drawing import BAR_FONT_SCALE, FONT, blit_text, draw_faces
from fer_torch.inference.predictor import FaceResult
from fer_torch.labels import FER2013_CLASSES


def put_text(frame: np.ndarray, text: str, x: int, y: int) -> None:
    cv2.putText(frame, text, (x, y), FONT, BAR_FONT_SCALE, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.putText(frame, text, (x, y), FONT, BAR_FONT_SCALE, (255, 255, 255), 1, cv2.LINE_AA)


@pytest.mark.parametrize(("x", "y", "inside"), [(40, 30, True), (300, 200, True), (0, 8, False), (-20, 5, False),
                                               (700, 470, False), (715, 479, False), (100, 600, False)])
def test_cached_text_matches_put_text_and_clips_at_the_frame_edge(x, y, inside):
    frame = np.random.default_rng(0).integers(0, 255, (480, 720, 3), np.uint8)
    expected, got = frame.copy(), frame.copy()
    put_text(expected, "happy 0.87", x, y)
    blit_text(got, "happy 0.87", x, y)
    difference = np.abs(expected.astype(int) - got.astype(int))
    if inside:  # the same pixels, up to anti-aliasing rounding
        assert difference.max() <= 8
    else:  # cut at the border (OpenCV's own clipping shades a few edge pixels differently)
        assert difference.mean() < 0.01


def test_faces_are_drawn_with_bars_near_every_border():
    probabilities = np.full(7, 1 / 7, np.float32)
    for box in [(0, 0, 60, 60), (660, 420, 60, 60), (300, 200, 110, 110)]:
        frame = np.zeros((480, 720, 3), np.uint8)
        face = FaceResult(box, "neutral", 0.2, probabilities, FER2013_CLASSES, face_id=3)
        assert draw_faces(frame, [face]) is frame and frame.any()
