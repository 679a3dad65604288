"""``tools/inspect_data.py``: class counts per split of a dataset, optionally as JSON and a grid of samples."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from typing import TYPE_CHECKING

from fer_torch.cli.common import ToolArgumentParser
from fer_torch.data.reader_registry import AUTO, source_choices

if TYPE_CHECKING:
    from rich.table import Table

    from fer_torch.data.samples import Samples


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="inspect_data.py", description=__doc__)
    parser.add_argument("--data", required=True, help="dataset root: class folders, fer2013.csv or a webcam dataset")
    parser.add_argument("--source", choices=source_choices(), default=AUTO, help="data form (default: detect)")
    parser.add_argument("--classes", nargs="+", metavar="CLASS", help="keep only these classes, in this order")
    parser.add_argument("--split-test-by-prefix", action="store_true",
                        help="folder data: split test/ into PublicTest (val) and PrivateTest (test) by file-name "
                             "prefix")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON object on the last line")
    parser.add_argument("--grid", type=Path, metavar="PNG", help="write a PNG of sample images per class")
    parser.add_argument("--per-class", type=int, default=8, help="images per class in the grid (default 8)")
    return parser


def class_counts(splits: dict[str, Samples]) -> dict[str, dict[str, int]]:
    """``{split: {class name: count}}`` for every split."""
    return {split: samples.class_counts() for split, samples in splits.items()}


def counts_table(counts: dict[str, dict[str, int]], title: str) -> Table:
    """A rich table: one row per class, one column per split, plus totals."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("class")
    for split in counts:
        table.add_column(split, justify="right")
    names = list(dict.fromkeys(name for per_class in counts.values() for name in per_class))
    for name in names:
        table.add_row(name, *(f"{per_class.get(name, 0):,}" for per_class in counts.values()))
    table.add_row("total", *(f"{sum(per_class.values()):,}" for per_class in counts.values()), style="bold")
    return table


def write_grid(samples: Samples, path: Path, per_class: int, seed: int = 0) -> Path:
    """Save a PNG with one row of up to ``per_class`` random images per class."""
    import numpy as np
    from matplotlib.figure import Figure  # no pyplot: no GUI backend needed

    rng = np.random.default_rng(seed)
    rows = len(samples.class_names)
    fig = Figure(figsize=(per_class * 1.0, rows * 1.1), layout="constrained")
    axes = fig.subplots(rows, per_class, squeeze=False)
    for label, name in enumerate(samples.class_names):
        members = np.flatnonzero(samples.labels == label)
        chosen = rng.choice(members, size=min(per_class, len(members)), replace=False)
        for col, ax in enumerate(axes[label]):
            ax.set_axis_off()
            if col < len(chosen):
                image = samples.image(int(chosen[col]))
                ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
        axes[label][0].set_title(name, loc="left", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rich.console import Console

    from fer_torch.data.readers import load_splits, select_classes

    splits = load_splits(args.data, args.source, split_test_by_prefix=args.split_test_by_prefix)
    if args.classes:
        splits = {split: select_classes(samples, classes=args.classes) for split, samples in splits.items()}
    counts = class_counts(splits)
    console = Console()
    console.print(counts_table(counts, title=str(args.data)))
    if args.grid:
        grid_split = "train" if "train" in splits else next(iter(splits))
        console.print(f"grid of {grid_split} images: {write_grid(splits[grid_split], args.grid, args.per_class)}")
    if args.json:
        print(json.dumps(counts), flush=True)
    return 0
