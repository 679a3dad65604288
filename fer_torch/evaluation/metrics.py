"""Classification metrics from torchmetrics: the numbers of ``metrics.json`` and ``report.md``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MulticlassPrecision,
    MulticlassRecall,
)

from fer_torch.errors import EmptySplitError


def build_metric_collection(num_classes: int) -> MetricCollection:
    """Every metric the report prints, each with its ``average`` set explicitly (zero_division=0).

    States are float64 so ratios are exact to double precision: ``accuracy == trace(cm) / n`` holds exactly.
    """
    kw = {"num_classes": num_classes, "zero_division": 0.0}
    return MetricCollection({
        "accuracy": MulticlassAccuracy(num_classes=num_classes, average="micro"),
        "macro_f1": MulticlassF1Score(average="macro", **kw),
        "weighted_f1": MulticlassF1Score(average="weighted", **kw),
        "precision": MulticlassPrecision(average="none", **kw),
        "recall": MulticlassRecall(average="none", **kw),
        "f1": MulticlassF1Score(average="none", **kw),
        "f2": MulticlassFBetaScore(beta=2.0, average="none", **kw),
        "confusion_matrix": MulticlassConfusionMatrix(num_classes=num_classes),
    }).set_dtype(torch.float64)


def compute_metrics(predictions: torch.Tensor | Sequence[int], targets: torch.Tensor | Sequence[int],
                    class_names: Sequence[str]) -> dict[str, Any]:
    """The ``metrics.json`` body for predicted and true class indices.

    Keys: ``n``, ``accuracy`` (micro), ``macro_f1``, ``weighted_f1``, ``class_names``, ``per_class``
    (precision, recall, f1, f2, one-vs-rest accuracy, support per class name) and ``confusion_matrix`` (rows = true class).
    """
    preds = torch.as_tensor(predictions, dtype=torch.long).flatten()
    target = torch.as_tensor(targets, dtype=torch.long).flatten()
    if target.numel() == 0:
        raise EmptySplitError("no labeled samples to evaluate")
    names = [str(n) for n in class_names]
    values = build_metric_collection(len(names))(preds, target)
    cm = values["confusion_matrix"].long()
    support = cm.sum(dim=1)
    # One-vs-rest accuracy (TP + TN) / n, the per-class "accuracy" of seed 000's Table 4.
    one_vs_rest = 1.0 - (support + cm.sum(dim=0) - 2 * cm.diagonal()).double() / target.numel()
    per_class = {
        name: {
            "precision": float(values["precision"][i]),
            "recall": float(values["recall"][i]),
            "f1": float(values["f1"][i]),
            "f2": float(values["f2"][i]),
            "accuracy": float(one_vs_rest[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(names)
    }
    return {
        "n": int(target.numel()),
        "accuracy": float(values["accuracy"]),
        "macro_f1": float(values["macro_f1"]),
        "weighted_f1": float(values["weighted_f1"]),
        "class_names": names,
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
    }
