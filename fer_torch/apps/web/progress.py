"""Progress of uploads being annotated, keyed by an id the page picks (``POST /api/upload?progress=ID``) and read
back while the upload runs (``GET /api/progress/ID``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager


class ProgressBoard:
    """``{"state", "frames_done", "frames_total"}`` per id; the ``keep`` most recent ids are remembered."""

    def __init__(self, keep: int = 64) -> None:
        self.keep = keep
        self.entries: OrderedDict[str, dict] = OrderedDict()
        self.lock = threading.Lock()

    def start(self, key: str, frames_total: int | None) -> None:
        """An upload starts annotating ``frames_total`` frames (``None``: unknown)."""
        with self.lock:
            self.entries.pop(key, None)
            self.entries[key] = {"state": "annotating", "frames_done": 0, "frames_total": frames_total}
            while len(self.entries) > self.keep:
                self.entries.popitem(last=False)

    def update(self, key: str, **fields) -> None:
        """Change an entry's fields (``frames_done``, ``state``); an unknown or forgotten id is ignored."""
        with self.lock:
            if key in self.entries:
                self.entries[key].update(fields)

    def get(self, key: str) -> dict | None:
        """A copy of the entry, or ``None``."""
        with self.lock:
            entry = self.entries.get(key)
            return None if entry is None else dict(entry)


class ProgressReport:
    """One upload's reporter on a board (``key`` ``None``: reports nothing)."""

    def __init__(self, board: ProgressBoard, key: str | None) -> None:
        self.board, self.key = board, key

    def start(self, frames_total: int | None) -> None:
        if self.key is not None:
            self.board.start(self.key, frames_total)

    def frames_done(self, done: int) -> None:
        if self.key is not None:
            self.board.update(self.key, frames_done=done)


@contextmanager
def reporting(board: ProgressBoard, key: str | None) -> Iterator[ProgressReport]:
    """A :class:`ProgressReport` for the block; the entry ends ``done``, or ``failed`` when the block raises."""
    report = ProgressReport(board, key)
    try:
        yield report
    except BaseException:
        if key is not None:
            board.update(key, state="failed")
        raise
    if key is not None:
        board.update(key, state="done")
