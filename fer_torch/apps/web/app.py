"""The Flask app: the :func:`create_app` factory (also a WSGI entry point for waitress or gunicorn) and the error
handlers that make every error a JSON body."""

from __future__ import annotations

import signal
import threading
from importlib import resources

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, RequestEntityTooLarge

from fer_torch.apps.web import security
from fer_torch.apps.web.config import ServeConfig
from fer_torch.apps.web.jobs import JobStore
from fer_torch.apps.web.progress import ProgressBoard
from fer_torch.apps.web.routes import WebState, web
from fer_torch.apps.web.service import InferenceService
from fer_torch.errors import ConfigError, DataError, FERError, SourceError
from fer_torch.inference.image_decoding import ImageTooLarge
from fer_torch.inference.predictor import Predictor

BAD_INPUT_ERRORS = (DataError, SourceError, ConfigError)
"""Library errors that a request's content causes (answered 400); other FERErrors are the server's (500)."""


def error_response(exc: HTTPException) -> tuple[Response, int]:
    """``{"error": <what was wrong>, "status": <code>}`` with the exception's status code (no server path in it)."""
    return jsonify(error=security.without_paths(str(exc.description)), status=exc.code), exc.code


def too_large_message(exc: HTTPException, config: ServeConfig) -> str:
    """A truthful 413 message: which limit the request broke."""
    if exc.description != RequestEntityTooLarge.description:  # ours: an image over the pixel budget
        return exc.description
    limit = f"the server's limit of {config.max_upload_mb:g} MB"
    declared = request.content_length or 0
    if declared > config.max_upload_mb * 2**20:
        return f"request body of {declared / 2**20:.1f} MB is larger than {limit}"
    return (f"form has too many parts (the limit is {config.max_form_parts}) or a text field over "
            f"{request.max_form_memory_size // 1024} KB")


def register_error_handlers(app: Flask, config: ServeConfig) -> None:
    """Every error is ``{"error", "status"}`` JSON; a 500 names only an id, with the details in the server log."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            exc = RequestEntityTooLarge(too_large_message(exc, config))
        elif exc.code == 500:
            exc = InternalServerError(security.internal_error_body(exc.original_exception or exc))
        return error_response(exc)

    @app.errorhandler(FERError)
    def fer_error(exc: FERError):
        if isinstance(exc, ImageTooLarge):
            return error_response(RequestEntityTooLarge(str(exc)))
        if isinstance(exc, BAD_INPUT_ERRORS):
            return error_response(BadRequest(str(exc)))
        return error_response(InternalServerError(security.internal_error_body(exc)))  # the model, not the client

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):  # a bug, not bad input
        return error_response(InternalServerError(security.internal_error_body(exc)))


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def exit_on_sigterm() -> None:
    """Make SIGTERM (systemd, ``docker stop``, ``timeout``) exit like Ctrl-C, so exit handlers run and the upload
    folder is removed. Only the main thread owns signal handlers, and a handler someone else set is kept."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_cleanly)


def create_app(predictor: Predictor | None = None, config: ServeConfig | None = None) -> Flask:
    """The web app around one loaded ``predictor``.

    With no arguments it is a WSGI factory for production servers, configured by :meth:`ServeConfig.from_env`,
    e.g. ``waitress-serve --threads 8 --channel-timeout 30 --call fer_torch.apps.web:create_app``.
    """
    config = config or ServeConfig.from_env()
    if predictor is None:
        predictor = Predictor.from_weights(config.weights)
    app = Flask(__name__, static_folder=str(resources.files("fer_torch.apps.web") / "static"), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = int(config.max_upload_mb * 2**20)
    app.config["MAX_FORM_PARTS"] = config.max_form_parts
    app.json.sort_keys = False  # probabilities stay in the model's class order
    service = InferenceService(predictor, config.smooth, config.smooth_method, config.max_tabs,
                               detect_every=config.detect_every, detect_scale=config.detect_scale)
    jobs = JobStore(config.results_dir, config.keep_results)
    if jobs.temporary:
        exit_on_sigterm()
    app.extensions["fer_torch"] = WebState(service, config, jobs, ProgressBoard())
    security.install(app, config.trusted_hosts)
    register_error_handlers(app, config)
    app.register_blueprint(web)
    return app
