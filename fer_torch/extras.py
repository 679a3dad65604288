"""Optional features and the packages they need: a missing one is a one-line error naming the pip line that
installs it (``pip install 'fer-torch[web]'``), never an ImportError traceback."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from fer_torch.errors import MissingDependency

EXTRAS = {
    "web": ("flask",),
    "onnx": ("onnx", "onnxruntime"),
    "tensorboard": ("tensorboard",),
    "bench": ("skimage",),
}
"""``pyproject.toml``'s extras by the module each one provides (``tests/test_packaging.py`` keeps them equal)."""

FACENET_INSTALL = "pip install --no-deps facenet-pytorch==2.6.0"
"""facenet-pytorch (MTCNN, FaceNet) is not an extra: its release pins torch<2.3 and numpy<2, which pip would obey
by downgrading torch; its code runs on today's versions, so it is installed without its pins."""


def install_line(module: str) -> str:
    """The pip line that provides ``module``."""
    if module == "facenet_pytorch":
        return FACENET_INSTALL
    extra = next((name for name, modules in EXTRAS.items() if module in modules), None)
    return f"pip install 'fer-torch[{extra}]'" if extra else f"pip install {module}"


def available(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def require(module: str, feature: str) -> ModuleType:
    """``module`` imported, or :class:`MissingDependency`: "<feature> needs <module>: <install line>"."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there but something it imports is broken: show that
        raise MissingDependency(f"{feature} needs {module.split('.')[0]}: {install_line(module.split('.')[0])}") from None
