"""Evaluation library: metrics, TTA, ensembles, frame sequences, reports, plots and face cropping."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from fer_torch.data.samples import Samples
from fer_torch.errors import CheckpointError, ConfigError, DataError, EmptySplitError
from fer_torch.evaluation.ensemble import align_columns, combine_probabilities, greedy_select
from fer_torch.evaluation.metrics import compute_metrics
from fer_torch.evaluation.plots import find_metrics_csv, plot_confusion_matrix, plot_training_curves
from fer_torch.evaluation.report import markdown_report, write_metrics_json, write_predictions_csv
from fer_torch.data.augmentation_presets import ten_crop_size as crop_size
from fer_torch.evaluation.sequence import sequence_accuracy, sequence_metrics, window_predictions
from fer_torch.inference.tta import augmented_views, with_tta

CLASSES = ("happy", "sad", "neutral")
# Fixed predictions and their hand-counted confusion matrix (rows true, columns predicted).
TARGETS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
PREDS = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0]
HAND_CM = [[3, 1, 0], [0, 2, 1], [1, 0, 2]]


def one_hot(indices, k=3, hot=0.8):
    """Probabilities with ``hot`` on the given classes, the rest spread evenly."""
    p = torch.full((len(indices), k), (1 - hot) / (k - 1))
    p[torch.arange(len(indices)), torch.as_tensor(indices)] = hot
    return p


# -- metrics --------------------------------------------------------------------------------------------------
def test_metrics_match_hand_computed_confusion_matrix():
    m = compute_metrics(PREDS, TARGETS, CLASSES)
    assert m["confusion_matrix"] == HAND_CM
    assert m["n"] == 10 and m["class_names"] == list(CLASSES)
    assert m["accuracy"] == 7 / 10  # exactly: float64 states
    cm = np.array(HAND_CM)
    precision, recall = np.diag(cm) / cm.sum(0), np.diag(cm) / cm.sum(1)
    f1 = 2 * precision * recall / (precision + recall)
    f2 = 5 * precision * recall / (4 * precision + recall)
    for i, name in enumerate(CLASSES):
        c = m["per_class"][name]
        assert c["precision"] == pytest.approx(precision[i])
        assert c["recall"] == pytest.approx(recall[i])
        assert c["f1"] == pytest.approx(f1[i])
        assert c["f2"] == pytest.approx(f2[i])
        assert c["support"] == cm[i].sum()
    assert m["macro_f1"] == pytest.approx(f1.mean())
    assert m["weighted_f1"] == pytest.approx((f1 * cm.sum(1)).sum() / 10)
    assert set(m) == {"n", "accuracy", "macro_f1", "weighted_f1", "class_names", "per_class", "confusion_matrix"}


def test_metrics_of_empty_split_raise():
    with pytest.raises(EmptySplitError):
        compute_metrics([], [], CLASSES)


# -- TTA ------------------------------------------------------------------------------------------------------
def linear_model(in_shape=(1, 48, 48), k=3):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(in_shape)), k)).eval()


def test_flip_tta_of_flip_invariant_input_equals_no_tta():
    x = torch.randn(4, 1, 48, 24)
    x = torch.cat([x, x.flip(-1)], dim=-1)  # mirror-symmetric images
    model = linear_model()
    with torch.no_grad():
        plain, flipped = with_tta(model, "none")(x), with_tta(model, "flip")(x)
    torch.testing.assert_close(flipped, plain)
    torch.testing.assert_close(plain, model(x).softmax(-1))


def test_tencrop_views_are_40_of_48_resized_back():
    assert crop_size(48, 48) == (40, 40) and crop_size(96, 96) == (80, 80) and crop_size(224, 224) == (187, 187)
    x = torch.randn(2, 3, 48, 48)
    views = augmented_views(x, "tencrop")
    assert len(views) == 10 and all(v.shape == x.shape for v in views)
    # Views 5..9 crop the mirrored image: its top-left crop mirrors the top-right one; the centers mirror each other.
    torch.testing.assert_close(views[5], views[1].flip(-1), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(views[9], views[4].flip(-1), atol=1e-4, rtol=1e-4)
    model = linear_model((3, 48, 48))
    with torch.no_grad():
        probs = with_tta(model, "tencrop")(x)
        expected = torch.stack([model(v).softmax(-1) for v in views]).mean(0)
    torch.testing.assert_close(probs, expected)
    assert probs.sum(1).allclose(torch.ones(2))


def test_unknown_tta_mode_raises():
    with pytest.raises(ConfigError, match="unknown TTA mode"):
        with_tta(linear_model(), "rotate")


# -- ensembles ------------------------------------------------------------------------------------------------
def test_ensemble_of_one_model_twice_equals_the_model():
    p = torch.softmax(torch.randn(6, 3), dim=1)
    for vote in ("mean", "majority"):
        scores_twice, pred_twice = combine_probabilities([p, p], vote=vote)
        scores_once, pred_once = combine_probabilities([p], vote=vote)
        torch.testing.assert_close(scores_twice, scores_once)
        assert pred_twice.tolist() == pred_once.tolist() == p.argmax(1).tolist()


def test_weighted_mean_and_majority_vote():
    a, b, c = one_hot([0, 1]), one_hot([1, 1]), one_hot([2, 1])
    scores, pred = combine_probabilities([a, b], weights=[3, 1])
    torch.testing.assert_close(scores, 0.75 * a + 0.25 * b)
    assert pred.tolist() == [0, 1]
    a2 = a.clone()
    a2[0] = torch.tensor([0.5, 0.45, 0.05])  # model a: class 0 by a small margin
    share, pred = combine_probabilities([a2, b, c], vote="majority")
    # Row 0: one vote each -> tie, broken by the highest mean probability (class 1: (0.45+0.8+0.1)/3).
    assert pred.tolist() == [1, 1]
    torch.testing.assert_close(share[1], torch.tensor([0.0, 1.0, 0.0]))


def test_bad_ensemble_weights_raise():
    with pytest.raises(ConfigError, match="weights"):
        combine_probabilities([one_hot([0])], weights=[1, 2])


def test_align_columns_maps_by_class_name():
    p = torch.tensor([[0.1, 0.2, 0.7]])
    torch.testing.assert_close(align_columns(p, ["sad", "Neutral", "happiness"], CLASSES), torch.tensor([[0.7, 0.1, 0.2]]))
    with pytest.raises(CheckpointError, match="differ"):
        align_columns(p, ["sad", "neutral", "angry"], CLASSES)


def test_greedy_selection_skips_models_that_do_not_help():
    targets = torch.tensor([0, 1, 2, 0, 1, 2])
    good = one_hot([0, 1, 2, 0, 1, 1], hot=0.9)  # 5/6
    good[5] = torch.tensor([0.1, 0.5, 0.4])  # wrong, but unsure
    complement = one_hot([1, 1, 2, 0, 0, 2], hot=0.7)  # 4/6, right where `good` is wrong
    bad = one_hot([2, 2, 0, 2, 2, 0], hot=0.99)  # always wrong, confident
    chosen, acc = greedy_select({"good": good, "bad": bad, "complement": complement}, targets)
    assert chosen == ["good", "complement"] and acc == pytest.approx(1.0)


# -- frame sequences --------------------------------------------------------------------------------------------
def test_window_majority_vote_drops_trailing_frames():
    probs = one_hot([0, 1, 0, 1, 1, 2, 2])
    assert window_predictions(probs, 3).tolist() == [0, 1]
    assert window_predictions(probs, 1).tolist() == [0, 1, 0, 1, 1, 2, 2]
    assert window_predictions(probs, 8).tolist() == []


def test_sequence_accuracy_groups_by_subject_and_orders_by_frame():
    # Subject s1 happy: frames 0..5 predicted H H S | H S S (window 2 wrong).
    # Subject s2 sad: frames given out of order; by frame: S S H | S H H | S (trailing frame dropped for n=3).
    frames_1 = list(range(6))
    preds_1 = [0, 0, 1, 0, 1, 1]
    order_2 = [6, 0, 3, 1, 5, 2, 4]
    by_frame_2 = {0: 1, 1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1}
    preds = preds_1 + [by_frame_2[f] for f in order_2]
    targets = [0] * 6 + [1] * 7
    meta = {"subject": np.array(["s1"] * 6 + ["s2"] * 7), "frame": np.array(frames_1 + order_2)}
    acc = sequence_accuracy(one_hot(preds), targets, meta, ns=[1, 3, 7, 10])
    assert acc["1"] == pytest.approx(7 / 13)
    assert acc["3"] == pytest.approx(2 / 4)  # s1: H, S; s2: S, H
    assert acc["7"] == pytest.approx(1.0)  # only s2 has 7 frames: S S H S H H S -> 4 of 7 sad
    assert acc["10"] is None


def test_sequence_metrics_over_windows_per_class():
    # Two clips of 20 frames: happy votes H, H (correct); sad votes S, H (one window wrong).
    preds = [0] * 20 + [1] * 10 + [0] * 10
    targets = [0] * 20 + [1] * 20
    meta = {"subject": np.array(["s1"] * 20 + ["s2"] * 20), "frame": np.arange(40)}
    m = sequence_metrics(one_hot(preds), targets, meta, [10, 30], CLASSES)
    assert list(m) == ["10"]  # no clip holds 30 frames
    w = m["10"]
    assert w["n"] == 4 and w["confusion_matrix"] == [[2, 0, 0], [1, 1, 0], [0, 0, 0]]
    happy, sad = w["per_class"]["happy"], w["per_class"]["sad"]
    assert (happy["precision"], happy["recall"], sad["precision"], sad["recall"]) == (2 / 3, 1.0, 1.0, 0.5)
    assert happy["accuracy"] == sad["accuracy"] == 3 / 4  # one-vs-rest: (TP + TN) / windows
    assert w["per_class"]["neutral"]["accuracy"] == 1.0


def test_sequence_needs_subject_and_frame():
    with pytest.raises(DataError, match="subject and frame"):
        sequence_accuracy(one_hot([0]), [0], {}, ns=[1])


# -- files --------------------------------------------------------------------------------------------------------
def test_report_files(tmp_path):
    m = compute_metrics(PREDS, TARGETS, CLASSES)
    m["sequence"] = {"1": 0.5, "3": None}
    data = json.loads(write_metrics_json(m, tmp_path / "metrics.json").read_text())
    assert data == m
    text = markdown_report(m, details={"Checkpoints": "a.ckpt"})
    assert "| happy | 75.00 | 75.00 | 75.00 | 75.00 | 4 |" in text
    assert "| sad | 1 | 2 | 0 |" not in text and "| sad | 0 | 2 | 1 |" in text
    assert "| Accuracy (%) | 50.00 | n/a |" in text
    probs = one_hot(PREDS)
    csv = write_predictions_csv(tmp_path / "p.csv", [f"img{i}.png" for i in range(10)], TARGETS, PREDS, probs, CLASSES)
    table = pd.read_csv(csv)
    assert list(table.columns) == ["path", "true", "predicted", *CLASSES]
    assert table["true"].tolist()[:5] == ["happy"] * 4 + ["sad"]
    assert (table["predicted"] == table[list(CLASSES)].idxmax(axis=1)).all()
    png = plot_confusion_matrix(HAND_CM, CLASSES, tmp_path / "cm.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def write_lightning_csv(path, epochs=3, steps_per_epoch=2):
    """A metrics.csv shaped like CSVLogger's: step rows, epoch rows and LR-monitor rows without an epoch."""
    rows, step = [], 0
    for e in range(epochs):
        rows.append({"lr-Adam": 1e-3 / (e + 1), "step": step})
        for _ in range(steps_per_epoch):
            rows.append({"epoch": e, "step": step, "train/loss_step": 2.0 - 0.1 * step})
            step += 1
        rows.append({"epoch": e, "step": step - 1, "val/loss": 1.5 - 0.2 * e, "val/acc": 0.3 + 0.1 * e})
        rows.append({"epoch": e, "step": step - 1, "train/loss_epoch": 1.8 - 0.2 * e, "train/acc": 0.25 + 0.1 * e})
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_training_curves_from_newest_csv(tmp_path):
    import os

    old = write_lightning_csv(tmp_path / "lightning_logs" / "version_0" / "metrics.csv", epochs=1)
    new = write_lightning_csv(tmp_path / "lightning_logs" / "version_1" / "metrics.csv")
    os.utime(old, (1, 1))
    assert find_metrics_csv(tmp_path) == new
    png = plot_training_curves(tmp_path)
    assert png == tmp_path / "training_curves.png" and png.read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no metrics.csv"):
        plot_training_curves(tmp_path / "empty")
    with pytest.raises(DataError, match="run directory not found"):
        plot_training_curves(tmp_path / "missing")


# -- full-frame photos ----------------------------------------------------------------------------------------
def test_largest_face_is_cropped_and_blank_frames_count_as_no_face():
    cv2 = pytest.importorskip("cv2")
    skimage_data = pytest.importorskip("skimage.data")
    from fer_torch.evaluation.faces import crop_faces

    astronaut = cv2.resize(skimage_data.astronaut(), (600, 600))  # RGB, face about 120 px wide
    blank = np.full((600, 600, 3), 128, np.uint8)
    photos = Samples(images=[blank, astronaut], labels=[0, 1], class_names=CLASSES,
                     meta={"path": np.array(["blank.jpg", "astronaut.jpg"])})
    crops, no_face = crop_faces(photos, margin=0.1)
    faces = crops["face"]
    assert no_face == 1 and len(faces) == 1
    assert faces.meta["path"].tolist() == ["astronaut.jpg"] and faces.labels.tolist() == [1]
    h, w, c = faces.image(0).shape
    assert c == 3 and 100 < h < 200 and 100 < w < 200


@pytest.mark.parametrize("detector", ["haar", "mtcnn"])
def test_every_face_of_a_photo_is_cropped_as_live_crops_it(detector):
    cv2 = pytest.importorskip("cv2")
    skimage_data = pytest.importorskip("skimage.data")
    from fer_torch.evaluation.faces import crop_faces
    from fer_torch.inference import build_detector
    from fer_torch.inference.crops import face_crops

    astronaut = skimage_data.astronaut()  # RGB
    two = np.concatenate([astronaut, astronaut], axis=1)
    photos = Samples(images=[two], labels=[2], class_names=CLASSES, meta={"path": np.array(["two.jpg"])})
    largest, _ = crop_faces(photos, detector=detector)
    every, no_face = crop_faces(photos, detector=detector, every_face=True)
    faces = every["face"]
    assert no_face == 0 and len(largest["face"]) == 1 and len(faces) == 2
    assert faces.labels.tolist() == [2, 2] and faces.meta["path"].tolist() == ["two.jpg", "two.jpg"]
    frame = cv2.cvtColor(two, cv2.COLOR_RGB2BGR)  # what live.py would see
    _, live_crops = face_crops(frame, build_detector(detector).detect_faces(frame), channels=3)
    for crop, live in zip(faces.images, live_crops):
        np.testing.assert_array_equal(crop, live)
