#!/usr/bin/env python
"""Evaluate model files on a dataset split: ``python tools/evaluate.py --weights MODEL --data PATH --split val --output DIR``."""

import sys

from fer_torch.cli.evaluate import main
from fer_torch.cli.common import run_tool

if __name__ == "__main__":
    sys.exit(run_tool(main))
