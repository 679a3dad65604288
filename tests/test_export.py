"""Deployable models: slim weights, ONNX and TorchScript export, the one model-file reader and its refusals."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from skimage import data

from fer_torch.cli.common import run_tool
from fer_torch.cli.evaluate import main as evaluate_main
from fer_torch.cli.export import main as export_main
from fer_torch.errors import CheckpointError
from fer_torch.export.exporter import ExportError, export_model, verification_images
from fer_torch.model_io.metadata import CLASS_NAMES_KEY
from fer_torch.export.writers import WRITERS, write_weights
from fer_torch.inference import HaarFaceDetector, Predictor
from fer_torch.inference.classifier import LoadedClassifier
from fer_torch.paths import DEFAULT_WEIGHTS
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier
from fer_torch.labels import FER2013_CLASSES

SUFFIX = {fmt: suffix for fmt, (suffix, _) in WRITERS.items()}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return save_checkpoint(untrained_classifier("bn_cnn", seed=3), tmp_path_factory.mktemp("ckpt") / "bn_cnn.ckpt")


@pytest.fixture(scope="module")
def classifier(checkpoint) -> LoadedClassifier:
    return LoadedClassifier.from_weights(checkpoint, device="cpu")


@pytest.fixture(scope="module")
def crops(classifier):
    return verification_images(classifier, 20)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, classifier, crops) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exported")
    return {fmt: export_model(classifier, fmt, root / f"model{SUFFIX[fmt]}", crops)[0] for fmt in WRITERS}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_exported_model_predicts_like_pytorch_at_any_batch_size(fmt, exported, classifier, crops):
    loaded = LoadedClassifier.from_weights(exported[fmt], device="cpu")
    assert loaded.format == fmt and loaded.class_names == FER2013_CLASSES
    assert loaded.input_spec == classifier.input_spec
    for batch_size in (1, 7, 20):  # dynamic batch axis
        probs = loaded.predict_proba(crops, batch_size=batch_size)
        assert probs.shape == (20, 7)
        torch.testing.assert_close(probs, classifier.predict_proba(crops), atol=1e-5, rtol=0)


def test_weights_file_is_safetensors_without_pickle(exported):
    from safetensors import safe_open

    path = exported["weights"]
    with safe_open(str(path), framework="pt") as f:  # safetensors: no pickle at all
        assert json.loads(f.metadata()[CLASS_NAMES_KEY]) == list(FER2013_CLASSES)
        assert all(key.startswith("model.") for key in f.keys())


def test_shipped_default_is_a_slim_weights_file():
    assert DEFAULT_WEIGHTS.suffix == ".safetensors" and DEFAULT_WEIGHTS.stat().st_size <= 12e6
    default = LoadedClassifier.from_weights(device="cpu")
    assert default.format == "weights" and default.path == DEFAULT_WEIGHTS
    assert default.class_names == FER2013_CLASSES


def test_export_tool_prints_the_check_and_writes_the_file(checkpoint, tmp_path, capsys):
    out = tmp_path / "m.onnx"
    code = run_tool(export_main, ["--weights", str(checkpoint), "--format", "onnx", "--output", str(out),
                                  "--verify-images", "16"])
    stdout = capsys.readouterr().out
    assert code == 0 and out.is_file()
    assert "verified on 16 images" in stdout and "labels agree on 100.00%" in stdout


def test_export_that_disagrees_fails_and_writes_nothing(classifier, crops, tmp_path, monkeypatch):
    other = LoadedClassifier.from_module(untrained_classifier("bn_cnn", seed=9), FER2013_CLASSES,
                                         classifier.input_spec)
    monkeypatch.setitem(WRITERS, "weights", (".safetensors", lambda _, path: write_weights(other, path)))
    with pytest.raises(ExportError, match="disagrees with the PyTorch one.*not written"):
        export_model(classifier, "weights", tmp_path / "bad.safetensors", crops)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_evaluate_takes_exported_models(fmt, exported, checkpoint, fer_folder, tmp_path, capsys):
    lines = {}
    for name, model in (("torch", checkpoint), (fmt, exported[fmt])):
        code = run_tool(evaluate_main, ["--weights", str(model), "--data", str(fer_folder),
                                        "--output", str(tmp_path / name), "--precision", "auto"])
        assert code == 0
        lines[name] = capsys.readouterr().out.splitlines()[0].split("  ")[:3]  # accuracy, macro F1, n
    assert lines[fmt] == lines["torch"]
    predicted = [pd.read_csv(tmp_path / name / "predictions.csv")["predicted"] for name in ("torch", fmt)]
    assert predicted[0].tolist() == predicted[1].tolist()
    assert f"({fmt})" in (tmp_path / fmt / "report.md").read_text()


def test_predictor_runs_onnx_like_pytorch(exported, checkpoint):
    frame = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    torch_faces = Predictor.from_weights(checkpoint, device="cpu", detector=HaarFaceDetector()).predict_frame(frame)
    onnx = Predictor.from_weights(exported["onnx"], device="cpu", detector=HaarFaceDetector(), precision="auto")
    assert onnx.model is None and onnx.precision == "fp32"
    (face,) = onnx.predict_frame(frame)
    assert face.label == torch_faces[0].label and face.box == torch_faces[0].box
    np.testing.assert_allclose(face.probabilities, torch_faces[0].probabilities, atol=1e-5)


# -- refusals: one line naming the file, exit 2 ----------------------------------------------------------------
class Payload:
    """Unpickling this runs ``Path.touch`` on the marker: the reader must never do it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def bad_file(case: str, root: Path, exported: dict[str, Path]) -> tuple[Path, str]:
    """A file the reader must refuse, and the words its error holds."""
    if case == "plain_dict":
        path = root / "plain.pt"
        torch.save({"weight": torch.zeros(3)}, path)
        return path, "holds no fer-torch model"
    if case == "torch_payload":
        path = root / "payload.pt"
        torch.save({"state_dict": {}, "x": Payload(root / "pwned")}, path)
        return path, "refused: it holds Python objects"
    if case == "pickle_payload":
        path = root / "payload.ckpt"
        path.write_bytes(pickle.dumps(Payload(root / "pwned")))
        return path, "cannot load checkpoint"
    if case == "random":
        path = root / "random.ckpt"
        path.write_bytes(np.random.default_rng(0).bytes(2000))
        return path, "cannot load checkpoint"
    if case == "onnx_without_metadata":
        path = root / "plain.onnx"
        torch.onnx.export(torch.nn.Conv2d(1, 7, 48), (torch.zeros(1, 1, 48, 48),), str(path), dynamo=False)
        return path, "ONNX model without fer-torch metadata"
    if case == "class_count":
        import onnx

        path = root / "six.onnx"
        model = onnx.load(str(exported["onnx"]))
        entry = next(p for p in model.metadata_props if p.key == CLASS_NAMES_KEY)
        entry.value = json.dumps(list(FER2013_CLASSES[:6]))
        onnx.save(model, str(path))
        return path, "gives 7 class scores for 6 class names"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["plain_dict", "torch_payload", "pickle_payload", "random", "onnx_without_metadata",
                                  "class_count"])
def test_bad_model_files_exit_2_with_one_line_naming_the_file(case, exported, fer_folder, tmp_path, capsys):
    path, words = bad_file(case, tmp_path, exported)
    code = run_tool(evaluate_main, ["--weights", str(path), "--data", str(fer_folder), "--output",
                                    str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {path}: ") and words in err
    assert "weights_only=False" not in err and "weights_only` set to `False" not in err
    assert not (tmp_path / "pwned").exists()  # the payload never ran
    assert not (tmp_path / "out").exists()


def test_load_classifier_refuses_an_exported_runtime_model(exported):
    from fer_torch.lit.checkpoint import load_lightning_module

    with pytest.raises(CheckpointError, match="onnx model holds no FERClassifier"):
        load_lightning_module(exported["onnx"])
