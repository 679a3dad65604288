"""Predictor API, face detection, crops, devices, frame sources and writers (fer_torch.inference)."""

import cv2
import numpy as np
import pytest
import torch
from skimage import data

import fer_torch.data.transforms as transforms
from fer_torch.errors import CheckpointError, ConfigError, DeviceError, SourceError
from fer_torch.inference import (
    DetectorError,
    HaarFaceDetector,
    MTCNNFaceDetector,
    Predictor,
    StreamPredictor,
    face_boxes,
    mouth_box,
    select_device,
)
from fer_torch.inference.boxes import MOUTH_ASPECT
from fer_torch.fixtures.synthetic_video import face_frames
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.video import FrameWriter, count_video_frames, open_source
from fer_torch.labels import FER2013_CLASSES
from fer_torch.spec import InputSpec

ASTRONAUT_FACE = (176, 66, 95, 95)  # Haar box of the astronaut's face (x, y, w, h)


@pytest.fixture(scope="module")
def astronaut():
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def two_astronauts(astronaut):
    return np.concatenate([astronaut, astronaut], axis=1)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(untrained_classifier("bn_cnn"), tmp_path_factory.mktemp("ckpt") / "bn_cnn.ckpt")


@pytest.fixture(scope="module")
def predictor(checkpoint):
    return Predictor.from_weights(checkpoint, device="cpu")


def count_forward_calls(model):
    batches = []
    model.register_forward_hook(lambda module, args, out: batches.append(tuple(args[0].shape)))
    return batches


# -- devices ---------------------------------------------------------------------------------------------------
def test_select_device_auto_and_cpu():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:1"])
def test_select_device_cuda_without_cuda_is_a_clear_error(name):
    with pytest.raises(DeviceError, match=f"'{name}' requested but CUDA is not available"):
        select_device(name)


def test_select_device_unknown_name():
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        select_device("gpu")


# -- detection and crops ---------------------------------------------------------------------------------------
def test_haar_finds_the_astronaut_face(astronaut):
    boxes = face_boxes(HaarFaceDetector(), astronaut)
    assert len(boxes) == 1
    assert all(isinstance(v, int) for v in boxes[0])
    assert np.abs(np.subtract(boxes[0], ASTRONAUT_FACE)).max() <= 6
    assert face_boxes(HaarFaceDetector(), cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)) == boxes


def test_haar_finds_two_faces_left_to_right(two_astronauts):
    boxes = face_boxes(HaarFaceDetector(), two_astronauts)
    assert len(boxes) == 2
    assert boxes[0][0] < 512 <= boxes[1][0]


def test_missing_cascade_is_a_detector_error():
    with pytest.raises(DetectorError, match="no_such_cascade.xml not found"):
        HaarFaceDetector(cascade="no_such_cascade.xml")


def test_mtcnn_gives_boxes_and_mouth_landmarks(astronaut):
    (face,) = MTCNNFaceDetector().detect_faces(astronaut)
    x, y, w, h = face.box
    assert face.landmarks.shape == (5, 2) and face.score > 0.9
    mouth_corners = face.landmarks[3:]
    assert ((mouth_corners[:, 1] > y + h / 2) & (mouth_corners[:, 1] < y + h)).all()


def test_mouth_box_from_haar_face_and_from_landmarks(astronaut):
    x, y, w, h = ASTRONAUT_FACE
    for box in (mouth_box(astronaut, ASTRONAUT_FACE),
                mouth_box(astronaut, ASTRONAUT_FACE, np.array([[0, 0], [0, 0], [0, 0], [202, 139], [245, 142]]))):
        mx, my, mw, mh = box
        assert mh / mw == pytest.approx(MOUTH_ASPECT, abs=0.03)
        assert x <= mx and mx + mw <= x + w  # inside the face horizontally
        assert y + h / 2 < my + mh / 2 < y + h  # centred in the lower half of the face
        assert 195 < mx + mw / 2 < 255 and 125 < my + mh / 2 < 160  # on the astronaut's mouth


# -- predictor -------------------------------------------------------------------------------------------------
def test_predict_frame_gives_one_result_per_face(predictor, astronaut):
    (face,) = predictor.predict_frame(astronaut)
    assert face.class_names == FER2013_CLASSES
    assert face.probabilities.shape == (7,)
    assert face.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert face.label == FER2013_CLASSES[int(face.probabilities.argmax())]
    assert face.score == pytest.approx(face.probabilities.max())
    assert set(face.probability_dict()) == set(FER2013_CLASSES)
    assert face.face_id is None


def test_all_faces_of_a_frame_go_through_one_batch(checkpoint, two_astronauts):
    predictor = Predictor.from_weights(checkpoint, device="cpu")
    batches = count_forward_calls(predictor.model)
    results = predictor.predict_frame(two_astronauts)
    assert len(results) == 2
    assert batches == [(2, 1, 48, 48)]


@pytest.fixture
def preprocessed(monkeypatch):
    """Images the predictor hands to the shared ``preprocess_batch``."""
    seen, real = [], transforms.preprocess_batch
    monkeypatch.setattr(transforms, "preprocess_batch", lambda images, spec: seen.extend(images) or real(images, spec))
    return seen


def test_gray_model_gets_gray_crops_through_the_shared_path(predictor, astronaut, preprocessed):
    (face,) = predictor.predict_frame(astronaut)
    x, y, w, h = face.region_box
    gray = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(preprocessed[0], gray[y : y + h, x : x + w])  # as the readers give 1-channel data


def test_rgb_model_gets_rgb_crops(astronaut, preprocessed):
    model = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 7))
    predictor = Predictor(model, FER2013_CLASSES, InputSpec(channels=3, mean=(0.5,), std=(0.5,)), HaarFaceDetector())
    (face,) = predictor.predict_frame(astronaut)
    x, y, w, h = face.region_box
    np.testing.assert_array_equal(preprocessed[0], astronaut[y : y + h, x : x + w, ::-1])


def test_mouth_model_reads_43x72_mouth_crops(astronaut):
    classifier = untrained_classifier("mouth_cnn", class_names=("happy", "surprise", "neutral"))
    predictor = Predictor(classifier, classifier.class_names, classifier.input_spec, HaarFaceDetector())
    batches = count_forward_calls(predictor.model)
    (face,) = predictor.predict_frame(astronaut)
    assert predictor.region == "mouth"
    assert batches == [(1, 1, 43, 72)]
    assert face.region_box == mouth_box(astronaut, face.box)
    assert face.label in ("happy", "surprise", "neutral")


def test_bf16_predictor_agrees_with_fp32(checkpoint, two_astronauts):
    fp32 = Predictor.from_weights(checkpoint, device="cpu")
    bf16 = Predictor.from_weights(checkpoint, device="cpu", precision="bf16")
    dtypes = []
    bf16.model.register_forward_hook(lambda module, args, out: dtypes.append(args[0].dtype))
    exact, fast = fp32.predict_frame(two_astronauts), bf16.predict_frame(two_astronauts)
    assert dtypes == [torch.bfloat16]
    assert [r.box for r in fast] == [r.box for r in exact]
    for a, b in zip(exact, fast):
        assert b.probabilities.dtype == np.float32
        np.testing.assert_allclose(b.probabilities, a.probabilities, atol=0.02)
    with pytest.raises(ConfigError, match="precision must be one of auto, fp32, bf16"):
        Predictor.from_weights(checkpoint, device="cpu", precision="fp16")


@pytest.mark.parametrize("flags, device, expected", [
    ({"amx_bf16", "avx512f"}, "cpu", "bf16"), ({"avx512_bf16", "avx512f"}, "cpu", "bf16"), ({"avx512f"}, "cpu", "fp32"),
    ({"avx2"}, "cpu", "fp32"), ({"amx_bf16"}, "cuda", "fp32"),
])
def test_auto_precision_is_bf16_only_on_cpus_with_bf16_instructions(monkeypatch, flags, device, expected):
    from fer_torch import hardware
    from fer_torch import device as device_module

    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset(flags))
    assert device_module.resolve_precision("auto", torch.device(device)) == expected
    assert device_module.resolve_precision("fp32", torch.device(device)) == "fp32"


def test_auto_precision_predictor_reports_what_it_runs(checkpoint):
    from fer_torch.hardware import cpu_mode

    predictor = Predictor.from_weights(checkpoint, device="cpu", precision="auto")
    assert predictor.precision == ("bf16" if cpu_mode().bf16 else "fp32")
    assert predictor.dtype == next(predictor.model.parameters()).dtype


def test_no_face_gives_no_result(predictor):
    assert predictor.predict_frame(np.full((240, 320, 3), 128, np.uint8)) == []


def test_missing_default_weights_say_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.delenv("FER_TORCH_WEIGHTS", raising=False)
    monkeypatch.setattr("fer_torch.paths.DEFAULT_WEIGHTS", tmp_path / "weights" / "fer_default.safetensors")
    with pytest.raises(CheckpointError, match="no default model: .*--weights PATH.*fer-train.*fer-export.*"
                                             "FER_TORCH_WEIGHTS=~/fer_default.safetensors"):
        Predictor.from_weights()


def test_default_weights_come_from_the_environment_before_the_package(tmp_path, monkeypatch):
    from fer_torch.paths import DEFAULT_WEIGHTS, default_weights

    monkeypatch.delenv("FER_TORCH_WEIGHTS", raising=False)
    assert default_weights() == DEFAULT_WEIGHTS and DEFAULT_WEIGHTS.is_file()
    model = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "mine.ckpt")
    monkeypatch.setenv("FER_TORCH_WEIGHTS", str(model))
    assert default_weights() == model
    assert Predictor.from_weights().input_spec.image_size == (48, 48)
    monkeypatch.setenv("FER_TORCH_WEIGHTS", str(tmp_path / "gone.ckpt"))
    with pytest.raises(CheckpointError, match="FER_TORCH_WEIGHTS=.*gone.ckpt: no such model file"):
        default_weights()


def test_stream_predictor_keeps_face_ids(predictor):
    stream = StreamPredictor(predictor, smooth=3)
    frames = list(face_frames(12, size=(640, 360), faces=2))
    ids = [[(r.face_id, r.box[0] < 320) for r in stream.predict_frame(f)] for f in frames]
    assert all(sorted(frame_ids) == [(0, True), (1, False)] for frame_ids in ids)


# -- sources and writers ---------------------------------------------------------------------------------------
def test_unreadable_video_and_missing_paths_are_source_errors(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video" * 100)
    with pytest.raises(SourceError, match="broken.mp4"):
        open_source(bad)
    with pytest.raises(SourceError, match="no such file or folder"):
        open_source(tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="holds no images"):
        open_source(tmp_path / "empty")


def test_writer_writes_every_frame_and_folder_source_reads_images(tmp_path):
    frames = list(face_frames(7, size=(160, 120)))
    with FrameWriter(tmp_path / "clip.avi", fps=10) as writer:
        for frame in frames:
            writer.write(frame)
    assert count_video_frames(tmp_path / "clip.avi") == 7
    with FrameWriter(tmp_path / "images" / "f.png") as writer:
        for frame in frames[:3]:
            writer.write(frame)
    source = open_source(tmp_path / "images")
    assert source.kind == "folder"
    assert [f.index for f in source] == [0, 1, 2]
