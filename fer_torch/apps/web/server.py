"""Serve a WSGI app with Werkzeug's threaded server: in the foreground (``tools/serve.py``) or in a background
thread (tests, benchmarks). Each connection has a socket timeout, so a client that stalls mid-request frees its
thread; the ``Server`` header names no software versions."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from fer_torch.errors import ConfigError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SOCKET_TIMEOUT_S = 30.0
"""Seconds a connection may stay silent (mid-upload or between keep-alive requests) before it is closed."""


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with a socket timeout and a ``Server`` header that names no versions."""

    timeout = SOCKET_TIMEOUT_S  # socketserver applies it to the connection in setup()

    @property
    def server_version(self) -> str:  # type: ignore[override]
        return "fer-torch"

    def version_string(self) -> str:
        return self.server_version


class QuietRequestHandler(RequestHandler):
    """Logs nothing per request (tests and benchmarks)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def make_http_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, log_requests: bool = True,
                     socket_timeout: float = SOCKET_TIMEOUT_S) -> BaseWSGIServer:
    """A threaded HTTP server for ``app`` on ``host:port`` (port 0: any free port); ``log_requests`` prints one
    line per request on stderr; a connection silent for ``socket_timeout`` seconds is closed."""
    base = RequestHandler if log_requests else QuietRequestHandler
    handler = type(base.__name__, (base,), {"timeout": socket_timeout})
    try:
        return make_server(host, port, app, threaded=True, request_handler=handler)
    except (OSError, SystemExit) as exc:  # Werkzeug exits when the port is taken
        raise ConfigError(f"cannot listen on {host}:{port} ({exc or 'address in use'})") from None


class BackgroundServer:
    """``with BackgroundServer(app) as url:`` serves ``app`` on a free loopback port for the block's duration."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0,
                 socket_timeout: float = SOCKET_TIMEOUT_S) -> None:
        self.server = make_http_server(app, host, port, log_requests=False, socket_timeout=socket_timeout)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()
