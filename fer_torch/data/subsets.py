"""Class subsets, label remapping and per-class caps (seed 001's five classes, seed 000's three)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from fer_torch.data.samples import UNLABELED, Samples
from fer_torch.errors import DataError, MissingClassError, UnknownClassError
from fer_torch.labels import canonical_name, canonical_names, remap_table


def select_classes(samples: Samples, classes: Sequence[str] | None = None,
                   max_per_class: Mapping[str, int] | None = None, seed: int = 0) -> Samples:
    """Keep the listed classes, relabeled to their order in ``classes``, with optional seeded caps.

    ``classes`` takes names or aliases (None keeps all classes in their current order); each must be
    one of ``samples.class_names``. ``max_per_class`` ``{name: cap}`` keeps a seeded random subset of
    at most ``cap`` samples of that class (original order preserved). Unlabeled samples (``-1``) are kept.
    """
    present = canonical_names(samples.class_names)
    target = canonical_names(classes) if classes is not None else present
    missing = [name for name in target if name not in present]
    if missing:
        raise MissingClassError(f"class(es) {', '.join(missing)} not in the data (it has {', '.join(present)})")
    table = np.append(np.asarray(remap_table(present, target), dtype=np.int64), UNLABELED)  # index -1 -> -1
    labels = table[samples.labels]
    keep = (labels >= 0) | (samples.labels == UNLABELED)
    rng = np.random.default_rng(seed)
    for name, cap in (max_per_class or {}).items():
        label = _target_index(name, target)
        if not isinstance(cap, (int, np.integer)) or cap < 0:
            raise DataError(f"max_per_class[{name!r}] must be a non-negative integer, got {cap!r}")
        members = np.flatnonzero(keep & (labels == label))
        if len(members) > cap:
            keep[rng.choice(members, size=len(members) - cap, replace=False)] = False
    return replace(samples.take(np.flatnonzero(keep)), labels=labels[keep], class_names=target)


def _target_index(name: str, target: tuple[str, ...]) -> int:
    canonical = canonical_name(name)
    if canonical not in target:
        raise UnknownClassError(f"max_per_class names {name!r}, which is not among the selected classes "
                                f"({', '.join(target)})")
    return target.index(canonical)
