"""Per-face temporal smoothing of class probabilities, against labels that flicker from frame to frame."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np

from fer_torch.choices import SMOOTHING_METHODS  # noqa: E402


class ProbabilitySmoother:
    """Smooths each face's probabilities over its last ``window`` frames (``window=1`` passes them through).

    ``mean`` averages the probability vectors; ``majority`` keeps the mean vector but votes the label: the class
    most frames predicted (ties go to the higher mean probability).
    """

    def __init__(self, window: int = 5, method: str = "mean") -> None:
        if window < 1:
            raise ValueError(f"smoothing window must be >= 1, got {window}")
        if method not in SMOOTHING_METHODS:
            raise ValueError(f"smoothing method must be one of {SMOOTHING_METHODS}, got {method!r}")
        self.window, self.method = int(window), method
        self.history: dict[int, deque[np.ndarray]] = {}

    def update(self, face_ids: Sequence[int], probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add one frame's rows (one per face) and return the smoothed ``(probabilities, labels)``."""
        probabilities = np.asarray(probabilities, dtype=np.float32).reshape(len(face_ids), -1)
        if self.window == 1:
            return probabilities, probabilities.argmax(axis=1)
        smoothed = np.empty_like(probabilities)
        labels = np.empty(len(face_ids), dtype=np.int64)
        for row, (face_id, probs) in enumerate(zip(face_ids, probabilities)):
            frames = self.history.setdefault(int(face_id), deque(maxlen=self.window))
            frames.append(probs)
            stacked = np.stack(frames)
            smoothed[row] = stacked.mean(axis=0)
            if self.method == "majority":
                votes = np.bincount(stacked.argmax(axis=1), minlength=stacked.shape[1])
                labels[row] = np.where(votes == votes.max(), smoothed[row], -np.inf).argmax()
            else:
                labels[row] = smoothed[row].argmax()
        return smoothed, labels

    def retain(self, face_ids: Iterable[int]) -> None:
        """Forget the history of every face not in ``face_ids`` (faces the tracker dropped)."""
        keep = set(face_ids)
        for face_id in [f for f in self.history if f not in keep]:
            del self.history[face_id]
