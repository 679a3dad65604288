"""Figures: confusion matrices (via torchmetrics' plot), training curves from Lightning CSV logs, and the emotion
timeline of a live.py log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import torch  # noqa: E402
from torchmetrics.classification import MulticlassConfusionMatrix  # noqa: E402

from fer_torch.errors import DataError  # noqa: E402

from fer_torch.choices import CURVES_FILENAME  # noqa: E402  (named by tools without matplotlib)


def plot_confusion_matrix(confusion: Sequence[Sequence[int]], class_names: Sequence[str], path: str | Path) -> Path:
    """Save two panels: counts and row-normalized (recall on the diagonal); rows are true classes."""
    counts = torch.as_tensor(confusion, dtype=torch.long)
    rows = counts.sum(dim=1, keepdim=True).clamp(min=1)
    normalized = counts.double() / rows
    k = len(class_names)
    fig, axes = plt.subplots(1, 2, figsize=(2 * (2.5 + 1.1 * k), 2.0 + 1.0 * k), constrained_layout=True)
    metric = MulticlassConfusionMatrix(num_classes=k)
    for ax, values, title in ((axes[0], counts, "Counts"), (axes[1], normalized, "Row-normalized")):
        metric.plot(val=values, ax=ax, labels=list(class_names), cmap="Blues")
        ax.set_title(title, fontsize=15)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def find_metrics_csv(run_dir: str | Path) -> Path:
    """The newest ``metrics.csv`` (Lightning CSVLogger) under ``run_dir``, searched recursively."""
    root = Path(run_dir)
    if root.is_file() and root.name.endswith(".csv"):
        return root
    if not root.is_dir():
        raise DataError(f"{root}: run directory not found")
    found = sorted(root.rglob("metrics.csv"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise DataError(f"{root}: no metrics.csv (Lightning CSVLogger) found under it")
    return found[-1]


def _per_epoch(table: pd.DataFrame, column: str) -> pd.Series:
    """One value per epoch: the mean of step-level rows, or the single epoch-level row."""
    return table.dropna(subset=[column]).groupby("epoch")[column].mean()


def _pick(columns: Sequence[str], stage: str, kind: str) -> str | None:
    """The logged column for ``stage`` (train/val) and ``kind`` (loss/acc), epoch-level preferred."""
    matches = [c for c in columns if c.startswith(stage) and kind in c and not c.endswith("_step")]
    epoch_level = [c for c in matches if c.endswith("_epoch")]
    return (epoch_level or sorted(matches, key=len) or [None])[0]


def plot_training_curves(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Plot train/val loss, train/val accuracy and the learning rate per epoch from a run's ``metrics.csv``.

    Returns the PNG path (default ``RUN_DIR/training_curves.png``; a CSV path as ``run_dir`` puts it beside the CSV).
    """
    csv = find_metrics_csv(run_dir)
    table = pd.read_csv(csv)
    if "epoch" not in table or table.empty:
        raise DataError(f"{csv}: no 'epoch' column or no rows; not a Lightning metrics.csv")
    if "step" in table:  # LearningRateMonitor rows carry a step but no epoch: take the next logged epoch
        table = table.sort_values("step", kind="stable")
        table["epoch"] = table["epoch"].bfill().ffill()
    columns = list(table.columns)
    lr_columns = [c for c in columns if c.startswith("lr") or "learning_rate" in c]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    for ax, kind, label in ((axes[0], "loss", "Loss"), (axes[1], "acc", "Accuracy")):
        for stage in ("train", "val"):
            column = _pick(columns, stage, kind)
            if column is not None:
                series = _per_epoch(table, column)
                ax.plot(series.index, series.values, marker="o", ms=3, label=f"{stage} ({column})")
        ax.set(title=label, xlabel="epoch", ylabel=label.lower())
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    for column in lr_columns:
        series = table.dropna(subset=[column]).groupby("epoch")[column].last()
        axes[2].plot(series.index, series.values, marker="o", ms=3, label=column)
    axes[2].set(title="Learning rate", xlabel="epoch", ylabel="lr")
    if lr_columns and (table[lr_columns] > 0).any().any():
        axes[2].set_yscale("log")
    axes[2].grid(alpha=0.3)
    if axes[2].lines:
        axes[2].legend()
    last_epoch = float(table["epoch"].max())
    for ax in axes:
        ax.set_xlim(-0.5, last_epoch + 0.5)  # integer epoch ticks even for a one-epoch run
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    fig.suptitle(str(csv.parent))
    default_dir = csv.parent if Path(run_dir).is_file() else Path(run_dir)
    out = Path(output) if output is not None else default_dir / CURVES_FILENAME
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_emotion_timeline(log: pd.DataFrame | str | Path, class_names: Sequence[str], path: str | Path,
                          max_faces: int | None = None) -> Path:
    """Each face's class probabilities over time, from a live.py ``--log`` CSV (or its table): one panel per
    face id, one line per class; ``max_faces`` keeps the faces with the most rows."""
    table = log if isinstance(log, pd.DataFrame) else pd.read_csv(log)
    counts = table["face_id"].dropna().value_counts() if len(table) else pd.Series(dtype=int)
    faces = sorted(counts.index[:max_faces] if max_faces is not None else counts.index)
    fig, axes = plt.subplots(max(1, len(faces)), 1, figsize=(9, 2.6 * max(1, len(faces))), squeeze=False,
                             constrained_layout=True)
    for ax, face_id in zip(axes[:, 0], faces):
        rows = table[table["face_id"] == face_id]
        for name in class_names:
            ax.plot(rows["time_s"], rows[name], marker="." if len(rows) < 3 else None, label=name)
        ax.set_title(f"face #{int(face_id)}")
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
    if not faces:
        axes[0, 0].text(0.5, 0.5, "no faces found", ha="center", va="center", transform=axes[0, 0].transAxes)
    axes[-1, 0].set_xlabel("time (s)")
    if faces:  # under the plots, in large type: still readable when a phone shows the figure at 40 %
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
                   ncol=min(4, len(class_names)), fontsize=13)
    fig.suptitle("Emotion timeline")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
