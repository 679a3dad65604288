"""Files that ship with the repository (importable without torch, OpenCV or Lightning)."""

from pathlib import Path

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "fer_default.safetensors"
"""The model shipped with the repository: slim safetensors weights (``tools/export.py --format weights``)."""
