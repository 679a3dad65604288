"""tools/inspect_data.py end to end (subprocess): table, --json last line, --grid PNG, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fer_torch.labels import FER2013_CLASSES

TOOL = Path(__file__).resolve().parents[1] / "tools" / "inspect_data.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("fixture", ["fer_folder", "fer_csv"])
def test_json_counts(request, fixture):
    result = _run("--data", str(request.getfixturevalue(fixture)), "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts == {"train": {n: 8 for n in FER2013_CLASSES}, "val": {n: 4 for n in FER2013_CLASSES}}
    assert "total" in result.stdout and "56" in result.stdout  # the rich table


def test_class_subset_and_grid(fer_folder, tmp_path):
    grid = tmp_path / "grid.png"
    result = _run("--data", str(fer_folder), "--classes", "happy", "Surprised", "--json", "--grid", str(grid))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "train": {"happy": 8, "surprise": 8}, "val": {"happy": 4, "surprise": 4}}
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "/no/such/dataset"], "error: /no/such/dataset: no such file or directory"),
        (["--data", "{folder}", "--classes", "joyful"], "error: unknown class name 'joyful'"),
    ],
)
def test_bad_input_exits_2_with_one_line(fer_folder, args, message):
    result = _run(*(a.format(folder=fer_folder) for a in args))
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
