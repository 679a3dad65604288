"""Exception types of fer-torch, and the two helpers that put an error in one line (:func:`first_line`,
:func:`one_line`).

The library raises these; ``tools/*.py`` turn any :class:`FERError` into a one-line message and
exit status 2 (see :func:`fer_torch.cli.common.run_tool`).
"""


class FERError(Exception):
    """Base class of every error fer-torch reports to a user."""


class DataError(FERError, ValueError):
    """A dataset, file or row is missing or malformed."""


class UnknownClassError(DataError):
    """A class name (folder name, config entry) is not a known emotion."""


class MissingClassError(UnknownClassError):
    """A class asked for (``data.classes``) is not in the data."""


class EmptySplitError(DataError):
    """A requested split holds no samples."""


class ConfigError(FERError, ValueError):
    """A configuration value is invalid."""


class ModelError(FERError, ValueError):
    """An unknown architecture, a duplicate registry name or invalid model arguments."""


class PretrainedWeightsError(FERError, RuntimeError):
    """Pretrained weights are unavailable (offline) or do not fit the model."""


class CheckpointError(FERError, RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the data."""


class DeviceError(FERError, RuntimeError):
    """A requested device (e.g. CUDA) is unavailable."""


class SourceError(FERError, RuntimeError):
    """A camera, video or image source cannot be opened or read."""


class DetectorError(FERError, RuntimeError):
    """A face detector cannot be built (unknown name, missing cascade file, facenet-pytorch absent)."""


class MissingDependency(FERError, ImportError):
    """An optional package a feature needs is not installed; the message names the line that installs it."""


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (its type's name when the message is empty): how a report quotes an
    error raised by a library, whose later lines are tracebacks, advice or context."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def one_line(message: object) -> str:
    """``message`` with its lines joined: a report is always exactly one line."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())
