#!/usr/bin/env python
"""Export a trained model: ``python tools/export.py --format onnx [--weights MODEL] [--output model.onnx]``."""

import sys

from fer_torch.cli.common import run_tool
from fer_torch.cli.export import main

if __name__ == "__main__":
    sys.exit(run_tool(main))
