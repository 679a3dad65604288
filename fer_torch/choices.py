"""Option values the tools list in ``--help``, importable without torch, OpenCV or Lightning.

The modules that implement each choice import their tuple from here, so ``--help`` and argument errors
never wait for those libraries to load. Data readers and face detectors are registries instead
(:mod:`fer_torch.data.reader_registry`, :mod:`fer_torch.inference.detector_registry`).
"""

VOTES = ("mean", "majority")  # fer_torch.evaluation.ensemble
TTA_MODES = ("none", "flip", "tencrop")  # fer_torch.inference.tta
PRECISION_CHOICES = ("auto", "fp32", "bf16")  # fer_torch.device (auto + its PRECISIONS)
SMOOTHING_METHODS = ("mean", "majority")
MIN_FACE_SIZE = (30, 30)  # fer_torch.inference.detectors: smallest face (w, h) px the detectors look for by default
HAAR_SCALE_FACTOR = 1.3  # seed 004's detectMultiScale(gray, 1.3, 5): Haar's image pyramid step ...
HAAR_MIN_NEIGHBORS = 5  # ... and the detections needed per face  # fer_torch.inference.smoothing
CURVES_FILENAME = "training_curves.png"  # fer_torch.evaluation.plots
EXPORT_FORMATS = ("weights", "onnx", "torchscript")  # the keys of fer_torch.export.writers.WRITERS
ONNX_OPSET = 17  # fer_torch.export.writers
LIVE_DETECT_EVERY = 5
"""live.py's default ``--detect-every``: the detector runs on one frame in 5, flow tracking moves boxes in between."""
LIVE_DETECT_SCALE = 0.8
"""live.py's default ``--detect-scale``: new faces from 60 px (``RELIABLE_FACE_PX / 0.8`` of
fer_torch.inference.detectors; webcam faces are rarely smaller) are found; a tracked face is never scanned below
``RELIABLE_FACE_PX`` (see ``ScaledDetector.scale_for``)."""

BACKEND_CHOICES = ("auto", "torch", "onnxruntime")
"""Engines that run a classifier (``fer_torch.inference.backends``); ``auto`` probes which is faster at batch 1."""
