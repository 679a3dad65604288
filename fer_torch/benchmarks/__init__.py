"""Benchmarks behind ``tools/benchmark.py``: one module per suite (data, train, infer, live, serve).

Each suite module exposes ``add_arguments(parser)`` and ``run(args) -> str`` (a markdown report).
"""

SUITES = ("data", "train", "infer", "live", "serve")
