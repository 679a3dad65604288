"""The model-file layer reads (I/O only, on the CPU); the inference layer decides device and precision once
(build_backend); torch.load and the refused-pickle message live in fer_torch/safe_load.py alone."""

from __future__ import annotations

import ast
import inspect
import pickle
from pathlib import Path

import pytest
import torch

import fer_torch
from fer_torch import device as device_module
from fer_torch.errors import CheckpointError, ConfigError, DeviceError, first_line, one_line
from fer_torch.export.writers import WRITERS
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference.classifier import LoadedClassifier, OnnxBackend, TorchBackend, build_backend
from fer_torch.model_io import model_file
from fer_torch.model_io.model_file import read_model_file, read_network_record
from fer_torch.safe_load import REFUSED_PICKLE, RefusedPickle, load_checkpoint, refused_pickle

PACKAGE = Path(fer_torch.__file__).parent


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The same bn_cnn as a checkpoint and in every export format."""
    root = tmp_path_factory.mktemp("model_io")
    checkpoint = save_checkpoint(untrained_classifier("bn_cnn", seed=5), root / "model.ckpt")
    classifier = LoadedClassifier.from_weights(checkpoint, "cpu")
    paths = {"checkpoint": checkpoint}
    for fmt, (suffix, write) in WRITERS.items():
        paths[fmt] = write(classifier, root / f"model{suffix}")
    return paths


# -- reading: I/O only ----------------------------------------------------------------------------------------------
def test_read_model_file_takes_no_device():
    assert list(inspect.signature(read_model_file).parameters) == ["path"]


@pytest.mark.parametrize("fmt", ["checkpoint", "weights", "torchscript"])
def test_torch_formats_are_read_onto_the_cpu_in_fp32(files, fmt):
    loaded = read_model_file(files[fmt])
    assert loaded.format == fmt and loaded.onnx is None and not loaded.module.training
    tensors = [*loaded.module.parameters(), *loaded.module.buffers()]
    assert tensors and all(t.device.type == "cpu" for t in tensors)
    assert {t.dtype for t in loaded.module.parameters()} == {torch.float32}
    assert (loaded.hparams is None) == (fmt == "torchscript")


def test_onnx_is_read_as_its_bytes_and_metadata(files):
    loaded = read_model_file(files["onnx"])
    assert loaded.module is None and loaded.onnx == files["onnx"].read_bytes()
    assert len(loaded.class_names) == 7 and loaded.input_spec.image_size == (48, 48)


def test_network_record_holds_arguments_and_tensors_without_building(files, monkeypatch):
    monkeypatch.setattr(model_file, "build_network", lambda *a, **k: pytest.fail("the record built a network"))
    record = read_network_record(files["checkpoint"])
    assert record.hparams["arch"] == "bn_cnn" and all(key.startswith("model.") for key in record.state_dict)
    with pytest.raises(CheckpointError, match="onnx model holds no FERClassifier"):
        read_network_record(files["onnx"])


def test_load_lightning_module_builds_the_network_once(files, monkeypatch):
    from fer_torch.lit import checkpoint, classifier
    from fer_torch.model_io import architecture

    built = []
    real = architecture.build_network

    def counting(*args, **kwargs):
        built.append(args[0]["arch"])
        return real(*args, **kwargs)

    monkeypatch.setattr(classifier, "build_network", counting)
    monkeypatch.setattr(model_file, "build_network", counting)
    module = checkpoint.load_lightning_module(files["weights"])
    assert built == ["bn_cnn"] and not module.training
    reference = read_model_file(files["checkpoint"]).module
    x = torch.randn(2, 1, 48, 48)
    torch.testing.assert_close(module(x), reference(x))


# -- one decision: build_backend ------------------------------------------------------------------------------------
def test_build_backend_resolves_device_and_precision(files):
    loaded = read_model_file(files["checkpoint"])
    backend = build_backend(loaded, "cpu", "bf16")
    assert isinstance(backend, TorchBackend) and backend.device == torch.device("cpu")
    assert backend.precision == "bf16" and next(backend.module.parameters()).dtype == torch.bfloat16
    auto = build_backend(read_model_file(files["weights"]), "auto", "auto")
    assert auto.device == device_module.select_device("auto")
    assert auto.precision == device_module.resolve_precision("auto", auto.device)
    with pytest.raises(ConfigError, match="precision must be one of auto, fp32, bf16"):
        build_backend(loaded, "cpu", "fp16")
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        build_backend(loaded, "gpu", "fp32")


def test_build_backend_runs_onnx_in_fp32_and_refuses_bf16(files):
    loaded = read_model_file(files["onnx"])
    for precision in ("fp32", "auto"):
        backend = build_backend(loaded, "cpu", precision)
        assert isinstance(backend, OnnxBackend) and backend.precision == "fp32" and backend.device.type == "cpu"
    with pytest.raises(ConfigError, match=r"model.onnx: precision bf16 applies to PyTorch models; ONNX models run "
                                          r"in fp32$"):
        build_backend(loaded, "cpu", "bf16")


def test_build_backend_checks_the_onnx_output_width(files):
    loaded = read_model_file(files["onnx"])
    loaded.class_names = loaded.class_names[:6]
    with pytest.raises(CheckpointError, match="model.onnx: the model gives 7 class scores for 6 class names"):
        build_backend(loaded, "cpu")


def test_onnx_providers_parse_device_names_like_select_device(monkeypatch):
    import onnxruntime

    assert device_module.onnx_providers("cpu") == (["CPUExecutionProvider"], torch.device("cpu"))
    with pytest.raises(DeviceError, match="unknown device 'gpu'; choose from auto, cpu, cuda, cuda:N"):
        device_module.onnx_providers("gpu")
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert device_module.onnx_providers("auto")[1] == torch.device("cpu")
    with pytest.raises(DeviceError, match="'cuda:1' requested but this onnxruntime has no CUDAExecutionProvider"):
        device_module.onnx_providers("cuda:1")
    with_cuda = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: with_cuda)
    providers, device = device_module.onnx_providers("cuda:1")
    assert device == torch.device("cuda:1") and providers[0] == ("CUDAExecutionProvider", {"device_id": 1})


# -- one safe loader ------------------------------------------------------------------------------------------------
class Payload:
    def __reduce__(self):
        return print, ("never printed",)


def test_load_checkpoint_refuses_a_pickle_with_one_message(tmp_path):
    path = tmp_path / "payload.pt"
    torch.save({"x": Payload()}, path)
    with pytest.raises(RefusedPickle) as info:
        load_checkpoint(path)
    assert str(info.value) == REFUSED_PICKLE and info.value.found == "print"
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(CheckpointError, match=r"payload.pt: refused: .* \(found print\)$"):
        read_model_file(path)
    assert refused_pickle(pickle.UnpicklingError("damaged")) is None
    torch.save({"w": torch.ones(2)}, tmp_path / "plain.pt")
    assert torch.equal(load_checkpoint(tmp_path / "plain.pt")["w"], torch.ones(2))


def _package_sources() -> dict[str, ast.Module]:
    return {str(path.relative_to(PACKAGE)): ast.parse(path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))}


def test_torch_load_is_called_only_in_safe_load():
    callers = set()
    for name, tree in _package_sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "load" and ast.unparse(node.value) in (
                    "torch", "torch.serialization"):
                callers.add(name)
            if isinstance(node, ast.ImportFrom) and node.module in ("torch", "torch.serialization"):
                if any(alias.name == "load" for alias in node.names):
                    callers.add(name)
    assert callers == {"safe_load.py"}


def test_the_refused_pickle_message_and_the_first_line_helper_are_written_once():
    words = "refused: it holds Python objects"
    assert [p.name for p in PACKAGE.rglob("*.py") if words in p.read_text()] == ["safe_load.py"]
    inline = [name for name, tree in _package_sources().items() for node in ast.walk(tree)
              if isinstance(node, ast.Subscript) and ast.unparse(node).endswith(".splitlines()[0]")]
    assert inline == ["errors.py"]
    assert first_line(ValueError("  one\ntwo")) == "one" and first_line(KeyError()) == "KeyError"
    assert one_line("a\n  b \n\nc") == "a b c"
