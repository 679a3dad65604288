#!/usr/bin/env python
"""Collect a webcam dataset of face and mouth crops: ``python tools/collect.py --help``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("collect"))
