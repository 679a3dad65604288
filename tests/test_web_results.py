"""What the web app answers a person (issue 36): the model named without a server path, upload progress, per-face
results in words, annotated images whose labels read at WCAG AA contrast, the /stream flag."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest

from fer_torch.apps.web import ServeConfig, create_app
from fer_torch.apps.web.model_info import model_json
from fer_torch.fixtures.synthetic_video import face_frames, make_face_video
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.contrast import AA_NORMAL_TEXT, contrast_ratio, readable_text_color
from fer_torch.inference.drawing import EMOTION_COLORS, draw_faces
from fer_torch.inference.predictor import FaceResult, Predictor
from fer_torch.labels import FER2013_CLASSES
from fer_torch.model_io.model_card import read_model_card
from fer_torch.paths import default_weights_or_none


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    classifier = untrained_classifier("bn_cnn")
    return Predictor(classifier, classifier.class_names, classifier.input_spec)


@pytest.fixture
def client(predictor, tmp_path):
    return create_app(predictor, ServeConfig(results_dir=tmp_path / "results")).test_client()


def strings(value) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, dict):
        return [*value, *(s for v in value.values() for s in strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def test_api_model_names_architecture_input_and_file_but_no_path(tmp_path):
    weights = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "deep" / "folder" / "model.ckpt")
    app = create_app(Predictor.from_weights(weights, device="cpu"),
                     ServeConfig(weights=weights, results_dir=tmp_path / "results"))
    model = app.test_client().get("/api/model").json
    assert (model["architecture"], model["weights"], model["format"]) == ("bn_cnn", "model.ckpt", "checkpoint")
    assert model["input"] == "1x48x48 grayscale face crops" and model["class_names"] == list(FER2013_CLASSES)
    assert model["parameters"] > 0 and model["accuracy"] is None  # no card beside it
    assert not [s for s in strings(model) if "/" in s or str(tmp_path) in s]


@pytest.mark.skipif(default_weights_or_none() is None, reason="no default model")
def test_the_default_model_is_named_with_its_card_accuracy():
    model = model_json(Predictor.from_weights(device="cpu"))
    assert model["architecture"] == "resnet_fer" and model["weights"] == "fer_default.safetensors"
    assert model["accuracy"] == {"value": 0.6890, "evaluated_on": "FER2013 val (PublicTest)", "source": "model card"}


@pytest.mark.parametrize(("card", "found"), [
    ("---\nmodel_file: m.ckpt\naccuracy: 0.5\nevaluated_on: val\n---\n# card", (0.5, "val")),
    ("---\nmodel_file: other.ckpt\naccuracy: 0.5\n---\n", None),  # a card about another file
    ("---\nmodel_file: m.ckpt\naccuracy: high\n---\n", None),
    ("# no front matter\naccuracy: 0.5\n", None),
    ("---\n: [unclosed\n---\n", None),
])
def test_a_model_card_is_read_only_for_its_own_file(tmp_path, card, found):
    (tmp_path / "README.md").write_text(card)
    result = read_model_card(tmp_path / "m.ckpt")
    assert (None if result is None else (result.accuracy, result.evaluated_on)) == found


def test_health_says_whether_there_is_a_stream(predictor, tmp_path):
    without_source = create_app(predictor, ServeConfig(results_dir=tmp_path)).test_client()
    assert without_source.get("/api/health").json["stream"] is False
    with_source = create_app(predictor, ServeConfig(source="0", results_dir=tmp_path)).test_client()
    assert with_source.get("/api/health").json["stream"] is True


def test_a_video_upload_reports_its_progress_and_each_face_in_words(client, tmp_path):
    video = make_face_video(tmp_path / "clip.mp4", frames=6, size=(480, 360), motion=False)
    assert client.get("/api/progress/job-1").status_code == 404  # not started
    with open(video, "rb") as f:
        result = client.post("/api/upload?progress=job-1", data={"file": (f, "clip.mp4", "video/mp4")}).json
    assert client.get("/api/progress/job-1").json == {"state": "done", "frames_done": 6, "frames_total": 6}
    (face,) = result["per_face"]
    assert (face["face_id"], face["frames"], face["first_s"]) == (0, 6, 0.0)
    assert face["dominant"] == max(face["mean_probabilities"], key=face["mean_probabilities"].get)
    assert face["mean_probability"] == face["mean_probabilities"][face["dominant"]]
    assert result["fps"] == pytest.approx(15.0) and result["files"]["annotated"] == "annotated.webm"
    assert client.get(result["urls"]["annotated"]).mimetype == "video/webm"


def test_a_failed_upload_marks_its_progress_failed_and_a_bad_id_is_refused(client):
    bad = client.post("/api/upload?progress=p2", data={"file": (io.BytesIO(b"junk"), "x.bin")})
    assert bad.status_code == 400
    assert client.post("/api/upload?progress=../x", data={"file": (io.BytesIO(b"junk"), "x.bin")}).status_code == 400


def test_an_image_without_faces_says_so(client):
    blank = cv2.imencode(".png", np.full((120, 160, 3), 128, np.uint8))[1].tobytes()
    result = client.post("/api/upload", data={"file": (io.BytesIO(blank), "blank.png", "image/png")}).json
    assert result["per_face"] == [] and result["kind"] == "image"


def test_error_answers_name_no_server_path(predictor, tmp_path):
    video = make_face_video(tmp_path / "clip.mp4", frames=2, size=(480, 360), motion=False)
    client = create_app(predictor, ServeConfig(results_dir=tmp_path / "results", max_pixels=1000)).test_client()
    with open(video, "rb") as f:
        answer = client.post("/api/upload", data={"file": (f, "clip.mp4", "video/mp4")})
    assert answer.status_code == 413 and "exceed" in answer.json["error"]
    assert str(tmp_path) not in json.dumps(answer.json) and "/" not in answer.json["error"]


def test_every_emotion_label_reads_at_aa_contrast_in_annotated_frames():
    for bgr in EMOTION_COLORS.values():
        assert contrast_ratio(readable_text_color(bgr[::-1]), bgr[::-1]) >= AA_NORMAL_TEXT
    frame = next(face_frames(1, size=(320, 240), motion=False))
    face = FaceResult((100, 2, 90, 90), "happy", 0.9, np.full(7, 1 / 7, np.float32), FER2013_CLASSES, face_id=0)
    annotated = draw_faces(frame.copy(), [face])
    caption = annotated[2:20, 100:150]  # no room above the box: the label sits inside its top edge
    pixels = caption.reshape(-1, 3).astype(int)
    ink = pixels[pixels.sum(axis=1).argmin()]
    assert (pixels == EMOTION_COLORS["happy"]).all(axis=1).mean() > 0.5  # a filled label of the class colour
    assert contrast_ratio(ink[::-1], EMOTION_COLORS["happy"][::-1]) >= AA_NORMAL_TEXT  # with dark text on it
