#!/usr/bin/env python
"""Evaluate checkpoints on a dataset split: ``python tools/evaluate.py --checkpoint CKPT --data PATH --split val --output DIR``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("evaluate"))
