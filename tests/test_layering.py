"""The package's shape: layers checked by import-linter (contract in pyproject.toml), no two modules importing each
other, and one name for a model file across the tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = ("import sys; from importlinter.cli import lint_imports; "
                "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def test_every_import_runs_down_the_layers_of_pyproject():
    # In a child process: import-linter reconfigures logging, which would silence the loggers of later tests.
    check = subprocess.run([sys.executable, "-c", LINT_IMPORTS], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]


def test_no_two_modules_import_each_other_directly_or_through_others():
    graph = grimp.build_graph("fer_torch")
    cycles = {tuple(sorted(chain)) for module in graph.modules
              for imported in graph.find_modules_directly_imported_by(module)
              if (chain := graph.find_shortest_chain(importer=imported, imported=module))}
    assert not cycles


@pytest.mark.parametrize("tool", ["evaluate", "export", "live", "serve"])
def test_every_tool_takes_its_model_file_as_weights(tool):
    usage = subprocess.run([sys.executable, f"tools/{tool}.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    assert "--weights" in usage and "--checkpoint " not in usage


def test_the_old_checkpoint_spelling_still_works_and_says_it_is_deprecated(capsys):
    from fer_torch.cli.evaluate import build_parser as evaluate_parser
    from fer_torch.cli.export import build_parser as export_parser

    args = evaluate_parser().parse_args(["--checkpoint", "a.ckpt", "--weights", "b.onnx", "--data", "d",
                                         "--output", "o"])
    assert args.weights == ["a.ckpt", "b.onnx"]
    assert export_parser().parse_args(["--format", "onnx", "--checkpoint", "m.ckpt"]).weights == Path("m.ckpt")
    assert capsys.readouterr().err.splitlines() == ["warning: --checkpoint is deprecated; use --weights"] * 2
