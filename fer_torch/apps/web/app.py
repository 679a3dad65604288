"""The Flask app: camera page ``/``, MJPEG ``/stream``, uploads and the JSON API; every error is a JSON body."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import (BadRequest, HTTPException, InternalServerError, NotFound, ServiceUnavailable,
                                 UnsupportedMediaType)

from fer_torch.errors import ConfigError, DataError, FERError, SourceError
from fer_torch.inference.predictor import Predictor
from fer_torch.inference.video import open_source
from fer_torch.apps.web.decoding import UPLOAD_TYPES, decode_image, request_image, save_upload, uploaded_file
from fer_torch.apps.web.mjpeg import MIMETYPE, mjpeg_parts
from fer_torch.apps.web.results import faces_json, model_json
from fer_torch.apps.web.service import InferenceService
from fer_torch.apps.web.upload import process_upload

TAB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class ServeConfig:
    """Server options: ``source`` feeds ``/stream``; streams and browser tabs detect on one frame in
    ``detect_every``, scaled by ``detect_scale``, and track in between (live.py's fast path); uploads are refused
    beyond ``max_upload_mb`` and annotated up to ``max_upload_frames``; the newest ``keep_results`` upload results
    are kept under ``results_dir``."""

    weights: str | Path | None = None
    source: str | None = None
    smooth: int = 5
    smooth_method: str = "mean"
    detect_every: int = 1
    detect_scale: float = 1.0
    max_upload_mb: float = 50.0
    max_upload_frames: int = 3000
    results_dir: Path | None = None
    keep_results: int = 20
    max_tabs: int = 64
    bars: bool = True


BAD_INPUT_ERRORS = (DataError, SourceError, ConfigError)
"""Library errors that a request's content causes (answered 400); other FERErrors are the server's (500)."""


def error_response(exc: HTTPException) -> tuple[Response, int]:
    """``{"error": <what was wrong>, "status": <code>}`` with the exception's status code."""
    return jsonify(error=exc.description, status=exc.code), exc.code


def create_app(predictor: Predictor, config: ServeConfig | None = None) -> Flask:
    """The web app around one already-loaded ``predictor``."""
    config = config or ServeConfig()
    app = Flask(__name__, static_folder=str(resources.files("fer_torch.apps.web") / "static"), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = int(config.max_upload_mb * 2**20)
    app.json.sort_keys = False  # probabilities stay in the model's class order
    service = InferenceService(predictor, config.smooth, config.smooth_method, config.max_tabs,
                               detect_every=config.detect_every, detect_scale=config.detect_scale)
    if config.results_dir is None:  # a temporary folder, removed when the process exits
        results_dir = Path(tempfile.mkdtemp(prefix="fer_serve_"))
        atexit.register(shutil.rmtree, results_dir, ignore_errors=True)
    else:
        results_dir = Path(config.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    app.extensions["fer_torch"] = service

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            exc.description = f"upload larger than the server's limit of {config.max_upload_mb:g} MB"
        return error_response(exc)

    @app.errorhandler(FERError)
    def fer_error(exc: FERError):
        if isinstance(exc, BAD_INPUT_ERRORS):
            return error_response(BadRequest(str(exc)))
        app.logger.error("server-side error: %s", exc)  # the model, device or detector: not the client's fault
        return error_response(InternalServerError(str(exc)))

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):  # a bug, not bad input: still JSON, and logged with its traceback
        app.logger.exception("unexpected error")
        return error_response(InternalServerError(f"internal error: {type(exc).__name__}: {exc}"))

    @app.get("/")
    def index():
        return app.send_static_file("index.html")

    @app.get("/api/health")
    def health():
        return jsonify(status="ok", model_loaded=True, tabs=len(service.tabs))

    @app.get("/api/model")
    def model():
        return jsonify(model_json(predictor, config.weights))

    @app.post("/api/predict")
    def predict():
        """An image (raw ``image/*`` body or multipart ``image`` file) -> its faces."""
        image = request_image(request)
        start = time.perf_counter()
        faces = service.predict(image)
        return jsonify(faces_json(faces, image.shape[1], image.shape[0], 1000 * (time.perf_counter() - start)))

    @app.post("/api/frame")
    def frame():
        """A camera frame of browser tab ``?tab=ID`` (raw ``image/*`` body) -> its tracked, smoothed faces."""
        tab = request.args.get("tab", "")
        if not TAB_ID.match(tab):
            raise BadRequest("query parameter 'tab' must be 1-64 letters, digits, '-' or '_'")
        if not request.mimetype.startswith("image/"):
            raise UnsupportedMediaType(f"a frame is an image/* body, got {request.mimetype or 'no content type'}")
        image = decode_image(request.get_data(), "frame")
        start = time.perf_counter()
        faces = service.tab(tab).predict_frame(image)
        return jsonify(faces_json(faces, image.shape[1], image.shape[0], 1000 * (time.perf_counter() - start)))

    @app.post("/api/upload")
    def upload():
        """An image or video (multipart ``file``) -> annotated result, per-frame log and plots (download URLs)."""
        file = uploaded_file(request, "file", UPLOAD_TYPES)
        job = uuid.uuid4().hex
        folder = results_dir / job
        folder.mkdir()
        try:
            result = process_upload(save_upload(file, folder), service, folder, config.max_upload_frames, config.bars)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # no half-written result stays behind
            raise
        prune_results(results_dir, config.keep_results)
        result["job"] = job
        result["urls"] = {key: f"/results/{job}/{name}" for key, name in result["files"].items()}
        return jsonify(result)

    @app.get("/results/<job>/<name>")
    def result_file(job: str, name: str):
        if not JOB_ID.match(job):
            raise NotFound(f"no result {job!r}")
        return send_from_directory(results_dir / job, name, as_attachment=request.args.get("download") == "1")

    @app.get("/stream")
    def stream():
        """MJPEG of ``--source`` annotated as live.py draws it."""
        if config.source is None:
            raise NotFound("no server camera: start the server with --source (camera index or video file)")
        try:
            source = open_source(config.source)
        except FERError as exc:
            raise ServiceUnavailable(str(exc)) from None
        return Response(mjpeg_parts(source, config.source, service.stream(), config.bars), mimetype=MIMETYPE)

    return app


def prune_results(results_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest upload results."""
    jobs = sorted((p for p in results_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in jobs[: max(0, len(jobs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
