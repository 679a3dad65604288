"""Benchmarks behind ``tools/benchmark.py``: one module per suite (data, train, infer, live, serve, robustness,
recipe).

Each suite module exposes ``add_arguments(parser)`` and ``run(args) -> str`` (a markdown report).
"""

SUITES = ("data", "train", "infer", "live", "serve", "robustness", "recipe")
QUICK_SUITES = SUITES[:-2]
"""What ``all`` runs: every suite but ``robustness``, which evaluates whole splits 25 times and needs ``--data``, and
``recipe``, which trains for hours."""
