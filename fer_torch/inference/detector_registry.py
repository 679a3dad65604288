"""Face detectors by name: ``haar``, ``mtcnn`` and any registered later, listed without importing OpenCV.

An entry is a factory: a callable taking keyword options and returning a
:class:`~fer_torch.inference.detectors.FaceDetector` (``detect_faces(frame) -> list[Detection]``). Adding a detector
= one module with its class (and factory) + one registration, ``DETECTORS.register("name", factory)`` (a plugin) or a
lazy ``"module:attribute"`` line below (fer-torch's own). Tools take ``choices=DETECTORS.names()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fer_torch.errors import DetectorError
from fer_torch.registry import Registry
from fer_torch.registry_options import route_options

if TYPE_CHECKING:
    from fer_torch.inference.detectors import FaceDetector

DEFAULT_DETECTOR = "haar"

DETECTORS: Registry[Callable[..., FaceDetector]] = Registry("face detector", DetectorError)
DETECTORS.register("haar", "fer_torch.inference.detectors:HaarFaceDetector")
DETECTORS.register("mtcnn", "fer_torch.inference.detectors:mtcnn_detector")


def build_detector(name: str = DEFAULT_DETECTOR, **options: Any) -> FaceDetector:
    """The detector registered as ``name``, built with the ``options`` its factory takes.

    The tools offer every detector ``min_size`` (smallest face, ``(w, h)`` px), ``device`` (where a network runs)
    and Haar's ``scale_factor`` and ``min_neighbors``; options only other detectors take are left out, one that no
    detector takes is a :class:`DetectorError` (:mod:`fer_torch.registry_options`).
    """
    return DETECTORS.get(name)(**route_options(DETECTORS, name, options))
