"""The classifier's engine: torch or onnxruntime (the same network exported in memory), chosen by a batch-1 probe."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fer_torch.cli.common import run_tool
from fer_torch.cli.live import main as live_main
from fer_torch.errors import ConfigError
from fer_torch.fixtures.synthetic_images import make_synthetic_samples
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.inference import backends
from fer_torch.inference.backends import with_backend
from fer_torch.inference.classifier import LoadedClassifier, OnnxBackend, TorchBackend


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(untrained_classifier("resnet_fer"), tmp_path_factory.mktemp("backends") / "model.ckpt")


@pytest.fixture(scope="module")
def crops():
    return list(make_synthetic_samples(6, seed=3).images)


def test_onnxruntime_runs_the_same_network(checkpoint, crops):
    torch_model = LoadedClassifier.from_weights(checkpoint, "cpu", "fp32")
    onnx_model, line = with_backend(torch_model, "onnxruntime")
    assert isinstance(onnx_model.backend, OnnxBackend) and isinstance(torch_model.backend, TorchBackend)
    assert line == "onnxruntime fp32 (--backend onnxruntime)" and onnx_model.precision == "fp32"
    expected, got = torch_model.predict_proba(crops), onnx_model.predict_proba(crops)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    assert torch.equal(got.argmax(1), expected.argmax(1))


def test_the_export_leaves_a_bf16_model_untouched(checkpoint, crops):
    bf16 = LoadedClassifier.from_weights(checkpoint, "cpu", "bf16")
    before = bf16.predict_proba(crops)
    with_backend(bf16, "onnxruntime")
    assert next(bf16.module.parameters()).dtype == torch.bfloat16
    assert torch.equal(bf16.predict_proba(crops), before)


@pytest.mark.parametrize(("onnx_ms", "torch_ms", "chosen"), [(1.0, 5.0, OnnxBackend), (5.0, 1.0, TorchBackend)])
def test_auto_takes_the_faster_engine_of_the_probe(checkpoint, monkeypatch, onnx_ms, torch_ms, chosen):
    monkeypatch.setattr(backends, "batch1_ms",
                        lambda backend, classifier: onnx_ms if isinstance(backend, OnnxBackend) else torch_ms)
    model, line = with_backend(LoadedClassifier.from_weights(checkpoint, "cpu", "fp32"), "auto")
    assert isinstance(model.backend, chosen)
    assert "probed at start: batch 1: onnxruntime" in line and f"{onnx_ms:.2f} ms" in line


def test_auto_without_onnxruntime_keeps_torch(checkpoint, monkeypatch):
    monkeypatch.setattr(backends, "available", lambda module: False)
    model, line = with_backend(LoadedClassifier.from_weights(checkpoint, "cpu", "fp32"), "auto")
    assert isinstance(model.backend, TorchBackend) and line == "torch fp32 (auto: onnxruntime is not installed)"


def test_bad_backend_choices_are_one_line_errors(checkpoint, tmp_path, capsys):
    model = LoadedClassifier.from_weights(checkpoint, "cpu", "fp32")
    with pytest.raises(ConfigError, match="unknown backend 'tensorrt'"):
        with_backend(model, "tensorrt")
    assert run_tool(live_main, ["--backend", "tensorrt", "--source", "x.jpg", "--no-display"]) == 2
    assert "invalid choice: 'tensorrt'" in capsys.readouterr().err


def test_live_names_the_engine_it_runs(checkpoint, tmp_path, capsys):
    import cv2

    from fer_torch.fixtures.synthetic_video import face_frames

    photo = tmp_path / "face.jpg"
    cv2.imwrite(str(photo), next(face_frames(1, size=(480, 360), motion=False)))
    for backend, expected in (("onnxruntime", "onnxruntime fp32"), ("torch", "torch fp32")):
        assert run_tool(live_main, ["--weights", str(checkpoint), "--source", str(photo), "--no-display",
                                    "--precision", "fp32", "--backend", backend]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        assert f"on cpu: {expected} (--backend {backend})" in first
