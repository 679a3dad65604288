#!/usr/bin/env python
"""Collect a webcam dataset of face and mouth crops: ``python tools/collect.py --help``."""

import sys

from fer_torch.cli.collect import main
from fer_torch.cli.common import run_tool

if __name__ == "__main__":
    sys.exit(run_tool(main))
