"""What ``/api/model`` and the page header say of the served model: architecture, size, input, classes and the
accuracy its card records; files are named by their name only (no server path ever leaves the server)."""

from __future__ import annotations

from pathlib import Path

from fer_torch.inference.predictor import Predictor
from fer_torch.model_io.model_card import read_model_card


def input_line(predictor: Predictor) -> str:
    """E.g. ``1x48x48 grayscale face crops``."""
    spec = predictor.input_spec
    height, width = spec.image_size
    colour = "grayscale" if spec.channels == 1 else "RGB"
    return f"{spec.channels}x{height}x{width} {colour} {spec.region} crops"


def parameter_count(predictor: Predictor) -> int | None:
    """The network's parameters (``None`` for an ONNX model)."""
    module = predictor.model
    return None if module is None else sum(p.numel() for p in module.parameters())


def model_json(predictor: Predictor, weights: str | Path | None = None) -> dict:
    """Architecture, parameters, classes, input, accuracy (``None`` when no card records it), region, detector,
    precision, backend, device, and the model file's name (``weights`` as configured, else the loaded file)."""
    classifier = predictor.classifier
    path = classifier.path or (Path(weights) if weights is not None else None)
    card = read_model_card(classifier.path)
    return {"architecture": (classifier.architecture or {}).get("arch"), "parameters": parameter_count(predictor),
            "class_names": list(predictor.class_names), "input": input_line(predictor),
            "input_spec": predictor.input_spec.to_dict(), "region": predictor.region,
            "accuracy": None if card is None else {"value": card.accuracy, "evaluated_on": card.evaluated_on,
                                                   "source": "model card"},
            "detector": type(predictor.detector).__name__, "precision": predictor.precision,
            "backend": predictor.backend_line, "device": str(predictor.device), "format": classifier.format,
            "weights": None if path is None else path.name}
