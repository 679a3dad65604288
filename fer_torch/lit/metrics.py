"""torchmetrics collections logged by :class:`~fer_torch.lit.classifier.FERClassifier`."""

from __future__ import annotations

from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score


def classification_metrics(num_classes: int, prefix: str) -> MetricCollection:
    """``{prefix}acc`` and ``{prefix}f1_macro`` for ``num_classes`` classes.

    Accuracy is micro-averaged (correct / total): the FER2013 convention every seed reports.
    Macro F1 weighs the rare classes (disgust) like the common ones.
    """
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes=num_classes, average="micro"),
            "f1_macro": MulticlassF1Score(num_classes=num_classes, average="macro"),
        },
        prefix=prefix,
    )
