"""Turn request bodies into frames, refusing what is not an image or a video with a 4xx naming the problem."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from flask import Request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

UPLOAD_TYPES = ("image/", "video/", "application/octet-stream")
"""Declared part types an upload may carry (browsers send ``application/octet-stream`` for unknown files)."""


def decode_image(data: bytes, what: str = "upload") -> np.ndarray:
    """BGR frame of an encoded image (JPEG, PNG, ...); 400 when empty or not decodable."""
    if not data:
        raise BadRequest(f"empty {what}: no bytes received")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BadRequest(f"{what} is not a decodable image (JPEG, PNG, BMP, WebP ...)")
    return image


def uploaded_file(request: Request, field: str, allowed: tuple[str, ...]) -> FileStorage:
    """The ``field`` file of a ``multipart/form-data`` request whose declared type starts with one of ``allowed``."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(f"expected multipart/form-data with a '{field}' file, got "
                                   f"{request.mimetype or 'no content type'}")
    file = request.files.get(field)
    if file is None:
        raise BadRequest(f"multipart form has no '{field}' file field")
    if file.mimetype and not file.mimetype.startswith(allowed):
        raise UnsupportedMediaType(f"'{field}' is {file.mimetype}; expected {', '.join(allowed)}")
    return file


def request_image(request: Request, field: str = "image") -> np.ndarray:
    """The image of a request: a raw ``image/*`` body, or a ``multipart/form-data`` ``field`` file."""
    if request.mimetype.startswith("image/"):
        return decode_image(request.get_data(), "image body")
    if request.mimetype == "multipart/form-data":
        return decode_image(uploaded_file(request, field, ("image/", "application/octet-stream")).read(),
                            f"'{field}' file")
    raise UnsupportedMediaType(f"expected an image/* body or multipart/form-data with an '{field}' file, got "
                               f"{request.mimetype or 'no content type'}")


def save_upload(file: FileStorage, folder: Path) -> Path:
    """Write an uploaded file into ``folder`` under a safe name (keeping its suffix); 400 when it is empty."""
    suffix = Path(file.filename or "").suffix.lower()
    suffix = suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ""
    path = folder / f"input{suffix}"
    file.save(path)
    if path.stat().st_size == 0:
        path.unlink()
        raise BadRequest("empty upload: the file has no bytes")
    return path
