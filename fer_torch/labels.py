"""FER2013 class names, label order and folder-name aliases (and the split names): the single source of truth.

FER2013's integer labels are ``angry 0, disgust 1, fear 2, happy 3, sad 4, surprise 5, neutral 6``.
Folder releases sort classes alphabetically, so every reader maps names through this module and
never relies on directory order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fer_torch.errors import UnknownClassError

FER2013_CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""Canonical class names; the position of a name is its FER2013 label index."""

SPLIT_ORDER: tuple[str, ...] = ("train", "val", "test")
"""The splits a reader may return, in the order it returns them."""

# Folder and paper spellings seen in the seeds and in public releases.
ALIASES: dict[str, str] = {
    "anger": "angry",
    "angry": "angry",
    "mad": "angry",
    "disgust": "disgust",
    "disgusted": "disgust",
    "contempt": "disgust",
    "fear": "fear",
    "fearful": "fear",
    "scared": "fear",
    "afraid": "fear",
    "happy": "happy",
    "happiness": "happy",
    "joy": "happy",
    "smile": "happy",
    "sad": "sad",
    "sadness": "sad",
    "surprise": "surprise",
    "surprised": "surprise",
    "neutral": "neutral",
    "normal": "neutral",
    "calm": "neutral",
}


def canonical_name(name: str) -> str:
    """Return the canonical class name for ``name`` (case-insensitive, aliases allowed)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return ALIASES[key]
    except KeyError:
        raise UnknownClassError(
            f"unknown class name {name!r}; expected one of {', '.join(FER2013_CLASSES)} or an alias "
            f"({', '.join(sorted(set(ALIASES) - set(FER2013_CLASSES)))})"
        ) from None


def fer2013_index(name: str) -> int:
    """Return the FER2013 label index (0-6) of a class name or alias."""
    return FER2013_CLASSES.index(canonical_name(name))


def canonical_names(names: Iterable[str]) -> tuple[str, ...]:
    """Canonicalize a list of class names, refusing duplicates after aliasing."""
    out = tuple(canonical_name(n) for n in names)
    if len(set(out)) != len(out):
        raise UnknownClassError(f"duplicate classes in {list(names)!r} (after aliasing: {list(out)})")
    return out


def in_fer2013_order(names: Iterable[str]) -> tuple[str, ...]:
    """Sort canonical class names by their FER2013 label index."""
    return tuple(sorted(canonical_names(names), key=FER2013_CLASSES.index))


def remap_table(source: Sequence[str], target: Sequence[str]) -> list[int]:
    """Map label indices of ``source`` class names onto ``target`` ones (-1 where absent)."""
    target_c = canonical_names(target)
    return [target_c.index(n) if n in target_c else -1 for n in canonical_names(source)]
