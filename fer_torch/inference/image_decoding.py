"""Encoded image bytes -> a BGR frame, refusing by header (before any pixel is decoded) what is too large, and
what is cut short or is no image at all."""

from __future__ import annotations

import io
import threading
import warnings

import cv2
import numpy as np

from fer_torch.errors import DataError

DEFAULT_MAX_PIXELS = 40_000_000
"""The pixel budget of one decoded image: 40 MP is 120 MB of BGR (a 20000x20000 PNG of 1 MB would be 1.2 GB)."""


_PIL_LIMIT = threading.Lock()


class ImageTooLarge(DataError):
    """An image whose header declares more pixels than the budget allows."""


def image_header(data: bytes) -> tuple[str, int, int] | None:
    """``(format, width, height)`` read from the header of encoded image bytes, or ``None`` when they are not an
    image Pillow recognises (a video, text, garbage). Nothing is decoded."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return str(image.format), int(image.width), int(image.height)
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError, EOFError):
        # A bomb beyond Pillow's own limit is still an image: its header says so, and decode_image refuses it.
        return _bomb_header(data)


def _bomb_header(data: bytes) -> tuple[str, int, int] | None:
    """The header of an image Pillow refuses to open as a decompression bomb (it does not report the size)."""
    from PIL import Image

    with _PIL_LIMIT:
        previous = Image.MAX_IMAGE_PIXELS
        try:
            Image.MAX_IMAGE_PIXELS = None  # only the header is read below; nothing is decoded
            with Image.open(io.BytesIO(data)) as image:
                return str(image.format), int(image.width), int(image.height)
        except (OSError, ValueError, SyntaxError, EOFError):
            return None
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def is_truncated(data: bytes, image_format: str) -> bool:
    """Whether a JPEG's last scan has no end-of-image marker after it (OpenCV would decode it partially, gray below
    the cut). Markers cannot occur inside scan data (0xFF is stuffed there), so an EXIF thumbnail's marker, which
    comes before the main scan, does not count, and bytes appended after a whole image are allowed."""
    return image_format in ("JPEG", "MPO") and data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")


def decode_image(data: bytes, max_pixels: int | None = DEFAULT_MAX_PIXELS, what: str = "image") -> np.ndarray:
    """BGR frame of encoded image bytes (JPEG, PNG, BMP, WebP, TIFF, ...).

    Raises :class:`ImageTooLarge` when the header declares more than ``max_pixels`` (``None``: no limit), and
    :class:`DataError` for empty, truncated or undecodable bytes.
    """
    if not data:
        raise DataError(f"empty {what}: no bytes received")
    header = image_header(data)
    if header is None:
        raise DataError(f"{what} is not a decodable image (JPEG, PNG, BMP, WebP ...)")
    image_format, width, height = header
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLarge(f"{what} is {width}x{height} = {width * height / 1e6:.1f} MP; the limit is "
                            f"{max_pixels / 1e6:g} MP")
    if is_truncated(data, image_format):
        raise DataError(f"{what} is a truncated {image_format} (no end-of-image marker)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{what} is a {image_format} header over undecodable data")
    return image


def fit_within(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` downscaled so that its longer side is at most ``max_side``, and the factor applied (1.0: as is)."""
    longest = max(image.shape[:2])
    if longest <= max_side:
        return image, 1.0
    factor = max_side / longest
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor
