"""Turn request bodies into frames, refusing what is not an image or a video with a 4xx naming the problem.

Every image the server accepts goes through :func:`fer_torch.inference.image_decoding.decode_image`: its header is
read first and an image over the pixel budget is refused (413) before a pixel is decoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from flask import Request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from fer_torch.apps.web.jobs import UPLOAD_NAME
from fer_torch.inference.image_decoding import decode_image

UPLOAD_TYPES = ("image/", "video/", "application/octet-stream")
"""Declared part types an upload may carry (browsers send ``application/octet-stream`` for unknown files)."""


def uploaded_file(request: Request, field: str, allowed: tuple[str, ...]) -> FileStorage:
    """The ``field`` file of a ``multipart/form-data`` request whose declared type starts with one of ``allowed``."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(f"expected multipart/form-data with a '{field}' file, got "
                                   f"{request.mimetype or 'no content type'}")
    file = request.files.get(field)
    if file is None:
        raise BadRequest(f"multipart form has no '{field}' file field")
    if file.mimetype and not file.mimetype.startswith(allowed):
        raise UnsupportedMediaType(f"'{field}' is {file.mimetype[:60]}; expected {', '.join(allowed)}")
    return file


def request_image(request: Request, max_pixels: int | None, field: str = "image") -> np.ndarray:
    """The image of a request: a raw ``image/*`` body, or a ``multipart/form-data`` ``field`` file."""
    if request.mimetype.startswith("image/"):
        return decode_image(request.get_data(), max_pixels, "image body")
    if request.mimetype == "multipart/form-data":
        file = uploaded_file(request, field, ("image/", "application/octet-stream"))
        return decode_image(file.read(), max_pixels, f"'{field}' file")
    raise UnsupportedMediaType(f"expected an image/* body or multipart/form-data with an '{field}' file, got "
                               f"{request.mimetype or 'no content type'}")


def save_upload(file: FileStorage, folder: Path) -> Path:
    """Write an uploaded file into ``folder`` under a generated name (never the client's name or suffix, so it
    can never be served as what its name claims); 400 when it is empty."""
    path = folder / UPLOAD_NAME
    file.save(path)
    if path.stat().st_size == 0:
        path.unlink()
        raise BadRequest("empty upload: the file has no bytes")
    return path
