"""Every tool runs as ``python tools/<tool>.py`` and as the console script ``fer-<tool>``, through one entry."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fer_torch.cli.scripts import TOOLS, run, script_name

ROOT = Path(__file__).resolve().parents[1]


def test_every_tool_file_is_a_declared_console_script():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    tool_files = sorted(p.stem for p in (ROOT / "tools").glob("*.py"))
    assert tool_files == sorted(TOOLS)
    assert declared == {script_name(tool): f"fer_torch.cli.scripts:{tool}" for tool in TOOLS}


@pytest.mark.parametrize("tool", TOOLS)
def test_script_function_runs_the_tool(tool, capsys):
    import fer_torch.cli.scripts as scripts

    assert getattr(scripts, tool).__name__ == tool
    try:
        code = run(tool, ["--help"])
    except SystemExit as exit_info:  # argparse exits after printing help; train and summary return
        code = exit_info.code
    assert code == 0
    assert "--help" in capsys.readouterr().out  # every help text names its options


def test_bad_option_through_the_script_entry_is_one_line(capsys):
    assert run("inspect_data", ["--data"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.skipif(shutil.which("fer-inspect-data") is None, reason="package not installed with its scripts")
def test_installed_script_and_tool_file_agree():
    script = subprocess.run(["fer-inspect-data", "--help"], capture_output=True, text=True, timeout=60)
    tool = subprocess.run([sys.executable, str(ROOT / "tools" / "inspect_data.py"), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert script.returncode == tool.returncode == 0
    assert script.stdout.startswith("usage: fer-inspect-data ") and tool.stdout.startswith("usage: inspect_data.py ")
    same_words = " ".join(script.stdout.replace("fer-inspect-data", "inspect_data.py").split())
    assert same_words == " ".join(tool.stdout.split())  # the same help, each naming itself as the user typed it


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path):
    """``fer-train --list-configs | head -n 1`` (or ``| grep -q``): exit 0 and no "Broken pipe" error."""
    done = subprocess.run(f"{sys.executable} {ROOT / 'tools' / 'train.py'} --list-configs | head -n 1",
                          shell=True, capture_output=True, text=True, timeout=60,
                          executable="/bin/bash")
    assert done.stdout.count("\n") == 1 and "Broken pipe" not in done.stderr
    piped = subprocess.run(["bash", "-o", "pipefail", "-c",
                            f"{sys.executable} {ROOT / 'tools' / 'train.py'} --list-configs | grep -q seed004"],
                           capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
