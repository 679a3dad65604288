"""Upload results on disk: one folder per job, only known result files served back, the newest kept, jobs in
progress never pruned, a temporary root removed when the server stops."""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.exceptions import NotFound

RESULT_TYPES = {"annotated.png": "image/png", "annotated.webm": "video/webm", "log.csv": "text/csv",
                "log.json": "application/json", "histogram.png": "image/png", "timeline.png": "image/png"}
"""The only files ever served from a job folder, with the type each is served as (the upload itself never is)."""

UPLOAD_NAME = "upload"
"""The uploaded bytes are stored under this generated name, whatever the client called them."""


class JobStore:
    """Job folders under ``root`` (a temporary folder when ``None``, removed by :meth:`close` and at exit); after
    each job the oldest finished ones beyond ``keep`` are deleted."""

    def __init__(self, root: Path | None, keep: int) -> None:
        self.temporary = root is None
        self.root = Path(tempfile.mkdtemp(prefix="fer_serve_")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.active: set[str] = set()
        self.finished: dict[str, int] = {}  # finishing order of this server's jobs (folders from before: oldest)
        self.sequence = itertools.count()
        self.lock = threading.Lock()
        if self.temporary:
            atexit.register(self.close)

    @contextmanager
    def new_job(self) -> Iterator[tuple[str, Path]]:
        """``(job id, folder)`` of a fresh job; the folder is removed when the block fails (no half-written result
        stays behind), and older jobs are pruned when it succeeds."""
        job = uuid.uuid4().hex
        folder = self.root / job
        with self.lock:
            folder.mkdir()
            self.active.add(job)
        try:
            yield job, folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            with self.lock:
                self.active.discard(job)
        with self.lock:
            self.finished[job] = next(self.sequence)  # finished now: the newest job, whenever it started
        self.prune()

    def prune(self) -> None:
        """Delete all but the ``keep`` newest finished jobs; a job still being processed is never touched."""
        with self.lock:
            done = [p for p in self.root.iterdir() if p.is_dir() and p.name not in self.active]
            done.sort(key=lambda p: (self.finished.get(p.name, -1), p.stat().st_mtime))
            for old in done[: max(0, len(done) - self.keep)]:
                shutil.rmtree(old, ignore_errors=True)
                self.finished.pop(old.name, None)

    def result_file(self, job: str, name: str) -> tuple[Path, str]:
        """Path and content type of a served result; 404 for an unknown job, a name that is not a result file, or
        a job still in progress."""
        mimetype = RESULT_TYPES.get(name)
        if mimetype is None or len(job) != 32 or not all(c in "0123456789abcdef" for c in job) or job in self.active:
            raise NotFound(f"no result {job[:40]!r}/{name[:40]!r}")
        path = self.root / job / name
        if not path.is_file():
            raise NotFound(f"no result {job!r}/{name!r}")
        return path, mimetype

    def close(self) -> None:
        """Remove a temporary root with everything in it (a given ``root`` stays)."""
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)
