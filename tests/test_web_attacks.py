"""The web app's trust boundary, finding by finding (issue 23): each test sends what an attacker or a broken client
sent and asserts the safe answer, in bounded time. Finding 10 (SIGTERM to train.py) is tests/test_train_sigterm.py."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from fer_torch.apps.web import BackgroundServer, ServeConfig, create_app
from fer_torch.apps.web import routes
from fer_torch.apps.web.jobs import JobStore
from fer_torch.apps.web.security import SECURITY_HEADERS, trusted_hosts_for
from fer_torch.benchmarks.serve_attacks import chunked_body, png_bomb
from fer_torch.hardware import process_rss_mb
from fer_torch.fixtures.synthetic_video import astronaut_head, background_image, face_frames
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.predictor import Predictor

REFUSAL_S = 2.0  # every refusal is answered within this


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    classifier = untrained_classifier("bn_cnn")
    return Predictor(classifier, classifier.class_names, classifier.input_spec)


def jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image)[1].tobytes()


def face_frame(width: int, height: int) -> bytes:
    return jpeg(next(face_frames(1, size=(width, height), motion=False)))


def make_app(predictor, tmp_path, **options):
    return create_app(predictor, ServeConfig(results_dir=tmp_path / "results", **options))


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


# 1. A face, then a 1x1 image on the same tab froze every later request (LK optical flow stalled under the lock).
def test_a_tiny_frame_after_a_tracked_face_answers_and_frees_the_model(predictor, tmp_path):
    app = make_app(predictor, tmp_path, detect_every=5)
    with BackgroundServer(app) as url:
        post = lambda body: requests.post(f"{url}/api/frame?tab=t", data=body, headers={"Content-Type": "image/jpeg"},
                                          timeout=10)
        assert len(post(face_frame(640, 480)).json()["faces"]) == 1
        tiny, seconds = timed(lambda: post(jpeg(np.zeros((1, 1, 3), np.uint8))))
        assert tiny.status_code == 200 and tiny.json()["faces"] == [] and seconds < REFUSAL_S
        health = requests.get(f"{url}/api/health", timeout=10).json()
        assert health["status"] == "ok" and health["model_available"] is True
        assert len(post(face_frame(640, 480)).json()["faces"]) == 1


def test_health_says_503_when_the_model_cannot_be_taken(predictor, tmp_path):
    app = make_app(predictor, tmp_path)
    client = app.test_client()
    lock = app.extensions["fer_torch"].service.lock
    with lock:
        response, seconds = timed(lambda: client.get("/api/health"))
    assert response.status_code == 503 and response.json["status"] == "busy" and seconds < REFUSAL_S
    assert client.get("/api/health").status_code == 200


# 2. 640x480 frames then 320x240 frames on one tab (a camera switch): HTTP 500 on every later frame.
def test_a_frame_size_change_keeps_the_tab_working(predictor, tmp_path):
    client = make_app(predictor, tmp_path, detect_every=5).test_client()
    for width, height in [(640, 480)] * 3 + [(320, 240)] * 4 + [(640, 480)] * 2:
        answer = client.post("/api/frame?tab=cam", data=face_frame(width, height), content_type="image/jpeg")
        assert answer.status_code == 200, answer.json
        assert (answer.json["width"], answer.json["height"]) == (width, height)
        assert len(answer.json["faces"]) == 1
        box = answer.json["faces"][0]["box"]
        assert box["x"] + box["w"] <= width and box["y"] + box["h"] <= height


# 3. A 1 MB PNG of 20000x20000 was decoded: 6-7 GB RSS, the lock held for seconds; tabs kept full-size frames.
@pytest.mark.parametrize("route", ["/api/predict", "/api/frame?tab=t", "/api/upload"])
def test_a_pixel_bomb_is_refused_by_its_header(predictor, tmp_path, route):
    client = make_app(predictor, tmp_path).test_client()
    bomb = png_bomb()
    before = process_rss_mb()

    def send():
        if route == "/api/upload":
            return client.post(route, data={"file": (io.BytesIO(bomb), "big.png", "image/png")})
        return client.post(route, data=bomb, content_type="image/png")

    with ThreadPoolExecutor(4) as pool:  # concurrent bombs do not add up either
        answers, seconds = timed(lambda: list(pool.map(lambda _: send(), range(4))))
    assert process_rss_mb() - before < 300 and seconds < REFUSAL_S
    for answer in answers:
        assert answer.status_code == 413 and "20000x20000" in answer.json["error"] and "limit is 40 MP" in answer.json["error"]
    assert not any((tmp_path / "results").iterdir())


def test_the_pixel_budget_is_configurable_and_video_frames_obey_it(predictor, tmp_path):
    from fer_torch.fixtures.synthetic_video import make_face_video

    client = make_app(predictor, tmp_path, max_pixels=100_000).test_client()
    answer = client.post("/api/predict", data=face_frame(480, 360), content_type="image/jpeg")
    assert answer.status_code == 413 and "limit is 0.1 MP" in answer.json["error"]
    video = make_face_video(tmp_path / "clip.mp4", frames=3, size=(480, 360), motion=False)
    answer = client.post("/api/upload", data={"file": (video.open("rb"), "clip.mp4", "video/mp4")})
    assert answer.status_code == 413 and "480x360" in answer.json["error"]


def test_tabs_keep_frames_of_at_most_1280_px_and_answer_in_full_size_pixels(predictor, tmp_path):
    app = make_app(predictor, tmp_path, detect_every=5)
    client = app.test_client()
    small = client.post("/api/frame?tab=small", data=face_frame(1280, 960), content_type="image/jpeg").json
    big = client.post("/api/frame?tab=big", data=face_frame(2560, 1920), content_type="image/jpeg").json
    assert (big["width"], big["height"]) == (2560, 1920)
    box_small, box_big = small["faces"][0]["box"], big["faces"][0]["box"]
    assert all(abs(box_big[k] - 2 * box_small[k]) <= 2 for k in "xywh")
    kept = app.extensions["fer_torch"].service.tabs["big"].face_finder.previous
    assert max(kept.shape) == 1280


# 4. An upload named x.html holding an image then <script> was served inline as text/html (stored XSS).
def test_an_upload_is_never_served_back_and_results_are_never_html(predictor, tmp_path):
    app = make_app(predictor, tmp_path)
    client = app.test_client()
    polyglot = face_frame(320, 240) + b"<script>alert(document.cookie)</script>"
    for name, mimetype in (("x.html", "image/jpeg"), ("x.html", "application/octet-stream"), ("x.svg", "image/svg+xml")):
        answer = client.post("/api/upload", data={"file": (io.BytesIO(polyglot), name, mimetype)})
        if answer.status_code != 200:
            assert answer.status_code == 400 and "truncated" in answer.json["error"]
            continue
        job = answer.json["job"]
        stored = sorted(p.name for p in (tmp_path / "results" / job).iterdir())
        assert "x.html" not in stored and not any(p.endswith((".html", ".svg")) for p in stored)
        for probe in ("upload", "x.html", "input.html", "../upload"):
            assert client.get(f"/results/{job}/{probe}").status_code == 404
        for url in answer.json["urls"].values():
            served = client.get(url)
            assert served.status_code == 200 and served.mimetype in (
                "image/png", "video/mp4", "text/csv", "application/json")
            assert served.headers["X-Content-Type-Options"] == "nosniff"
    html = client.post("/api/upload", data={"file": (io.BytesIO(b"<html><script>x</script>"), "x.html", "text/html")})
    assert html.status_code == 415


# 5. No security headers; Server named Werkzeug and Python; 500 bodies showed OpenCV and paths; cross-origin
#    POSTs were processed; any Host was accepted.
def test_every_response_carries_the_security_headers(predictor, tmp_path):
    client = make_app(predictor, tmp_path).test_client()
    responses = [client.get("/"), client.get("/api/health"), client.get("/static/app.js"), client.get("/nope"),
                 client.post("/api/predict", data=b"junk", content_type="image/png")]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert "frame-ancestors 'none'" in SECURITY_HEADERS["Content-Security-Policy"]


def test_the_server_header_names_no_versions(predictor, tmp_path):
    with BackgroundServer(make_app(predictor, tmp_path)) as url:
        server = requests.get(f"{url}/api/health", timeout=10).headers["Server"]
    assert server == "fer-torch"


def test_a_500_body_names_no_library_or_path(predictor, tmp_path, monkeypatch):
    app = make_app(predictor, tmp_path)

    def opencv_failure(frame):
        raise cv2.error("OpenCV(4.10) /io/opencv/modules/imgproc/src/resize.cpp:4152: error: (-215)")

    monkeypatch.setattr(app.extensions["fer_torch"].service, "predict", opencv_failure)
    answer = app.test_client().post("/api/predict", data=face_frame(320, 240), content_type="image/jpeg")
    assert answer.status_code == 500
    assert "OpenCV" not in answer.json["error"] and "/io/" not in answer.json["error"] and "id " in answer.json["error"]


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}])
def test_cross_origin_posts_are_refused_before_any_work(predictor, tmp_path, headers):
    app = make_app(predictor, tmp_path)
    client = app.test_client()
    answer = client.post("/api/frame?tab=x", data=face_frame(320, 240), content_type="image/jpeg", headers=headers)
    assert answer.status_code == 403 and "refused" in answer.json["error"]
    assert "x" not in app.extensions["fer_torch"].service.tabs
    same = client.post("/api/predict", data=face_frame(320, 240), content_type="image/jpeg",
                       headers={"Origin": "http://localhost"})
    assert same.status_code == 200


def test_only_trusted_hosts_are_answered(predictor, tmp_path):
    client = make_app(predictor, tmp_path, trusted_hosts=trusted_hosts_for("127.0.0.1", None)).test_client()
    assert client.get("/api/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost"}).status_code == 200
    evil = client.get("/api/health", headers={"Host": "rebind.evil.example"})
    assert evil.status_code == 400 and evil.is_json
    assert trusted_hosts_for("0.0.0.0", None) is None
    assert trusted_hosts_for("0.0.0.0", ["fer.example.org"]) == ["fer.example.org"]


# 6. SIGTERM left /tmp/fer_serve_* with the users' raw uploads.
def test_sigterm_stops_the_server_and_removes_its_upload_folder(tmp_path):
    weights = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "model.ckpt")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "tools/serve.py", "--weights", str(weights), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[1])
    try:
        line = server.stdout.readline()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        answer = requests.post(f"{url}/api/upload", files={"file": ("f.jpg", face_frame(320, 240), "image/jpeg")},
                               timeout=60)
        assert answer.status_code == 200
        assert len(list(scratch.glob("fer_serve_*"))) == 1  # (torch may add folders of its own there)
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 0 and "Traceback" not in err
    assert not list(scratch.glob("fer_serve_*"))


# 7. Pruning deleted an upload still being processed.
def test_pruning_never_touches_a_job_in_progress(tmp_path):
    store = JobStore(tmp_path, keep=1)
    with store.new_job() as (slow, folder):
        for _ in range(3):
            with store.new_job() as (_, other):
                (other / "log.csv").write_text("x")
        assert folder.is_dir()
        with pytest.raises(Exception, match="no result"):
            store.result_file(slow, "log.csv")  # not served while in progress
    assert sorted(p.name for p in tmp_path.iterdir()) == [slow]


def test_a_slow_upload_survives_many_quick_ones(predictor, tmp_path, monkeypatch):
    app = make_app(predictor, tmp_path, keep_results=2)
    release, started = threading.Event(), threading.Event()
    process = routes.process_upload

    def slow_first(source, *args, **kwargs):
        if not started.is_set():
            started.set()
            release.wait(30)
        return process(source, *args, **kwargs)

    monkeypatch.setattr(routes, "process_upload", slow_first)
    body = face_frame(320, 240)
    with BackgroundServer(app) as url, ThreadPoolExecutor(2) as pool:
        post = lambda: requests.post(f"{url}/api/upload", files={"file": ("f.jpg", body, "image/jpeg")}, timeout=60)
        slow = pool.submit(post)
        assert started.wait(30)
        quick = [post() for _ in range(5)]
        release.set()
        assert slow.result().status_code == 200 and {q.status_code for q in quick} == {200}
        job = slow.result().json()["job"]
    assert (tmp_path / "results" / job).is_dir()


# 8. A chunked body over the limit was cut and answered 200; the 413 for a form of 5,000 fields claimed "larger
#    than 50 MB"; a truncated JPEG upload was re-read as a video; a crowd photo drew a 76,050-px histogram.
def raw_request(url: str, head: bytes, body: bytes, timeout: float = 10) -> bytes:
    host, port = url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    return answer


@pytest.mark.parametrize(("padding_mb", "status"), [(2, 413), (0, 200)])
def test_chunked_bodies_obey_the_exact_limit(predictor, tmp_path, padding_mb, status):
    app = make_app(predictor, tmp_path, max_upload_mb=1)
    head = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    with BackgroundServer(app) as url:
        answer, seconds = timed(lambda: raw_request(url, head, chunked_body(face_frame(320, 240) + b"\0" * (padding_mb << 20))))
    assert answer.startswith(b"HTTP/1.1 %d" % status) and seconds < REFUSAL_S
    if status == 413:
        assert b"sent in chunks" in answer and b"limit of 1 MB" in answer


def test_a_form_of_many_fields_is_refused_for_what_it_is(predictor, tmp_path):
    client = make_app(predictor, tmp_path).test_client()
    fields = {f"f{i}": "x" for i in range(5000)}
    fields["file"] = (io.BytesIO(face_frame(320, 240)), "f.jpg", "image/jpeg")
    answer = client.post("/api/upload", data=fields)
    assert answer.status_code == 413 and "too many parts" in answer.json["error"]
    assert "larger than" not in answer.json["error"]
    big = client.post("/api/predict", data=b"\xff" * ((50 << 20) + 1), content_type="image/jpeg")
    assert big.status_code == 413 and "50.0 MB is larger than the server's limit of 50 MB" in big.json["error"]


@pytest.mark.parametrize(("name", "mimetype"), [("cut.jpg", "image/jpeg"), ("cut.bin", "application/octet-stream"),
                                                ("cut.mp4", "video/mp4")])
def test_a_truncated_jpeg_upload_is_refused_not_read_as_video(predictor, tmp_path, name, mimetype):
    client = make_app(predictor, tmp_path).test_client()
    whole = face_frame(320, 240)
    answer = client.post("/api/upload", data={"file": (io.BytesIO(whole[: len(whole) // 2]), name, mimetype)})
    assert answer.status_code == 400 and "truncated JPEG" in answer.json["error"]


def test_a_crowd_photo_gets_plots_of_at_most_20_faces(predictor, tmp_path):
    head = cv2.resize(astronaut_head(), (120, 120), interpolation=cv2.INTER_AREA)
    crowd = background_image("gradient", (6 * 140, 4 * 140))
    for row in range(4):
        for col in range(6):
            crowd[row * 140 + 10 : row * 140 + 130, col * 140 + 10 : col * 140 + 130] = head
    client = make_app(predictor, tmp_path).test_client()
    result = client.post("/api/upload", data={"file": (io.BytesIO(jpeg(crowd)), "crowd.jpg", "image/jpeg")}).json
    assert result["faces"] > 20
    histogram = cv2.imdecode(np.frombuffer(client.get(result["urls"]["histogram"]).data, np.uint8), cv2.IMREAD_COLOR)
    timeline = cv2.imdecode(np.frombuffer(client.get(result["urls"]["timeline"]).data, np.uint8), cv2.IMREAD_COLOR)
    assert histogram.shape[1] <= 5 * 450 and histogram.shape[0] <= 4 * 350  # 5 faces a row, 20 faces at most
    assert timeline.shape[0] <= 20 * 260 + 100


# 9. No socket timeout: stalled uploads held their threads for good.
def test_a_stalled_upload_is_cut_off_by_the_socket_timeout(predictor, tmp_path):
    app = make_app(predictor, tmp_path)
    with BackgroundServer(app, socket_timeout=1.0) as url:
        host, port = url.rsplit("/", 1)[1].split(":")
        stalled = [socket.create_connection((host, int(port)), timeout=10) for _ in range(8)]
        for sock in stalled:
            sock.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                         b"Content-Length: 100000\r\n\r\n" + b"\xff" * 100)
        good = requests.post(f"{url}/api/predict", data=face_frame(320, 240), headers={"Content-Type": "image/jpeg"},
                             timeout=10)
        assert good.status_code == 200
        start = time.perf_counter()
        for sock in stalled:
            while sock.recv(65536):  # the server answers or closes; either way the connection ends
                pass
            sock.close()
        assert time.perf_counter() - start < 5


def test_the_app_factory_is_configured_by_the_environment(tmp_path, monkeypatch):
    weights = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "model.ckpt")
    monkeypatch.setenv("FER_TORCH_WEIGHTS", str(weights))
    monkeypatch.setenv("FER_TORCH_TRUSTED_HOSTS", "fer.example.org, localhost")
    monkeypatch.setenv("FER_TORCH_RESULTS_DIR", str(tmp_path / "results"))
    client = create_app().test_client()
    assert client.get("/api/model").json["weights"] == weights.name  # the file the variable named; never its path
    assert client.get("/api/health", headers={"Host": "fer.example.org"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 400
    assert (tmp_path / "results").is_dir()
