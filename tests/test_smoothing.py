"""Per-face temporal smoothing and IoU face tracking."""

import numpy as np
import pytest

from fer_torch.inference.smoothing import ProbabilitySmoother
from fer_torch.inference.tracking import FaceTracker, box_iou

STEADY = np.array([0.1, 0.6, 0.3], dtype=np.float32)  # class 1
FLIP = np.array([0.05, 0.15, 0.8], dtype=np.float32)  # class 2 for one frame


def run(smoother, rows, face_id=0):
    return [int(smoother.update([face_id], row[None])[1][0]) for row in rows]


@pytest.mark.parametrize("method", ["mean", "majority"])
@pytest.mark.parametrize("window", [1, 3, 5])
def test_constant_input_keeps_every_label(window, method):
    labels = run(ProbabilitySmoother(window, method), [STEADY] * 12)
    assert labels == [1] * 12


@pytest.mark.parametrize("method", ["mean", "majority"])
def test_one_frame_flip_is_removed(method):
    rows = [STEADY] * 6 + [FLIP] + [STEADY] * 5
    assert run(ProbabilitySmoother(1), rows)[6] == 2  # unsmoothed: the flip shows
    assert run(ProbabilitySmoother(5, method), rows) == [1] * 12


def test_smoothed_probabilities_are_the_window_mean():
    smoother = ProbabilitySmoother(2)
    smoother.update([7], STEADY[None])
    probs, labels = smoother.update([7], FLIP[None])
    np.testing.assert_allclose(probs[0], (STEADY + FLIP) / 2, rtol=1e-6)
    assert labels.tolist() == [int(((STEADY + FLIP) / 2).argmax())]


def test_faces_are_smoothed_separately_and_forgotten():
    smoother = ProbabilitySmoother(5)
    smoother.update([0, 1], np.stack([STEADY, FLIP]))
    probs, labels = smoother.update([0, 1], np.stack([STEADY, FLIP]))
    assert labels.tolist() == [1, 2]
    smoother.retain([1])
    assert set(smoother.history) == {1}


def test_window_below_one_is_refused():
    with pytest.raises(ValueError, match="window"):
        ProbabilitySmoother(0)


def test_box_iou():
    iou = box_iou(np.array([(0, 0, 10, 10)]), np.array([(0, 0, 10, 10), (5, 0, 10, 10), (20, 20, 5, 5)]))
    np.testing.assert_allclose(iou, [[1.0, 50 / 150, 0.0]])


def test_tracker_keeps_ids_of_moving_faces_and_numbers_new_ones():
    tracker = FaceTracker(min_iou=0.3, max_missing=2)
    assert tracker.update([(0, 0, 50, 50), (200, 0, 50, 50)]) == [0, 1]
    # Listed in the other order and moved a little: same ids.
    assert tracker.update([(205, 3, 52, 52), (4, 2, 50, 50)]) == [1, 0]
    assert tracker.update([(8, 4, 50, 50)]) == [0]  # face 1 missing for one frame
    assert tracker.update([(10, 4, 50, 50), (207, 3, 52, 52)]) == [0, 1]  # ... and back with its id
    for _ in range(3):
        tracker.update([])
    assert tracker.update([(10, 4, 50, 50)]) == [2]  # forgotten after max_missing frames: a new id
