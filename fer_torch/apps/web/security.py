"""The app's trust boundary in HTTP terms: response headers that keep any served byte inert, cross-origin POSTs
refused, trusted hosts, and error bodies that reveal nothing of the server."""

from __future__ import annotations

import io
import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask, Request, Response, request
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
"""Sent with every response: the browser never sniffs a type, runs inline or foreign script, or frames the page."""

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")

log = logging.getLogger("fer_torch.web")


def add_security_headers(response: Response) -> Response:
    """``after_request`` hook: :data:`SECURITY_HEADERS` on every response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def check_same_origin(req: Request = request) -> None:
    """``before_request`` hook: a state-changing request sent by a page of another origin is refused (403).

    Browsers name the sending page in ``Origin`` (and ``Sec-Fetch-Site``); clients that are not browsers send
    neither and are let through, since they cannot be made to send a user's request by a foreign page."""
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return
    if req.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise Forbidden("cross-site request refused")
    origin = req.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != req.host.lower():
        raise Forbidden(f"cross-origin request from {origin[:100]!r} refused")


CHUNKED_TOO_LARGE = "fer_torch.chunked_body_too_large"


class ChunkedBodyLimit:
    """WSGI middleware: a body sent in chunks (no ``Content-Length``) is read here, spooled to disk beyond 1 MB, and
    handed on with its exact length; one over ``max_bytes`` is flagged, and :func:`refuse_flagged_body` answers
    413 (Werkzeug alone would cut such a body at the limit and answer as if it were whole)."""

    def __init__(self, wsgi_app: Callable, max_bytes: int) -> None:
        self.wsgi_app, self.max_bytes = wsgi_app, max_bytes

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not environ.get("CONTENT_LENGTH") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
            size, stream = 0, environ["wsgi.input"]
            while size <= self.max_bytes and (chunk := stream.read(min(1 << 16, self.max_bytes + 1 - size))):
                spool.write(chunk)
                size += len(chunk)
            if size > self.max_bytes:
                spool.close()
                environ[CHUNKED_TOO_LARGE] = True
                spool, size = io.BytesIO(), 0
            spool.seek(0)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = spool, str(size)
        return self.wsgi_app(environ, start_response)


def refuse_flagged_body() -> None:
    """``before_request`` hook: 413 for a chunked body :class:`ChunkedBodyLimit` found over the limit."""
    if request.environ.get(CHUNKED_TOO_LARGE):
        limit = request.max_content_length or 0
        raise RequestEntityTooLarge(f"request body (sent in chunks) is larger than the server's limit of "
                                    f"{limit / 2**20:g} MB")


def trusted_hosts_for(bind_host: str, trusted: list[str] | None) -> list[str] | None:
    """The ``Host`` names the app answers: ``trusted`` when given, the loopback names when it is bound to a
    loopback address (so a DNS-rebinding page cannot reach it), else any (``None``)."""
    if trusted:
        return list(trusted)
    return list(LOOPBACK_NAMES) if bind_host in LOOPBACK_NAMES else None


ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:/[\w.@+~-]+){2,}")


def without_paths(text: str) -> str:
    """``text`` with every absolute path cut to its last part: an answer never shows where the server keeps
    files (e.g. a refused video named by its path in the job folder)."""
    return ABSOLUTE_PATH.sub(lambda match: match.group(0).rsplit("/", 1)[1], text)


def internal_error_body(exc: BaseException) -> str:
    """Log ``exc`` with its traceback under a fresh id and return the client's message, which names only the id."""
    error_id = uuid.uuid4().hex[:12]
    log.error("internal error %s: %s: %s", error_id, type(exc).__name__, exc, exc_info=exc)
    return f"internal server error (id {error_id}); the details are in the server log"


def install(app: Flask, trusted_hosts: list[str] | None) -> None:
    """Wire the hooks into ``app`` (after its ``MAX_CONTENT_LENGTH`` is set); ``trusted_hosts`` (``None``: any)
    becomes Flask's ``TRUSTED_HOSTS``."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    app.before_request(refuse_flagged_body)
    app.before_request(check_same_origin)
    app.after_request(add_security_headers)
