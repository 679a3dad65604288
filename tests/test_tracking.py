"""Fast live detection: detection on a downscaled frame, every K frames with optical-flow tracking in between."""

import cv2
import numpy as np
import pytest
from skimage import data

from fer_torch.cli.common import run_tool
from fer_torch.cli.live import main as live_main
from fer_torch.inference import Predictor, StreamPredictor
from fer_torch.inference.detector_registry import build_detector
from fer_torch.inference.detectors import Detection, DetectorError, ScaledDetector, face_boxes
from fer_torch.fixtures.synthetic_video import astronaut_head, background_image, face_frames
from fer_torch.inference.tracking import FlowBoxTracker, TrackingDetector, box_iou, move_detection
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier

K = 5
SIZE = (480, 360)  # width, height


class CountingDetector:
    """A real Haar detector that counts its calls."""

    def __init__(self, detector):
        self.detector, self.calls = detector, 0

    def detect_faces(self, frame):
        self.calls += 1
        return self.detector.detect_faces(frame)


def scene(heads: list[tuple[int, int]], side: int = 200) -> np.ndarray:
    """A gradient frame with the astronaut's head (``side`` px) pasted at each ``(x, y)``, cut at the border."""
    frame = background_image("gradient", SIZE)
    head = cv2.resize(astronaut_head(), (side, side), interpolation=cv2.INTER_AREA)
    for x, y in heads:
        x0, x1 = max(0, x), min(SIZE[0], x + side)
        if x1 > x0:
            frame[y : y + side, x0:x1] = head[:, x0 - x : x1 - x]
    return frame


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    checkpoint = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path_factory.mktemp("track") / "bn_cnn.ckpt")
    return Predictor.from_weights(checkpoint, device="cpu")


def test_flow_tracker_follows_a_shifted_image():
    gray = cv2.cvtColor(scene([(150, 100)]), cv2.COLOR_BGR2GRAY)
    shifted = np.roll(gray, (3, 5), axis=(0, 1))
    dx, dy, scale = FlowBoxTracker().step(gray, shifted, (150, 100, 200, 200))
    assert (dx, dy, scale) == pytest.approx((5, 3, 1), abs=0.2)


def test_moved_detection_carries_its_landmarks():
    marks = np.array([[10, 10], [30, 10], [20, 20], [12, 30], [28, 30]], np.float32)
    moved = move_detection(Detection((0, 0, 40, 40), marks), 10, 5, 2.0, (480, 640))
    assert moved.box == (0, 0, 70, 65)  # (-10, -15, 80, 80) clipped to the frame
    np.testing.assert_allclose(moved.landmarks[0], [(10 - 20) * 2 + 20 + 10, (10 - 20) * 2 + 20 + 5])


def test_tracked_face_keeps_its_id_with_detection_skipped(predictor):
    counting = CountingDetector(predictor.detector)
    predictor = Predictor(predictor.model, predictor.class_names, predictor.input_spec, counting)
    stream = StreamPredictor(predictor, smooth=3, detect_every=K, detect_scale=0.8)
    frames = list(face_frames(2 * K, size=SIZE))
    results = [stream.predict_frame(frame) for frame in frames]
    assert counting.calls == 2  # frames 0 and K; the other 8 are tracked
    assert [len(faces) for faces in results] == [1] * len(frames)
    assert {faces[0].face_id for faces in results} == {0}
    reference = build_detector("haar")
    for frame, faces in zip(frames, results):  # tracked boxes stay on the face Haar finds
        assert box_iou(face_boxes(reference, frame), [faces[0].box])[0, 0] > 0.6


@pytest.mark.parametrize("size", [(1, 1), (320, 240), (8, 600)])
def test_a_frame_of_another_size_is_detected_not_tracked(size):
    """A tracked face then a frame of another size (a 1x1 image, a camera switch): the detector runs on the new
    frame at once (optical flow between frames of different sizes stalled OpenCV), and later frames track again."""
    counting = CountingDetector(build_detector("haar"))
    finder = TrackingDetector(counting, K, scale=0.8)
    assert len(face_boxes(finder, scene([(150, 100)]))) == 1
    other = cv2.resize(scene([(150, 100)]), size, interpolation=cv2.INTER_AREA)
    face_boxes(finder, other)
    assert counting.calls == 2
    face_boxes(finder, other)  # same size again: tracked (or detected when the tiny frame has no face)
    assert len(face_boxes(finder, scene([(150, 100)]))) == 1


def test_flow_step_refuses_mismatched_or_empty_windows():
    gray = cv2.cvtColor(scene([(150, 100)]), cv2.COLOR_BGR2GRAY)
    tracker = FlowBoxTracker()
    assert tracker.step(gray, np.zeros((1, 1), np.uint8), (150, 100, 200, 200)) is None
    assert tracker.step(None, gray, (150, 100, 200, 200)) is None
    assert tracker.step(gray, gray, (150, 100, 0, 0)) is None


def test_face_leaving_the_frame_is_dropped_within_k_frames():
    finder = TrackingDetector(build_detector("haar"), K, scale=0.8)
    xs = list(range(150, SIZE[0], 30)) + [SIZE[0]] * (2 * K)  # the head slides out of the right edge
    found = [face_boxes(finder, scene([(x, 100)])) for x in xs]
    assert found[0] and found[1]
    gone = xs.index(SIZE[0])
    assert not any(found[gone + K :])
    dropped = next(i for i, boxes in enumerate(found) if not boxes)
    assert dropped <= gone  # in fact the tracker lets go once half the box is out, before the next detection


def test_new_face_is_found_within_k_frames():
    counting = CountingDetector(build_detector("haar"))
    finder = TrackingDetector(counting, K, scale=0.8)
    frames = [scene([(20, 100)])] * 3 + [scene([(20, 100), (260, 100)])] * (K + 2)
    found = [face_boxes(finder, frame) for frame in frames]
    assert [len(boxes) for boxes in found[:3]] == [1, 1, 1]
    first_two = next(i for i, boxes in enumerate(found) if len(boxes) == 2)
    assert first_two - 3 < K
    assert all(len(boxes) == 2 for boxes in found[first_two:])
    assert counting.calls == 2


def test_k1_reproduces_detection_on_every_frame(predictor):
    frames = list(face_frames(6, size=(640, 360), faces=2))
    stream = StreamPredictor(predictor, smooth=1, detect_every=1)
    streamed = [[(r.box, r.label) for r in stream.predict_frame(frame)] for frame in frames]
    assert streamed == [[(r.box, r.label) for r in predictor.predict_frame(frame)] for frame in frames]
    assert all(len(faces) == 2 for faces in streamed)


def test_scaled_detection_maps_boxes_back_to_full_resolution():
    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    (full,) = face_boxes(build_detector("haar"), astronaut)
    (scaled,) = face_boxes(ScaledDetector(build_detector("haar"), 0.6), astronaut)
    assert box_iou([full], [scaled])[0, 0] > 0.8


def test_a_small_tracked_face_raises_the_detection_scale():
    scaled = ScaledDetector(build_detector("haar"), 0.5)
    assert scaled.scale_for([]) == 0.5
    assert scaled.scale_for([(0, 0, 200, 200), (0, 0, 80, 80)]) == pytest.approx(48 / 80)
    assert scaled.scale_for([(0, 0, 30, 30)]) == 1.0


def test_scaled_detector_scales_landmarks_and_checks_its_scale():
    class Fixed:
        def detect_faces(self, frame):
            assert frame.shape[:2] == (180, 240)
            return [Detection((10, 20, 30, 40), np.array([[15.0, 30.0]], np.float32), 0.9)]

    (face,) = ScaledDetector(Fixed(), 0.5).detect_faces(np.zeros((360, 480, 3), np.uint8))
    assert face.box == (20, 40, 60, 80) and face.score == 0.9
    np.testing.assert_allclose(face.landmarks, [[30, 60]])
    with pytest.raises(DetectorError, match="detection scale must be in"):
        ScaledDetector(Fixed(), 1.5)


@pytest.mark.slow
def test_mtcnn_tracks_with_the_same_options():
    finder = TrackingDetector(build_detector("mtcnn"), K, scale=0.8)
    frames = list(face_frames(K + 1, size=SIZE))
    found = [finder.detect_faces(frame) for frame in frames]
    assert [len(faces) for faces in found] == [1] * len(frames)
    assert all(face.landmarks is not None and face.landmarks.shape == (5, 2) for (face,) in found)


@pytest.mark.parametrize("args, message", [(("--detect-every", "0"), "--detect-every must be >= 1"),
                                           (("--detect-scale", "1.5"), "--detect-scale must be in (0, 1]")])
def test_live_cli_refuses_bad_detection_options(args, message, capsys):
    assert run_tool(live_main, ["--no-display", *args]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and message in line
