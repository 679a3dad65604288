"""tools/live.py on synthetic astronaut videos: headless logs, face ids, output frames, errors, clean stops."""

import re

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from fer_torch.cli.common import run_tool
from fer_torch.cli.live import main
from fer_torch.inference import HaarFaceDetector, Predictor, StreamPredictor
from fer_torch.apps.live_session import FaceLog, run_session
from fer_torch.fixtures.synthetic_video import face_frames, make_face_video
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.video import Frame, FrameSource, FrameWriter, count_video_frames
from fer_torch.labels import FER2013_CLASSES

FRAMES = 30


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="module")
def checkpoint(workdir):
    return save_checkpoint(untrained_classifier("bn_cnn"), workdir / "bn_cnn.ckpt")


@pytest.fixture(scope="module")
def one_face_video(workdir):
    return make_face_video(workdir / "one_face.mp4", frames=FRAMES, size=(480, 360), faces=1)


@pytest.fixture(scope="module")
def two_face_video(workdir):
    return make_face_video(workdir / "two_faces.avi", frames=FRAMES, size=(640, 360), faces=2)


def live(capsys, *args):
    code = run_tool(main, ["--no-display", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_face_video_log_output_and_histogram(checkpoint, one_face_video, tmp_path, capsys):
    log, output = tmp_path / "log.csv", tmp_path / "annotated.mp4"
    code, out, err = live(capsys, "--source", one_face_video, "--weights", checkpoint, "--smooth", 3,
                          "--log", log, "--output", output)
    assert code == 0, err
    table = pd.read_csv(log)
    assert list(table.columns) == ["frame", "time_s", "face_id", "x", "y", "w", "h", "label", "score",
                                   *FER2013_CLASSES]
    assert table["frame"].nunique() >= 0.95 * FRAMES
    assert table["face_id"].value_counts().iloc[0] >= 0.95 * FRAMES  # one id follows the moving face
    assert table["label"].isin(FER2013_CLASSES).all()
    np.testing.assert_allclose(table[list(FER2013_CLASSES)].sum(axis=1), 1.0, atol=1e-3)
    assert count_video_frames(output) == FRAMES  # every frame written, faces or not
    assert (tmp_path / "log_histogram.png").is_file()
    assert f"frames: {FRAMES} (" in out and "face #0:" in out
    assert "running headless" not in err  # --no-display asks for no window: no note


def test_two_faces_get_two_stable_ids(checkpoint, two_face_video, tmp_path, capsys):
    log = tmp_path / "log.csv"
    code, _, err = live(capsys, "--source", two_face_video, "--weights", checkpoint, "--log", log, "--smooth", 1)
    assert code == 0, err
    table = pd.read_csv(log)
    faces_per_frame = table.groupby("frame").size()
    assert (faces_per_frame == 2).sum() >= 0.95 * FRAMES
    sides = table.assign(left=table["x"] + table["w"] / 2 < 320).groupby("face_id")["left"].agg(["all", "any", "size"])
    main_ids = sides[sides["size"] >= 0.95 * FRAMES]
    assert len(main_ids) == 2
    assert sorted(main_ids["all"]) == [False, True] and sorted(main_ids["any"]) == [False, True]  # each keeps its side


def test_max_frames_and_image_outputs(checkpoint, one_face_video, tmp_path, capsys):
    code, _, err = live(capsys, "--source", one_face_video, "--weights", checkpoint, "--max-frames", 4,
                        "--output", tmp_path / "clip.avi")
    assert code == 0, err
    assert count_video_frames(tmp_path / "clip.avi") == 4
    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), next(face_frames(1, size=(320, 240))))
    code, out, err = live(capsys, "--source", image, "--weights", checkpoint, "--output", tmp_path / "annotated.jpg")
    assert code == 0, err
    assert cv2.imread(str(tmp_path / "annotated.jpg")).shape == (240, 320, 3)
    assert "frames: 1 (1 with a face)" in out
    header, face = out.splitlines()[0], next(line for line in out.splitlines() if line.startswith("face #"))
    assert "smoothing" not in header and "detecting at scale" not in header  # neither applies to a photo
    assert re.fullmatch(r"face #\d+ at x=\d+ y=\d+ w=\d+ h=\d+: (\w+ 0\.\d\d(, |$)){3}", face), face


def test_the_session_summary_gives_probabilities_not_a_count_of_one():
    from fer_torch.apps.live_session import SessionSummary
    from fer_torch.inference.predictor import FaceResult

    classes = ("happy", "sad", "neutral")

    def face(probabilities, face_id=0):
        probabilities = np.array(probabilities)
        label = classes[int(probabilities.argmax())]
        return FaceResult((10, 20, 30, 40), label, float(probabilities.max()), probabilities, classes, face_id=face_id)

    photo = SessionSummary(classes)
    photo.add([face([0.90, 0.04, 0.06])])
    assert photo.format().splitlines()[1] == "face #0 at x=10 y=20 w=30 h=40: happy 0.90, neutral 0.06, sad 0.04"
    video = SessionSummary(classes)
    for probabilities in ([0.8, 0.1, 0.1], [0.4, 0.5, 0.1]):
        video.add([face(probabilities)])
    assert video.format().splitlines()[1] == (
        "face #0: 2 frames: happy 1 (50%), sad 1 (50%); mean probabilities: happy 0.60, sad 0.30, neutral 0.10")


def test_cuda_without_cuda_exits_2(checkpoint, one_face_video, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = live(capsys, "--source", one_face_video, "--weights", checkpoint, "--device", "cuda")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "CUDA is not available" in err and "--device cpu" in err


@pytest.mark.parametrize("case", ["unreadable video", "missing weights", "missing source", "no camera"])
def test_bad_inputs_exit_2_with_one_line(case, checkpoint, one_face_video, tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00garbage" * 200)
    args = {
        "unreadable video": ("--source", broken, "--weights", checkpoint),
        "missing weights": ("--source", one_face_video, "--weights", tmp_path / "nope.ckpt"),
        "missing source": ("--source", tmp_path / "nope.mp4", "--weights", checkpoint),
        "no camera": ("--source", 63, "--weights", checkpoint),
    }[case]
    expected = {"unreadable video": "broken.mp4", "missing weights": "nope.ckpt", "missing source": "nope.mp4",
                "no camera": "cannot open camera 63"}[case]
    code, _, err = live(capsys, *args)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ") and expected in line


class ScriptedSource(FrameSource):
    """Frames of the synthetic clip, then a dropped camera or a Ctrl-C."""

    kind, name = "camera", "camera 9"

    def __init__(self, frames, then):
        self.frames, self.then = frames, then

    def __iter__(self):
        for i, image in enumerate(self.frames):
            yield Frame(i, i / 15, image)
        if self.then == "interrupt":
            raise KeyboardInterrupt
        self.stopped_early = True


@pytest.mark.parametrize("then", ["drop", "interrupt"])
def test_camera_drop_and_ctrl_c_still_finalize_video_and_log(checkpoint, tmp_path, then):
    predictor = Predictor.from_weights(checkpoint, device="cpu", detector=HaarFaceDetector())
    frames = list(face_frames(5, size=(480, 360)))
    summary = run_session(ScriptedSource(frames, then), StreamPredictor(predictor, 2),
                          output=FrameWriter(tmp_path / "out.mp4", fps=15),
                          log=FaceLog(tmp_path / "log.csv", FER2013_CLASSES))
    assert summary.frames == 5
    expected = {"drop": "camera 9 stopped delivering frames", "interrupt": "interrupted (Ctrl-C)"}[then]
    assert summary.stop_reason == expected
    assert count_video_frames(tmp_path / "out.mp4") == 5
    assert pd.read_csv(tmp_path / "log.csv")["frame"].tolist() == [0, 1, 2, 3, 4]


def test_q_in_the_window_stops_and_finalizes(checkpoint, tmp_path, monkeypatch):
    import fer_torch.apps.live_session as session

    keys = iter([-1, -1, ord("q")])
    shown = []
    monkeypatch.setattr(session.cv2, "imshow", lambda name, image: shown.append(image.shape))
    monkeypatch.setattr(session.cv2, "waitKey", lambda delay: next(keys))
    monkeypatch.setattr(session.cv2, "getWindowProperty", lambda name, prop: 1.0)
    monkeypatch.setattr(session.cv2, "destroyAllWindows", lambda: None)
    predictor = Predictor.from_weights(checkpoint, device="cpu")
    summary = run_session(ScriptedSource(list(face_frames(6, size=(480, 360))), "drop"), StreamPredictor(predictor),
                          output=FrameWriter(tmp_path / "out.avi", fps=15), display=True)
    assert (summary.frames, summary.stop_reason, len(shown)) == (3, "key pressed", 3)
    assert count_video_frames(tmp_path / "out.avi") == 3
