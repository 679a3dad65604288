#!/usr/bin/env python
"""Pick an ensemble greedily on the val split: ``python tools/ensemble_select.py --weights A --weights B ... --data PATH``."""

import sys

from fer_torch.cli.ensemble_select import main
from fer_torch.cli.common import run_tool

if __name__ == "__main__":
    sys.exit(run_tool(main))
