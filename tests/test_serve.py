"""The web app through Flask's test client: every endpoint, and every bad input answered by a 4xx JSON error."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from fer_torch.cli import serve as serve_cli
from fer_torch.cli.common import run_tool
from fer_torch.errors import ConfigError
from fer_torch.inference.predictor import Predictor
from fer_torch.apps.live_session import LOG_COLUMNS
from fer_torch.fixtures.synthetic_video import face_frames, make_face_video
from fer_torch.fixtures.untrained import untrained_classifier
from fer_torch.inference.video import count_video_frames
from fer_torch.labels import FER2013_CLASSES
from fer_torch.apps.web import BackgroundServer, ServeConfig, create_app
from fer_torch.apps.web.mjpeg import BOUNDARY

PNG_MAGIC = b"\x89PNG"


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    classifier = untrained_classifier("bn_cnn")
    return Predictor(classifier, classifier.class_names, classifier.input_spec)


@pytest.fixture(scope="module")
def face_jpeg() -> bytes:
    """A 480x360 frame with the astronaut's face, JPEG-encoded."""
    return cv2.imencode(".jpg", next(face_frames(1, size=(480, 360), motion=False)))[1].tobytes()


@pytest.fixture(scope="module")
def face_video(tmp_path_factory):
    return make_face_video(tmp_path_factory.mktemp("video") / "face.mp4", frames=6, size=(480, 360), motion=False)


@pytest.fixture
def app(predictor, tmp_path, face_video):
    config = ServeConfig(weights="weights/test.ckpt", source=str(face_video), max_upload_mb=1,
                         results_dir=tmp_path / "results", keep_results=2)
    return create_app(predictor, config)


@pytest.fixture
def client(app):
    return app.test_client()


def assert_error(response, status: int, text: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and text in response.json["error"] and response.json["status"] == status


def test_health_and_model(client):
    assert client.get("/api/health").json["status"] == "ok"
    model = client.get("/api/model").json
    assert model["class_names"] == list(FER2013_CLASSES)
    assert model["input_spec"]["image_size"] == [48, 48] and model["region"] == "face"
    assert model["weights"] == "test.ckpt" and model["detector"] == "HaarFaceDetector"  # its name, never a path
    assert (model["architecture"], model["input"], model["accuracy"]) == ("bn_cnn", "1x48x48 grayscale face crops", None)


def test_index_serves_the_camera_page(client):
    page = client.get("/")
    assert page.status_code == 200 and b'<video id="video"' in page.data and b"/static/app.js" in page.data
    assert b"getUserMedia" in client.get("/static/app.js").data


def check_one_face(answer: dict, width: int, height: int) -> dict:
    assert (answer["width"], answer["height"]) == (width, height) and len(answer["faces"]) == 1
    face = answer["faces"][0]
    assert face["label"] in FER2013_CLASSES and set(face["probabilities"]) == set(FER2013_CLASSES)
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    box = face["box"]
    assert 0 <= box["x"] < box["x"] + box["w"] <= width and 0 <= box["y"] < box["y"] + box["h"] <= height
    return face


def test_predict_raw_body_and_multipart(client, face_jpeg):
    raw = client.post("/api/predict", data=face_jpeg, content_type="image/jpeg")
    face = check_one_face(raw.json, 480, 360)
    assert "face_id" not in face  # single images are not tracked
    form = client.post("/api/predict", data={"image": (io.BytesIO(face_jpeg), "face.jpg", "image/jpeg")})
    assert form.json["faces"] == raw.json["faces"]


@pytest.mark.parametrize(("kwargs", "status", "text"), [
    ({"data": b"not an image at all", "content_type": "image/png"}, 400, "not a decodable image"),
    ({"data": b"", "content_type": "image/jpeg"}, 400, "empty image body"),
    ({"data": b"{}", "content_type": "application/json"}, 415, "got application/json"),
    ({"data": {"other": (io.BytesIO(b"x"), "x.jpg")}}, 400, "no 'image' file field"),
    ({"data": {"image": (io.BytesIO(b"hello"), "x.txt", "text/plain")}}, 415, "'image' is text/plain"),
    ({"data": {"image": (io.BytesIO(b""), "x.jpg", "image/jpeg")}}, 400, "empty 'image' file"),
    ({"data": b"\xff" * ((1 << 20) + 1), "content_type": "image/jpeg"}, 413, "limit of 1 MB"),
])
def test_predict_bad_input(client, kwargs, status, text):
    assert_error(client.post("/api/predict", **kwargs), status, text)


def test_frames_keep_per_tab_tracking_and_smoothing(app, client, face_jpeg):
    for tab, frames in (("tab-a", 3), ("tab-b", 1)):
        for _ in range(frames):
            face = check_one_face(client.post(f"/api/frame?tab={tab}", data=face_jpeg, content_type="image/jpeg").json,
                                  480, 360)
            assert face["face_id"] == 0
    tabs = app.extensions["fer_torch"].service.tabs
    assert {tab: len(stream.smoother.history[0]) for tab, stream in tabs.items()} == {"tab-a": 3, "tab-b": 1}


@pytest.mark.parametrize(("query", "kwargs", "status", "text"), [
    ("", {"data": b"x", "content_type": "image/jpeg"}, 400, "'tab' must be"),
    ("?tab=../../etc", {"data": b"x", "content_type": "image/jpeg"}, 400, "'tab' must be"),
    ("?tab=a", {"data": b"\xff\xd8garbage", "content_type": "image/jpeg"}, 400, "frame is not a decodable image"),
    ("?tab=a", {"data": b"", "content_type": "image/jpeg"}, 400, "empty frame"),
    ("?tab=a", {"data": b"abc", "content_type": "text/plain"}, 415, "a frame is an image/* body"),
    ("?tab=a", {"data": b"\xff" * ((1 << 20) + 1), "content_type": "image/jpeg"}, 413, "limit of 1 MB"),
])
def test_frame_bad_input(client, query, kwargs, status, text):
    assert_error(client.post(f"/api/frame{query}", **kwargs), status, text)


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return response.data


def test_upload_image_gives_annotation_log_and_plots(client, face_jpeg):
    result = client.post("/api/upload", data={"file": (io.BytesIO(face_jpeg), "face.jpg", "image/jpeg")}).json
    assert (result["kind"], result["frames"], result["faces"]) == ("image", 1, 1)
    annotated = cv2.imdecode(np.frombuffer(download(client, result["urls"]["annotated"]), np.uint8), cv2.IMREAD_COLOR)
    assert annotated.shape == (360, 480, 3)
    log = pd.read_csv(io.BytesIO(download(client, result["urls"]["log_csv"])))
    assert list(log.columns) == [*LOG_COLUMNS, *FER2013_CLASSES] and len(log) == 1
    assert json.loads(download(client, result["urls"]["log_json"]))[0]["label"] == log["label"][0]
    for plot in ("histogram", "timeline"):
        assert download(client, result["urls"][plot]).startswith(PNG_MAGIC)


def test_upload_video_annotates_every_frame(client, face_video, tmp_path):
    with open(face_video, "rb") as f:
        result = client.post("/api/upload", data={"file": (f, "clip.mp4", "video/mp4")}).json
    assert (result["kind"], result["frames"], result["faces"]) == ("video", 6, 6)
    assert sum(result["histogram"]["0"].values()) == 6
    assert result["files"]["annotated"] == "annotated.webm"  # VP8: what browsers play inline
    (tmp_path / "annotated.webm").write_bytes(download(client, result["urls"]["annotated"]))
    assert count_video_frames(tmp_path / "annotated.webm") == 6
    log = pd.read_csv(io.BytesIO(download(client, result["urls"]["log_csv"])))
    assert log["frame"].tolist() == list(range(6)) and set(log["face_id"]) == {0}
    assert download(client, result["urls"]["timeline"]).startswith(PNG_MAGIC)


@pytest.mark.parametrize(("kwargs", "status", "text"), [
    ({"data": {"file": (io.BytesIO(b"just text"), "notes.bin", "application/octet-stream")}}, 400,
     "neither a decodable image nor a readable video"),
    ({"data": {"file": (io.BytesIO(b"just text"), "notes.txt", "text/plain")}}, 415, "'file' is text/plain"),
    ({"data": {"file": (io.BytesIO(b""), "empty.mp4", "video/mp4")}}, 400, "empty upload"),
    ({"data": b"\x00" * 10, "content_type": "video/mp4"}, 415, "expected multipart/form-data"),
    ({"data": {"image": (io.BytesIO(b"x"), "x.jpg")}}, 400, "no 'file' file field"),
    ({"data": {"file": (io.BytesIO(b"\x00" * ((1 << 20) + 1)), "big.mp4", "video/mp4")}}, 413, "limit of 1 MB"),
])
def test_upload_bad_input_leaves_no_result(app, client, tmp_path, kwargs, status, text):
    assert_error(client.post("/api/upload", **kwargs), status, text)
    assert not any((tmp_path / "results").iterdir())


def test_only_the_newest_results_are_kept(client, face_jpeg, tmp_path):
    jobs = [client.post("/api/upload", data={"file": (io.BytesIO(face_jpeg), "f.jpg")}).json["job"] for _ in range(3)]
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == sorted(jobs[1:])
    assert_error(client.get(f"/results/{jobs[0]}/log.csv"), 404, "")
    assert_error(client.get(f"/results/{jobs[2]}/../../x"), 404, "")


def test_stream_is_mjpeg_of_annotated_source_frames(client):
    response = client.get("/stream")
    assert response.mimetype == "multipart/x-mixed-replace"
    first = next(response.response)
    response.close()
    header, jpeg = first.split(b"\r\n\r\n", 1)
    assert header.startswith(f"--{BOUNDARY}".encode()) and b"image/jpeg" in header
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (360, 480, 3)


def test_stream_errors(predictor, tmp_path):
    assert_error(create_app(predictor).test_client().get("/stream"), 404, "start the server with --source")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    app = create_app(predictor, ServeConfig(source=str(broken)))
    assert_error(app.test_client().get("/stream"), 503, "cannot open")


def test_unknown_route_and_wrong_method_are_json(client):
    assert_error(client.get("/api/nothing"), 404, "")
    assert_error(client.get("/api/predict"), 405, "")


def test_concurrent_requests_over_http(app, face_jpeg):
    """Eight clients at once on a real threaded server: every answer is the same single face."""
    import requests
    from concurrent.futures import ThreadPoolExecutor

    with BackgroundServer(app) as url, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.post(f"{url}/api/predict", data=face_jpeg,
                                                        headers={"Content-Type": "image/jpeg"}, timeout=30),
                                range(16)))
    assert {a.status_code for a in answers} == {200}
    assert len({json.dumps(a.json()["faces"]) for a in answers}) == 1


class FakeServer:
    port = 8000

    def serve_forever(self) -> None:
        pass

    def server_close(self) -> None:
        pass


def test_cli_loads_the_model_once_binds_loopback_and_bounds_threads(monkeypatch, predictor, capsys):
    loads, binds = [], []
    monkeypatch.setattr(Predictor, "from_weights", lambda *a, **k: loads.append(a) or predictor)
    monkeypatch.setattr("fer_torch.apps.web.server.make_http_server",
                        lambda app, host, port, **kwargs: binds.append((host, port, torch.get_num_threads())) or FakeServer())
    threads = torch.get_num_threads()
    assert run_tool(serve_cli.main, ["--threads", "1"]) == 0
    assert len(loads) == 1 and binds == [("127.0.0.1", 8000, 1)] and torch.get_num_threads() == threads
    assert "http://127.0.0.1:8000" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--smooth", "0"], "--smooth must be >= 1"),
    (["--threads", "0"], "--threads must be >= 1"),
    (["--max-upload-mb", "0"], "--max-upload-mb must be > 0"),
    (["--port", "70000"], "--port must be 0-65535"),
    (["--weights", "missing.ckpt"], "checkpoint not found"),
])
def test_cli_bad_arguments(argv, message, capsys):
    assert run_tool(serve_cli.main, argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_port_in_use_is_a_one_line_error(app):
    from fer_torch.apps.web import make_http_server

    with BackgroundServer(app) as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            make_http_server(app, "127.0.0.1", port)


def assert_logged_500(response, caplog, detail: str) -> None:
    """A 500 body names only an id; the server log holds that id with the details (issue 23, finding 5)."""
    assert_error(response, 500, "internal server error (id ")
    error_id = response.json["error"].split("(id ", 1)[1].split(")", 1)[0]
    assert detail not in response.get_data(as_text=True)
    assert any(error_id in r.getMessage() and detail in r.getMessage() for r in caplog.records)


def test_an_internal_failure_is_a_json_500(app, client, face_jpeg, monkeypatch, caplog):
    def broken(frame):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["fer_torch"].service, "predict", broken)
    assert_logged_500(client.post("/api/predict", data=face_jpeg, content_type="image/jpeg"), caplog,
                      "RuntimeError: boom")


def test_a_server_side_library_error_is_a_500_and_bad_input_a_400(app, client, face_jpeg, monkeypatch, caplog):
    from fer_torch.errors import DataError, DeviceError

    def failing(exc):
        def predict(frame):
            raise exc
        return predict

    monkeypatch.setattr(app.extensions["fer_torch"].service, "predict", failing(DeviceError("CUDA is not available")))
    assert_logged_500(client.post("/api/predict", data=face_jpeg, content_type="image/jpeg"), caplog,
                      "CUDA is not available")
    monkeypatch.setattr(app.extensions["fer_torch"].service, "predict", failing(DataError("image is 0x0")))
    assert_error(client.post("/api/predict", data=face_jpeg, content_type="image/jpeg"), 400, "image is 0x0")


def test_upload_without_faces_still_gives_every_file(client):
    blank = cv2.imencode(".png", np.full((120, 160, 3), 128, np.uint8))[1].tobytes()
    result = client.post("/api/upload", data={"file": (io.BytesIO(blank), "blank.png", "image/png")}).json
    assert (result["kind"], result["frames"], result["faces"]) == ("image", 1, 0)
    assert len(pd.read_csv(io.BytesIO(download(client, result["urls"]["log_csv"])))) == 0
    assert json.loads(download(client, result["urls"]["log_json"])) == []
    for plot in ("histogram", "timeline"):
        assert download(client, result["urls"][plot]).startswith(PNG_MAGIC)


def test_tabs_and_streams_take_live_fast_detection_but_photos_do_not(predictor, tmp_path):
    config = ServeConfig(detect_every=5, detect_scale=0.8, results_dir=tmp_path)
    service = create_app(predictor, config).extensions["fer_torch"].service
    for stream in (service.tab("a"), service.stream()):
        assert (stream.face_finder.every, stream.face_finder.detector.scale) == (5, 0.8)
    photo = service.stream(fast_detection=False).face_finder
    assert (photo.every, photo.detector.scale) == (1, 1.0)
    assert run_tool(serve_cli.main, ["--detect-every", "0"]) == 2
