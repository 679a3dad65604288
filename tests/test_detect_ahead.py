"""detect_ahead: order, overlap with the caller, errors, early stop; live sessions detecting ahead match sequential ones."""

import threading

import pandas as pd
import pytest

from fer_torch.inference import Predictor, StreamPredictor
from fer_torch.inference.detect_ahead import detect_ahead
from fer_torch.apps.live_session import FaceLog, run_session
from fer_torch.fixtures.synthetic_video import face_frames, make_face_video
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.video import open_source
from fer_torch.labels import FER2013_CLASSES


def test_results_pair_with_their_items_in_order():
    assert list(detect_ahead(range(6), lambda x: x * x)) == [(i, i * i) for i in range(6)]
    assert list(detect_ahead([], lambda x: x)) == []


def test_next_item_is_detected_while_the_caller_works_on_this_one():
    started = [threading.Event() for _ in range(5)]
    caller = threading.get_ident()
    threads = []

    def detect(i):
        threads.append(threading.get_ident())
        started[i].set()
        return i

    for i, _ in detect_ahead(range(5), detect):
        if i + 1 < 5:
            assert started[i + 1].wait(timeout=10), f"detection of item {i + 1} had not started"
    assert caller not in threads


def test_detector_error_surfaces_at_its_item():
    def detect(i):
        if i == 2:
            raise RuntimeError("bad frame 2")
        return i

    seen = []
    with pytest.raises(RuntimeError, match="bad frame 2"):
        for i, _ in detect_ahead(range(5), detect):
            seen.append(i)
    assert seen == [0, 1]


def test_source_error_comes_after_the_frames_already_read():
    def source():
        yield from range(3)
        raise KeyboardInterrupt

    seen = []
    with pytest.raises(KeyboardInterrupt):
        for i, _ in detect_ahead(source(), lambda x: x):
            seen.append(i)
    assert seen == [0, 1, 2]


def test_break_stops_reading_after_one_item_of_read_ahead():
    read = []

    def source():
        for i in range(100):
            read.append(i)
            yield i

    for i, _ in detect_ahead(source(), lambda x: x):
        if i == 3:
            break
    assert read == [0, 1, 2, 3, 4]


def test_predict_frames_matches_predict_frame(tmp_path):
    classifier = untrained_classifier("bn_cnn")
    predictor = Predictor(classifier, classifier.class_names, classifier.input_spec)
    frames = list(face_frames(6, size=(480, 360), faces=2))
    batched = list(predictor.predict_frames(frames))
    one_by_one = [predictor.predict_frame(frame) for frame in frames]
    assert [[(r.box, r.label) for r in rs] for rs in batched] == [[(r.box, r.label) for r in rs] for rs in one_by_one]


def test_detect_ahead_session_logs_what_the_sequential_one_does(tmp_path):
    video = make_face_video(tmp_path / "two.mp4", frames=12, size=(640, 360), faces=2)
    checkpoint = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "bn_cnn.ckpt")
    logs = {}
    for ahead in (True, False):
        predictor = Predictor.from_weights(checkpoint, device="cpu")
        log = tmp_path / f"log_{ahead}.csv"
        summary = run_session(open_source(video), StreamPredictor(predictor, 3),
                              log=FaceLog(log, FER2013_CLASSES), detect_ahead=ahead)
        assert (summary.frames, summary.faces) == (12, 24)
        logs[ahead] = pd.read_csv(log).drop(columns="time_s")
    pd.testing.assert_frame_equal(logs[True], logs[False])


def test_max_frames_stops_a_detect_ahead_session_on_time(tmp_path):
    video = make_face_video(tmp_path / "one.mp4", frames=10, size=(320, 240))
    classifier = untrained_classifier("bn_cnn")
    predictor = Predictor(classifier, classifier.class_names, classifier.input_spec)
    summary = run_session(open_source(video), StreamPredictor(predictor), max_frames=4)
    assert (summary.frames, summary.stop_reason) == (4, "--max-frames 4")
