"""The web page as a user meets it (issue 36), in headless system Chromium with a fake camera: overlays inside the
video at desktop and phone widths, readable labels, honest failure states with back-off and recovery, a refused
camera, one upload per double-click, and an annotated video that plays."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager

import cv2
import pytest

from fer_torch.apps.web import BackgroundServer, ServeConfig, create_app
from fer_torch.apps.web.browser import CHROMIUM_NAMES, camera_page, wait_for, write_y4m
from fer_torch.fixtures.synthetic_video import face_frames, make_face_video
from fer_torch.fixtures.untrained import untrained_classifier
from fer_torch.inference.contrast import AA_NORMAL_TEXT, contrast_ratio
from fer_torch.inference.predictor import Predictor

pytest.importorskip("playwright")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not any(shutil.which(n) for n in CHROMIUM_NAMES),
                       reason="no system chromium (.ci/run installs it: apt-get install -y chromium)"),
]
VIEWPORTS = ((1280, 800), (390, 844))
WAIT_S = 60  # the longest any state may take to appear: generous, for a loaded machine (the checks are no timings)

# Everything drawn over the video, the video's box and the stats line, read in one step (the overlay is redrawn
# on every answer).
LAYOUT = """(() => {
  const rect = node => { const r = node.getBoundingClientRect();
                         return {x: r.left, y: r.top, right: r.right, bottom: r.bottom}; };
  const style = node => ({color: getComputedStyle(node).color, background: getComputedStyle(node).backgroundColor});
  return {video: rect(document.getElementById("video")), stats: rect(document.getElementById("stats")),
          boxes: [...document.querySelectorAll("#overlay .face-box")].map(rect),
          labels: [...document.querySelectorAll("#overlay .face-label")].map(n => ({...rect(n), ...style(n)}))};
})()"""


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    classifier = untrained_classifier("bn_cnn")
    return Predictor(classifier, classifier.class_names, classifier.input_spec)


@contextmanager
def page_for(predictor, tmp_path, clip, viewport=VIEWPORTS[0]):
    """The camera page of a fresh server, its camera playing ``clip`` (``None``: refused)."""
    app = create_app(predictor, ServeConfig(results_dir=tmp_path / "results"))
    with BackgroundServer(app) as url, camera_page(url, clip, viewport=viewport) as page:
        yield page


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["right"] <= outer["right"] + slack and inner["bottom"] <= outer["bottom"] + slack)


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["right"] and b["x"] < a["right"] and a["y"] < b["bottom"] and b["y"] < a["bottom"]


def rgb(css: str) -> tuple[int, ...]:
    """``rgb(r, g, b)`` (a computed style) as numbers."""
    return tuple(int(v) for v in re.findall(r"\d+", css)[:3])


def rgb_hex(value: str) -> tuple[int, int, int]:
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))


def check_layout(layout: dict) -> None:
    video, stats, labels = layout["video"], layout["stats"], layout["labels"]
    for element in layout["boxes"] + labels:
        assert inside(element, video), (element, video)
        assert not overlap(element, stats)
    for i, a in enumerate(labels):
        assert all(not overlap(a, b) for b in labels[i + 1:]), labels
        assert contrast_ratio(rgb(a["color"]), rgb(a["background"])) >= AA_NORMAL_TEXT, a


@pytest.mark.parametrize(("scene", "faces"), [("bottom", 1), ("two faces", 2)])
def test_overlays_stay_inside_the_video_apart_and_readable_at_both_widths(predictor, tmp_path, scene, faces):
    """A face near the bottom edge and two faces side by side, at 1280x800 and 390x844: every box and label lies
    inside the video, off the stats line, labels never overlap, and their text contrast is at least 4.5:1."""
    frames = face_frames(30, size=(640, 480), faces=faces, center_y=0.86 if scene == "bottom" else 0.5)
    clip = write_y4m(frames, tmp_path / "scene.y4m")
    with page_for(predictor, tmp_path, clip) as page:
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            # every face was seen; later answers may miss one for a frame
            wait_for(page, f"document.querySelectorAll('#overlay .face-box').length >= {faces}", timeout_s=WAIT_S)
            for _ in range(5):  # several answers, each laid out anew
                layout = page.evaluate(LAYOUT)
                check_layout(layout)
                page.wait_for_timeout(150)
            page.screenshot(path=str(tmp_path / f"page_{width}.png"))
        stream_hidden = page.evaluate("document.getElementById('stream-link').hidden")
        every_class = page.evaluate("""import('/static/ui.js').then(ui =>
            Object.values(ui.COLORS).map(c => [c, ui.textColorOn(c)]))""")
        errors = page.console_errors
    assert stream_hidden  # no --source: no /stream link
    for background, text in every_class:  # whatever the emotion, its label reads at AA contrast
        assert contrast_ratio(rgb_hex(text), rgb_hex(background)) >= AA_NORMAL_TEXT
    assert not errors  # no CSP violation, no missing favicon


def test_an_unreachable_server_clears_the_faces_backs_off_and_recovers(predictor, tmp_path):
    """Frame requests aborted: the page shows an error, no stale box or probability, sends at most ~2 requests/s,
    and draws faces again by itself once requests go through."""
    clip = write_y4m(face_frames(30, size=(640, 480)), tmp_path / "face.y4m")
    with page_for(predictor, tmp_path, clip) as page:
        sent = []
        page.on("request", lambda request: "/api/frame" in request.url and sent.append(request.url))
        wait_for(page, "document.querySelectorAll('#overlay .face-box').length >= 1", timeout_s=WAIT_S)
        page.route("**/api/frame*", lambda route: route.abort())
        wait_for(page, "window.ferStats.state === 'failing'", timeout_s=WAIT_S)
        page.wait_for_timeout(300)  # a request already in flight when the route was set has come back
        before = len(sent)
        window_s = 4
        page.wait_for_timeout(window_s * 1000)
        failing = len(sent) - before
        shown = page.evaluate("""({boxes: document.querySelectorAll('#overlay .face-box').length,
            cards: document.querySelectorAll('#faces-list li').length, fps: document.getElementById('fps').textContent,
            error: document.getElementById('status').classList.contains('error'),
            status: document.getElementById('status').textContent})""")
        page.unroute("**/api/frame*")
        frames = page.evaluate("window.ferStats.frames")
        wait_for(page, f"window.ferStats.state === 'running' && window.ferStats.frames > {frames + 2}",
                 timeout_s=WAIT_S)
        recovered = page.evaluate("""({boxes: document.querySelectorAll('#overlay .face-box').length,
            error: document.getElementById('status').classList.contains('error')})""")
    assert shown["boxes"] == 0 and shown["cards"] == 0 and shown["fps"] == "–" and shown["error"]
    assert "cannot reach the server" in shown["status"]
    assert 1 <= failing <= 2 * window_s + 1  # ~2 requests/s at most while failing (the pause grows to 4 s)
    assert recovered["boxes"] >= 1 and not recovered["error"]


def test_a_refused_camera_explains_and_offers_a_retry_and_the_upload(predictor, tmp_path):
    with page_for(predictor, tmp_path, None, viewport=VIEWPORTS[1]) as page:
        wait_for(page, "window.ferStats.state === 'no camera'", timeout_s=WAIT_S)
        shown = page.evaluate("""({problem: !document.getElementById('camera-problem').hidden,
            text: document.getElementById('camera-problem-text').textContent,
            upload: document.getElementById('to-upload').getAttribute('href')})""")
        assert page.is_visible("#camera-retry") and page.is_visible("#to-upload")
        page.click("#camera-retry")  # asks again: refused again, said again
        wait_for(page, "window.ferStats.state === 'no camera'", timeout_s=WAIT_S)
        page.click("#to-upload")
        focused = page.evaluate("document.activeElement.id")
    assert shown["problem"] and "denied" in shown["text"] and shown["upload"] == "#upload-section"
    assert focused == "upload-file"


def upload_outcome(page, uploads: list) -> str:
    """The upload status once the job has ended (a result or an error); on a timeout, what the page showed."""
    try:
        return wait_for(page, "(s => !s.classList.contains('busy') && s.textContent)"
                              "(document.getElementById('upload-status'))", timeout_s=WAIT_S)
    except TimeoutError:
        shown = page.evaluate("[document.getElementById('upload-status').textContent, location.href]")
        raise AssertionError(f"upload still running after {WAIT_S} s: status and page {shown}, requests {uploads}")


def test_a_double_click_on_annotate_sends_one_upload_and_a_failed_one_says_so(predictor, tmp_path):
    photo = tmp_path / "face.jpg"
    cv2.imwrite(str(photo), next(face_frames(1, size=(480, 360), motion=False)))
    with page_for(predictor, tmp_path, None) as page:  # no camera: the upload alone talks to the server
        uploads = []
        page.on("request", lambda request: "/api/upload" in request.url and uploads.append(request.url))
        page.set_input_files("#upload-file", str(photo))
        page.dblclick("#upload-button")
        status = upload_outcome(page, uploads)
        page.wait_for_timeout(500)
        shown = page.evaluate("""({lists: document.querySelectorAll('#upload-results .face-summaries').length,
            enabled: !document.getElementById('upload-button').disabled,
            links: [...document.querySelectorAll('#upload-results .downloads a')].map(a => a.textContent)})""")
        page.route("**/api/upload*", lambda route: route.abort())  # the server goes away: the form says so
        page.click("#upload-button")
        failed = wait_for(page, "(s => s.classList.contains('error') && !document.getElementById('upload-button')"
                                ".disabled && s.textContent)(document.getElementById('upload-status'))",
                          timeout_s=WAIT_S)
    assert "cannot reach the server" in failed  # and the form is usable again
    assert len(uploads) == 2 and shown["lists"] == 1 and shown["enabled"]
    assert status == "Image: 1 face found."
    assert "per-frame log (CSV)" in shown["links"] and not any("_" in name for name in shown["links"])


def test_an_uploaded_video_plays_inline(predictor, tmp_path):
    clip = make_face_video(tmp_path / "clip.mp4", frames=24, size=(320, 240), fps=12)
    with page_for(predictor, tmp_path, None) as page:
        page.set_input_files("#upload-file", str(clip))
        page.click("#upload-button")
        wait_for(page, "document.getElementById('upload-status').textContent.startsWith('Video:')", timeout_s=WAIT_S)
        page.locator("#upload-results video").scroll_into_view_if_needed()  # muted autoplay runs once in view
        start = wait_for(page, "(v => v && v.readyState >= 2 && !v.error && String(v.currentTime))"
                               "(document.querySelector('#upload-results video'))", timeout_s=WAIT_S)
        # the WebM decodes and its time advances, with no click on play
        later = wait_for(page, f"(t => t > {start} && t)(document.querySelector('#upload-results video').currentTime)",
                         timeout_s=WAIT_S)
        status = page.evaluate("document.getElementById('upload-status').textContent")
    assert later > float(start)
    assert status.startswith("Video: 24 frames (2.0 s)")
