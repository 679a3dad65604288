"""Write a trained classifier as slim safetensors weights, ONNX or TorchScript, each carrying its class names and
input spec (:mod:`fer_torch.model_io.metadata`)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from fer_torch.errors import ConfigError
from fer_torch.extras import require
from fer_torch.inference.backends import export_onnx, plain_network
from fer_torch.inference.classifier import LoadedClassifier
from fer_torch.model_io.architecture import NETWORK_PREFIX
from fer_torch.model_io.metadata import ARCHITECTURE_KEY, model_metadata
from fer_torch.model_io.model_file import TORCHSCRIPT_METADATA

from fer_torch.choices import ONNX_OPSET  # noqa: E402  (named in export.py --help without torch)
"""ONNX opset of exported models: onnxruntime >= 1.14 runs it on CPU and CUDA, and it covers every op here."""


def _require_torch(classifier: LoadedClassifier) -> None:
    if classifier.module is None:
        raise ConfigError(f"{classifier.name}: export needs a PyTorch model (a checkpoint or weights file)")


def _network(classifier: LoadedClassifier) -> torch.nn.Module:
    """:func:`~fer_torch.inference.backends.plain_network`, refusing a model that is not PyTorch's."""
    _require_torch(classifier)
    return plain_network(classifier)


def _example(classifier: LoadedClassifier, batch: int = 2) -> torch.Tensor:
    spec = classifier.input_spec
    return torch.zeros(batch, spec.channels, *spec.image_size)


def write_weights(classifier: LoadedClassifier, path: Path) -> Path:
    """Slim release weights: the state dict as safetensors (no pickle, no optimizer state) plus metadata."""
    from safetensors.torch import save_file

    if classifier.architecture is None:
        raise ConfigError(f"{classifier.name}: --format weights needs a fer-torch checkpoint or weights file")
    metadata = model_metadata(classifier.class_names, classifier.input_spec)
    metadata[ARCHITECTURE_KEY] = json.dumps(classifier.architecture)
    network = getattr(classifier.module, "model", classifier.module)  # the plain network of a LightningModule
    state = {NETWORK_PREFIX + k: v.detach().float().cpu().contiguous().clone() for k, v in network.state_dict().items()}
    save_file(state, str(path), metadata=metadata)
    return path


def write_onnx(classifier: LoadedClassifier, path: Path, opset: int = ONNX_OPSET) -> Path:
    """ONNX with a dynamic batch axis (input ``input``, output ``logits``) and the metadata as model properties."""
    onnx = require("onnx", "ONNX export")
    _require_torch(classifier)
    export_onnx(classifier, Path(path), opset)
    model = onnx.load(str(path))
    for key, value in model_metadata(classifier.class_names, classifier.input_spec).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    return path


def write_torchscript(classifier: LoadedClassifier, path: Path) -> Path:
    """A traced TorchScript module; the metadata travels as the archive's ``fer_torch.json`` extra file."""
    metadata = json.dumps(model_metadata(classifier.class_names, classifier.input_spec))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        traced = torch.jit.trace(_network(classifier), _example(classifier))
        torch.jit.save(traced, str(path), _extra_files={TORCHSCRIPT_METADATA: metadata})
    return path


WRITERS: dict[str, tuple[str, Callable[[LoadedClassifier, Path], Path]]] = {
    "weights": (".safetensors", write_weights),
    "onnx": (".onnx", write_onnx),
    "torchscript": (".pt", write_torchscript),
}
"""Export format -> (default suffix, writer)."""
