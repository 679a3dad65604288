#!/usr/bin/env python
"""Parameter counts of a training config: ``python tools/summary.py --config configs/<name>.yaml [--json]``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("summary"))
