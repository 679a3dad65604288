"""torchmetrics collections logged by :class:`~fer_torch.lit.classifier.FERClassifier`."""

from __future__ import annotations

from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score


def classification_metrics(num_classes: int, prefix: str, validate_args: bool = True) -> MetricCollection:
    """``{prefix}acc`` and ``{prefix}f1_macro`` for ``num_classes`` classes.

    Accuracy is micro-averaged (correct / total): the FER2013 convention every seed reports.
    Macro F1 weighs the rare classes (disgust) like the common ones. ``validate_args=False`` skips the
    per-update input checks (they read values back from the GPU, a host sync per step).
    """
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes=num_classes, average="micro", validate_args=validate_args),
            "f1_macro": MulticlassF1Score(num_classes=num_classes, average="macro", validate_args=validate_args),
        },
        prefix=prefix,
    )
