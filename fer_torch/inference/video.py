"""Frame sources (camera, video file, image, folder of images) and annotated-output writers (video or images)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_torch.errors import DataError, SourceError
from fer_torch.inference.image_decoding import ImageTooLarge, decode_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG", ".webm": "VP80"}
"""Codec per output suffix: ``.webm`` is VP8, which browsers play (OpenCV's wheel ships the encoder; ``mp4v``, MPEG-4
Part 2, plays in no browser)."""
DEFAULT_FPS = 30.0


@dataclass(frozen=True)
class Frame:
    """A decoded BGR frame, its index in the source and its time in seconds from the start."""

    index: int
    time_s: float
    image: np.ndarray


class FrameSource:
    """Iterable of :class:`Frame`; ``kind`` is ``camera``, ``video``, ``image`` or ``folder``."""

    kind = "source"
    fps = DEFAULT_FPS
    name = ""
    stopped_early = False  # a camera that stopped delivering frames mid-stream
    skipped = 0  # unreadable images of a folder, skipped with a warning
    expected_frames: int | None = None  # how many frames a file holds, as its header says (an estimate)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def release(self) -> None:
        """Free the device or file."""

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def quiet_capture(target: int | str) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` without OpenCV's backend warnings: a failed open is reported as one line by the caller."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        return cv2.VideoCapture(target)
    finally:
        cv2.utils.logging.setLogLevel(level)


class CaptureSource(FrameSource):
    """A camera index or a video file read through ``cv2.VideoCapture``."""

    def __init__(self, target: int | str | Path, max_pixels: int | None = None) -> None:
        self.kind = "camera" if isinstance(target, int) else "video"
        self.name = f"camera {target}" if self.kind == "camera" else str(target)
        self.capture = quiet_capture(target if isinstance(target, int) else str(target))
        if not self.capture.isOpened():
            self.capture.release()
            why = "is a camera connected and free?" if self.kind == "camera" else "not a readable video"
            raise SourceError(f"cannot open {self.name} ({why})")
        width, height = (int(self.capture.get(p)) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT))
        if max_pixels is not None and width * height > max_pixels:  # refused before a frame is decoded
            self.capture.release()
            raise ImageTooLarge(f"{self.name}: frames of {width}x{height} exceed the limit of {max_pixels / 1e6:g} MP")
        ok, first = self.capture.read()
        if not ok or first is None:
            self.capture.release()
            raise SourceError(f"cannot read a frame from {self.name}")
        self._pending: np.ndarray | None = first
        self._next_index = 0
        self._start = time.perf_counter()
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else DEFAULT_FPS
        count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT)) if self.kind == "video" else 0
        self.expected_frames = count if count > 0 else None

    def __iter__(self) -> Iterator[Frame]:
        """Frames from where the previous iteration stopped (collect.py reads one camera class after class)."""
        while True:
            if self._pending is not None:
                image, self._pending = self._pending, None
            else:
                ok, image = self.capture.read()
                if not ok or image is None:
                    self.stopped_early = self.kind == "camera"
                    return
            index = self._next_index
            self._next_index += 1
            # Camera frames are stamped with wall-clock time, file frames with their position in the video.
            stamp = time.perf_counter() - self._start if self.kind == "camera" else index / self.fps
            yield Frame(index, stamp, image)

    def release(self) -> None:
        self.capture.release()


def read_image(path: str | Path, max_pixels: int | None = None) -> np.ndarray | None:
    """BGR image of a file, or None when it is unreadable, not an image, cut short (a truncated JPEG would otherwise
    decode partially, gray below the cut, and pass for a frame) or larger than ``max_pixels``."""
    try:
        return decode_image(Path(path).read_bytes(), max_pixels)
    except (OSError, DataError):
        return None


class ImageFilesSource(FrameSource):
    """One image file, or every image of a folder (sorted by name); unreadable or truncated images in a folder
    are skipped with a warning and counted in ``skipped``."""

    def __init__(self, path: str | Path, max_pixels: int | None = None) -> None:
        path = Path(path)
        self.name = str(path)
        self.max_pixels = max_pixels
        self.kind = "folder" if path.is_dir() else "image"
        self.fps = 1.0
        self.paths = [path]
        if path.is_dir():
            self.paths = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.paths:
            raise SourceError(f"{path}: folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        # A single image is decoded here, once: the check and the frame are the same decode.
        self._decoded = {path: read_image(path, max_pixels)} if self.kind == "image" else {}
        if self.kind == "image" and self._decoded[path] is None:
            raise SourceError(f"{path}: cannot read image (unreadable, truncated or not an image)")

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        self.skipped = 0
        for path in self.paths:
            image = self._decoded[path] if path in self._decoded else read_image(path, self.max_pixels)
            if image is None:
                self.skipped += 1
                print(f"warning: skipping unreadable or truncated image {path}", file=sys.stderr)
                continue
            yield Frame(index, float(index), image)
            index += 1


class DecodedImageSource(FrameSource):
    """One image already decoded (an upload) as a one-frame source."""

    kind = "image"
    fps = 1.0
    expected_frames = 1

    def __init__(self, image: np.ndarray, name: str = "image") -> None:
        self.image, self.name = image, name

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, 0.0, self.image)


def open_source(source: int | str | Path) -> FrameSource:
    """Camera index (``0`` or ``"0"``), video file, image file or folder of images."""
    if isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit()):
        return CaptureSource(int(source))
    path = Path(source)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder (a source is a camera index, a video, an image or a folder)")
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFilesSource(path)
    return CaptureSource(path)


class FrameWriter:
    """Writes annotated frames: a video (``.mp4``, ``.avi`` ...) or images (``.png``, ``.jpg``; numbered files
    ``<stem>_000000.png`` ... unless ``single_image``)."""

    def __init__(self, path: str | Path, fps: float = DEFAULT_FPS, single_image: bool = False) -> None:
        self.path = Path(path)
        self.fps = fps
        self.single_image = single_image
        self.is_image = self.path.suffix.lower() in IMAGE_SUFFIXES
        if not self.is_image and self.path.suffix.lower() not in VIDEO_FOURCC:
            raise SourceError(f"{self.path}: output must be a video ({', '.join(VIDEO_FOURCC)}) "
                              f"or an image ({', '.join(IMAGE_SUFFIXES)})")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.writer: cv2.VideoWriter | None = None
        self.size: tuple[int, int] | None = None
        self.frames = 0

    def image_path(self, index: int) -> Path:
        if self.single_image:
            return self.path
        return self.path.with_name(f"{self.path.stem}_{index:06d}{self.path.suffix}")

    def write(self, image: np.ndarray) -> None:
        """Append one BGR frame (a video's frames are resized to its first frame's size)."""
        if self.is_image:
            if not cv2.imwrite(str(self.image_path(self.frames)), image):
                raise SourceError(f"{self.path}: cannot write image")
        else:
            if self.writer is None:
                self.size = (image.shape[1], image.shape[0])
                fourcc = cv2.VideoWriter_fourcc(*VIDEO_FOURCC[self.path.suffix.lower()])
                self.writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, self.size)
                if not self.writer.isOpened():
                    raise SourceError(f"{self.path}: cannot open a video writer")
            if (image.shape[1], image.shape[0]) != self.size:
                image = cv2.resize(image, self.size)
            if image.ndim == 2:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            self.writer.write(image)
        self.frames += 1

    def release(self) -> None:
        """Finalize the video file."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None

    def __enter__(self) -> "FrameWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def count_video_frames(path: str | Path) -> int:
    """Frames decodable from a video file (decodes them all; ``CAP_PROP_FRAME_COUNT`` is only an estimate)."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    try:
        while capture.grab():
            count += 1
    finally:
        capture.release()
    return count
