"""The one reader of trained-model files: Lightning checkpoints, slim safetensors weights, TorchScript, ONNX.

Reading is I/O only: what a file holds lands on the CPU as stored (the plain network rebuilt from its record, a
TorchScript module, or an ONNX graph's bytes) with its class names, input spec and recorded arguments. Where and
in what precision it runs is decided once, above, by :func:`fer_torch.inference.classifier.build_backend`.

Nothing here unpickles arbitrary objects: checkpoints go through :func:`fer_torch.safe_load.load_checkpoint`
(``weights_only=True``), weights through safetensors, TorchScript through ``torch.jit.load`` and ONNX through
onnxruntime. Every failure is a one-line :class:`~fer_torch.errors.CheckpointError` naming the file.
"""

from __future__ import annotations

import json
import pickle
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fer_torch.errors import CheckpointError, FERError, first_line, one_line
from fer_torch.extras import require
from fer_torch.model_io.architecture import (NETWORK_PREFIX, build_network, migrated_hparams, recorded_class_names,
                                             recorded_input_spec)
from fer_torch.model_io.metadata import ARCHITECTURE_KEY, read_metadata
from fer_torch.safe_load import RefusedPickle, load_checkpoint
from fer_torch.spec import InputSpec

FORMATS = ("checkpoint", "weights", "torchscript", "onnx")
NETWORK_FORMATS = ("checkpoint", "weights")
"""The formats that record their network's ``FERClassifier`` arguments (the others hold a runnable graph)."""
TORCHSCRIPT_METADATA = "fer_torch.json"
"""Name of the extra file holding class names and input spec inside a TorchScript archive."""

_NOT_A_MODEL = "not a Lightning checkpoint, safetensors weights, TorchScript or ONNX model"


@dataclass
class ModelFile:
    """A model file read into memory on the CPU: the plain network (``checkpoint``/``weights``), a TorchScript
    module (``torchscript``) or the serialized graph (``onnx``), with its class names and input spec."""

    path: Path
    format: str
    class_names: tuple[str, ...]
    input_spec: InputSpec
    module: torch.nn.Module | None = None
    """The network in eval mode on the CPU, as stored (``None`` for ONNX)."""
    onnx: bytes | None = None
    """The ONNX graph, for onnxruntime to open on the device chosen for it (``None`` for the other formats)."""
    hparams: dict[str, Any] | None = None
    """The recorded ``FERClassifier`` arguments (checkpoints and weights; ``None`` for TorchScript and ONNX)."""


@dataclass
class NetworkRecord:
    """What a checkpoint or weights file records of its network, without building it: the ``FERClassifier``
    arguments and the tensors, on the CPU."""

    path: Path
    format: str
    hparams: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    """The file's tensors, keyed as in the LightningModule (:data:`NETWORK_PREFIX` + the network's keys)."""

    def build(self) -> nn.Module:
        """The plain network the record names (never fetching pretrained weights) holding the file's tensors, in
        eval mode."""
        try:
            network = build_network(self.hparams)
        except FERError as exc:
            raise CheckpointError(f"{self.path}: {exc}") from None
        return self.load_into(network).eval()

    def load_into(self, network: nn.Module) -> nn.Module:
        """``network`` (the architecture :attr:`hparams` names) holding the file's tensors; tensors that do not
        fit it are a :class:`CheckpointError` naming the file."""
        foreign = [key for key in self.state_dict if not key.startswith(NETWORK_PREFIX)]
        weights = {key[len(NETWORK_PREFIX):]: value for key, value in self.state_dict.items()
                   if key.startswith(NETWORK_PREFIX)}
        try:
            if foreign:
                raise RuntimeError(f"Unexpected key(s) in state_dict: {', '.join(foreign[:5])}")
            network.load_state_dict(weights)
        except RuntimeError as exc:
            raise CheckpointError(f"{self.path}: weights do not fit {self.hparams['arch']} with "
                                  f"{self.hparams.get('num_classes')} classes ({one_line(exc)[:300]})") from None
        return network


def read_model_file(path: str | Path) -> ModelFile:
    """Read any fer-torch model file into memory, on the CPU."""
    path = _existing(path)
    kind = sniff_format(path)
    if kind == "torchscript":
        return _read_torchscript(path)
    if kind == "onnx":
        return _read_onnx(path)
    return _network_file(_RECORD_READERS[kind](path))


def read_network_record(path: str | Path) -> NetworkRecord:
    """The recorded arguments and tensors of a checkpoint or weights file, without building the network: what
    :func:`fer_torch.lit.load_lightning_module` builds its ``FERClassifier`` from."""
    path = _existing(path)
    kind = sniff_format(path)
    if kind not in NETWORK_FORMATS:
        raise CheckpointError(f"{path}: a {kind} model holds no FERClassifier; "
                              "pass a Lightning checkpoint or weights file")
    return _RECORD_READERS[kind](path)


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    return path


def sniff_format(path: Path) -> str:
    """``checkpoint``, ``weights``, ``torchscript`` or ``onnx``, from the file's content (ONNX: its suffix)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            torchscript = any(name.split("/")[1:2] == ["code"] for name in archive.namelist())
        return "torchscript" if torchscript else "checkpoint"
    with path.open("rb") as f:
        head = f.read(9)
    if len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < path.stat().st_size:
        return "weights"
    return "onnx" if path.suffix.lower() == ".onnx" else "checkpoint"


def _read_checkpoint(path: Path) -> NetworkRecord:
    try:
        data = load_checkpoint(path)
    except RefusedPickle as exc:
        raise CheckpointError(f"{path}: {exc}" + (f" (found {exc.found})" if exc.found else "")) from None
    except pickle.UnpicklingError:  # torch's weights-only loader on a damaged pickle (its advice is never shown)
        raise CheckpointError(f"{path}: cannot load checkpoint ({_NOT_A_MODEL})") from None
    except Exception as exc:  # torch raises many types for a bad file; report one line
        # torch's reasons for a file that is no torch.save archive at all are bare key codes ("101"): say that.
        reason = first_line(exc) if zipfile.is_zipfile(path) else "not a torch.save file either"
        raise CheckpointError(f"{path}: cannot load checkpoint ({_NOT_A_MODEL}; {reason})") from None
    hparams = data.get("hyper_parameters") if isinstance(data, dict) else None
    if not isinstance(hparams, dict) or "arch" not in hparams or not isinstance(data.get("state_dict"), dict):
        raise CheckpointError(f"{path}: cannot load checkpoint (it holds no fer-torch model: expected a Lightning "
                              "checkpoint with hyper_parameters and state_dict)")
    return NetworkRecord(path, "checkpoint", migrated_hparams(hparams), data["state_dict"])


def _read_weights(path: Path) -> NetworkRecord:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            state_dict = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot load checkpoint ({_NOT_A_MODEL}: {first_line(exc)})") from None
    class_names, spec = read_metadata(metadata, path, "safetensors file")
    if ARCHITECTURE_KEY not in metadata:
        raise CheckpointError(f"{path}: safetensors file without {ARCHITECTURE_KEY} metadata; "
                              "write it with tools/export.py --format weights")
    hparams = {**json.loads(metadata[ARCHITECTURE_KEY]), "class_names": list(class_names),
               "input_spec": spec.to_dict()}
    return NetworkRecord(path, "weights", migrated_hparams(hparams), state_dict)


_RECORD_READERS = {"checkpoint": _read_checkpoint, "weights": _read_weights}


def _network_file(record: NetworkRecord) -> ModelFile:
    """The plain network rebuilt from its record, with the class names and input spec the record gives."""
    module = record.build()
    try:
        class_names, spec = recorded_class_names(record.hparams), recorded_input_spec(record.hparams)
    except FERError as exc:
        raise CheckpointError(f"{record.path}: {exc}") from None
    return ModelFile(record.path, record.format, class_names, spec, module=module, hparams=record.hparams)


def _read_torchscript(path: Path) -> ModelFile:
    extra = {TORCHSCRIPT_METADATA: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load's deprecation notice
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except Exception as exc:  # TorchScript raises RuntimeError and friends for a bad archive
        raise CheckpointError(f"{path}: cannot load TorchScript model ({first_line(exc)})") from None
    try:
        metadata = json.loads(extra[TORCHSCRIPT_METADATA] or "{}")
    except ValueError:
        metadata = {}
    class_names, spec = read_metadata(metadata, path, "TorchScript model")
    return ModelFile(path, "torchscript", class_names, spec, module=module.eval())


def _read_onnx(path: Path) -> ModelFile:
    """The graph's bytes and its metadata, read through a CPU session with no graph optimization (the cheapest
    way onnxruntime parses a model); the session that runs it is opened later, on the device chosen for it."""
    ort = require("onnxruntime", "running an ONNX model")
    graph = path.read_bytes()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise CheckpointError(f"{path}: cannot load ONNX model ({first_line(exc)})") from None
    class_names, spec = read_metadata(session.get_modelmeta().custom_metadata_map, path, "ONNX model")
    return ModelFile(path, "onnx", class_names, spec, onnx=graph)
