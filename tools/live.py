#!/usr/bin/env python
"""Live facial-expression recognition: ``python tools/live.py --help``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("live"))
