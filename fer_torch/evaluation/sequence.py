"""Majority vote over n consecutive frames (seed 000): accuracy per n (Table 3), and for each n the full
report over windows (per-class precision, recall, F1 and one-vs-rest accuracy, confusion matrix; Table 4
and Fig. 3 use n = 10).

Frames are grouped into clips (same subject, true class and region), ordered by frame number, and cut
into **non-overlapping** windows of n consecutive frames, as the seed counts them (2,100 frames give
700 windows of 3, 300 of 7, 210 of 10); a clip's trailing partial window is dropped. Each window's
prediction is the class most of its frames predict; a tie goes to the tied class with the highest
summed probability. n = 1 is the per-frame accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from fer_torch.errors import ConfigError, DataError
from fer_torch.evaluation.metrics import compute_metrics
from fer_torch.evaluation.plots import plot_confusion_matrix

CLIP_KEYS = ("subject", "region")


def clip_order(meta: Mapping[str, Sequence], targets: Sequence[int]) -> list[np.ndarray]:
    """Sample indices of each clip (subject + true class + region), sorted by the ``frame`` column."""
    missing = [k for k in ("subject", "frame") if k not in meta]
    if missing:
        raise DataError(f"sequence evaluation needs per-frame {' and '.join(missing)} metadata (a webcam dataset)")
    table = pd.DataFrame({k: np.asarray(meta[k]) for k in (*CLIP_KEYS, "frame") if k in meta})
    table["label"] = np.asarray(targets)
    table["frame"] = pd.to_numeric(table["frame"], errors="raise")
    if (table["frame"] < 0).any():
        raise DataError("sequence evaluation needs frame numbers; some frames are unknown (-1): "
                        "record them in the webcam dataset's manifest.csv")
    keys = [k for k in (*CLIP_KEYS, "label") if k in table]
    return [g.sort_values("frame", kind="stable").index.to_numpy() for _, g in table.groupby(keys, sort=True)]


def window_predictions(probs: torch.Tensor, n: int) -> torch.Tensor:
    """Majority-vote class of each non-overlapping window of ``n`` rows of ``probs`` (trailing rows dropped)."""
    windows = probs.shape[0] // n
    if windows == 0:
        return torch.empty(0, dtype=torch.long)
    p = probs[: windows * n].reshape(windows, n, -1)
    votes = torch.nn.functional.one_hot(p.argmax(dim=2), p.shape[2]).sum(dim=1)
    tied = votes == votes.max(dim=1, keepdim=True).values
    return p.sum(dim=1).masked_fill(~tied, -1.0).argmax(dim=1)


def window_votes(probs: torch.Tensor, targets: Sequence[int], clips: Sequence[np.ndarray],
                 n: int) -> tuple[np.ndarray, np.ndarray]:
    """Voted and true class of every ``n``-frame window of every clip (clips from :func:`clip_order`)."""
    targets = np.asarray(targets)
    voted, true = [], []
    for idx in clips:
        pred = window_predictions(probs[torch.from_numpy(idx.copy())], int(n)).numpy()
        voted.append(pred)
        true.append(np.full(len(pred), targets[idx[0]]))
    empty = np.empty(0, dtype=np.int64)
    return np.concatenate([empty, *voted]).astype(np.int64), np.concatenate([empty, *true]).astype(np.int64)


def _check_lengths(ns: Sequence[int]) -> None:
    if any(int(n) < 1 for n in ns):
        raise ConfigError(f"sequence lengths must be >= 1, got {list(ns)}")


def sequence_accuracy(probs: torch.Tensor, targets: Sequence[int], meta: Mapping[str, Sequence],
                      ns: Sequence[int] = (1, 3, 7, 10)) -> dict[str, float | None]:
    """Accuracy of the n-frame majority vote for each n (``None`` where no clip holds n frames)."""
    _check_lengths(ns)
    clips = clip_order(meta, targets)
    out: dict[str, float | None] = {}
    for n in ns:
        voted, true = window_votes(probs, targets, clips, int(n))
        out[str(int(n))] = float((voted == true).mean()) if len(true) else None
    return out


def sequence_metrics(probs: torch.Tensor, targets: Sequence[int], meta: Mapping[str, Sequence], ns: Sequence[int],
                     class_names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{n: compute_metrics over the n-frame windows}`` for each n some clip holds (``n`` = window count)."""
    _check_lengths(ns)
    clips = clip_order(meta, targets)
    out = {}
    for n in ns:
        voted, true = window_votes(probs, targets, clips, int(n))
        if len(true):
            out[str(int(n))] = compute_metrics(voted, true, class_names)
    return out


def sequence_confusion_png(n: str | int) -> str:
    """File name of the confusion matrix over ``n``-frame windows."""
    return f"confusion_matrix_sequence_{n}.png"


def write_sequence_plots(metrics: Mapping[str, Any], output: str | Path) -> list[Path]:
    """One confusion matrix PNG per window length in ``metrics["sequence_metrics"]`` (none when absent)."""
    return [plot_confusion_matrix(m["confusion_matrix"], m["class_names"], Path(output) / sequence_confusion_png(n))
            for n, m in metrics.get("sequence_metrics", {}).items()]
