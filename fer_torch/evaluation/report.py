"""Write an evaluation's files: ``metrics.json``, ``report.md`` and ``predictions.csv``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch


def write_metrics_json(metrics: Mapping[str, Any], path: str | Path) -> Path:
    """``metrics.json`` with the keys of :func:`fer_torch.evaluation.metrics.compute_metrics` (plus extras)."""
    out = Path(path)
    out.write_text(json.dumps(metrics, indent=2) + "\n")
    return out


def write_predictions_csv(path: str | Path, paths: Sequence[str], targets: Sequence[int], predictions: Sequence[int],
                          probs: torch.Tensor, class_names: Sequence[str]) -> Path:
    """``predictions.csv``: path, true and predicted class names, then one probability column per class."""
    names = np.asarray(class_names, dtype=object)
    table = pd.DataFrame({"path": list(paths), "true": names[np.asarray(targets)], "predicted": names[np.asarray(predictions)]})
    probs_np = probs.detach().cpu().numpy()
    for i, name in enumerate(class_names):
        table[name] = probs_np[:, i].round(6)
    out = Path(path)
    table.to_csv(out, index=False)
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}"


def markdown_report(metrics: Mapping[str, Any], title: str = "Evaluation", details: Mapping[str, Any] | None = None) -> str:
    """The markdown a paper would print: summary, per-class table (in %), confusion matrix, sequence and face counts."""
    names = metrics["class_names"]
    lines = [f"# {title}", ""]
    for key, value in (details or {}).items():
        lines.append(f"- {key}: {value}")
    lines += [f"- Samples: {metrics['n']}"]
    if "no_face" in metrics:
        lines.append(f"- Images without a detected face (excluded): {metrics['no_face']}")
    lines += [
        f"- Accuracy: {_pct(metrics['accuracy'])} %",
        f"- Macro F1: {_pct(metrics['macro_f1'])} %",
        f"- Weighted F1: {_pct(metrics['weighted_f1'])} %",
        "",
        "| Class | Precision (%) | Recall (%) | F1 (%) | F2 (%) | Support |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        c = metrics["per_class"][name]
        lines.append(f"| {name} | {_pct(c['precision'])} | {_pct(c['recall'])} | {_pct(c['f1'])} | {_pct(c['f2'])} | {c['support']} |")
    lines += ["", "Confusion matrix (rows: true class, columns: predicted class):", "",
              *_confusion_lines(names, metrics["confusion_matrix"])]
    if "sequence" in metrics:
        lines += ["", "Majority vote over n consecutive frames (non-overlapping windows):", "",
                  "| n | " + " | ".join(metrics["sequence"]) + " |", "|---|" + "---:|" * len(metrics["sequence"]),
                  "| Accuracy (%) | " + " | ".join(_pct(a) for a in metrics["sequence"].values()) + " |"]
    for n, windows in metrics.get("sequence_metrics", {}).items():
        lines += ["", *_window_section(n, windows)]
    return "\n".join(lines) + "\n"


def _window_section(n: str, m: Mapping[str, Any]) -> list[str]:
    """Seed 000's Table 4 and Fig. 3 for n-frame windows: per-class P/R/F1/one-vs-rest accuracy, confusion matrix."""
    names = m["class_names"]
    lines = [f"Windows of {n} consecutive frames: {m['n']} windows, accuracy {_pct(m['accuracy'])} %", "",
             "| Class | Precision (%) | Recall (%) | F1 (%) | Accuracy (%) | Windows |", "|---|---:|---:|---:|---:|---:|"]
    for name in names:
        c = m["per_class"][name]
        lines.append(f"| {name} | {_pct(c['precision'])} | {_pct(c['recall'])} | {_pct(c['f1'])} | "
                     f"{_pct(c['accuracy'])} | {c['support']} |")
    return [*lines, "", *_confusion_lines(names, m["confusion_matrix"])]


def _confusion_lines(names: Sequence[str], confusion: Sequence[Sequence[int]]) -> list[str]:
    """A markdown confusion matrix (rows: true class, columns: predicted class)."""
    lines = ["| true \\ predicted | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    return lines + [f"| {name} | " + " | ".join(str(v) for v in row) + " |" for name, row in zip(names, confusion)]


def write_report(metrics: Mapping[str, Any], path: str | Path, title: str = "Evaluation",
                 details: Mapping[str, Any] | None = None) -> Path:
    """Write :func:`markdown_report` to ``path``."""
    out = Path(path)
    out.write_text(markdown_report(metrics, title, details))
    return out
