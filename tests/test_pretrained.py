"""Pretrained weights: offline errors (downloads monkeypatched to fail) and local-file loading."""

from __future__ import annotations

import socket
import urllib.error
from pathlib import Path

import pytest
import torch
from huggingface_hub.errors import LocalEntryNotFoundError
from safetensors.torch import save_file

from fer_torch.errors import PretrainedWeightsError
from fer_torch.models import create_model, list_models, model_input_spec
from fer_torch.models.pretrained import load_weights_file


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Empty weight caches, and any socket connection fails (and is recorded)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    attempts: list[object] = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def offline_download(*args, **kwargs):
    raise urllib.error.URLError("[Errno -2] Name or service not known")


def test_torchvision_offline_error_names_the_file(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline_download)
    with pytest.raises(PretrainedWeightsError) as err:
        create_model("vgg16", 3, in_chans=3, pretrained="imagenet")
    message = str(err.value)
    assert message == (
        "pretrained='imagenet' for vgg16 needs https://download.pytorch.org/models/vgg16-397923af.pth; "
        "offline, download it elsewhere and pass pretrained=/path/to/vgg16-397923af.pth "
        f"(or put it in {tmp_path / 'torch_home' / 'hub' / 'checkpoints'}/)"
    )
    assert "\n" not in message


def test_timm_offline_error_names_the_hub_repo(monkeypatch):
    def offline_hub(*args, **kwargs):
        raise LocalEntryNotFoundError("cannot find the requested files in the local cache")

    monkeypatch.setattr("timm.models._builder.load_state_dict_from_hf", offline_hub)
    with pytest.raises(PretrainedWeightsError, match=r"^pretrained=True for resnet50 needs https://huggingface.co/"
                       r"timm/resnet50\.a1_in1k; offline, .* pretrained=/path/to/model\.safetensors"):
        create_model("resnet50", 7, pretrained=True)
    with pytest.raises(PretrainedWeightsError, match="needs https://huggingface.co/timm/seresnet50.ra2_in1k"):
        create_model("seresnet50", 7, pretrained="seresnet50.ra2_in1k")


def test_facenet_offline_error_names_the_file(monkeypatch, tmp_path):
    monkeypatch.setattr("facenet_pytorch.models.inception_resnet_v1.download_url_to_file", offline_download)
    with pytest.raises(PretrainedWeightsError) as err:
        create_model("inception_resnet_v1", 7, pretrained="vggface2")
    assert str(err.value) == (
        "pretrained='vggface2' for inception_resnet_v1 needs "
        "https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/20180402-114759-vggface2.pt; "
        "offline, download it elsewhere and pass pretrained=/path/to/20180402-114759-vggface2.pt "
        f"(or put it in {tmp_path / 'torch_home' / 'checkpoints'}/)"
    )


def test_unknown_library_names_list_the_choices():
    with pytest.raises(PretrainedWeightsError, match="choose from True, 'imagenet', 'IMAGENET1K_V1'"):
        create_model("vgg16", 3, pretrained="vggface")
    with pytest.raises(PretrainedWeightsError, match=r"timm has resnet50\.a1_in1k, .*resnet50\.tv_in1k"):
        create_model("resnet50", 7, pretrained="nope_in1k")
    with pytest.raises(PretrainedWeightsError, match="choose from 'vggface2', 'casia-webface'"):
        create_model("inception_resnet_v1", 7, pretrained="imagenet")
    with pytest.raises(PretrainedWeightsError, match="bn_cnn has no published weights"):
        create_model("bn_cnn", 7, pretrained=True)


def test_pretrained_false_never_touches_the_network(no_network):
    for name in list_models():
        create_model(name, 3, in_chans=model_input_spec(name).channels, pretrained=False)
    assert no_network == []


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_backbone_state_dict_file(tmp_path):
    source = create_model("resnet_fer", 7)
    path = tmp_path / "backbone.pth"
    torch.save(source.backbone.state_dict(), path)
    model = create_model("resnet_fer", 3, pretrained=str(path))
    assert _same(model.backbone, source.backbone)
    assert model.head.out.out_features == 3


def test_lightning_checkpoint_with_prefixed_keys(tmp_path):
    source = create_model("bn_cnn", 7)
    ckpt = {
        "epoch": 3,
        "state_dict": {f"model.{k}": v for k, v in source.state_dict().items()},
        # LightningCLI may store paths among hyper-parameters: the loader allows pathlib types, nothing else.
        "hyper_parameters": {"class_names": ["angry"] * 7, "root": Path("data/fer2013")},
    }
    path = tmp_path / "epoch=3.ckpt"
    torch.save(ckpt, path)

    same_classes = create_model("bn_cnn", 7)
    report = load_weights_file(same_classes, path)
    assert report.prefix == "model.backbone." and report.head_loaded and report.ignored == []
    assert _same(same_classes, source)

    three_classes = create_model("bn_cnn", 3, pretrained=path)
    assert _same(three_classes.backbone, source.backbone)
    assert not torch.equal(three_classes.head.fc1.weight, source.head.fc1.weight)


def test_a_head_left_out_for_another_class_count_is_not_reported_as_ignored(tmp_path, caplog):
    """Fine-tuning a 7-class checkpoint for 3 classes drops its head on purpose: no "ignored tensors" warning."""
    import logging

    source = create_model("resnet_fer", 7)
    path = tmp_path / "seven.ckpt"
    torch.save({"state_dict": {f"model.{k}": v for k, v in source.state_dict().items()}}, path)
    model = create_model("resnet_fer", 3)
    with caplog.at_level(logging.INFO, logger="fer_torch"):
        report = load_weights_file(model, path)
    assert not report.head_loaded and report.ignored == []
    assert "ignored" not in caplog.text and "head not loaded" in caplog.text


def test_rgb_file_into_grayscale_model_sums_first_conv(tmp_path):
    source = create_model("resnet_fer", 7, in_chans=3)
    state = dict(source.backbone.state_dict())
    state["fc.weight"] = torch.zeros(1000, 256)  # an ImageNet classifier the backbone has no place for
    path = tmp_path / "rgb.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    model = create_model("resnet_fer", 7, in_chans=1)
    report = load_weights_file(model, path)
    assert report.adapted == ["conv1.weight"] and report.ignored == ["fc.weight"]
    torch.testing.assert_close(model.backbone.conv1.weight, source.backbone.conv1.weight.sum(1, keepdim=True))
    torch.testing.assert_close(model.backbone.layer4[1].conv2.weight, source.backbone.layer4[1].conv2.weight)


def test_timm_resnet50_file_as_downloaded(tmp_path):
    """A full timm resnet50 state dict (with its 1000-class ``fc``), as a user would download it."""
    import timm

    timm_model = timm.create_model("resnet50", pretrained=False)
    path = tmp_path / "resnet50.a1_in1k.pth"
    torch.save(timm_model.state_dict(), path)
    del timm_model
    model = create_model("resnet50", 7, in_chans=1, pretrained=path)
    source = torch.load(path, weights_only=True)
    torch.testing.assert_close(model.backbone.conv1.weight, source["conv1.weight"].sum(1, keepdim=True))
    torch.testing.assert_close(model.backbone.layer4[2].bn3.running_var, source["layer4.2.bn3.running_var"])


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(PretrainedWeightsError, match="pretrained weights file .*missing.pth does not exist"):
        create_model("bn_cnn", 7, pretrained=str(tmp_path / "missing.pth"))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(PretrainedWeightsError, match="garbage.pt: cannot read weights"):
        create_model("bn_cnn", 7, pretrained=garbage)
    other = tmp_path / "plain.pth"
    torch.save(create_model("plain_cnn", 7).state_dict(), other)
    with pytest.raises(PretrainedWeightsError, match=r"plain.pth: 16 of 24 backbone tensors missing"):
        create_model("bn_cnn", 7, pretrained=other)
    narrow = tmp_path / "narrow.pth"
    torch.save(create_model("resnet_fer", 7, channels=(16, 32, 64, 128)).backbone.state_dict(), narrow)
    with pytest.raises(PretrainedWeightsError, match=r"layer1.0.conv1.weight: file has shape \(16, 64, 3, 3\)"):
        create_model("resnet_fer", 7, pretrained=narrow)
