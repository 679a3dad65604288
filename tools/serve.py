#!/usr/bin/env python
"""The fer-torch web app: ``python tools/serve.py --help``."""

import sys

from fer_torch.cli.common import run_tool
from fer_torch.cli.serve import main

if __name__ == "__main__":
    sys.exit(run_tool(main))
