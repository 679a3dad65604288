"""Every tool, every kind of bad input: exit status 2, exactly one ``error:`` line naming the file or option, no
traceback, no file left half-written; and the fixes behind issue 16 case by case.

The table runs each tool as a subprocess (``python tools/<tool>.py``). Rows marked ``in_process`` need torch or
Lightning before they can fail; they run through the same :func:`run_tool` in this process, which imports those
libraries once instead of once per row. Add a row to ``CASES`` for a new tool or a new bad input; the paths
``{bad}`` (the files of :func:`bad`), ``{folder}`` (a valid dataset), ``{out}`` (must stay empty) and
``{missing}`` (does not exist) are filled in per row.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from fer_torch.cli.common import run_tool

REPO = Path(__file__).resolve().parents[1]
TOOLS = sorted(p.stem for p in (REPO / "tools").glob("*.py"))
CONFIG = str(REPO / "configs" / "seed004_bn_cnn.yaml")


@dataclass(frozen=True)
class Case:
    """One bad command: ``tool`` run with ``args``; its error line must contain ``expect``."""

    tool: str
    args: tuple[str, ...]
    expect: str
    in_process: bool = False

    def __str__(self) -> str:
        return f"{self.tool}:{' '.join(self.args)}"


def case(tool: str, args: str, expect: str, in_process: bool = False) -> Case:
    return Case(tool, tuple(args.split()), expect, in_process)


CASES = [
    # benchmark.py
    case("benchmark", "", "the following arguments are required: suite"),
    case("benchmark", "nosuite", "invalid choice: 'nosuite'"),
    case("benchmark", "data --data {missing}", "{missing}", in_process=True),
    case("benchmark", "live --weights {bad}/payload.ckpt --frames 2", "{bad}/payload.ckpt", in_process=True),
    # collect.py
    case("collect", "--subject s", "the following arguments are required: --root"),
    case("collect", "--root {out}/ds --subject s --count 0", "--count and --every must be >= 1"),
    case("collect", "--root {out}/ds --subject s --source a.mp4 b.mp4 --labels happy", "--labels gives 1 labels"),
    case("collect", "--root {out}/ds --subject s --min-size 0x3", "--min-size takes N or WxH"),
    # ensemble_select.py
    case("ensemble_select", "--data {folder} --weights {bad}/corrupt.ckpt", "at least two --weights"),
    case("ensemble_select", "--weights a --weights b", "required: --data"),
    case("ensemble_select", "--data {folder} --weights {bad}/payload.ckpt --weights {bad}/corrupt.ckpt",
         "{bad}/payload.ckpt", in_process=True),
    # evaluate.py
    case("evaluate", "--data {folder} --output {out}/r --split nosplit", "argument --split: invalid choice"),
    case("evaluate", "--data {folder} --output {out}/r --batch-size many", "argument --batch-size: invalid int"),
    case("evaluate", "--dat {folder} --output {out}/r", "required: --data; did you mean --data?"),  # not read as --data
    case("evaluate", "--data {folder} --output {out}/r --batchsize 4", "did you mean --batch-size?"),
    case("evaluate", "--weights {bad}/notimg.txt --data {folder} --output {out}/r",
         "{bad}/notimg.txt: cannot load checkpoint (not a Lightning checkpoint, safetensors weights, TorchScript or "
         "ONNX model; not a torch.save file either)", in_process=True),
    case("evaluate", "--data {missing} --output {out}/r", "{missing}", in_process=True),
    case("evaluate", "--data {bad}/empty_dir --output {out}/r", "{bad}/empty_dir: not a dataset", in_process=True),
    case("evaluate", "--weights {bad}/corrupt.ckpt --data {folder} --output {out}/r", "{bad}/corrupt.ckpt",
         in_process=True),
    case("evaluate", "--weights {bad}/payload.ckpt --data {folder} --output {out}/r", "{bad}/payload.ckpt",
         in_process=True),
    case("evaluate", "--weights {bad}/empty.ckpt --data {folder} --output {out}/r", "{bad}/empty.ckpt",
         in_process=True),
    case("evaluate", "--weights {bad}/face.png --data {folder} --output {out}/r", "{bad}/face.png",
         in_process=True),
    case("evaluate", "--data {folder} --output {out}/r --device cuda", "cuda", in_process=True),
    # export.py
    case("export", "", "the following arguments are required: --format"),
    case("export", "--format pickle", "argument --format: invalid choice: 'pickle'"),
    case("export", "--format onnx --weights {bad}/payload.ckpt --output {out}/m.onnx", "{bad}/payload.ckpt",
         in_process=True),
    case("export", "--format weights --weights {missing}.ckpt --output {out}/m.safetensors", "{missing}.ckpt",
         in_process=True),
    # inspect_data.py
    case("inspect_data", "", "required: --data"),
    case("inspect_data", "--data {folder} --source nosource", "argument --source: invalid choice"),
    case("inspect_data", "--data {missing}", "{missing}: no such file or directory"),
    case("inspect_data", "--data {bad}/empty.csv", "{bad}/empty.csv: empty file"),
    case("inspect_data", "--data {bad}/not_csv.csv", "{bad}/not_csv.csv"),
    case("inspect_data", "--data {bad}/empty_dir", "{bad}/empty_dir: not a dataset"),
    case("inspect_data", "--data {bad}/face.png", "{bad}/face.png: not a dataset"),
    case("inspect_data", "--data {bad}/kaggle", "{bad}/kaggle/fer2013.csv: line 3: 5 pixel values"),
    case("inspect_data", "--data {folder} --classes happy nosuchclass", "nosuchclass"),
    # live.py
    case("live", "--smooth 0", "--smooth must be >= 1"),
    case("live", "--max-frames=-1", "--max-frames must be >= 1"),
    case("live", "--smooth-method median", "argument --smooth-method: invalid choice"),
    case("live", "--smoth 3", "unrecognized arguments: --smoth 3; did you mean --smooth?"),
    case("live", "--detector nodetector", "argument --detector: invalid choice"),
    case("live", "--source {missing}.mp4 --no-display", "{missing}.mp4: no such file", in_process=True),
    case("live", "--source {bad}/not_video.mp4 --no-display", "{bad}/not_video.mp4", in_process=True),
    case("live", "--source {bad}/list.yaml --no-display", "{bad}/list.yaml", in_process=True),
    case("live", "--source {bad}/empty_dir --no-display", "{bad}/empty_dir: folder holds no images", in_process=True),
    case("live", "--source {bad}/truncated.jpg --no-display", "{bad}/truncated.jpg: cannot read image",
         in_process=True),
    case("live", "--weights {bad}/payload.ckpt --source {bad}/face.png --no-display", "{bad}/payload.ckpt",
         in_process=True),
    case("live", "--weights {bad}/not_ckpt.ckpt --source {bad}/face.png --no-display", "{bad}/not_ckpt.ckpt",
         in_process=True),
    case("live", "--device cuda --source {bad}/face.png --no-display", "cuda", in_process=True),
    case("live", "--source {bad}/face.png --no-display --output {out}/annotated.txt", "{out}/annotated.txt",
         in_process=True),
    # plot_curves.py
    case("plot_curves", "", "required: run_dir"),
    case("plot_curves", "{missing}", "{missing}", in_process=True),
    case("plot_curves", "{bad}/empty_dir", "{bad}/empty_dir", in_process=True),
    # serve.py
    case("serve", "--port 99999", "--port must be 0-65535"),
    case("serve", "--smooth 0", "--smooth must be >= 1"),
    case("serve", "--weights {bad}/payload.ckpt --port 0", "{bad}/payload.ckpt", in_process=True),
    case("serve", "--weights {bad}/corrupt.ckpt --port 0", "{bad}/corrupt.ckpt", in_process=True),
    # summary.py
    case("summary", "--config {bad}/syntax.yaml", "{bad}/syntax.yaml: invalid YAML at line 3"),
    case("summary", "--config {missing}.yaml", "--config {missing}.yaml: no such file"),
    case("summary", f"--config {CONFIG} --model.no_such_key 1", "model.no_such_key", in_process=True),
    # train.py
    case("train", "--config {bad}/syntax.yaml", "{bad}/syntax.yaml: invalid YAML at line 3"),
    case("train", "--config {missing}.yaml", "--config {missing}.yaml: no such file"),
    case("train", "--config {bad}/empty_dir", "--config {bad}/empty_dir: is a directory"),
    case("train", "--config {bad}/list.yaml", "{bad}/list.yaml: a config is a YAML mapping"),
    case("train", "--config {bad}/face.png", "{bad}/face.png: not a YAML text file"),
    case("train", "--config {bad}/unknown_section.yaml", "unknown section 'modle'; did you mean 'model'?"),
    case("train", f"--config {CONFIG} --traner.max_epochs 1", "did you mean --trainer.max_epochs?"),
    case("train", f"--config {CONFIG} --trainer.max_epoch 1",
         "unrecognized arguments: --trainer.max_epoch 1; did you mean --trainer.max_epochs?", in_process=True),
    case("train", f"--config {CONFIG} --config {{bad}}/key_typo.yaml",
         "{bad}/key_typo.yaml: Group 'model' does not accept option 'arhc'; did you mean 'model.arch'?",
         in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --model.arch bn_cn", "did you mean 'bn_cnn'?",
         in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --data.train_augment standrd",
         "unknown augmentation preset 'standrd'; did you mean 'standard'?", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{bad}}/two_classes --data.classes [happy,neutral,surprise]",
         "class(es) surprise not in the data (it has happy, neutral); train on the classes it has with "
         "--data.classes '[happy,neutral]'", in_process=True),
    case("train", "--config", "--config needs a YAML file"),
    case("train", f"--config {CONFIG} --no_such.key 1", "unknown option '--no_such.key'"),
    case("train", f"--config {CONFIG} --ckpt_path {{missing}}.ckpt", "--ckpt_path {missing}.ckpt: no such file"),
    case("train", f"--config {CONFIG} --model.optimizer.lr fast", "model.optimizer.lr", in_process=True),
    case("train", f"--config {CONFIG} --model.no_such_key 1", "model.no_such_key", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{missing}}", "{missing}", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --trainer.accelerator cuda",
         "trainer: `CUDAAccelerator` can not run on your system", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --ckpt_path {{bad}}/payload.ckpt",
         "--ckpt_path {bad}/payload.ckpt: refused", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --model.pretrained {{bad}}/payload.ckpt",
         "{bad}/payload.ckpt", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --model.pretrained {{bad}}/payload.pkl",
         "{bad}/payload.pkl", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --ckpt_path {{bad}}/corrupt.ckpt",
         "--ckpt_path {bad}/corrupt.ckpt: not a readable checkpoint", in_process=True),
    case("train", f"--config {CONFIG} --data.root {{folder}} --ckpt_path {{bad}}/plain_dict.ckpt",
         "not a Lightning training checkpoint", in_process=True),
]


class Payload:
    """Unpickling this runs ``os.mkdir(marker)``: proof a loader executed code from a model file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> Path:
    """A folder of bad inputs (names used by ``CASES``)."""
    import cv2
    import torch

    root = tmp_path_factory.mktemp("bad")
    (root / "empty_dir").mkdir()
    (root / "empty.csv").write_text("")
    (root / "empty.ckpt").write_bytes(b"")
    (root / "not_csv.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe binary")
    (root / "corrupt.ckpt").write_bytes(b"PK\x03\x04 not really a zip" * 10)
    (root / "not_ckpt.ckpt").write_text("model: weights\n")
    (root / "not_video.mp4").write_text("not a video\n")
    (root / "syntax.yaml").write_text("model:\n  arch: [bn_cnn\n")
    (root / "list.yaml").write_text("- model\n- data\n")
    (root / "unknown_section.yaml").write_text("modle:\n  arch: bn_cnn\n")
    (root / "key_typo.yaml").write_text("model:\n  arhc: bn_cnn\n")
    (root / "notimg.txt").write_text("hello\n")
    torch.save(Payload(root / "PAYLOAD_RAN"), root / "payload.ckpt")
    (root / "payload.pkl").write_bytes(pickle.dumps(Payload(root / "PAYLOAD_RAN")))
    torch.save({"state_dict": {}, "pytorch-lightning_version": "2.6.0"}, root / "plain_dict.ckpt")
    kaggle = root / "kaggle"
    kaggle.mkdir()
    good = " ".join(["128"] * 2304)
    (kaggle / "fer2013.csv").write_text(f"emotion,pixels,Usage\n3,{good},Training\n0,1 2 3 4 5,Training\n")
    face = np.full((96, 96, 3), 127, np.uint8)
    cv2.imwrite(str(root / "face.png"), face)
    for split, name in [(s, n) for s in ("train", "val") for n in ("happy", "neutral")]:  # a two-class collection
        (root / "two_classes" / split / name).mkdir(parents=True)
        cv2.imwrite(str(root / "two_classes" / split / name / "0.png"), face[:48, :48])
    cv2.imwrite(str(root / "whole.jpg"), face)
    (root / "truncated.jpg").write_bytes((root / "whole.jpg").read_bytes()[:300])
    return root


def _fill(text: str, paths: dict[str, Path]) -> str:
    return text.format(**{k: str(v) for k, v in paths.items()})


def _paths(bad: Path, fer_folder: Path, tmp_path: Path) -> dict[str, Path]:
    return {"bad": bad, "folder": fer_folder, "out": tmp_path / "out", "missing": tmp_path / "no_such_input"}


def _run_in_process(tool: str, argv: list[str], capsys) -> tuple[int, str]:
    main = importlib.import_module(f"fer_torch.cli.{tool}").main
    code = run_tool(main, argv)
    return code, capsys.readouterr().err


def _run_subprocess(tool: str, argv: list[str], cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(REPO / "tools" / f"{tool}.py"), *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr


@pytest.mark.parametrize("bad_case", CASES, ids=str)
def test_bad_input_is_one_error_line_and_exit_2(bad_case, bad, fer_folder, tmp_path, monkeypatch, capsys):
    paths = _paths(bad, fer_folder, tmp_path)
    argv = [_fill(a, paths) for a in bad_case.args]
    work = tmp_path / "cwd"  # tools that write by default (runs/, reports/) write here
    work.mkdir()
    if bad_case.in_process:
        if "cuda" in bad_case.args:
            import torch

            if torch.cuda.is_available():
                pytest.skip("CUDA is available here: a cuda device is not a bad input")
        monkeypatch.chdir(work)
        code, err = _run_in_process(bad_case.tool, argv, capsys)
    else:
        code, err = _run_subprocess(bad_case.tool, argv, work)
    errors = [line for line in err.splitlines() if "error:" in line.lower()]
    assert code == 2, err
    assert "Traceback" not in err, err
    assert len(errors) == 1 and errors[0].startswith("error: "), err
    assert _fill(bad_case.expect, paths) in errors[0], err
    assert "weights_only set to False" not in err and "weights_only=False" not in err
    assert not (bad / "PAYLOAD_RAN").exists(), "a model file's pickle payload ran"
    assert not paths["out"].exists() or not any(paths["out"].rglob("*")), "a failed run left files behind"
    assert not any(work.rglob("*")), f"a failed run left {list(work.rglob('*'))}"


def test_choices_match_the_modules_that_implement_them():
    from fer_torch import choices
    from fer_torch.export.writers import WRITERS
    from fer_torch.device import PRECISIONS

    assert choices.EXPORT_FORMATS == tuple(WRITERS)
    assert choices.PRECISION_CHOICES == ("auto", *PRECISIONS)


def test_the_table_covers_every_tool():
    assert {c.tool for c in CASES} == set(TOOLS)
    for tool in TOOLS:  # in-process rows call the main that tools/<tool>.py runs
        assert f"from fer_torch.cli.{tool} import main" in (REPO / "tools" / f"{tool}.py").read_text()


@pytest.mark.parametrize("tool", TOOLS)
def test_help_imports_no_heavy_library(tool):
    code = (f"import sys; sys.argv = ['{tool}.py', '--help']\n"
            f"from fer_torch.cli.{tool} import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = sorted({'torch', 'pytorch_lightning', 'cv2', 'albumentations'} & set(sys.modules))\n"
            "print('RESULT', heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout.lower() or tool == "summary", done.stdout
    heavy = done.stdout.rsplit("RESULT", 1)[1].strip()
    assert heavy == "[]", f"--help imported {heavy}"
    # No wall-time bound: the heavy-import check above holds on a CPU of any speed.


# ---- issue 16, case by case ---------------------------------------------------------------------


def test_package_import_never_asks_pypi_for_albumentations_updates():
    code = "import os, fer_torch; print(os.environ.get('NO_ALBUMENTATIONS_UPDATE'))"
    env = {k: v for k, v in os.environ.items() if k != "NO_ALBUMENTATIONS_UPDATE"}
    env["PYTHONPATH"] = str(REPO)
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True).stdout.strip() == "1"


def test_cache_entry_with_wrong_pixels_is_rebuilt_with_a_warning(fer_folder, tmp_path):
    from fer_torch.data.readers import load_splits

    first = load_splits(fer_folder, cache_dir=tmp_path)
    for entry in tmp_path.glob("*.npz"):
        with np.load(entry) as data:
            arrays = dict(data)
        arrays["flat"] = np.zeros_like(arrays["flat"])  # well-formed, same sizes, all-black images
        np.savez(entry, **arrays)
    with pytest.warns(UserWarning, match="failed its integrity check"):
        second = load_splits(fer_folder, cache_dir=tmp_path)
    for split in first:
        assert np.array_equal(second[split].images, first[split].images)
        assert second[split].images.any()
    third = load_splits(fer_folder, cache_dir=tmp_path)  # the rebuilt entry is trusted again, silently
    assert np.array_equal(third["train"].images, first["train"].images)


def test_folder_holding_kaggle_csvs_reads_as_csv(tmp_path, fer_csv, fer_splits):
    from fer_torch.data.dataset_writers import write_fer2013_csv
    from fer_torch.data.readers import detect_source, load_splits
    from fer_torch.errors import DataError

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "fer2013.csv").write_bytes(fer_csv.read_bytes())
    assert detect_source(tmp_path / "full") == "csv"
    splits = load_splits(tmp_path / "full")
    assert {s: len(v) for s, v in splits.items()} == {"train": len(fer_splits["train"]), "val": len(fer_splits["val"])}

    kaggle = tmp_path / "challenge"
    kaggle.mkdir()
    write_fer2013_csv({"train": fer_splits["train"]}, kaggle / "train.csv")
    assert set(load_splits(kaggle)) == {"train"}
    (kaggle / "train.csv").write_text("emotion,pixels\n9," + " ".join(["0"] * 2304) + "\n")
    with pytest.raises(DataError, match=r"train.csv: line 2: emotion '9' is not a FER2013 label"):
        load_splits(kaggle)


def test_truncated_jpeg_in_a_folder_is_skipped_warned_and_counted(tmp_path, capsys):
    import cv2

    from fer_torch.apps.live_session import SessionSummary
    from fer_torch.inference.video import open_source

    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    for name in ("a.jpg", "b.jpg", "c.png"):
        cv2.imwrite(str(tmp_path / name), image)
    whole = (tmp_path / "b.jpg").read_bytes()
    (tmp_path / "b.jpg").write_bytes(whole[: len(whole) // 2])
    source = open_source(tmp_path)
    frames = list(source)
    assert [f.index for f in frames] == [0, 1] and source.skipped == 1
    assert "skipping unreadable or truncated image" in capsys.readouterr().err
    summary = SessionSummary(("happy",), skipped=source.skipped)
    assert "1 unreadable image(s) skipped" in summary.format()


def test_ctrl_c_stops_after_the_frame_in_progress(tmp_path):
    import signal

    from fer_torch.inference.predictor import FaceResult
    from fer_torch.apps.live_session import FaceLog, run_session
    from fer_torch.inference.video import Frame, FrameSource, FrameWriter

    class Stream:
        class_names = ("happy", "sad")

        def detect_faces(self, image):
            return [(0, 0, 4, 4)]

        def predict_detections(self, image, detections):
            if image[0, 0, 0] == 3:  # Ctrl-C arrives while frame 3 is being classified
                os.kill(os.getpid(), signal.SIGINT)
            return [FaceResult(box=(0, 0, 4, 4), label="happy", score=0.9, probabilities=np.array([0.9, 0.1]),
                               class_names=self.class_names, face_id=0)]

    class Ten(FrameSource):
        kind = "video"

        def __iter__(self):
            for i in range(10):
                yield Frame(i, i / 30, np.full((8, 8, 3), i, np.uint8))

    writer = FrameWriter(tmp_path / "out.png")
    log = FaceLog(tmp_path / "log.csv", Stream.class_names)
    previous = signal.getsignal(signal.SIGINT)
    summary = run_session(Ten(), Stream(), output=writer, log=log, detect_ahead=True)
    assert signal.getsignal(signal.SIGINT) is previous
    assert summary.stop_reason == "interrupted (Ctrl-C)"
    assert summary.frames == 4 == writer.frames == len(list(tmp_path.glob("out_*.png")))
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 1 + 4


def test_resume_refuses_a_pickle_payload_without_running_it(bad, tmp_path):
    from fer_torch.cli.lightning_cli import check_resume_checkpoint
    from fer_torch.errors import CheckpointError

    for name in ("payload.ckpt", "payload.pkl"):
        with pytest.raises(CheckpointError, match="refused|not a readable checkpoint") as info:
            check_resume_checkpoint(str(bad / name))
        assert "weights_only set to False" not in str(info.value)
    assert not (bad / "PAYLOAD_RAN").exists()


def test_resume_loads_with_weights_only_true(monkeypatch):
    from pytorch_lightning import Trainer

    from fer_torch.cli import lightning_cli

    seen = {}

    class FakeCLI:
        config = {"ckpt_path": "last.ckpt"}
        model = datamodule = None

        class trainer:
            log_dir = None

            @staticmethod
            def fit(model, datamodule=None, ckpt_path=None, weights_only=None):
                seen.update(ckpt_path=ckpt_path, weights_only=weights_only)

    assert "weights_only" in Trainer.fit.__code__.co_varnames
    lightning_cli.fit(FakeCLI())
    assert seen == {"ckpt_path": "last.ckpt", "weights_only": True}


def _train(root: Path, out: Path, *extra: str):
    from fer_torch.cli.train import run

    return run(["--config", str(REPO / "configs/seed002_bn_cnn.yaml"), "--data.root", str(root),
                "--data.dataloader.num_workers", "0", "--data.batch_size", "16", "--trainer.default_root_dir", str(out),
                "--trainer.callbacks", "[]", "--trainer.limit_train_batches", "1", "--trainer.limit_val_batches", "1",
                "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false", *extra])


@pytest.mark.slow
def test_resumed_run_continues_its_own_run_directory(fer_folder, tmp_path):
    first = _train(fer_folder, tmp_path, "--trainer.max_epochs", "1")
    run_dir = Path(first.trainer.log_dir)
    resumed = _train(fer_folder, tmp_path / "elsewhere", "--trainer.max_epochs", "2",
                     "--ckpt_path", str(run_dir / "checkpoints" / "last.ckpt"))
    assert Path(resumed.trainer.log_dir) == run_dir
    assert sorted(p.name for p in run_dir.parent.iterdir()) == [run_dir.name]
    assert not (tmp_path / "elsewhere").exists()
    import pandas as pd

    epochs = pd.read_csv(run_dir / "metrics.csv")["epoch"].dropna().astype(int)
    assert sorted(set(epochs)) == [0, 1]  # both runs' rows, in one file


def test_failed_run_leaves_no_version_directory(tmp_path):
    from fer_torch.errors import DataError

    with pytest.raises(DataError):
        _train(tmp_path / "no_such_data", tmp_path / "runs", "--trainer.max_epochs", "1")
    assert not any((tmp_path / "runs").rglob("version_*"))


def test_pretrained_null_means_no_weights_on_timm_archs():
    from fer_torch.cli.lightning_cli import ParseOnlyCLI
    from fer_torch.cli.train import build_cli

    for value in ("null", "false"):
        cli = build_cli(["--config", str(REPO / "configs/seed003_resnet50.yaml"), "--model.pretrained", value],
                        ParseOnlyCLI)
        assert cli.config.model.pretrained in (None, False)
    from fer_torch.lit.classifier import FERClassifier

    assert FERClassifier(arch="resnet50", pretrained=None, num_classes=7).model is not None


def test_train_sections_match_the_lightning_parser():
    from fer_torch.cli.lightning_cli import ParseOnlyCLI
    from fer_torch.cli.train import SECTIONS, build_cli

    cli = build_cli(["--config", CONFIG], ParseOnlyCLI)
    top_level = {key.split(".", 1)[0] for key in cli.parser.get_defaults().keys()}
    assert set(SECTIONS) == top_level | {"config", "print_config"}
