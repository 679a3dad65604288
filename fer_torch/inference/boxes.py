"""Box geometry: boxes are ``(x, y, w, h)`` ints in frame pixels (frames: ``(height, width, ...)`` arrays)."""

from __future__ import annotations

Box = tuple[int, int, int, int]

MOUTH_ASPECT = 43 / 72  # height / width of seed 000's mouth crops


def clip_box(box: Box, shape: tuple[int, ...]) -> Box:
    """Box cut to the frame of the given ``shape`` (height, width, ...)."""
    x, y, w, h = box
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(shape[1], int(x + w)), min(shape[0], int(y + h))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def expand_box(box: Box, margin: float) -> Box:
    """Box grown by ``margin`` × its width / height on every side."""
    x, y, w, h = box
    dx, dy = int(round(w * margin)), int(round(h * margin))
    return x - dx, y - dy, w + 2 * dx, h + 2 * dy


def box_with_aspect(cx: float, cy: float, width: float, aspect: float = MOUTH_ASPECT) -> Box:
    """Box of the given width and height/width ``aspect`` centred on ``(cx, cy)``."""
    height = width * aspect
    return int(round(cx - width / 2)), int(round(cy - height / 2)), int(round(width)), int(round(height))
