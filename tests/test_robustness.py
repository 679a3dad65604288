"""Webcam-like corruptions, full frames and ``tools/benchmark.py robustness`` on tiny fixtures."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from fer_torch.benchmarks.robustness import corruption_report, full_frame_report
from fer_torch.cli.benchmark import main
from fer_torch.cli.common import run_tool
from fer_torch.errors import ConfigError
from fer_torch.evaluation.corruptions import CORRUPTIONS, SEVERITIES, corrupt, corrupt_all, image_rng
from fer_torch.evaluation.frames import FRAME_SIZE, detect_framed_faces, frame_rng, place_face
from fer_torch.fixtures.synthetic_images import make_synthetic_samples
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.crops import face_crops
from fer_torch.inference.detectors import Detection

DOCS = Path(__file__).resolve().parents[1] / "docs"


def model_rows(report: str) -> list[list[str]]:
    """The cells of the markdown rows of ``report`` that name a model (header and separator rows left out)."""
    rows = [line.strip("| ").split(" | ") for line in report.splitlines() if line.startswith("| ")]
    return [row for row in rows if row[0] not in ("model", "---")]


@pytest.fixture(scope="module")
def astronaut_face() -> np.ndarray:
    """The astronaut's face as a FER2013 crop: 48x48 gray."""
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray[30:190, 160:320], (48, 48), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(untrained_classifier("mouth_cnn", region="face"),  # the smallest network
                           tmp_path_factory.mktemp("robustness") / "tiny.ckpt")


# -- corruptions ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CORRUPTIONS)
@pytest.mark.parametrize("shape", [(48, 48), (43, 72), (96, 96, 3)])
def test_corruptions_keep_shape_and_dtype_and_repeat_exactly(name, shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    for severity in SEVERITIES:
        out = corrupt(image, name, severity, image_rng(0, name, severity, 3))
        assert out.shape == image.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(out, corrupt(image, name, severity, image_rng(0, name, severity, 3)))


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_higher_severity_changes_a_real_face_more(name, astronaut_face):
    change = [np.abs(corrupt_all([astronaut_face], name, s)[0].astype(float) - astronaut_face).mean()
              for s in SEVERITIES]
    assert 0 < change[0] < change[1] < change[2]


def test_every_image_has_its_own_seeded_noise(astronaut_face):
    images = np.stack([astronaut_face] * 2)
    first = corrupt_all(images, "noise", 2, seed=5)
    assert isinstance(first, np.ndarray) and first.shape == images.shape
    np.testing.assert_array_equal(first, corrupt_all(images, "noise", 2, seed=5))
    assert not np.array_equal(first[0], first[1])  # another image index, other noise
    assert not np.array_equal(first, corrupt_all(images, "noise", 2, seed=6))
    assert isinstance(corrupt_all(list(images), "noise", 2), list)


@pytest.mark.parametrize("name, severity, message", [("fog", 1, "unknown corruption 'fog'"),
                                                     ("blur", 4, "severity must be one of 1, 2, 3")])
def test_unknown_corruption_or_severity_is_a_config_error(name, severity, message, astronaut_face):
    with pytest.raises(ConfigError, match=message):
        corrupt(astronaut_face, name, severity, np.random.default_rng(0))


# -- full frames ------------------------------------------------------------------------------------------------
def test_a_framed_face_holds_the_face_pixels_at_its_box(astronaut_face):
    framed = place_face(astronaut_face, frame_rng(0, 7))
    x, y, w, h = framed.box
    assert framed.frame.shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3) and 100 <= w <= 220 and w == h
    expected = cv2.resize(astronaut_face, (w, h), interpolation=cv2.INTER_LINEAR)
    for channel in range(3):
        np.testing.assert_array_equal(framed.frame[y : y + h, x : x + w, channel], expected)
    np.testing.assert_array_equal(framed.frame, place_face(astronaut_face, frame_rng(0, 7)).frame)


class TrueBoxDetector:
    """Answers each frame, in order, with the box its face was pasted at."""

    def __init__(self, boxes):
        self.boxes = iter(boxes)

    def detect_faces(self, frame):
        return [Detection(next(self.boxes))]


def test_a_detector_that_finds_the_pasted_box_finds_every_face_with_iou_1():
    samples = make_synthetic_samples(2, seed=3)
    boxes = [place_face(samples.image(i), frame_rng(1, i)).box for i in range(len(samples))]
    found = detect_framed_faces(samples, seed=1, detector=TrueBoxDetector(boxes), chunk=5)
    assert found.found.tolist() == list(range(len(samples))) and found.placed.tolist() == [list(b) for b in boxes]
    np.testing.assert_array_equal(found.iou, np.ones(len(samples)))
    crops = found.crops["face"]
    assert crops.labels.tolist() == samples.labels.tolist()
    frame = cv2.cvtColor(place_face(samples.image(4), frame_rng(1, 4)).frame, cv2.COLOR_RGB2BGR)
    np.testing.assert_array_equal(crops.image(4), face_crops(frame, [Detection(boxes[4])], channels=3)[1][0])


# -- the suite --------------------------------------------------------------------------------------------------
def test_suite_reports_every_corruption_and_the_mean_of_its_parts(fer_folder, checkpoint, tmp_path, capsys):
    report = tmp_path / "robustness.json"
    assert main(["robustness", "--data", str(fer_folder), "--weights", str(checkpoint), str(checkpoint),
                 "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith("### Robustness to webcam-like corruptions") and "28 images" in out
    assert f"| model | clean | {' | '.join(CORRUPTIONS)} | mean corruption | drop |" in out
    rows = model_rows(out)
    assert [r[0] for r in rows] == ["tiny.ckpt"] * 2 + ["tiny.ckpt"] * 6 and rows[0] == rows[1]
    result = json.loads(report.read_text())
    assert result["images"] == 28 and result["severities"] == [1, 2, 3] and len(result["models"]) == 2
    model = result["models"][0]
    assert set(model) == {"weights", "clean", "corruptions", "mean_corruption_accuracy", "drop"}
    assert list(model["corruptions"]) == list(CORRUPTIONS)
    cells = [a for c in model["corruptions"].values() for a in c["by_severity"].values()]
    assert len(cells) == 24 and all(0 <= a <= 1 for a in [*cells, model["clean"]])
    assert all(a * 28 == pytest.approx(round(a * 28)) for a in cells)  # counts of 28 images
    for corruption in model["corruptions"].values():
        assert corruption["mean"] == pytest.approx(statistics.fmean(corruption["by_severity"].values()))
    assert model["mean_corruption_accuracy"] == pytest.approx(statistics.fmean(cells))
    assert model["drop"] == pytest.approx(model["clean"] - model["mean_corruption_accuracy"])


def test_limit_corruptions_and_severities_narrow_the_run(fer_folder, checkpoint, tmp_path, capsys):
    report = tmp_path / "narrow.json"
    assert main(["robustness", "--data", str(fer_folder), "--weights", str(checkpoint), "--limit", "2",
                 "--corruptions", "jpeg", "dark", "--severities", "3", "--json", str(report)]) == 0
    assert "14 images, at most 2 per class" in capsys.readouterr().out
    result = json.loads(report.read_text())
    assert result["images"] == 14 and result["limit"] == 2 and result["severities"] == [3]
    assert {c: list(v["by_severity"]) for c, v in result["models"][0]["corruptions"].items()} == {
        "jpeg": ["3"], "dark": ["3"]}


def test_full_frame_suite_reports_detection_and_both_accuracies(fer_folder, checkpoint, tmp_path, capsys,
                                                                monkeypatch):
    from fer_torch.evaluation import frames

    face = np.zeros((48, 48), np.uint8)  # a box depends on the seed, the index and the face's aspect only
    boxes = [place_face(face, frame_rng(0, i)).box for i in range(28)]  # --seed 0, the 28 val images
    monkeypatch.setattr(frames, "build_detector", lambda name: TrueBoxDetector(boxes))
    report = tmp_path / "frames.json"
    assert main(["robustness", "--data", str(fer_folder), "--weights", str(checkpoint), "--full-frame",
                 "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "found 28 of 28 faces (100.00 %)" in out and "mean IoU of the found boxes with the pasted ones: 1.000" in out
    ((name, *cells),) = model_rows(out)
    result = json.loads(report.read_text())
    frame, (model,) = result["full_frame"], result["models"]
    assert frame["faces"] == frame["found"] == frame["located"] == 28 and frame["mean_iou"] == 1.0
    assert set(model) == {"weights", "clean", "accuracy_all_faces", "accuracy_found_faces"}
    assert model["accuracy_all_faces"] == model["accuracy_found_faces"]
    assert name == "tiny.ckpt" and cells == [f"{100 * model[k]:.2f}" for k in list(model)[1:]]


def test_full_frame_counts_a_missed_face_as_wrong(fer_folder, checkpoint, tmp_path, capsys, monkeypatch):
    from fer_torch.evaluation import frames

    monkeypatch.setattr(frames, "build_detector", lambda name: type("Blind", (), {"detect_faces": lambda s, f: []})())
    report = tmp_path / "blind.json"
    assert main(["robustness", "--data", str(fer_folder), "--weights", str(checkpoint), "--full-frame", "--limit",
                 "1", "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["full_frame"]["found"] == 0 and result["full_frame"]["mean_iou"] is None
    assert result["models"][0]["accuracy_all_faces"] == 0 and result["models"][0]["accuracy_found_faces"] is None
    assert "| – |" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--data", "{missing}"], "no such file or directory"),
    (["--data", "{data}", "--corruptions", "fog"], "invalid choice: 'fog'"),
    (["--data", "{data}", "--severities", "4"], "invalid choice: 4"),
    (["--data", "{data}", "--limit", "0"], "--limit must be >= 1"),
    (["--data", "{data}", "--split", "test"], "no 'test' split"),
])
def test_bad_arguments_are_one_line_and_exit_2(argv, message, fer_folder, checkpoint, tmp_path, capsys):
    argv = [a.format(missing=tmp_path / "missing", data=fer_folder) for a in argv]
    assert run_tool(main, ["robustness", "--weights", str(checkpoint), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize("name, report", [("default_66.5.json", corruption_report),  # the previous default
                                          ("default_66.5_full_frame.json", full_frame_report),
                                          ("long_run.json", corruption_report),  # the default since issue 34
                                          ("long_run_full_frame.json", full_frame_report)])
def test_the_documented_default_rows_are_the_committed_runs(name, report):
    """docs/benchmarks.md shows the rows (and the full-frame detection line) of the JSON committed beside it."""
    result = json.loads((DOCS / "robustness" / name).read_text())
    shown = [line for line in report(result) if line.startswith("| fer_default") or " found " in line]
    assert shown and all(line in (DOCS / "benchmarks.md").read_text() for line in shown)
