#!/usr/bin/env python
"""Speed benchmarks: ``python tools/benchmark.py {data,train,infer,live,all}``."""

import sys

from fer_torch.cli.scripts import run

if __name__ == "__main__":
    sys.exit(run("benchmark"))
