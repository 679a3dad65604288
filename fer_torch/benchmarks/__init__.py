"""Benchmarks behind ``tools/benchmark.py``: one module per suite (data, train, infer, live, serve, recipe).

Each suite module exposes ``add_arguments(parser)`` and ``run(args) -> str`` (a markdown report).
"""

SUITES = ("data", "train", "infer", "live", "serve", "recipe")
QUICK_SUITES = SUITES[:-1]
"""What ``all`` runs: every suite but ``recipe``, which trains for hours."""
