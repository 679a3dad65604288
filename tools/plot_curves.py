#!/usr/bin/env python
"""Training curves from Lightning CSV logs: ``python tools/plot_curves.py RUN_DIR``."""

import sys

from fer_torch.cli.plot_curves import main
from fer_torch.cli.common import run_tool

if __name__ == "__main__":
    sys.exit(run_tool(main))
