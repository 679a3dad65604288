"""Model files are read with ``weights_only=True``: how to report the files that loader refuses.

torch's message for a refused pickle ends with advice to retry with ``weights_only=False``, which is exactly
what a user must not do with a file they did not make; tools report :data:`REFUSED_PICKLE` instead.
"""

REFUSED_PICKLE = ("refused: it holds Python objects besides tensors and plain values, and loading them could "
                  "run code")


def is_refused_pickle(exc: BaseException) -> bool:
    """Whether ``exc`` is torch's ``weights_only`` loader refusing a pickle's globals (rather than a damaged file)."""
    seen: BaseException | None = exc
    while seen is not None:  # timm wraps torch's error (and says "globals" even for a damaged file)
        if "unsupported global" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def mentions_unsafe_retry(exc: BaseException) -> bool:
    """Whether ``exc``'s message carries torch's advice to load the file unsafely (never shown to a user)."""
    text = str(exc).lower()
    return "weights only load failed" in text or "weights_only=false" in text or "weights_only set to false" in text
