"""End to end: tools/evaluate.py, tools/ensemble_select.py and tools/plot_curves.py on fixture data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fer_torch.cli.common import run_tool
from fer_torch.cli.ensemble_select import main as ensemble_select_main
from fer_torch.cli.evaluate import main as evaluate_main
from fer_torch.cli.plot_curves import main as plot_curves_main
from fer_torch.data.dataset_writers import write_folders
from fer_torch.data.samples import Samples
from fer_torch.labels import FER2013_CLASSES

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("metrics.json", "confusion_matrix.png", "report.md", "predictions.csv")


def save_classifier(path: Path, class_names=FER2013_CLASSES, seed: int = 0, permute: list[int] | None = None,
                    **spec) -> Path:
    """An untrained bn_cnn checkpoint; ``permute`` reorders its output classes without changing its predictions."""
    import pytorch_lightning as pl

    from fer_torch.lit.classifier import FERClassifier

    input_spec = {"image_size": [48, 48], "channels": 1, "mean": [0.5], "std": [0.5], **spec}
    torch.manual_seed(seed)
    model = FERClassifier(arch="bn_cnn", num_classes=len(class_names),
                          class_names=list(class_names), input_spec=input_spec, )
    if permute is not None:
        out = [m for m in model.model.head.modules() if isinstance(m, torch.nn.Linear)][-1]
        with torch.no_grad():
            out.weight.copy_(out.weight[permute].clone())
            out.bias.copy_(out.bias[permute].clone())
        model.hparams.class_names = [class_names[i] for i in permute]
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, accelerator="cpu")
    trainer.strategy.connect(model)
    trainer.save_checkpoint(path)
    return path


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Tiny checkpoints: a base model, the same model with classes reordered, another seed, a 3-class model."""
    root = tmp_path_factory.mktemp("ckpts")
    reverse = list(range(len(FER2013_CLASSES)))[::-1]
    return {
        "base": save_classifier(root / "base.ckpt"),
        "reordered": save_classifier(root / "reordered.ckpt", permute=reverse),
        "other": save_classifier(root / "other.ckpt", seed=1, channels=3, mean=[0.5] * 3, std=[0.5] * 3,
                                 preprocessing=["hist_eq"]),
        "three": save_classifier(root / "three.ckpt", class_names=("happy", "sad", "neutral")),
    }


def run_evaluate(argv, capsys) -> tuple[int, str, str]:
    code = run_tool(evaluate_main, [str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def load_outputs(out: Path) -> tuple[dict, pd.DataFrame]:
    return json.loads((out / "metrics.json").read_text()), pd.read_csv(out / "predictions.csv")


def test_evaluate_writes_consistent_files(checkpoints, fer_folder, tmp_path, capsys):
    out = tmp_path / "eval"
    code, stdout, _ = run_evaluate(["--weights", checkpoints["base"], "--data", fer_folder, "--split", "val",
                                    "--output", out, "--device", "cpu"], capsys)
    assert code == 0
    assert all((out / name).is_file() for name in OUTPUTS)
    metrics, preds = load_outputs(out)
    cm = np.array(metrics["confusion_matrix"])
    assert metrics["n"] == 28 == cm.sum() == len(preds)
    assert metrics["accuracy"] == np.trace(cm) / metrics["n"]  # exactly
    assert metrics["class_names"] == list(FER2013_CLASSES) and "no_face" not in metrics
    assert [metrics["per_class"][c]["support"] for c in FER2013_CLASSES] == [4] * 7
    assert list(preds.columns) == ["path", "true", "predicted", *FER2013_CLASSES]
    assert (preds["predicted"] == preds[list(FER2013_CLASSES)].idxmax(axis=1)).all()
    assert (preds["true"] == preds["predicted"]).mean() == pytest.approx(metrics["accuracy"])
    assert preds["path"].str.endswith(".png").all()
    assert "accuracy" in stdout and "images/s" in stdout and "n 28" in stdout
    assert "| happy |" in (out / "report.md").read_text()


def test_without_output_the_report_goes_to_reports_model_split(checkpoints, fer_folder, tmp_path, capsys,
                                                               monkeypatch):
    from fer_torch.cli.evaluate import default_output

    monkeypatch.chdir(tmp_path)
    code, out, err = run_evaluate(["--weights", checkpoints["base"], "--data", fer_folder, "--split", "val"], capsys)
    assert code == 0, err
    assert (tmp_path / "reports" / "base_val" / "metrics.json").is_file()
    assert out.rstrip().endswith(f"to {Path('reports') / 'base_val'}")
    run_checkpoint = Path("runs/seed004_bn_cnn/version_0/checkpoints/best.ckpt")
    assert default_output([str(run_checkpoint)], "test") == Path("reports/seed004_bn_cnn_version_0_best_test")
    assert default_output(["a.ckpt", "b.ckpt"], "val") == Path("reports/ensemble_val")
    assert default_output(None, "val").name.endswith("_val")


def test_csv_and_folder_forms_give_the_same_metrics(checkpoints, fer_folder, fer_csv, tmp_path, capsys):
    results = []
    for data in (fer_folder, fer_csv):
        out = tmp_path / Path(data).stem
        assert run_evaluate(["--weights", checkpoints["base"], "--data", data, "--output", out], capsys)[0] == 0
        results.append(load_outputs(out)[0])
    assert results[0] == results[1]


def test_bf16_evaluation_is_close_to_fp32(checkpoints, fer_folder, tmp_path, capsys):
    for precision in ("fp32", "bf16"):
        argv = ["--weights", checkpoints["other"], "--data", fer_folder, "--output", tmp_path / precision,
                "--precision", precision, "--tta", "flip"]
        assert run_evaluate(argv, capsys)[0] == 0
    (fp32, fp32_preds), (bf16, bf16_preds) = load_outputs(tmp_path / "fp32"), load_outputs(tmp_path / "bf16")
    assert "- Precision: bf16" in (tmp_path / "bf16" / "report.md").read_text()
    probabilities = list(FER2013_CLASSES)
    np.testing.assert_allclose(bf16_preds[probabilities], fp32_preds[probabilities], atol=0.03)
    assert bf16["n"] == fp32["n"]


def test_auto_precision_report_names_the_resolved_precision(checkpoints, fer_folder, tmp_path, capsys):
    from fer_torch.hardware import cpu_mode

    argv = ["--weights", checkpoints["base"], "--data", fer_folder, "--output", tmp_path, "--precision", "auto",
            "--device", "cpu"]
    assert run_evaluate(argv, capsys)[0] == 0
    expected = "bf16" if cpu_mode().bf16 else "fp32"
    assert f"- Precision: {expected}" in (tmp_path / "report.md").read_text()


def test_ensemble_of_one_checkpoint_twice_equals_it_alone(checkpoints, fer_folder, tmp_path, capsys):
    runs = {
        "alone": [checkpoints["base"]],
        "twice": [checkpoints["base"], checkpoints["base"]],
        "reordered": [checkpoints["base"], checkpoints["reordered"]],  # same model, classes in reverse order
    }
    outputs = {}
    for name, ckpts in runs.items():
        argv = [a for c in ckpts for a in ("--weights", c)] + ["--data", fer_folder, "--output", tmp_path / name]
        assert run_evaluate(argv, capsys)[0] == 0
        outputs[name] = load_outputs(tmp_path / name)
    for name in ("twice", "reordered"):
        assert outputs[name][0] == outputs["alone"][0]
        pd.testing.assert_frame_equal(outputs[name][1], outputs["alone"][1], atol=1e-5)


def test_weighted_majority_ensemble_and_tta_with_mixed_specs(checkpoints, fer_folder, tmp_path, capsys):
    out = tmp_path / "mixed"
    argv = ["--weights", checkpoints["base"], "--weights", checkpoints["other"], "--ensemble-weights", "2", "1",
            "--vote", "majority", "--tta", "flip", "--data", fer_folder, "--output", out]
    assert run_evaluate(argv, capsys)[0] == 0
    metrics, preds = load_outputs(out)
    assert metrics["n"] == 28
    # Majority with weights 2:1: the heavier model decides every image.
    alone = tmp_path / "alone"
    assert run_evaluate(["--weights", checkpoints["base"], "--tta", "flip", "--data", fer_folder,
                         "--output", alone], capsys)[0] == 0
    assert preds["predicted"].tolist() == load_outputs(alone)[1]["predicted"].tolist()


def write_webcam_clips(root: Path) -> Path:
    """A webcam dataset: 5 subjects x 2 classes x 6 frames, written in shuffled frame order."""
    from fer_torch.fixtures.synthetic_images import synthetic_image
    from fer_torch.data.webcam import WebcamDatasetWriter

    writer = WebcamDatasetWriter(root)
    rng = np.random.default_rng(0)
    for subject in ("s1", "s2", "s3", "s4", "s5"):
        for label, name in ((3, "happy"), (4, "sad")):
            for frame in rng.permutation(6):
                writer.add(synthetic_image(label, 7, rng=rng), name, subject, frame=int(frame))
    return root


def test_sequence_accuracy_on_webcam_frames(checkpoints, tmp_path, capsys):
    data = write_webcam_clips(tmp_path / "webcam")
    out = tmp_path / "seq"
    argv = ["--weights", checkpoints["base"], "--data", data, "--split", "val", "--sequence-n", "1", "3", "7",
            "--output", out]
    code, stdout, err = run_evaluate(argv, capsys)
    assert code == 0, err
    metrics, _ = load_outputs(out)
    assert list(metrics["sequence"]) == ["1", "3", "7"]
    assert metrics["sequence"]["1"] == pytest.approx(metrics["accuracy"])
    assert metrics["sequence"]["7"] is None  # clips hold 6 frames
    assert metrics["n"] % 12 == 0 and "sequence accuracy" in stdout
    windows = metrics["sequence_metrics"]["3"]  # clips of 6 frames -> 2 windows of 3 each
    assert list(metrics["sequence_metrics"]) == ["1", "3"] and windows["n"] == metrics["n"] // 3
    assert windows["accuracy"] == pytest.approx(metrics["sequence"]["3"])
    assert sum(map(sum, windows["confusion_matrix"])) == windows["n"] and "accuracy" in windows["per_class"]["happy"]
    assert (out / "confusion_matrix_sequence_3.png").read_bytes()[:4] == b"\x89PNG"
    assert f"Windows of 3 consecutive frames: {windows['n']} windows" in (out / "report.md").read_text()


def test_detect_faces_counts_photos_without_a_face(checkpoints, tmp_path, capsys):
    import cv2
    from skimage.data import astronaut

    photos = Samples(images=[cv2.resize(astronaut(), (600, 600)), np.full((600, 600, 3), 200, np.uint8)],
                     labels=[0, 1], class_names=("happy", "sad"))
    write_folders(photos, tmp_path / "photos", "test", ext=".jpg")
    out = tmp_path / "faces"
    argv = ["--weights", checkpoints["other"], "--data", tmp_path / "photos", "--split", "test", "--detect-faces",
            "--output", out]
    code, stdout, err = run_evaluate(argv, capsys)
    assert code == 0, err
    metrics, preds = load_outputs(out)
    assert metrics["no_face"] == 1 and metrics["n"] == 1
    assert preds["true"].tolist() == ["happy"] and "no_face 1" in stdout


@pytest.mark.parametrize("case", ["missing", "unreadable", "classes", "empty_split", "no_default", "weights"])
def test_bad_input_exits_2_with_one_line(case, checkpoints, fer_folder, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "garbage.ckpt"
    bad.write_bytes(b"not a checkpoint")
    ckpt = {"missing": tmp_path / "nope.ckpt", "unreadable": bad, "classes": checkpoints["three"]}.get(case, checkpoints["base"])
    argv = ["--data", fer_folder, "--output", tmp_path / "out"]
    if case != "no_default":
        argv += ["--weights", ckpt]
    else:
        monkeypatch.setattr("fer_torch.paths.DEFAULT_WEIGHTS", tmp_path / "weights" / "fer_default.safetensors")
    if case == "empty_split":
        argv += ["--split", "test"]
    if case == "weights":
        argv += ["--ensemble-weights", "1", "2"]
    code, _, err = run_evaluate(argv, capsys)
    expected = {"missing": "not found", "unreadable": "cannot load", "classes": "lack the data's",
                "empty_split": "no 'test' split", "no_default": "default model", "weights": "--ensemble-weights"}[case]
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and expected in err
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_tool_script_exits_2(tmp_path, fer_folder):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate.py"), "--weights", str(tmp_path / "x.ckpt"),
                             "--data", str(fer_folder), "--output", str(tmp_path / "o")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'x.ckpt'}: checkpoint not found"]


def test_ensemble_select_prints_choice_and_json(checkpoints, fer_folder, capsys):
    argv = ["--weights", checkpoints["base"], "--weights", checkpoints["other"], "--weights",
            checkpoints["reordered"], "--data", fer_folder, "--json"]
    assert run_tool(ensemble_select_main, [str(a) for a in argv]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["split"] == "val" and summary["n"] == 28
    assert 1 <= len(summary["chosen"]) <= 3
    assert summary["accuracy"] >= max(summary["individual"].values())
    # The reordered copy of base adds nothing to base, so both are never chosen together.
    names = {str(checkpoints["base"]), str(checkpoints["reordered"])}
    assert len(names & set(summary["chosen"])) <= 1


def test_plot_curves_tool(tmp_path, capsys):
    from test_evaluation import write_lightning_csv

    write_lightning_csv(tmp_path / "run" / "fer" / "version_0" / "metrics.csv")
    assert run_tool(plot_curves_main, [str(tmp_path / "run")]) == 0
    png = Path(capsys.readouterr().out.strip())
    assert png == tmp_path / "run" / "training_curves.png" and png.is_file()
    assert run_tool(plot_curves_main, [str(tmp_path / "nothing")]) == 2


def test_model_classes_only_scores_a_subset_model_on_its_own_classes(checkpoints, fer_folder, tmp_path, capsys):
    out = tmp_path / "subset"
    code, stdout, err = run_evaluate(["--weights", checkpoints["three"], "--data", fer_folder, "--output", out,
                                      "--model-classes-only"], capsys)
    assert code == 0, err
    metrics, preds = load_outputs(out)
    kept = sum(len(list((fer_folder / "val" / c).iterdir())) for c in ("happy", "sad", "neutral"))
    assert metrics["n"] == len(preds) == kept and set(preds["true"]) == {"happy", "sad", "neutral"}
    assert "the model's 3 only: happy, sad, neutral" in (out / "report.md").read_text()
