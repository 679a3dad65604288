"""The one reader of trained-model files: Lightning checkpoints, slim safetensors weights, TorchScript, ONNX.

Nothing here unpickles arbitrary objects: checkpoints go through ``torch.load(weights_only=True)``, weights
through safetensors, TorchScript through ``torch.jit.load`` and ONNX through onnxruntime. Every failure is a
one-line :class:`~fer_torch.errors.CheckpointError` naming the file.
"""

from __future__ import annotations

import json
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from fer_torch.device import onnx_session, select_device
from fer_torch.errors import CheckpointError, DeviceError, FERError
from fer_torch.extras import require
from fer_torch.model_io.architecture import (NETWORK_PREFIX, build_network, migrated_hparams, recorded_class_names,
                                             recorded_input_spec)
from fer_torch.model_io.metadata import ARCHITECTURE_KEY, _first_line, read_metadata
from fer_torch.safe_load import REFUSED_PICKLE, is_refused_pickle
from fer_torch.spec import InputSpec

FORMATS = ("checkpoint", "weights", "torchscript", "onnx")
TORCHSCRIPT_METADATA = "fer_torch.json"
"""Name of the extra file holding class names and input spec inside a TorchScript archive."""

_NOT_A_MODEL = "not a Lightning checkpoint, safetensors weights, TorchScript or ONNX model"


@dataclass
class ModelFile:
    """A model file read into memory: the plain network (``checkpoint``/``weights``), a TorchScript module or an
    onnxruntime session (``onnx``), with its class names, input spec and the device it was placed on."""

    path: Path
    format: str
    class_names: tuple[str, ...]
    input_spec: InputSpec
    device: torch.device
    module: torch.nn.Module | None = None
    session: Any = None  # onnxruntime.InferenceSession
    hparams: dict[str, Any] | None = None
    """The recorded ``FERClassifier`` arguments (checkpoints and weights; ``None`` for TorchScript and ONNX)."""


def read_model_file(path: str | Path, device: str | torch.device = "cpu") -> ModelFile:
    """Read any fer-torch model file onto ``device`` (``auto`` picks CUDA when the format's runtime has it)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    kind = sniff_format(path)
    if kind == "onnx":
        return _read_onnx(path, device)
    torch_device = select_device(device)
    reader = {"checkpoint": _read_checkpoint, "weights": _read_weights, "torchscript": _read_torchscript}[kind]
    return reader(path, torch_device)


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


def _read_checkpoint(path: Path, device: torch.device) -> ModelFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. torch's note on a legacy pickle protocol
            data = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(_refusal(path, exc)) from None
    except Exception as exc:  # torch raises many types for a bad file; report one line
        # torch's reasons for a file that is no torch.save archive at all are bare key codes ("101"): say that.
        reason = _first_line(exc) if zipfile.is_zipfile(path) else "not a torch.save file either"
        raise CheckpointError(f"{path}: cannot load checkpoint ({_NOT_A_MODEL}; {reason})") from None
    hparams = data.get("hyper_parameters") if isinstance(data, dict) else None
    if not isinstance(hparams, dict) or "arch" not in hparams or not isinstance(data.get("state_dict"), dict):
        raise CheckpointError(f"{path}: cannot load checkpoint (it holds no fer-torch model: expected a Lightning "
                              "checkpoint with hyper_parameters and state_dict)")
    return _network_file(path, "checkpoint", hparams, data["state_dict"], device)


def _refusal(path: Path, exc: BaseException) -> str:
    """One line for torch's weights-only refusal, without its advice to load the file with ``weights_only=False``."""
    if not is_refused_pickle(exc):
        return f"{path}: cannot load checkpoint ({_NOT_A_MODEL})"
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
    return f"{path}: {REFUSED_PICKLE}" + (f" (found {found.group(1)})" if found else "")


def _read_weights(path: Path, device: torch.device) -> ModelFile:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            state_dict = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot load checkpoint ({_NOT_A_MODEL}: {_first_line(exc)})") from None
    class_names, spec = read_metadata(metadata, path, "safetensors file")
    if ARCHITECTURE_KEY not in metadata:
        raise CheckpointError(f"{path}: safetensors file without {ARCHITECTURE_KEY} metadata; "
                              "write it with tools/export.py --format weights")
    hparams = {**json.loads(metadata[ARCHITECTURE_KEY]), "class_names": list(class_names),
               "input_spec": spec.to_dict()}
    return _network_file(path, "weights", hparams, state_dict, device)


def _network_file(path: Path, kind: str, hparams: dict[str, Any], state_dict: dict[str, torch.Tensor],
                  device: torch.device) -> ModelFile:
    """The plain network rebuilt from its recorded arguments (never fetching pretrained weights) and weights."""
    hparams = migrated_hparams(hparams)
    try:
        network = build_network(hparams)
        class_names, spec = recorded_class_names(hparams), recorded_input_spec(hparams)
    except FERError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    foreign = [key for key in state_dict if not key.startswith(NETWORK_PREFIX)]
    weights = {key[len(NETWORK_PREFIX):]: value for key, value in state_dict.items() if key.startswith(NETWORK_PREFIX)}
    try:
        if foreign:
            raise RuntimeError(f"Unexpected key(s) in state_dict: {', '.join(foreign[:5])}")
        network.load_state_dict(weights)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise CheckpointError(f"{path}: weights do not fit {hparams['arch']} with {hparams.get('num_classes')} "
                              f"classes ({detail[:300]})") from None
    return ModelFile(path, kind, class_names, spec, device, module=network.to(device).eval(), hparams=hparams)


def _read_torchscript(path: Path, device: torch.device) -> ModelFile:
    extra = {TORCHSCRIPT_METADATA: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load's deprecation notice
            module = torch.jit.load(str(path), map_location=device, _extra_files=extra)
    except Exception as exc:  # TorchScript raises RuntimeError and friends for a bad archive
        raise CheckpointError(f"{path}: cannot load TorchScript model ({_first_line(exc)})") from None
    try:
        metadata = json.loads(extra[TORCHSCRIPT_METADATA] or "{}")
    except ValueError:
        metadata = {}
    class_names, spec = read_metadata(metadata, path, "TorchScript model")
    return ModelFile(path, "torchscript", class_names, spec, device, module=module.eval())


def onnx_providers(device: str | torch.device) -> tuple[list, torch.device]:
    """onnxruntime execution providers for ``device`` (``auto``: CUDA when onnxruntime has it) and that device."""
    ort = require("onnxruntime", "running an ONNX model")

    name = str(device).strip().lower()
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if name == "auto":
        name = "cuda" if has_cuda else "cpu"
    if name == "cpu":
        return ["CPUExecutionProvider"], torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not has_cuda:
            raise DeviceError(f"device {name!r} requested but this onnxruntime has no CUDAExecutionProvider "
                              "(install onnxruntime-gpu); use --device cpu or --device auto")
        torch_device = torch.device(name)
        return [("CUDAExecutionProvider", {"device_id": torch_device.index or 0}), "CPUExecutionProvider"], torch_device
    raise DeviceError(f"unknown device {name!r}; choose from auto, cpu, cuda, cuda:N")


def _read_onnx(path: Path, device: str | torch.device) -> ModelFile:
    providers, torch_device = onnx_providers(device)
    try:
        session = onnx_session(str(path), providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise CheckpointError(f"{path}: cannot load ONNX model ({_first_line(exc)})") from None
    class_names, spec = read_metadata(session.get_modelmeta().custom_metadata_map, path, "ONNX model")
    outputs = session.get_outputs()[0].shape[-1]
    if isinstance(outputs, int) and outputs != len(class_names):
        raise CheckpointError(f"{path}: the model gives {outputs} class scores for {len(class_names)} class names")
    return ModelFile(path, "onnx", class_names, spec, torch_device, session=session)
