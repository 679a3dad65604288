#!/usr/bin/env python
"""Train a model from a config: ``python tools/train.py --config configs/<name>.yaml [--section.key value]``."""

import sys

from fer_torch.cli.common import run_tool
from fer_torch.cli.train import main

if __name__ == "__main__":
    sys.exit(run_tool(main))
