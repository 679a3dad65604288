"""``tools/benchmark.py {data,train,infer,live,serve,robustness,recipe,all}``: print markdown tables of measured speeds
(and, for robustness, accuracies)."""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import re
from collections.abc import Collection
from pathlib import Path

from fer_torch.benchmarks import QUICK_SUITES, SUITES
from fer_torch.cli.common import ToolArgumentParser


def machine_line(threads: int | None = None) -> str:
    """One line naming the machine the figures come from, with the torch threads the suite runs with
    (``threads``: its ``--threads``, else torch's default)."""
    import torch

    from fer_torch.hardware import cpu_name

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"Machine: {cpu_name()}, {threads or torch.get_num_threads()} torch threads, {gpu}; torch {torch.__version__}"


def suite_summary(name: str) -> str:
    """First paragraph of a suite module's docstring, in whole sentences, read without importing it (suites import
    torch)."""
    origin = importlib.util.find_spec(f"fer_torch.benchmarks.{name}").origin
    doc = ast.get_docstring(ast.parse(Path(origin).read_text())) or name
    return " ".join(doc.split("\n\n")[0].split())


def suite_module(name: str):
    """The suite's module; a one-line error naming the extra to install when a package it needs is missing."""
    from fer_torch.errors import MissingDependency
    from fer_torch.extras import install_line

    try:
        return importlib.import_module(f"fer_torch.benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.startswith("fer_torch"):
            raise
        missing = exc.name.split(".")[0]
        raise MissingDependency(f"benchmark {name} needs {missing}: {install_line(missing)}") from None


def build_parser(with_options: Collection[str] = SUITES) -> argparse.ArgumentParser:
    """The parser, with the options of the suites in ``with_options`` (importing their modules: ``main`` adds
    only the chosen suite's, so ``--help`` and argument errors stay quick)."""
    parser = ToolArgumentParser(prog="benchmark.py", description=__doc__)
    sub = parser.add_subparsers(dest="suite", required=True)
    for name in SUITES:
        summary = suite_summary(name)
        suite_parser = sub.add_parser(name, help=re.split(r"(?<=\.)\s", summary)[0], description=summary)
        if name in with_options:
            suite_module(name).add_arguments(suite_parser)
    sub.add_parser("all", help=f"every suite but robustness and recipe with its defaults, in one run "
                               f"({', '.join(QUICK_SUITES)})")
    return parser


def main(argv: list[str] | None = None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if a in SUITES), None)
    args = build_parser([chosen] if chosen else []).parse_args(argv)
    print(machine_line(getattr(args, "threads", None)) + "\n")
    suites = QUICK_SUITES if args.suite == "all" else (args.suite,)
    for name in suites:
        module = suite_module(name)
        suite_args = args if args.suite != "all" else build_parser([name]).parse_args([name])
        print(module.run(suite_args), flush=True)
    return 0
