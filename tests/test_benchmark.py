"""tools/benchmark.py suites on tiny settings: each prints its markdown table with the rows it promises."""

import json
import pytest

from fer_torch.cli.benchmark import build_parser, main
from fer_torch.errors import CheckpointError
from fer_torch.fixtures.synthetic_video import BACKGROUNDS, face_frames
from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier


def table_rows(text: str) -> list[list[str]]:
    """Body rows of the markdown tables in ``text`` (header and separator rows dropped)."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    return [r for r in rows if not all(set(c) <= set("-: ") for c in r)][1:]


def test_train_suite_times_both_paths_in_both_precisions(capsys):
    assert main(["train", "--arch", "mouth_cnn", "--batch", "4", "--steps", "2", "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Machine: ")
    rows = table_rows(out)
    assert [(r[0], r[1]) for r in rows] == [("mouth_cnn", "32"), ("mouth_cnn", "bf16-mixed")]
    for row in rows:
        lit, bare, ratio = map(float, row[2:])
        assert lit > 0 and bare > 0 and ratio == pytest.approx(lit / bare, rel=0.05, abs=0.01)  # cells are rounded


class FakeClock:
    """A timer under which every timed call takes ``seconds``: a CPU of any speed."""

    def __init__(self, seconds: float) -> None:
        self.now, self.step = 0.0, seconds  # a timed call is read before and after: one step apart

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("seconds", [10e-6, 2.0])  # mouth_cnn in onnxruntime on a fast CPU; a very slow one
def test_infer_suite_reports_fp32_bf16_and_onnxruntime(capsys, monkeypatch, seconds):
    from fer_torch.benchmarks import infer

    monkeypatch.setattr(infer, "clock", FakeClock(seconds))
    assert main(["infer", "--models", "mouth_cnn", "--batch", "4", "--repeats", "1", "--budget", "0.1",
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Machine: ") and ", 1 torch threads," in out.splitlines()[0]
    assert "### Inference (cpu, 1 threads," in out
    (row,) = table_rows(out)
    assert row[:3] == ["mouth_cnn", "1x43x72", "0.00M"] and len(row) == 10
    assert "onnxruntime ms/face | onnxruntime images/s |" in out
    for ms, images_per_s in (row[3:5], row[6:8], row[8:10]):  # fp32, bf16, onnxruntime
        assert float(ms) == pytest.approx(seconds * 1000, rel=0.01)  # 3 significant digits, never 0.0
        assert float(images_per_s) == pytest.approx(4 / seconds, rel=0.01)


def test_significant_keeps_three_digits_of_small_and_large_figures():
    from fer_torch.benchmarks.timing import significant

    assert [significant(v) for v in (0.01, 0.012345, 1.2345, 38.94, 323.0, 6545.2, 0.0)] == [
        "0.0100", "0.0123", "1.23", "38.9", "323", "6545", "0"]


def test_infer_suite_times_model_files_at_their_own_architecture(tmp_path, capsys):
    narrow = save_checkpoint(untrained_classifier("resnet_fer", stem_width=32), tmp_path / "s32.ckpt")
    assert main(["infer", "--model-files", str(narrow), "--batch", "2", "--repeats", "1", "--budget", "0.1",
                 "--no-bf16", "--no-onnx"]) == 0
    (row,) = table_rows(capsys.readouterr().out)  # the file alone: no registry model without --models
    assert row[:3] == ["s32.ckpt", "1x48x48", "2.80M"]
    with pytest.raises(CheckpointError, match="none.ckpt: checkpoint not found"):  # the tool's one-line error
        main(["infer", "--model-files", str(tmp_path / "none.ckpt"), "--no-bf16", "--no-onnx"])


def test_data_suite_on_fixture_folders(fer_folder, capsys):
    assert main(["data", "--data", str(fer_folder), "--workers", "0", "--batches", "2", "--batch-size", "4"]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert [r[0].split(",")[0] for r in rows] == ["FER2013 CSV parse (`fer2013.csv`)", "Folder decode",
                                                   "Folder load", "DataLoader"]
    assert rows[0][1] == f"{56 + 28 + 28} rows"  # train + val + val again as PrivateTest


def test_live_suite_times_every_stage_on_the_same_frames(tmp_path, capsys):
    weights = save_checkpoint(untrained_classifier("mouth_cnn"), tmp_path / "mouth_cnn.ckpt")
    assert main(["live", "--weights", str(weights), "--frames", "4", "--repeats", "1", "--smooth", "2"]) == 0
    out = capsys.readouterr().out
    assert "1.00 faces/frame" in out and "scene background" in out and "mouth_cnn.ckpt" in out
    rows = table_rows(out)
    engines = ("fp32", "bf16", "onnxruntime")
    assert [r[0].split(" (")[0] for r in rows] == [
        "haar alone", "haar at scale 0.8", "haar every 5, flow tracking between",
        "haar at scale 0.8, every 5, flow tracking between",
        *(f"haar + model {e}, in turn" for e in engines), *(f"haar + model {e}, detect ahead" for e in engines),
        *(row for e in engines for row in (f"full live path {e}, haar on every full frame",
                                           f"**full live path {e}, haar at scale 0.8, every 5"))]
    assert all(r[1] == "4" for r in rows) and rows[0][4] == "1.00"
    assert "mouth crops" in rows[4][0]
    assert rows[0][5] == "100.0%" and all(r[5].endswith("%") for r in rows[:4] + rows[10:])  # face recall
    assert [bool(r[6]) for r in rows[10:]] == [False, True] * 3  # label agreement of the fast paths


def test_live_suite_runs_the_fer_package_side_by_side(tmp_path, capsys):
    """``--fer-python`` runs tools/peers/fer_package_live.py in that interpreter (here a stand-in that answers as the
    peer does) and adds its row and the ratios."""
    stand_in = tmp_path / "python"
    faces = [[{"box": [0, 0, 10, 10], "label": "happy"}]] * 4
    stand_in.write_text("#!/bin/sh\necho '" + json.dumps({"frames": 4, "seconds": 2.0, "faces": faces}) + "'\n")
    stand_in.chmod(0o755)
    weights = save_checkpoint(untrained_classifier("bn_cnn"), tmp_path / "bn_cnn.ckpt")
    assert main(["live", "--weights", str(weights), "--frames", "4", "--repeats", "1", "--fer-python",
                 str(stand_in)]) == 0
    out = capsys.readouterr().out
    peer = next(r for r in table_rows(out) if r[0].startswith("`fer` package"))
    assert peer[1:4] == ["4", "2.00", "2.0"] and peer[5] == "0.0%"  # its boxes miss the face: recall says so
    assert "Against the `fer` package: fp32 default path" in out and "onnxruntime default path" in out


def test_live_suite_times_a_random_architecture(capsys):
    assert main(["live", "--arch", "mouth_cnn", "--frames", "2", "--repeats", "1", "--background", "gradient"]) == 0
    assert "randomly initialised mouth_cnn (--arch" in capsys.readouterr().out


def test_live_suite_rejects_arch_with_weights(tmp_path, capsys):
    from fer_torch.cli.common import run_tool

    assert run_tool(main, ["live", "--arch", "bn_cnn", "--weights", str(tmp_path / "x.ckpt")]) == 2
    assert "give --arch or --weights, not both" in capsys.readouterr().err


def test_help_lists_each_suite_in_whole_sentences(capsys):
    from fer_torch.benchmarks import SUITES
    from fer_torch.cli.benchmark import suite_summary

    with pytest.raises(SystemExit):
        build_parser([]).parse_args(["--help"])
    listing = " ".join(capsys.readouterr().out.split())
    for suite in SUITES:
        summary = suite_summary(suite)
        assert summary.endswith(".") and summary.split(". ")[0].rstrip(".") in listing


def test_all_runs_every_suite_with_its_defaults():
    parser = build_parser()
    assert parser.parse_args(["all"]).suite == "all"
    assert parser.parse_args(["train"]).precision == ["32", "bf16-mixed"]
    assert parser.parse_args(["infer"]).bf16 is True and parser.parse_args(["infer", "--no-bf16"]).bf16 is False
    assert parser.parse_args(["live"]).background == "scene"


@pytest.mark.parametrize("background", BACKGROUNDS)
@pytest.mark.parametrize("faces", [1, 2])
def test_synthetic_backgrounds_hold_exactly_the_pasted_faces(background, faces):
    from fer_torch.inference.detector_registry import build_detector

    detector = build_detector("haar")
    counts = [len(detector.detect_faces(f)) for f in face_frames(10, size=(640, 360), faces=faces,
                                                                 background=background)]
    assert counts == [faces] * 10


def test_unknown_background_is_an_error():
    with pytest.raises(ValueError, match="background must be one of gradient, scene"):
        next(face_frames(1, background="space"))


def test_train_suite_runs_configs_through_the_cli_beside_presets_bare_steps_and_keras(capsys, fer_folder, tmp_path):
    fake_keras = tmp_path / "python"
    fake_keras.write_text('#!/bin/sh\necho \'{"framework": "keras", "images_per_s": 50.0}\'\n')
    fake_keras.chmod(0o755)
    argv = ["train", "--config", "configs/seed004_bn_cnn.yaml", "--preset", "--data.batch_size 8",
            "configs/trainer/cpu.yaml --data.batch_size 8 --data.loader dataloader --data.dataloader.num_workers 0",
            "--data", str(fer_folder), "--steps", "2", "--warmup", "1", "--bare", "--keras", str(fake_keras)]
    assert main(argv) == 0
    rows = table_rows(capsys.readouterr().out)
    paths = [r[1] for r in rows]
    assert paths[0] == "+ `--data.batch_size 8`" and paths[1].startswith("+ `trainer/cpu.yaml")
    assert paths[2] == "Keras original" and len([p for p in paths if p.startswith("bare step")]) == 4
    assert rows[0][2] in ("bf16-mixed", "32-true") and rows[0][4] == "device"  # the hardware's mode, in memory
    assert rows[1][2] == "32-true" and rows[1][4] == "dataloader"
    keras_rate = float(rows[2][5])
    assert keras_rate == 50.0 and float(rows[0][7]) == pytest.approx(float(rows[0][5]) / keras_rate, abs=0.01)
    assert max(float(r[8]) for r in rows if r[1].startswith("bare")) == 1.0


def test_train_suite_refuses_an_epoch_shorter_than_the_timed_steps(fer_folder):
    with pytest.raises(SystemExit, match="fewer than --warmup"):
        main(["train", "--config", "configs/seed004_bn_cnn.yaml", "--data", str(fer_folder), "--steps", "50"])


RECIPE_PRESET = "--data.batch_size 16 --data.dataloader.num_workers 0 --trainer.enable_model_summary false"


def test_recipe_suite_stops_each_recipe_at_the_target_and_compares_it_with_the_first(capsys, fer_folder, tmp_path):
    argv = ["recipe", "--data", str(fer_folder), "--config", "seed004_bn_cnn", "configs/seed004_bn_cnn.yaml",
            "--target", "0", "--preset", RECIPE_PRESET, "--runs", str(tmp_path)]
    assert main(argv) == 0
    rows = table_rows(capsys.readouterr().out)
    assert [(r[0], r[2]) for r in rows] == [("seed004_bn_cnn", "epoch 1"), ("seed004_bn_cnn", "epoch 1")]
    assert float(rows[0][4]) == 1.0 and float(rows[1][4]) > 0
    assert len(list(tmp_path.rglob("time_to_accuracy.json"))) == 2


def test_recipe_suite_reports_a_recipe_that_misses_the_target_with_its_best(capsys, fer_folder, tmp_path):
    argv = ["recipe", "--data", str(fer_folder), "--config", "seed004_bn_cnn", "--target", "1.01",
            "--max-epochs", "2", "--preset", RECIPE_PRESET, "--runs", str(tmp_path)]
    assert main(argv) == 0
    (row,) = table_rows(capsys.readouterr().out)
    (timing,) = tmp_path.rglob("time_to_accuracy.json")
    epochs = json.loads(timing.read_text())["epochs"]
    assert row[2] == "not in 2 epochs" and row[4] == "" and [e["epoch"] for e in epochs] == [1, 2]
    assert row[6] == f"{100 * max(e['val/acc'] for e in epochs):.2f} %"
    assert all(e["images"] == 56 * e["epoch"] for e in epochs)  # 8 faces per class, 7 classes, every epoch


def test_recipe_suite_full_trains_to_the_last_epoch_and_takes_overrides_per_recipe(capsys, fer_folder, tmp_path):
    variant = "fer2013_fast --model.model_kwargs.stem_width 16 --data.train_augment window"
    argv = ["recipe", "--data", str(fer_folder), "--config", "seed004_bn_cnn", variant, "--target", "0",
            "--max-epochs", "2", "--full", "--preset", RECIPE_PRESET, "--runs", str(tmp_path)]
    assert main(argv) == 0
    rows = table_rows(capsys.readouterr().out)
    assert [(r[0], r[2]) for r in rows] == [("seed004_bn_cnn", "epoch 1"), (variant, "epoch 1")]
    assert all(r[7].endswith("(epoch 2)") for r in rows)  # trained on past the target
    fast = next(tmp_path.glob("fer2013_fast_*"))
    (saved,) = fast.rglob("config.yaml")
    assert "stem_width: 16" in saved.read_text() and "train_augment: window" in saved.read_text()
