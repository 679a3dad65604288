"""The camera page in a real browser: headless system Chromium whose fake camera plays a real-face clip."""

from __future__ import annotations

import shutil
import pytest

from fer_torch.inference.predictor import Predictor
from fer_torch.fixtures.synthetic_video import face_frames
from fer_torch.fixtures.untrained import untrained_classifier
from fer_torch.labels import FER2013_CLASSES
from fer_torch.apps.web import BackgroundServer, ServeConfig, create_app
from fer_torch.apps.web.browser import CHROMIUM_NAMES, camera_page, wait_for, write_y4m

pytest.importorskip("playwright")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not any(shutil.which(n) for n in CHROMIUM_NAMES),
                       reason="no system chromium (.ci/run installs it: apt-get install -y chromium)"),
]
FIRST_FACE = """(() => {
  const box = document.querySelector("#overlay .face-box");
  if (!box) return null;
  const rect = box.getBoundingClientRect(), label = box.querySelector(".face-label");
  return {label: label.dataset.label, text: label.textContent, width: rect.width, height: rect.height};
})()"""


def test_camera_page_shows_a_labelled_box_over_the_video(tmp_path):
    """Within 15 s of opening, the page draws a face box labelled with one of the seven emotions."""
    clip = write_y4m(face_frames(30, size=(640, 480)), tmp_path / "face.y4m")
    classifier = untrained_classifier("bn_cnn")
    predictor = Predictor(classifier, classifier.class_names, classifier.input_spec)
    app = create_app(predictor, ServeConfig(results_dir=tmp_path / "results"))
    with BackgroundServer(app) as url, camera_page(url, clip) as page:
        # The overlay is redrawn on every answer, so read the box and its label in one step.
        face = wait_for(page, FIRST_FACE)
        wait_for(page, "window.ferStats.frames >= 3")
        stats = page.evaluate("window.ferStats")
        page.screenshot(path=str(tmp_path / "page.png"))
    assert face["label"] in FER2013_CLASSES and face["text"].startswith("#0 " + face["label"])
    assert face["width"] > 40 and face["height"] > 40
    assert stats["errors"] == 0 and stats["latencyMs"] > 0
    assert not [m for m in page.console_errors if "Content Security Policy" in m]  # the page runs under the app's CSP
    assert (tmp_path / "page.png").stat().st_size > 10_000
