#!/usr/bin/env python
"""Pick an ensemble greedily on the val split: ``python tools/ensemble_select.py --checkpoint A --checkpoint B ... --data PATH``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("ensemble_select"))
