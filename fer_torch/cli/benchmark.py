"""``tools/benchmark.py {data,train,infer,live,serve,all}``: print markdown tables of measured speeds."""

from __future__ import annotations

import argparse
import importlib
import platform

import torch

from fer_torch.benchmarks import SUITES


def machine_line() -> str:
    """One line naming the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"Machine: {cpu}, {torch.get_num_threads()} torch threads, {gpu}; torch {torch.__version__}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmark.py", description=__doc__)
    sub = parser.add_subparsers(dest="suite", required=True)
    for name in SUITES:
        module = importlib.import_module(f"fer_torch.benchmarks.{name}")
        module.add_arguments(sub.add_parser(name, help=module.__doc__.splitlines()[0] if module.__doc__ else name))
    sub.add_parser("all", help="every suite with its defaults, in one run")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    print(machine_line() + "\n")
    suites = SUITES if args.suite == "all" else (args.suite,)
    for name in suites:
        module = importlib.import_module(f"fer_torch.benchmarks.{name}")
        suite_args = args if args.suite != "all" else build_parser().parse_args([name])
        print(module.run(suite_args), flush=True)
    return 0
