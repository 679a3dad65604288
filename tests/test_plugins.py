"""A package outside fer-torch adds a detector through a ``fer_torch.plugins`` entry point: no fer-torch file edited,
and the tools offer and run it (real subprocesses, the plugin found through its installed metadata)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
from fer_torch.inference.detector_registry import DETECTORS

DETECTORS.register("centre_box", "fer_centre_box.detector:CentreBoxDetector")  # lazy: --help imports no OpenCV
'''
DETECTOR = '''
from fer_torch.inference.detectors import Detection


class CentreBoxDetector:
    """One face: the middle half of the frame."""

    def __init__(self, min_size=(30, 30)):
        self.min_size = min_size

    def detect_faces(self, frame):
        height, width = frame.shape[:2]
        return [Detection((width // 4, height // 4, width // 2, height // 2))]
'''


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """A folder holding an installed-looking distribution whose entry point registers ``centre_box``."""
    site = tmp_path_factory.mktemp("site")
    package = site / "fer_centre_box"
    package.mkdir()
    (package / "__init__.py").write_text(PLUGIN)
    (package / "detector.py").write_text(DETECTOR)
    dist_info = site / "fer_centre_box-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fer-centre-box\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[fer_torch.plugins]\ncentre_box = fer_centre_box\n")
    return site


def run_tool(tool: str, argv: list[str], plugin_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), str(ROOT)])}
    return subprocess.run([sys.executable, str(ROOT / "tools" / f"{tool}.py"), *argv], capture_output=True, text=True,
                          env=env, timeout=300)


def test_plugin_detector_is_offered_by_the_tools(plugin_path):
    for tool in ("live", "evaluate", "collect"):
        result = run_tool(tool, ["--help"], plugin_path)
        assert result.returncode == 0, result.stderr
        assert "centre_box" in result.stdout.replace("\n", " ")


def test_live_runs_the_plugin_detector(plugin_path, tmp_path):
    from fer_torch.fixtures.synthetic_video import make_face_video
    from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier

    video = make_face_video(tmp_path / "clip.avi", frames=4, size=(160, 120))
    checkpoint = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "model.ckpt")
    log = tmp_path / "log.csv"
    result = run_tool("live", ["--no-display", "--source", str(video), "--weights", str(checkpoint), "--log", str(log),
                               "--detector", "centre_box", "--detect-every", "1", "--detect-scale", "1"], plugin_path)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(log)
    assert len(table) == 4
    assert (table[["x", "y", "w", "h"]].to_numpy() == (40, 30, 80, 60)).all()


def test_a_plugin_that_fails_to_import_is_one_line(plugin_path, tmp_path):
    broken = tmp_path / "site"
    broken.mkdir()
    dist_info = broken / "fer_broken-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fer-broken\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[fer_torch.plugins]\nbroken = no_such_module_here\n")
    result = run_tool("live", ["--source", "nothing.mp4"], broken)
    assert result.returncode == 2
    assert result.stderr.startswith("error: fer_torch plugin 'broken'") and result.stderr.count("\n") == 1
