"""tools/collect.py: a webcam dataset of face and mouth crops from synthetic videos, loadable by the webcam reader."""

import builtins

import pandas as pd
import pytest

import fer_torch.cli.collect as collect_cli
from fer_torch.cli.common import run_tool
from fer_torch.data.readers import load_splits
from fer_torch.inference.boxes import MOUTH_ASPECT
from fer_torch.fixtures.synthetic_video import make_face_video
import fer_torch.inference.video as video_module
from fer_torch.inference.video import CaptureSource


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_face_video(tmp_path_factory.mktemp("collect") / "face.mp4", frames=24, size=(480, 360))


def collect(capsys, *args):
    code = run_tool(collect_cli.main, ["--no-display", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_video_with_label_gives_face_and_mouth_crops_the_reader_loads(video, tmp_path, capsys):
    root = tmp_path / "webcam"
    code, out, err = collect(capsys, "--root", root, "--subject", "ann", "--source", video, "--label", "happy",
                             "--count", 5, "--every", 2)
    assert code == 0, err
    manifest = pd.read_csv(root / "manifest.csv")
    assert manifest["region"].value_counts().to_dict() == {"face": 5, "mouth": 5}
    assert (manifest["label"] == "happy").all() and (manifest["subject"] == "ann").all()
    assert sorted(set(manifest["frame"])) == [0, 2, 4, 6, 8]  # every 2nd frame, face and mouth of the same frame
    assert all(p.startswith("happy/ann_") for p in manifest["path"])
    faces = load_splits(root, source="webcam", region="face")["train"]
    mouths = load_splits(root, source="webcam", region="mouth")["train"]
    assert len(faces) == len(mouths) == 5 and faces.class_names == ("happy",)
    assert f"python tools/train.py --config webcam_finetune --data.root {root} --data.classes '[happy]'" in out
    height, width = mouths.image(0).shape[:2]
    assert height / width == pytest.approx(MOUTH_ASPECT, abs=0.05)
    assert "happy: wrote 5 face + 5 mouth crops" in out


def test_collection_resumes_and_takes_one_label_per_video(video, tmp_path, capsys):
    root = tmp_path / "webcam"
    first = collect(capsys, "--root", root, "--subject", "ann", "--source", video, "--label", "happy", "--count", 3)
    assert first[0] == 0
    code, out, err = collect(capsys, "--root", root, "--subject", "ann", "--source", video, video,
                             "--labels", "happy", "surprised", "--count", 5)
    assert code == 0, err
    assert "happy: wrote 2 face + 2 mouth crops" in out  # 3 were already there
    manifest = pd.read_csv(root / "manifest.csv")
    assert manifest.groupby(["label", "region"]).size().to_dict() == {
        ("happy", "face"): 5, ("happy", "mouth"): 5, ("surprise", "face"): 5, ("surprise", "mouth"): 5}
    happy_frames = manifest.loc[manifest["label"] == "happy", "frame"].tolist()
    assert happy_frames == sorted(happy_frames)  # the resumed session's frames come after the first session's
    other = collect(capsys, "--root", root, "--subject", "bob", "--source", video, "--label", "happy", "--count", 2)
    assert other[0] == 0
    splits = load_splits(root, source="webcam", val_fraction=0.5)
    assert {split: sorted(set(s.meta["subject"])) for split, s in splits.items()} in (
        {"train": ["ann"], "val": ["bob"]}, {"train": ["bob"], "val": ["ann"]})


def test_camera_prompts_for_each_class(video, tmp_path, capsys, monkeypatch):
    prompts = []
    monkeypatch.setattr(builtins, "input", lambda text: prompts.append(text) or "")
    monkeypatch.setattr(video_module, "open_source", lambda source: CaptureSource(video))  # the video plays the camera
    root = tmp_path / "webcam"
    code, out, err = collect(capsys, "--root", root, "--subject", "cam", "--source", 0, "--classes", "happy", "neutral",
                             "--count", 3, "--every", 1)
    assert code == 0, err
    assert [p.split(" face")[0] for p in prompts] == ["Show a HAPPY", "Show a NEUTRAL"]
    manifest = pd.read_csv(root / "manifest.csv")
    assert manifest.groupby("label").size().to_dict() == {"happy": 6, "neutral": 6}


@pytest.mark.parametrize("args, message", [
    ((), "need --label"),
    (("--labels", "happy", "sad"), "2 labels for 1 sources"),
    (("--label", "bored"), "bored"),
])
def test_bad_labels_exit_2(video, tmp_path, capsys, args, message):
    code, _, err = collect(capsys, "--root", tmp_path / "w", "--subject", "ann", "--source", video, *args)
    assert code == 2
    assert err.startswith("error: ") and message in err
