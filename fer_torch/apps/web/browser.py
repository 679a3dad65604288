"""Drive the camera page in the system's headless Chromium with a fake camera playing a face video (browser test,
page benchmark). Playwright is pointed at ``/usr/bin/chromium`` and never downloads a browser."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from fer_torch.errors import FERError

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
)


class BrowserUnavailable(FERError, RuntimeError):
    """No system Chromium or no Playwright."""


def chromium_path() -> Path:
    """The system Chromium (Debian's ``chromium`` package)."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserUnavailable("no system chromium (apt-get install -y chromium)")


def write_y4m(frames: Iterable[np.ndarray], path: str | Path, fps: int = 15) -> Path:
    """Write BGR frames (even width and height) as a YUV4MPEG2 (4:2:0) clip, what Chromium's fake camera plays."""
    path = Path(path)
    with path.open("wb") as out:
        for i, frame in enumerate(frames):
            if i == 0:
                height, width = frame.shape[:2]
                out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
            out.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


CAMERA_DENIED_FLAGS = ("--deny-permission-prompts",)
"""What a user who refuses the camera does: every permission prompt is answered "block"."""


@contextmanager
def camera_page(url: str, y4m: str | Path | None, timeout_s: float = 30.0,
                viewport: tuple[int, int] = (1000, 900)) -> Iterator["playwright.sync_api.Page"]:  # noqa: F821
    """A Playwright page at ``url`` (``viewport``: width, height) in headless system Chromium whose camera plays
    ``y4m``; ``None``: the camera is refused, as by a user who blocks it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable(f"playwright is not installed ({exc})") from None
    if y4m is None:
        flags = [f for f in CHROMIUM_FLAGS if f != "--use-fake-ui-for-media-stream"] + list(CAMERA_DENIED_FLAGS)
    else:
        flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={Path(y4m).resolve()}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=flags, headless=True)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.set_default_timeout(timeout_s * 1000)
            page.console_errors = []  # e.g. a Content-Security-Policy violation
            page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
            page.goto(url)
            yield page
        finally:
            browser.close()


def wait_for(page: "playwright.sync_api.Page", expression: str, timeout_s: float = 15.0,  # noqa: F821
             poll_s: float = 0.1):
    """The value of JavaScript ``expression`` once it is truthy, polled from here: Playwright's own
    ``wait_for_function`` compiles its predicate in the page, which the app's Content-Security-Policy forbids."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression!r} stayed false for {timeout_s:g} s")
        time.sleep(poll_s)
