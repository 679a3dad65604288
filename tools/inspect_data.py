#!/usr/bin/env python
"""Class counts per split: ``python tools/inspect_data.py --data PATH [--classes …] [--json] [--grid out.png]``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("inspect_data"))
