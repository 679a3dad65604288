"""Extension points: a data reader and a face detector registered from outside fer-torch, used through the tools
(inspect_data, evaluate, train, live) exactly like the built-in ones; unknown and duplicate names are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fer_torch.cli.common import run_tool
from fer_torch.data.reader_registry import READERS, DataReader
from fer_torch.data.readers import detect_source, list_class_names, load_splits
from fer_torch.data.samples import Samples
from fer_torch.errors import ConfigError, DataError, DetectorError
from fer_torch.fixtures.synthetic_images import make_synthetic_samples
from fer_torch.inference.detector_registry import DETECTORS, build_detector
from fer_torch.inference.detectors import Detection

CLASSES = ("happy", "sad", "neutral")
FIXED_BOX = (40, 30, 64, 64)


# -- a reader of .npz files: images, labels, class names and a split per image ------------------------------------
def write_npz(path: Path) -> Path:
    train = make_synthetic_samples(4, classes=CLASSES, seed=0)
    val = make_synthetic_samples(2, classes=CLASSES, seed=1)
    np.savez(path, images=np.concatenate([train.images, val.images]),
             labels=np.concatenate([train.labels, val.labels]), class_names=np.array(CLASSES),
             split=np.array(["train"] * len(train) + ["val"] * len(val)))
    return path


def read_npz(root: Path, *, rgb: bool = False, splits: tuple[str, ...] = ("train", "val")) -> dict[str, Samples]:
    with np.load(root) as data:
        images, labels, split = data["images"], data["labels"], data["split"]
        class_names = tuple(data["class_names"].tolist())
    if rgb:
        images = np.repeat(images[..., None], 3, axis=-1)
    return {s: Samples(images[split == s], labels[split == s], class_names) for s in splits}


def npz_class_names(root: Path) -> tuple[str, ...]:
    with np.load(root) as data:  # reads only this member: no image is loaded
        return tuple(data["class_names"].tolist())


NPZ_READER = DataReader(read=read_npz, class_names=npz_class_names, detect=lambda root: root.suffix == ".npz",
                        description="an .npz of images, labels, class_names and split")


# -- a detector that always finds the same face, and records the options it was built with -------------------------
class FixedBoxDetector:
    def __init__(self, box: tuple[int, int, int, int]) -> None:
        self.box = box

    def detect_faces(self, frame: np.ndarray) -> list[Detection]:
        return [Detection(self.box)]


BUILT_WITH: list[dict] = []


def fixed_box_detector(min_size: tuple[int, int] = (30, 30)) -> FixedBoxDetector:
    BUILT_WITH.append({"min_size": min_size})
    return FixedBoxDetector(FIXED_BOX)


@pytest.fixture
def npz_reader():
    READERS.register("npz", NPZ_READER)
    yield "npz"
    READERS.unregister("npz")


@pytest.fixture
def fixed_box():
    DETECTORS.register("fixed_box", fixed_box_detector)
    BUILT_WITH.clear()
    yield "fixed_box"
    DETECTORS.unregister("fixed_box")


@pytest.fixture(scope="module")
def npz_data(tmp_path_factory) -> Path:
    return write_npz(tmp_path_factory.mktemp("npz") / "faces.npz")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    from fer_torch.fixtures.untrained import save_checkpoint, untrained_classifier

    path = tmp_path_factory.mktemp("ckpt") / "model.ckpt"
    return save_checkpoint(untrained_classifier("bn_cnn", class_names=CLASSES), path)


# -- readers ---------------------------------------------------------------------------------------------------------
def test_registered_reader_is_detected_and_read_with_its_own_options(npz_reader, npz_data):
    assert detect_source(npz_data) == "npz" and list_class_names(npz_data) == CLASSES
    splits = load_splits(npz_data)
    assert {s: len(v) for s, v in splits.items()} == {"train": 12, "val": 6}
    assert load_splits(npz_data, rgb=True)["val"].is_rgb
    assert list(load_splits(npz_data, source=npz_reader, splits=("val",))) == ["val"]
    # options only other readers take (the datamodule passes them all) are left out; a misspelt one is an error
    assert len(load_splits(npz_data, region="face", split_test_by_prefix=True)["train"]) == 12
    with pytest.raises(DataError, match="unknown data source option.s. regoin; npz takes rgb, splits"):
        load_splits(npz_data, regoin="face")


def test_inspect_data_reads_a_registered_reader(npz_reader, npz_data, capsys):
    from fer_torch.cli.inspect_data import main

    for source in ("auto", npz_reader):
        assert run_tool(main, ["--data", str(npz_data), "--source", source, "--json"]) == 0
        counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert counts == {"train": {name: 4 for name in CLASSES}, "val": {name: 2 for name in CLASSES}}


def test_evaluate_reads_a_registered_reader(npz_reader, npz_data, checkpoint, tmp_path, capsys):
    from fer_torch.cli.evaluate import main

    out = tmp_path / "report"
    code = run_tool(main, ["--weights", str(checkpoint), "--data", str(npz_data), "--source", npz_reader,
                           "--split", "val", "--output", str(out), "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 6 and metrics["class_names"] == list(CLASSES)


def test_train_reads_a_registered_reader(npz_reader, npz_data, tmp_path):
    from fer_torch.cli.train import run

    config = Path(__file__).resolve().parents[1] / "configs" / "seed004_bn_cnn.yaml"
    cli = run(["--config", str(config), "--data.root", str(npz_data), "--data.source", npz_reader,
               "--model.pretrained", "false", "--trainer.fast_dev_run", "true", "--data.batch_size", "4",
               "--data.dataloader.num_workers", "0", "--trainer.default_root_dir", str(tmp_path),
               "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"])
    assert cli.trainer.state.finished and cli.trainer.global_step == 1
    assert cli.datamodule.class_names == cli.model.class_names == CLASSES


# -- detectors -------------------------------------------------------------------------------------------------------
def test_live_runs_a_registered_detector(fixed_box, checkpoint, tmp_path, capsys):
    from fer_torch.cli.live import main
    from fer_torch.fixtures.synthetic_video import make_face_video

    video = make_face_video(tmp_path / "clip.avi", frames=6, size=(160, 120))
    log = tmp_path / "log.csv"
    code = run_tool(main, ["--no-display", "--source", str(video), "--weights", str(checkpoint), "--log", str(log),
                           "--detector", fixed_box, "--min-size", "40", "--detect-every", "1", "--detect-scale", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"{fixed_box} detector" in out
    table = pd.read_csv(log)
    assert len(table) == 6 and table["face_id"].nunique() == 1
    assert (table[["x", "y", "w", "h"]].to_numpy() == FIXED_BOX).all()
    # the tool offers every detector's options; this one takes only min_size
    assert BUILT_WITH == [{"min_size": (40, 40)}]


def test_detector_options_are_routed_by_signature(fixed_box):
    assert build_detector(fixed_box, min_size=(20, 20), device="cpu", scale_factor=1.1).detect_faces(None)[0].box \
        == FIXED_BOX
    assert BUILT_WITH == [{"min_size": (20, 20)}]
    with pytest.raises(DetectorError, match="unknown face detector option.s. min_neigbors; fixed_box takes min_size"):
        build_detector(fixed_box, min_neigbors=3)


# -- unknown and duplicate names ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("tool, argv", [
    ("inspect_data", ["--data", "{data}", "--source", "nope"]),
    ("evaluate", ["--data", "{data}", "--output", "{out}", "--source", "nope"]),
    ("live", ["--detector", "nope"]),
])
def test_unknown_names_are_one_line_listing_the_registered_ones(tool, argv, npz_reader, fixed_box, npz_data,
                                                                 tmp_path, capsys):
    from importlib import import_module

    argv = [a.format(data=npz_data, out=tmp_path / "out") for a in argv]
    assert run_tool(import_module(f"fer_torch.cli.{tool}").main, argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and "invalid choice: 'nope'" in line
    assert (npz_reader if tool != "live" else fixed_box) in line


def test_unknown_names_in_the_library(npz_reader, fixed_box, npz_data):
    from fer_torch.data.datamodule import FERDataModule

    with pytest.raises(DataError, match="unknown source 'nope'; expected one of auto, csv, folder, npz, webcam"):
        load_splits(npz_data, source="nope")
    with pytest.raises(ConfigError, match="unknown source 'nope'; expected one of auto, csv, folder, npz, webcam"):
        FERDataModule(str(npz_data), source="nope")
    with pytest.raises(DetectorError, match="unknown face detector 'nope'; choose from fixed_box, haar, mtcnn"):
        build_detector("nope")


def test_duplicate_names_are_refused(npz_reader, fixed_box):
    with pytest.raises(DataError, match="data source name 'npz' is already registered"):
        READERS.register(npz_reader, NPZ_READER)
    with pytest.raises(DataError, match="data source name 'csv' is already registered"):
        READERS.register("csv", NPZ_READER)
    with pytest.raises(DetectorError, match="face detector name 'haar' is already registered"):
        DETECTORS.register("haar", fixed_box_detector)
    assert READERS.get(npz_reader) is NPZ_READER and DETECTORS.get(fixed_box) is fixed_box_detector
