#!/usr/bin/env python
"""Export a trained model: ``python tools/export.py --format onnx [--checkpoint CKPT] [--output model.onnx]``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("export"))
