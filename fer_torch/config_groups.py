"""The nested option groups of ``FERClassifier`` and ``FERDataModule`` (``model.optimizer.lr``,
``data.split.val_fraction`` ...), and where each flat key of the earlier, flat argument lists moved.

A group is a frozen dataclass of plain types: LightningCLI (jsonargparse) offers its fields as nested options and
YAML keys, and the classes record it as a plain dict (:func:`plain`), so checkpoints still load with
``torch.load(weights_only=True)``. Checkpoints written before the groups existed are migrated on load
(:func:`migrate`, in the spirit of timm's checkpoint filters).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fer_torch.errors import ConfigError

G = TypeVar("G")


# -- FERClassifier ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerOptions:
    """The optimizer: a registry ``name`` (``fer_torch.lit.optimizers.OPTIMIZERS``), the learning rate and weight
    decay of every parameter group, ``fused`` (True: one kernel per step; None: torch's default) and the
    optimizer's own ``options`` (``sgd``: ``momentum``, ``nesterov``; ``adam``/``adamw``: ``betas``)."""

    name: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    fused: bool | None = None
    options: dict[str, Any] | None = None


@dataclass(frozen=True)
class SchedulerOptions:
    """The learning-rate schedule: a registry ``name`` (``fer_torch.lit.schedulers.SCHEDULERS``: ``none``,
    ``plateau``, ``cosine``, ``onecycle``) and its own ``options`` (``onecycle``: ``pct_start`` ...)."""

    name: str = "none"
    options: dict[str, Any] | None = None


@dataclass(frozen=True)
class LossOptions:
    """Cross-entropy settings: ``label_smoothing``, and ``class_weights``: None, ``balanced`` (the datamodule's
    training-split weights) or one weight per class."""

    label_smoothing: float = 0.0
    class_weights: Literal["balanced"] | list[float] | None = None


@dataclass(frozen=True)
class BatchMixingOptions:
    """MixUp and CutMix on training batches: Beta(alpha, alpha) each, 0 off; with both, each batch gets one."""

    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0


# -- FERDataModule ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputSpecOptions:
    """Changes to the architecture's :class:`~fer_torch.spec.InputSpec`; None keeps its value."""

    image_size: tuple[int, int] | None = None
    channels: int | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    preprocessing: tuple[str, ...] | None = None
    region: str | None = None


@dataclass(frozen=True)
class SplitOptions:
    """Which images validate: ``val_split`` (``val``, ``test`` or ``val+test``, see
    :mod:`fer_torch.data.val_splits`); ``val_fraction`` and ``split_seed``: the stratified val split carved from
    train when the source has none (Kaggle ``train.csv``; for webcam data, the fraction of subjects held out);
    ``split_test_by_prefix``: folders' ``test/`` split by file-name prefix (Kaggle's folder release)."""

    val_split: str = "val"
    val_fraction: float = 0.2
    split_seed: int = 0
    split_test_by_prefix: bool = False


@dataclass(frozen=True)
class ReadingOptions:
    """How images are read: ``rgb`` (default grayscale), ``strict`` (an unreadable image is an error, not a
    warning), and the decoded-image cache (``use_cache``, ``cache_dir``; default ``$FER_TORCH_CACHE``)."""

    rgb: bool = False
    strict: bool = False
    use_cache: bool = True
    cache_dir: str | None = None


@dataclass(frozen=True)
class DataLoaderOptions:
    """Options of the DataLoader path (``loader: dataloader``; the in-memory path uses none)."""

    num_workers: int = 2
    pin_memory: bool = False
    persistent_workers: bool = True


MODEL_GROUPS: dict[str, type] = {"optimizer": OptimizerOptions, "scheduler": SchedulerOptions,
                                 "loss": LossOptions, "batch_mixing": BatchMixingOptions}
DATA_GROUPS: dict[str, type] = {"input_spec": InputSpecOptions, "split": SplitOptions,
                                "reading": ReadingOptions, "dataloader": DataLoaderOptions}

MOVED_MODEL_KEYS: dict[str, str] = {
    "lr": "optimizer.lr", "weight_decay": "optimizer.weight_decay", "optimizer_options": "optimizer.options",
    "fused_optimizer": "optimizer.fused", "scheduler_options": "scheduler.options",
    "label_smoothing": "loss.label_smoothing", "class_weights": "loss.class_weights",
    "mixup_alpha": "batch_mixing.mixup_alpha", "cutmix_alpha": "batch_mixing.cutmix_alpha",
}
"""``FERClassifier``'s flat arguments before the groups -> their place now. ``optimizer`` and ``scheduler`` were
names (strings) and are now groups: a string moves to ``optimizer.name`` / ``scheduler.name``."""

MOVED_DATA_KEYS: dict[str, str] = {
    **{key: f"input_spec.{key}" for key in ("image_size", "channels", "mean", "std", "preprocessing", "region")},
    **{key: f"split.{key}" for key in ("val_split", "val_fraction", "split_seed", "split_test_by_prefix")},
    **{key: f"reading.{key}" for key in ("rgb", "strict", "use_cache", "cache_dir")},
    **{key: f"dataloader.{key}" for key in ("num_workers", "pin_memory", "persistent_workers")},
}
"""``FERDataModule``'s flat arguments before the groups -> their place now."""

RENAMED_TO_GROUP = ("optimizer", "scheduler")
"""Keys that held a registry name and now hold a group with a ``name``."""


def group(cls: type[G], value: G | Mapping[str, Any] | None, key: str) -> G:
    """``value`` as a ``cls`` group: an instance as is, a mapping's fields (unknown ones are a one-line
    :class:`ConfigError` naming ``key``), None the defaults."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(value) - fields)
        if unknown:
            raise ConfigError(f"{key} takes {', '.join(sorted(fields))}; got {', '.join(map(str, unknown))}")
        return cls(**value)
    if isinstance(value, str) and key in RENAMED_TO_GROUP:
        raise ConfigError(f"{key} is a group now: write {key}.name: {value} ({key}: {{name: {value}}})")
    raise ConfigError(f"{key} must be a mapping of {', '.join(f.name for f in dataclasses.fields(cls))}; got "
                      f"{value!r}")


def plain(value: Any) -> dict[str, Any]:
    """A group as a plain dict (tuples as lists): what a checkpoint records."""
    def unfrozen(item: Any) -> Any:
        if isinstance(item, tuple):
            return [unfrozen(v) for v in item]
        if isinstance(item, dict):
            return {k: unfrozen(v) for k, v in item.items()}
        return item

    return {field.name: unfrozen(getattr(value, field.name)) for field in dataclasses.fields(value)}


def migrate(hparams: Mapping[str, Any], moved: Mapping[str, str]) -> dict[str, Any]:
    """``hparams`` recorded with the flat keys of ``moved`` (:data:`MOVED_MODEL_KEYS` or
    :data:`MOVED_DATA_KEYS`) rewritten into their groups; already-grouped records are returned unchanged."""
    out = dict(hparams)
    for old in RENAMED_TO_GROUP:
        if isinstance(out.get(old), str):
            out[old] = {"name": out[old]}
    for old, new in moved.items():
        if old not in out:
            continue
        value = out.pop(old)
        group_key, field = new.split(".")
        existing = out.get(group_key)
        out[group_key] = {**(existing if isinstance(existing, Mapping) else {}), field: value}
    return out


def moved_key(key: str) -> str | None:
    """Where the flat config key ``key`` (``model.lr``, ``data.image_size`` ...) lives now, or None."""
    section, _, name = key.partition(".")
    table = {"model": MOVED_MODEL_KEYS, "data": MOVED_DATA_KEYS}.get(section, {})
    if name == "in_chans" and section == "model":
        return "data.input_spec.channels"
    return f"{section}.{table[name]}" if name in table else None
