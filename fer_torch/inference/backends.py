"""Which engine runs the classifier: torch, or onnxruntime on the same network exported in memory (never a file
that could go stale), chosen per machine by ``auto``: a short timed probe at batch 1, the live path's batch."""

from __future__ import annotations

import copy
import dataclasses
import io
import time
import warnings
from pathlib import Path

import torch

from fer_torch.choices import BACKEND_CHOICES, ONNX_OPSET
from fer_torch.errors import ConfigError
from fer_torch.extras import available
from fer_torch.device import onnx_providers
from fer_torch.inference.classifier import LoadedClassifier, OnnxBackend
from fer_torch.suggest import unknown_name

BACKENDS = BACKEND_CHOICES
PROBE_RUNS = 30


def plain_network(classifier: LoadedClassifier) -> torch.nn.Module:
    """A copy of the plain network (a FERClassifier's ``model``) in fp32 on the CPU; the caller's model is untouched."""
    module = classifier.module
    return copy.deepcopy(getattr(module, "model", module)).float().cpu().eval()


def export_onnx(classifier: LoadedClassifier, target: str | Path | io.BytesIO, opset: int = ONNX_OPSET) -> None:
    """The classifier's network as ONNX (input ``input``, output ``logits``, a dynamic batch axis) into a file or
    a buffer: what ``tools/export.py --format onnx`` writes and what ``--backend onnxruntime`` runs."""
    height, width = classifier.input_spec.image_size
    example = torch.zeros(2, classifier.input_spec.channels, height, width)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter's deprecation notice
        torch.onnx.export(plain_network(classifier), (example,), str(target) if isinstance(target, Path) else target,
                          dynamo=False, opset_version=opset, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def onnx_backend(classifier: LoadedClassifier) -> OnnxBackend:
    """The classifier's torch network exported to ONNX in memory (fp32) and opened in onnxruntime on the CPU."""
    graph = io.BytesIO()
    export_onnx(classifier, graph)
    return OnnxBackend(graph.getvalue(), *onnx_providers("cpu", "--backend onnxruntime"))


def batch1_ms(backend, classifier: LoadedClassifier, runs: int = PROBE_RUNS) -> float:
    """Median milliseconds of one batch-1 forward pass of ``backend`` (after 5 warm-up passes)."""
    height, width = classifier.input_spec.image_size
    batch = torch.rand(1, classifier.input_spec.channels, height, width)
    times = []
    with torch.inference_mode():
        for i in range(runs + 5):
            start = time.perf_counter()
            backend(batch)
            if i >= 5:
                times.append(1000 * (time.perf_counter() - start))
    return sorted(times)[len(times) // 2]


def with_backend(classifier: LoadedClassifier, backend: str = "auto") -> tuple[LoadedClassifier, str]:
    """``classifier`` running on ``backend`` (``auto``: onnxruntime when installed, on the CPU, and faster than
    torch in the probe) and one line saying what runs and why."""
    if backend not in BACKENDS:
        raise ConfigError(unknown_name("backend", backend, BACKENDS))
    torch_name = f"torch {classifier.precision}"
    if classifier.module is None:  # an .onnx file: onnxruntime is its only engine
        if backend == "torch":
            raise ConfigError(f"{classifier.name}: an ONNX model runs in onnxruntime; --backend torch needs a "
                              "checkpoint or weights file")
        return classifier, "onnxruntime (an ONNX model file)"
    if backend == "torch":
        return classifier, f"{torch_name} (--backend torch)"
    on_cpu = classifier.device.type == "cpu"
    if backend == "onnxruntime":
        if not on_cpu:
            raise ConfigError(f"--backend onnxruntime runs on the CPU; the model is on {classifier.device}")
        return dataclasses.replace(classifier, backend=onnx_backend(classifier)), "onnxruntime fp32 (--backend onnxruntime)"
    if not on_cpu:
        return classifier, f"{torch_name} (auto: the model is on {classifier.device})"
    if not available("onnxruntime"):
        return classifier, f"{torch_name} (auto: onnxruntime is not installed)"
    onnx = onnx_backend(classifier)
    torch_ms, onnx_ms = batch1_ms(classifier.backend, classifier), batch1_ms(onnx, classifier)
    probe = f"batch 1: onnxruntime {onnx_ms:.2f} ms, {torch_name} {torch_ms:.2f} ms"
    if onnx_ms < torch_ms:
        return dataclasses.replace(classifier, backend=onnx), f"onnxruntime fp32 (auto, probed at start: {probe})"
    return classifier, f"{torch_name} (auto, probed at start: {probe})"
