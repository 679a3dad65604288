"""The wheel a user installs: it holds the default model, every config and the web page; its metadata declares the
license and the extras, and each optional feature names its extra when it is missing."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from fer_torch.errors import MissingDependency
from fer_torch.extras import EXTRAS, FACENET_INSTALL, install_line, require
from fer_torch.paths import CONFIGS_DIR, DEFAULT_WEIGHTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    return zipfile.ZipFile(next(out.glob("fer_torch-*.whl")))


def test_the_wheel_holds_the_default_model_every_config_and_the_page(wheel):
    names = set(wheel.namelist())
    weights = "fer_torch/weights/fer_default.safetensors"
    assert weights in names and wheel.getinfo(weights).file_size == DEFAULT_WEIGHTS.stat().st_size
    configs = {f"fer_torch/configs/{p.relative_to(CONFIGS_DIR).as_posix()}" for p in CONFIGS_DIR.rglob("*.yaml")}
    assert len(configs) >= 25 and configs <= names
    assert {"fer_torch/apps/web/static/index.html", "fer_torch/apps/web/static/app.js"} <= names
    assert not any(n.startswith(("tests/", "tools/", "configs/", "weights/")) for n in names)


def test_the_wheel_metadata_declares_license_extras_and_no_facenet(wheel):
    metadata_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    assert metadata["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel.namelist())
    assert set(metadata.get_all("Provides-Extra")) >= {*EXTRAS, "all", "dev"}
    requires = metadata.get_all("Requires-Dist")
    assert not any(r.startswith("facenet") for r in requires)
    core = [r for r in requires if "extra ==" not in r]
    assert not any(r.split()[0].lower().startswith(("flask", "onnx", "tensorboard", "scikit-image")) for r in core)
    assert any(r.startswith("albumentations") and "<2.1" in r for r in core)


def test_a_missing_optional_package_names_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "flask", None)  # import flask now raises ImportError
    with pytest.raises(MissingDependency, match=r"^the web app needs flask: pip install 'fer-torch\[web\]'$"):
        require("flask", "the web app")
    assert install_line("onnxruntime") == "pip install 'fer-torch[onnx]'"
    assert install_line("facenet_pytorch") == FACENET_INSTALL == "pip install --no-deps facenet-pytorch==2.6.0"


def test_tools_report_a_missing_extra_in_one_line(monkeypatch, capsys):
    from fer_torch.cli.common import run_tool
    from fer_torch.cli.serve import main

    monkeypatch.setitem(sys.modules, "flask", None)
    monkeypatch.setattr("fer_torch.inference.predictor.Predictor.from_weights", lambda *a, **k: None)
    assert run_tool(main, []) == 2
    assert capsys.readouterr().err == "error: the web app needs flask: pip install 'fer-torch[web]'\n"


def test_console_scripts_name_themselves(tmp_path):
    """Run as ``fer-live``, a tool's usage and errors say ``fer-live``, not ``live.py``."""
    import shutil

    if shutil.which("fer-live") is None:
        pytest.skip("console scripts not installed (pip install -e .)")
    usage = subprocess.run(["fer-train", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: fer-train --config CONFIG")
    error = subprocess.run(["fer-live", "--bogus"], capture_output=True, text=True, cwd=tmp_path)
    assert error.returncode == 2 and "see fer-live --help" in error.stderr
