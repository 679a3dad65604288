"""``tools/plot_curves.py RUN_DIR``: PNG of train/val loss, accuracy and learning rate per epoch.

Reads the newest Lightning CSVLogger ``metrics.csv`` found under RUN_DIR.
"""

from __future__ import annotations

import argparse

from fer_torch.choices import CURVES_FILENAME
from fer_torch.cli.common import ToolArgumentParser


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="plot_curves.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="training run directory (searched recursively for metrics.csv) or a metrics.csv")
    parser.add_argument("--output", help=f"PNG path (default RUN_DIR/{CURVES_FILENAME})")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from fer_torch.evaluation.plots import plot_training_curves

    print(plot_training_curves(args.run_dir, args.output))
    return 0
