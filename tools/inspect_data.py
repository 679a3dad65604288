#!/usr/bin/env python
"""Class counts per split: ``python tools/inspect_data.py --data PATH [--classes …] [--json] [--grid out.png]``."""

import sys

from fer_torch.cli.common import run_tool
from fer_torch.cli.inspect_data import main

if __name__ == "__main__":
    sys.exit(run_tool(main))
