"""Model files are read with ``weights_only=True``: how to report the files that loader refuses.

torch's message for a refused pickle ends with advice to retry with ``weights_only=False``, which is exactly
what a user must not do with a file they did not make; tools report :data:`REFUSED_PICKLE` instead.
"""

REFUSED_PICKLE = ("refused: it holds Python objects besides tensors and plain values, and loading them could "
                  "run code")


def is_refused_pickle(exc: BaseException) -> bool:
    """Whether ``exc`` is torch's ``weights_only`` loader refusing a pickle's globals (rather than a damaged file)."""
    text = str(exc).lower()
    return any(s in text for s in ("weights only load failed", "weights_only=true blocked", "unsupported global"))
