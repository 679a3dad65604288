"""``tools/serve.py``: the web app (camera page, MJPEG stream, uploads, JSON API) over one loaded model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_torch.choices import PRECISION_CHOICES
from fer_torch.cli.common import ToolArgumentParser
from fer_torch.cli.live import add_stream_arguments, check_fast_detection, detector_options
from fer_torch.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="serve.py", description=__doc__)
    parser.add_argument("--weights", type=Path, default=None, help="checkpoint (default: weights/fer_default.safetensors)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1, this machine only; 0.0.0.0 serves the network)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--source", help="camera index or video file streamed, annotated, at /stream (default: none)")
    parser.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                        help="model precision: auto (default), fp32 or bf16")
    add_stream_arguments(parser)  # per browser tab and per stream
    parser.add_argument("--max-upload-mb", type=float, default=50.0, help="largest accepted upload (default: 50)")
    parser.add_argument("--max-megapixels", type=float, default=40.0,
                        help="largest accepted image or video frame, checked on its header before decoding "
                             "(default: 40)")
    parser.add_argument("--trusted-hosts", type=lambda text: [h.strip() for h in text.split(",") if h.strip()],
                        help="comma-separated Host names the server answers (default: the loopback names when "
                             "bound to loopback, else any)")
    parser.add_argument("--socket-timeout", type=float, default=30.0,
                        help="seconds a connection may stall mid-request before it is closed (default: 30)")
    parser.add_argument("--max-upload-frames", type=int, default=3000,
                        help="annotate at most N frames of an uploaded video (default: 3000)")
    parser.add_argument("--results-dir", type=Path,
                        help="where upload results are written (default: a temporary folder)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default: 1; requests share one model, one at a time)")
    return parser


def validate(args: argparse.Namespace) -> None:
    """One-line errors for out-of-range options."""
    check_fast_detection(args)
    for name in ("smooth", "threads", "max_upload_frames"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    for name in ("max_upload_mb", "max_megapixels", "socket_timeout"):
        if getattr(args, name) <= 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be > 0, got {getattr(args, name)}")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0-65535, got {args.port}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    validate(args)
    from fer_torch.device import torch_threads

    with torch_threads(args.threads):
        return serve(args)


def serve(args: argparse.Namespace) -> int:
    """Load the model once, build the app and serve it until Ctrl-C or SIGTERM (both remove the upload folder)."""
    from fer_torch.extras import require

    require("flask", "the web app")
    from fer_torch.paths import default_weights
    from fer_torch.inference.predictor import Predictor
    from fer_torch.apps.web.app import create_app, exit_on_sigterm
    from fer_torch.apps.web.config import ServeConfig
    from fer_torch.apps.web.security import trusted_hosts_for
    from fer_torch.apps.web.server import LOOPBACK_HOSTS, make_http_server

    predictor = Predictor.from_weights(args.weights, device=args.device, detector=args.detector,
                                       precision=args.precision, backend=args.backend, **detector_options(args))
    config = ServeConfig(weights=args.weights or default_weights(), source=args.source, smooth=args.smooth,
                         smooth_method=args.smooth_method, detect_every=args.detect_every,
                         detect_scale=args.detect_scale, max_upload_mb=args.max_upload_mb,
                         max_upload_frames=args.max_upload_frames, results_dir=args.results_dir,
                         max_pixels=int(args.max_megapixels * 1e6),
                         trusted_hosts=trusted_hosts_for(args.host, args.trusted_hosts))
    exit_on_sigterm()
    app = create_app(predictor, config)
    server = make_http_server(app, args.host, args.port, socket_timeout=args.socket_timeout)
    if args.host not in LOOPBACK_HOSTS:
        print(f"note: listening on {args.host}: other machines can reach this server", file=sys.stderr)
    print(f"fer-torch web app on http://{args.host}:{server.port} ({predictor.region} model on {predictor.device}: "
          f"{predictor.backend_line}, {args.threads} thread(s)); Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        print("fer-torch web app stopped", file=sys.stderr, flush=True)
    finally:
        server.server_close()
        app.extensions["fer_torch"].jobs.close()
    return 0
