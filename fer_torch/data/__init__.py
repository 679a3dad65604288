"""fer_torch.data: readers, in-memory samples, albumentations pipelines and the LightningDataModule.

The public names are imported lazily, so ``import fer_torch.data.samples`` stays light (no Lightning,
no albumentations) and one module's import error does not break the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fer_torch.lazy import lazy_namespace

__all__, __getattr__, __dir__ = lazy_namespace(globals(), {
    "fer_torch.data.samples": ("Samples",),
    "fer_torch.data.readers": ("load_splits", "select_classes", "list_class_names"),
    "fer_torch.data.datamodule": ("FERDataModule",),
    "fer_torch.data.dataset": ("FERDataset",),
    "fer_torch.data.transforms": ("build_transform", "preprocess_batch", "AUGMENTATION_PRESETS"),
})

if TYPE_CHECKING:
    from fer_torch.data.datamodule import FERDataModule
    from fer_torch.data.dataset import FERDataset
    from fer_torch.data.readers import list_class_names, load_splits, select_classes
    from fer_torch.data.samples import Samples
    from fer_torch.data.transforms import AUGMENTATION_PRESETS, build_transform, preprocess_batch
