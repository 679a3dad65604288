"""Which images validate a training run: the seeds disagree (seed 001 merges PublicTest and PrivateTest,
seed 004 validates on the Kaggle folder release's ``test/``), so the choice is a named option.

- ``val``: the source's val split (FER2013 PublicTest); a source without one has val carved from train
  by the datamodule (``val_fraction``).
- ``test``: the test split validates (the Kaggle folder release's ``test/``, 7,178 images; seed 004).
- ``val+test``: val and test merged (FER2013 PublicTest + PrivateTest, 7,178 images, 6,043 in seed 001's
  five classes; its Table 2).

The test split is then no longer held out: the datamodule drops it from the splits it serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from fer_torch.data.folders import stack_if_uniform
from fer_torch.data.samples import Samples
from fer_torch.errors import ConfigError, EmptySplitError

VAL_SPLITS: dict[str, tuple[str, ...]] = {"val": ("val",), "test": ("test",), "val+test": ("val", "test")}


def check_val_split(val_split: str) -> None:
    """Raise :class:`ConfigError` unless ``val_split`` is one of :data:`VAL_SPLITS`."""
    if val_split not in VAL_SPLITS:
        raise ConfigError(f"val_split must be one of {', '.join(VAL_SPLITS)}, got {val_split!r}")


def concatenate(parts: Sequence[Samples]) -> Samples:
    """One :class:`Samples` holding ``parts`` in order (same classes; meta columns all parts share)."""
    first = parts[0]
    if any(p.class_names != first.class_names for p in parts[1:]):
        raise ConfigError("cannot merge splits with different class lists")
    if len(parts) == 1:
        return first
    images = [img for p in parts for img in (p.images if isinstance(p.images, list) else list(p.images))]
    keys = [k for k in first.meta if all(k in p.meta for p in parts)]
    meta = {k: np.concatenate([np.asarray(p.meta[k]) for p in parts]) for k in keys}
    return replace(first, images=stack_if_uniform(images), labels=np.concatenate([p.labels for p in parts]), meta=meta)


def apply_val_split(splits: Mapping[str, Samples], val_split: str, where: str = "data") -> dict[str, Samples]:
    """``splits`` with ``val`` replaced by the ``val_split`` choice (and ``test`` dropped when it is used)."""
    check_val_split(val_split)
    if val_split == "val":
        return dict(splits)
    wanted = VAL_SPLITS[val_split]
    missing = [s for s in wanted if s not in splits]
    if missing:
        raise EmptySplitError(f"{where}: val_split {val_split!r} needs the {' and '.join(missing)} split "
                              f"(found: {', '.join(splits) or 'none'})")
    out = {k: v for k, v in splits.items() if k not in wanted}
    out["val"] = concatenate([splits[s] for s in wanted])
    return out
