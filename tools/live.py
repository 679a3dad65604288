#!/usr/bin/env python
"""Live facial-expression recognition: ``python tools/live.py --help``."""

import sys

from fer_torch.cli.common import run_tool
from fer_torch.cli.live import main

if __name__ == "__main__":
    sys.exit(run_tool(main))
