"""Data readers by name: ``csv``, ``folder``, ``webcam`` and any registered later, listed without importing them.

A reader is a :class:`DataReader`. Adding one = one module defining a ``DataReader`` + one registration,
``READERS.register("name", reader)`` (a plugin) or a lazy ``"module:attribute"`` line below (fer-torch's own).
:func:`fer_torch.data.readers.load_splits` reads any of them; tools take ``choices=source_choices()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fer_torch.errors import ConfigError, DataError, FERError
from fer_torch.registry import Registry

if TYPE_CHECKING:
    from fer_torch.data.samples import Samples

AUTO = "auto"
"""The source that is no reader: ask every reader whether it recognises the path."""


@dataclass(frozen=True)
class DataReader:
    """One dataset form on disk.

    ``read(root, *, rgb=False, **options)``: ``{split: Samples}``, splits among ``fer_torch.labels.SPLIT_ORDER`` in
    that order, uint8 gray ``(H, W)`` images or RGB ``(H, W, 3)`` ones with ``rgb``; its other keyword parameters
    are its options (:func:`fer_torch.registry_options.route_options` hands it those). ``class_names(root)``: the
    classes ``read`` labels with, in label order, without decoding an image. ``detect(root)``: whether the existing
    path ``root`` holds this form; ``source="auto"`` asks the readers by descending ``priority`` (then by name) and
    takes the first that says yes. ``description`` says what the form looks like, for the error on a path that no
    reader recognises ("expected <description>, <description> or <description>").
    """

    read: Callable[..., dict[str, Samples]]
    class_names: Callable[[Path], tuple[str, ...]]
    detect: Callable[[Path], bool]
    description: str
    priority: int = 0


READERS: Registry[DataReader] = Registry("data source", DataError)
READERS.register("csv", "fer_torch.data.fer2013_csv:CSV_READER")
READERS.register("folder", "fer_torch.data.folders:FOLDER_READER")
READERS.register("webcam", "fer_torch.data.webcam:WEBCAM_READER")


def source_choices() -> list[str]:
    """What ``--source`` and ``data.source`` accept: ``auto`` and the registered readers."""
    return [AUTO, *READERS.names()]


def check_source(source: str, error: type[FERError] = ConfigError) -> str:
    """``source`` when it is ``auto`` or a registered reader, else ``error`` naming the choices."""
    if source != AUTO and source not in READERS:
        raise error(f"unknown source {source!r}; expected one of {', '.join(source_choices())}")
    return source
