"""Data pipeline speed: FER2013 CSV parse, folder decode (cold and cached), augmented DataLoader images/s.

Uses the real FER2013 folders (``--data``). The 35,887-row CSV is written once from them into a
temporary folder: train + val (32,298 rows) padded with the val rows again as PrivateTest.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from fer_torch.data.dataset_writers import write_fer2013_csv
from fer_torch.data.readers import load_splits

DATA_ENV = "FER_TORCH_DATA"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get(DATA_ENV)
    parser.add_argument("--data", type=Path, default=Path(default) if default else None,
                        help=f"FER2013 ROOT/{{train,val}}/<class>/ folders (default: ${DATA_ENV}; without either "
                             "the suite is skipped)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--batches", type=int, default=50, help="timed DataLoader batches (after 5 warm-up batches)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--augment", default="standard", help="training augmentation preset")


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _loader_images_per_second(root: Path, cache_dir: Path, args: argparse.Namespace) -> float:
    from fer_torch.data.datamodule import FERDataModule  # torch/Lightning only for this measurement

    module = FERDataModule(str(root), train_augment=args.augment, batch_size=args.batch_size, loader="dataloader",
                           dataloader={"num_workers": args.workers}, reading={"cache_dir": str(cache_dir)})
    batches = iter(module.train_dataloader())
    for _ in range(5):  # worker start-up and first batches
        next(batches)
    start, images = time.perf_counter(), 0
    for _ in range(args.batches):
        images += len(next(batches)[0])
    return images / (time.perf_counter() - start)


def run(args: argparse.Namespace) -> str:
    """Measure and return a markdown table."""
    if args.data is None:
        return f"### Data loading\n\nskipped: pass --data FER2013_ROOT (or set ${DATA_ENV})\n"
    with tempfile.TemporaryDirectory(prefix="fer_bench_") as tmp:
        cache_dir = Path(tmp) / "cache"
        folders, cold = _timed(lambda: load_splits(args.data, cache_dir=cache_dir))
        _, cached = _timed(lambda: load_splits(args.data, cache_dir=cache_dir))
        n_images = sum(len(s) for s in folders.values())
        kaggle = {**folders, "test": folders["val"]}  # PublicTest rows again as PrivateTest: Kaggle's row count
        csv_path = write_fer2013_csv(kaggle, Path(tmp) / "fer2013.csv")
        parsed, parse = _timed(lambda: load_splits(csv_path))
        n_rows = sum(len(s) for s in parsed.values())
        rows = [
            ("FER2013 CSV parse (`fer2013.csv`)", f"{n_rows:,} rows", f"{parse:.2f} s", f"{n_rows / parse:,.0f} rows/s"),
            ("Folder decode, cold cache", f"{n_images:,} images", f"{cold:.2f} s", f"{n_images / cold:,.0f} images/s"),
            ("Folder load, cached", f"{n_images:,} images", f"{cached:.2f} s", f"{n_images / cached:,.0f} images/s"),
        ]
        rate = _loader_images_per_second(args.data, cache_dir, args)
        rows.append((f"DataLoader, `{args.augment}` augmentation, {args.workers} workers",
                     f"{args.batches} x {args.batch_size}", "", f"{rate:,.0f} images/s"))
    table = ["| Data step | Size | Time | Throughput |", "|---|---|---:|---:|"]
    table += [f"| {' | '.join(r)} |" for r in rows]
    return "\n".join([f"Data pipeline on `{args.data}`", "", *table, ""])
