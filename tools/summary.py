#!/usr/bin/env python
"""Parameter counts of a training config: ``python tools/summary.py --config configs/<name>.yaml [--json]``."""

import sys

from fer_torch.cli.common import run_tool
from fer_torch.cli.summary import main

if __name__ == "__main__":
    sys.exit(run_tool(main))
