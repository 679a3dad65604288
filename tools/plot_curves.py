#!/usr/bin/env python
"""Training curves from Lightning CSV logs: ``python tools/plot_curves.py RUN_DIR``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("plot_curves"))
