"""fer_torch.data: readers, in-memory samples, albumentations pipelines and the LightningDataModule.

The public names are imported lazily, so ``import fer_torch.data.samples`` stays light (no Lightning,
no albumentations) and one module's import error does not break the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Samples": "fer_torch.data.samples",
    "load_splits": "fer_torch.data.readers",
    "select_classes": "fer_torch.data.readers",
    "list_class_names": "fer_torch.data.readers",
    "FERDataModule": "fer_torch.data.datamodule",
    "FERDataset": "fer_torch.data.dataset",
    "build_transform": "fer_torch.data.transforms",
    "preprocess_batch": "fer_torch.data.transforms",
    "AUGMENTATION_PRESETS": "fer_torch.data.transforms",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from fer_torch.data.datamodule import FERDataModule
    from fer_torch.data.dataset import FERDataset
    from fer_torch.data.readers import list_class_names, load_splits, select_classes
    from fer_torch.data.samples import Samples
    from fer_torch.data.transforms import AUGMENTATION_PRESETS, build_transform, preprocess_batch


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'fer_torch.data' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
