"""The web layer above :mod:`fer_torch.inference`: a Flask app (camera page, MJPEG stream, uploads, JSON API).

No model code lives here: every prediction goes through one :class:`~fer_torch.inference.Predictor`, loaded once.

    from fer_torch.inference import Predictor
    from fer_torch.apps.web import ServeConfig, create_app
    app = create_app(Predictor.from_weights(), ServeConfig())
"""

from fer_torch.apps.web.app import create_app
from fer_torch.apps.web.config import ServeConfig
from fer_torch.apps.web.server import BackgroundServer, make_http_server

__all__ = ["BackgroundServer", "ServeConfig", "create_app", "make_http_server"]
