#!/usr/bin/env python
"""The fer-torch web app: ``python tools/serve.py --help``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("serve"))
