"""tools/peers/keras_bn_cnn.py: the Keras BN CNN peer. The project's Python has no TensorFlow; these tests need none.

Set FER_KERAS_PYTHON to a python with TensorFlow (e.g. /tmp/tfvenv/bin/python) to also run the peer for real.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "peers" / "keras_bn_cnn.py"
KERAS_PYTHON = os.environ.get("FER_KERAS_PYTHON")
KEYS = {"framework", "tensorflow", "params", "batch", "batches", "images_per_s", "threads", "cpu"}


def _run(*args: str, python: str = sys.executable, env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([python, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def no_tensorflow(tmp_path) -> dict[str, str]:
    """PYTHONPATH whose ``tensorflow`` package fails to import, so the test holds even where TF is installed."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text("raise ImportError('tensorflow blocked by the test')\n")
    return {"PYTHONPATH": str(tmp_path)}


def test_missing_tensorflow_is_one_line_and_exit_2(no_tensorflow):
    result = _run("--batches", "1", env=no_tensorflow)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: TensorFlow is not installed in this Python")
    assert "Traceback" not in result.stderr


def test_help_is_quick_and_needs_no_tensorflow(no_tensorflow):
    result = _run("--help", env=no_tensorflow, timeout=30)
    assert result.returncode == 0, result.stderr
    for option in ("--data", "--images", "--batch", "--warmup-batches", "--batches", "--threads", "--epochs", "--lr",
                   "--seed"):
        assert option in result.stdout


@pytest.mark.parametrize("layout", ["missing", "no_train", "wrong_classes"])
def test_bad_data_path_is_one_line_and_exit_2(tmp_path, layout):
    root = tmp_path / "root"
    if layout != "missing":
        root.mkdir()
    if layout == "wrong_classes":
        (root / "train" / "cats").mkdir(parents=True)
    result = _run("--data", str(root))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --data {root}")
    assert "Traceback" not in result.stderr


def test_imports_only_tensorflow_numpy_pillow_and_stdlib():
    tree = ast.parse(SCRIPT.read_text())
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    third_party = modules - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party <= {"tensorflow", "numpy", "PIL"}, third_party


@pytest.mark.skipif(not KERAS_PYTHON, reason="set FER_KERAS_PYTHON to a python with TensorFlow")
def test_peer_trains_synthetic_batches():
    result = _run("--warmup-batches", "2", "--batches", "3", "--threads", "2", python=KERAS_PYTHON, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    record = json.loads(lines[0])
    assert KEYS <= record.keys()
    assert record["framework"] == "keras" and record["params"] == 4_478_727
    assert record["batch"] == 64 and record["batches"] == 3 and record["threads"] == 2
    assert record["images_per_s"] > 0


@pytest.mark.skipif(not KERAS_PYTHON, reason="set FER_KERAS_PYTHON to a python with TensorFlow")
def test_peer_trains_epochs_on_folders(fer_folder):
    result = _run("--data", str(fer_folder), "--epochs", "1", "--batch", "8", python=KERAS_PYTHON, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(result.stdout)
    assert record["images"] == 56 and record["val_images"] == 28 and record["epochs"] == 1
    assert len(record["epoch_seconds"]) == 1 and 0.0 <= record["val_accuracy"][0] <= 1.0
