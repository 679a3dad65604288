"""WCAG 2 text contrast: relative luminance, contrast ratio, and the readable text colour on a background."""

from __future__ import annotations

from collections.abc import Sequence

BLACK, WHITE = (0, 0, 0), (255, 255, 255)
AA_NORMAL_TEXT = 4.5
"""WCAG AA's minimum contrast ratio for normal-size text."""


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG relative luminance of an sRGB colour given as three 0-255 values."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: Sequence[float], second: Sequence[float]) -> float:
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_text_color(background: Sequence[float]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with ``background`` (always at least 4.58:1, above WCAG AA)."""
    return BLACK if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background) else WHITE
