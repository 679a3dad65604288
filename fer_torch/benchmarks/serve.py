"""Web app speed: ``/api/predict`` requests/s and p50/p95 latency with 1 and 8 concurrent clients on loopback, and
the camera page's frames/s in headless Chromium (fake camera playing a face clip).

The server is ``tools/serve.py``'s app on a free loopback port in this process (threaded Werkzeug, one model behind
a lock); each client sends a 640x480 JPEG of ``skimage.data.astronaut()``'s head over a real indoor photo.
The model is ``--weights``, else ``weights/fer_default.safetensors``, else a random ``bn_cnn`` (as the live suite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from fer_torch.benchmarks.live import build_predictors
from fer_torch.errors import ConfigError, FERError
from fer_torch.inference.detector_registry import build_detector
from fer_torch.device import torch_threads
from fer_torch.inference.predictor import Predictor
from fer_torch.fixtures.synthetic_video import face_frames
from fer_torch.paths import default_weights_or_none
from fer_torch.apps.web import BackgroundServer, ServeConfig, create_app
from fer_torch.apps.web.browser import camera_page, wait_for, write_y4m
from fer_torch.apps.web.security import trusted_hosts_for
from fer_torch.benchmarks.serve_attacks import attack_report

FRAME_SIZE = (640, 480)


def concurrency_list(text: str) -> list[int]:
    """``1,8`` -> ``[1, 8]``."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--clients takes N[,N...], got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--clients takes positive counts, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", type=Path, help="checkpoint (default: weights/fer_default.safetensors, else random bn_cnn)")
    parser.add_argument("--arch", help="serve a randomly initialised registry model (e.g. bn_cnn) instead")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--clients", type=concurrency_list, default=[1, 8],
                        help="concurrent client counts (default: 1,8)")
    parser.add_argument("--requests", type=int, default=64, help="requests per client count (default: 64)")
    parser.add_argument("--page-seconds", type=float, default=10.0,
                        help="how long the camera page is measured in headless Chromium (0: skip; default: 10)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads, as serve.py --threads (default: 1)")
    parser.add_argument("--screenshot", type=Path, help="save the camera page's screenshot here (PNG)")
    parser.add_argument("--attack-seconds", type=float, default=30.0,
                        help="seconds of good users under attack (issue 23's attacks; 0: skip; default: 30)")
    parser.add_argument("--attack-clients", type=int, default=8, help="clients under attack (default: 8)")
    parser.add_argument("--attack-rate", type=float, default=1.0,
                        help="requests/s each attacked client sends, half of them attacks (default: 1)")


def run(args: argparse.Namespace) -> str:
    if args.requests < 1:
        raise ConfigError(f"--requests must be >= 1, got {args.requests}")
    if args.attack_clients < 1 or args.attack_rate <= 0 or args.attack_seconds < 0:
        raise ConfigError("--attack-clients must be >= 1, --attack-rate > 0 and --attack-seconds >= 0")
    with torch_threads(args.threads):
        return measure(args)


def face_jpeg() -> bytes:
    """The benchmark's request body."""
    frame = next(face_frames(1, size=FRAME_SIZE, motion=False, background="scene"))
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def load_test(url: str, body: bytes, clients: int, requests_total: int) -> tuple[float, np.ndarray]:
    """``requests_total`` POSTs of ``body`` to ``/api/predict`` from ``clients`` threads (one HTTP session each):
    requests/s and every request's latency in ms."""
    import requests

    local = threading.local()

    def one(_: int) -> float:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        start = time.perf_counter()
        response = session.post(f"{url}/api/predict", data=body, headers={"Content-Type": "image/jpeg"}, timeout=60)
        response.raise_for_status()
        return 1000 * (time.perf_counter() - start)

    with ThreadPoolExecutor(clients) as pool:
        start = time.perf_counter()
        latencies = np.array(list(pool.map(one, range(requests_total))))
        seconds = time.perf_counter() - start
    return requests_total / seconds, latencies


def in_process(predictor: Predictor, frame: np.ndarray, requests_total: int) -> tuple[float, np.ndarray]:
    """The same work without HTTP: ``predict_frame`` calls/s and each call's ms (the baseline of the rows above)."""
    latencies = []
    start = time.perf_counter()
    for _ in range(requests_total):
        begin = time.perf_counter()
        predictor.predict_frame(frame)
        latencies.append(1000 * (time.perf_counter() - begin))
    return requests_total / (time.perf_counter() - start), np.array(latencies)


def latency_row(what: str, clients: str, rate: float, latencies: np.ndarray) -> str:
    """A markdown row: requests/s and p50/p95 latency."""
    p50, p95 = np.percentile(latencies, [50, 95])
    return f"| {what} | {clients} | {rate:.1f} requests/s | {p50:.0f} | {p95:.0f} |"


def page_speed(url: str, seconds: float, screenshot: Path | None) -> str:
    """A markdown row: the camera page's answered frames/s and median latency over ``seconds``."""
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_y4m(face_frames(60, size=FRAME_SIZE, background="scene"), Path(tmp) / "face.y4m")
        try:
            with camera_page(url, clip) as page:
                wait_for(page, "window.ferStats.frames >= 3", timeout_s=30)
                before = page.evaluate("window.ferStats.frames")
                time.sleep(seconds)
                stats = page.evaluate("window.ferStats")
                if screenshot is not None:
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot))
        except FERError as exc:
            return f"| camera page (headless Chromium) | skipped: {exc} | | | |"
    fps = (stats["frames"] - before) / seconds
    latency = statistics.median(stats["latencies"]) if stats["latencies"] else float("nan")
    return (f"| camera page (headless Chromium, fake 640x480 camera, one frame in flight) | 1 tab | {fps:.1f} "
            f"frames/s | {latency:.0f} | |")


def measure(args: argparse.Namespace) -> str:
    """Start the server, load-test it, drive the page and format the markdown report."""
    predictors, model_note = build_predictors(args, build_detector())
    predictor = predictors["fp32"]
    weights = None if args.arch else args.weights or default_weights_or_none()
    body = face_jpeg()
    frame = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    faces = len(predictor.predict_frame(frame))
    rows = [latency_row("`Predictor.predict_frame` in process (no HTTP, no JPEG decode)", "-",
                        *in_process(predictor, frame, args.requests))]
    config = ServeConfig(weights, trusted_hosts=trusted_hosts_for("127.0.0.1", None))
    with tempfile.TemporaryDirectory() as results, \
            BackgroundServer(create_app(predictor, replace(config, results_dir=Path(results)))) as url:
        load_test(url, body, 1, 4)  # warm-up
        for clients in args.clients:
            rows.append(latency_row("`POST /api/predict`", str(clients), *load_test(url, body, clients, args.requests)))
        if args.page_seconds > 0:
            rows.append(page_speed(url, args.page_seconds, args.screenshot))
        attacked = (attack_report(url, body, args.attack_clients, args.attack_seconds, args.attack_rate,
                                  config.max_upload_mb) if args.attack_seconds > 0 else [])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return "\n".join([
        f"### Web app on loopback ({FRAME_SIZE[0]}x{FRAME_SIZE[1]} JPEG, {faces} face, {predictor.device}, "
        f"{args.threads} torch thread(s))",
        "",
        f"{model_note}; {args.requests} requests per client count; load average {load}.",
        "",
        "| what | clients | speed | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        *attacked,
    ])
