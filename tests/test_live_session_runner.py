"""record_session: opens the annotated output and the CSV log, runs the live loop, and releases the source when
an output cannot be opened (live.py, the web upload and the live benchmark share it)."""

import numpy as np
import pytest

from fer_torch.apps.live_session import record_session
from fer_torch.errors import SourceError
from fer_torch.inference.predictor import FaceResult
from fer_torch.inference.video import Frame, FrameSource

CLASSES = ("happy", "sad")


class Stream:
    class_names = CLASSES

    def detect_faces(self, image):
        return [(0, 0, 4, 4)]

    def predict_detections(self, image, detections):
        return [FaceResult(box=(0, 0, 4, 4), label="happy", score=0.9, probabilities=np.array([0.9, 0.1]),
                           class_names=CLASSES, face_id=0)]


class Clip(FrameSource):
    kind, name, fps = "video", "clip", 10.0

    def __init__(self, frames=5):
        self.frames, self.released = frames, 0

    def __iter__(self):
        for i in range(self.frames):
            yield Frame(i, i / self.fps, np.full((16, 16, 3), i, np.uint8))

    def release(self):
        self.released += 1


def test_writes_the_output_and_the_log_and_returns_the_writer(tmp_path):
    source = Clip()
    summary, writer = record_session(source, Stream(), output=tmp_path / "out" / "a.avi", log=tmp_path / "log.csv",
                                     max_frames=3)
    assert (summary.frames, writer.frames, writer.fps) == (3, 3, 10.0)
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 1 + 3
    assert source.released == 1


def test_without_outputs_there_is_no_writer(tmp_path):
    summary, writer = record_session(Clip(), Stream(), detect_ahead=False)
    assert (summary.frames, writer) == (5, None)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("bad", ["output", "log"])
def test_an_output_that_cannot_be_opened_releases_the_source(tmp_path, bad):
    source = Clip()
    (tmp_path / "file").write_text("")
    paths = {"output": tmp_path / "a.avi", "log": tmp_path / "log.csv"}
    paths[bad] = tmp_path / "a.txt" if bad == "output" else tmp_path / "file" / "log.csv"  # bad suffix; not a folder
    with pytest.raises((SourceError, OSError)):
        record_session(source, Stream(), **paths)
    assert source.released == 1
