"""fer-torch: facial expression recognition with PyTorch and Lightning."""

import os

# albumentations asks PyPI for its latest version at import unless this is set: importing fer-torch
# must never reach the network.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
