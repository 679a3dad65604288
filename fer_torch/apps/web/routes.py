"""The app's routes as a Blueprint: camera page ``/``, MJPEG ``/stream``, uploads, results and the JSON API.

Each route reads the app's :class:`WebState` (the inference service, the options and the job store)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from werkzeug.exceptions import BadRequest, NotFound, ServiceUnavailable, UnsupportedMediaType

from fer_torch.apps.web.config import ServeConfig
from fer_torch.apps.web.decoding import UPLOAD_TYPES, request_image, save_upload, uploaded_file
from fer_torch.apps.web.jobs import JobStore
from fer_torch.apps.web.mjpeg import MIMETYPE, mjpeg_parts
from fer_torch.apps.web.model_info import model_json
from fer_torch.apps.web.progress import ProgressBoard, reporting
from fer_torch.apps.web.results import faces_json
from fer_torch.apps.web.service import InferenceService
from fer_torch.apps.web.upload import open_upload, process_upload
from fer_torch.errors import FERError
from fer_torch.inference.image_decoding import decode_image, fit_within
from fer_torch.inference.video import open_source

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""Ids the page picks: a tab's (``?tab=``) and an upload's progress (``?progress=``)."""
HEALTH_LOCK_TIMEOUT_S = 1.0

web = Blueprint("fer_torch", __name__)


@dataclass
class WebState:
    """What the routes share: the model service, the server options and the upload results."""

    service: InferenceService
    config: ServeConfig
    jobs: JobStore
    progress: ProgressBoard


def state() -> WebState:
    return current_app.extensions["fer_torch"]


@web.get("/")
def index():
    return current_app.send_static_file("index.html")


@web.get("/api/health")
def health():
    """200 when the model can be taken within a second, else 503 (a request is stuck holding it)."""
    lock = state().service.lock
    available = lock.acquire(timeout=HEALTH_LOCK_TIMEOUT_S)
    if available:
        lock.release()
    body = jsonify(status="ok" if available else "busy", model_loaded=True, model_available=available,
                   tabs=len(state().service.tabs), stream=state().config.source is not None)
    return body, 200 if available else 503


@web.get("/api/model")
def model():
    return jsonify(model_json(state().service.predictor, state().config.weights))


@web.post("/api/predict")
def predict():
    """An image (raw ``image/*`` body or multipart ``image`` file) -> its faces."""
    image = request_image(request, state().config.max_pixels)
    start = time.perf_counter()
    faces = state().service.predict(image)
    return jsonify(faces_json(faces, image.shape[1], image.shape[0], 1000 * (time.perf_counter() - start)))


@web.post("/api/frame")
def frame():
    """A camera frame of browser tab ``?tab=ID`` (raw ``image/*`` body) -> its tracked, smoothed faces. A frame
    larger than ``max_frame_side`` is tracked at that size (the tab keeps it) and answered in its own pixels."""
    tab = request.args.get("tab", "")
    if not CLIENT_ID.match(tab):
        raise BadRequest("query parameter 'tab' must be 1-64 letters, digits, '-' or '_'")
    if not request.mimetype.startswith("image/"):
        raise UnsupportedMediaType(f"a frame is an image/* body, got {request.mimetype or 'no content type'}")
    image = decode_image(request.get_data(), state().config.max_pixels, "frame")
    small, factor = fit_within(image, state().config.max_frame_side)
    start = time.perf_counter()
    faces = state().service.tab(tab).predict_frame(small)
    return jsonify(faces_json(faces, image.shape[1], image.shape[0], 1000 * (time.perf_counter() - start),
                              scale=1 / factor))


def progress_id() -> str | None:
    """The upload's ``?progress=ID``, if any (400 when malformed)."""
    key = request.args.get("progress")
    if key is not None and not CLIENT_ID.match(key):
        raise BadRequest("query parameter 'progress' must be 1-64 letters, digits, '-' or '_'")
    return key


@web.post("/api/upload")
def upload():
    """An image or video (multipart ``file``) -> annotated result, per-frame log and plots (download URLs); with
    ``?progress=ID`` its frames done and total are readable at ``/api/progress/ID`` meanwhile."""
    config, jobs = state().config, state().jobs
    file = uploaded_file(request, "file", UPLOAD_TYPES)
    with reporting(state().progress, progress_id()) as report, jobs.new_job() as (job, folder):
        path = save_upload(file, folder)
        source = open_upload(path, file.filename or "", file.mimetype or "", config.max_pixels)
        report.start(min(source.expected_frames or config.max_upload_frames, config.max_upload_frames))
        result = process_upload(source, state().service, folder, config.max_upload_frames, config.bars,
                                report.frames_done)
    result["job"] = job
    result["urls"] = {key: f"/results/{job}/{name}" for key, name in result["files"].items()}
    return jsonify(result)


@web.get("/api/progress/<key>")
def progress(key: str):
    """``{"state": annotating|done|failed, "frames_done", "frames_total"}`` of an upload sent with
    ``?progress=key``; 404 before it starts annotating (its bytes are still arriving) or once forgotten."""
    entry = state().progress.get(key) if CLIENT_ID.match(key) else None
    if entry is None:
        raise NotFound("no upload in progress under this id")
    return jsonify(entry)


@web.get("/results/<job>/<name>")
def result_file(job: str, name: str):
    """A result file, served as its known type (never the upload itself, never HTML)."""
    path, mimetype = state().jobs.result_file(job, name)
    return send_file(path, mimetype=mimetype, as_attachment=request.args.get("download") == "1", download_name=name)


@web.get("/stream")
def stream():
    """MJPEG of ``--source`` annotated as live.py draws it."""
    config = state().config
    if config.source is None:
        raise NotFound("no server camera: start the server with --source (camera index or video file)")
    try:
        source = open_source(config.source)
    except FERError as exc:
        raise ServiceUnavailable(str(exc)) from None
    return Response(mjpeg_parts(source, config.source, state().service.stream(), config.bars), mimetype=MIMETYPE)
