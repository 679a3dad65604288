"""The one ``torch.load`` of fer-torch: files are read with ``weights_only=True``, and a refusal is reported as
:data:`REFUSED_PICKLE`.

torch's message for a refused pickle ends with advice to retry with ``weights_only=False``, which is exactly
what a user must not do with a file they did not make; :func:`load_checkpoint` raises :class:`RefusedPickle`
instead, and the readers that go through a dependency's loader (timm's ``load_state_dict``) turn its error into
the same exception with :func:`refused_pickle`.
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch

REFUSED_PICKLE = ("refused: it holds Python objects besides tensors and plain values, and loading them could "
                  "run code")


class RefusedPickle(pickle.UnpicklingError):
    """torch's ``weights_only`` loader refused a file's Python objects; the message is :data:`REFUSED_PICKLE`.

    ``found`` is the first refused global (``"__main__.Payload"``), when torch named it.
    """

    def __init__(self, found: str | None = None) -> None:
        super().__init__(REFUSED_PICKLE)
        self.found = found


def load_checkpoint(path: str | Path, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``; a refused pickle is :class:`RefusedPickle` (without torch's
    advice), any other failure is torch's own exception."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. torch's note on a legacy pickle protocol
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad or hostile file
        refused = refused_pickle(exc)
        if refused is not None:
            raise refused from None
        raise


def refused_pickle(exc: BaseException) -> RefusedPickle | None:
    """``exc`` as a :class:`RefusedPickle` when it is torch's ``weights_only`` loader refusing a pickle's globals
    (rather than a damaged file), else ``None``."""
    seen: BaseException | None = exc
    while seen is not None:  # timm wraps torch's error (and says "globals" even for a damaged file)
        if isinstance(seen, RefusedPickle):
            return seen
        if "unsupported global" in str(seen).lower():
            found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(seen))
            return RefusedPickle(found.group(1) if found else None)
        seen = seen.__cause__ or seen.__context__
    return None


def mentions_unsafe_retry(exc: BaseException) -> bool:
    """Whether ``exc``'s message carries torch's advice to load the file unsafely (never shown to a user)."""
    text = str(exc).lower()
    return "weights only load failed" in text or "weights_only=false" in text or "weights_only set to false" in text
