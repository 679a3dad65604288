#!/usr/bin/env python
"""Benchmarks: ``python tools/benchmark.py {data,train,infer,live,serve,robustness,recipe,all}``."""

import sys

from fer_torch.cli.benchmark import main
from fer_torch.cli.common import run_tool

if __name__ == "__main__":
    sys.exit(run_tool(main))
