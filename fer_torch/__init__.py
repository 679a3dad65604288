"""fer-torch: facial expression recognition with PyTorch and Lightning."""

__version__ = "0.1.0"
