"""tools/summary.py: the seeds' parameter counts, per fine-tuning phase, without reading any data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fer_torch.cli.summary import main

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

EXPECTED = {
    # seed 000 Table 2: frozen VGG16/VGG19 with a new output layer (models 6, 8) or a GAP-128 head (7, 9)
    "seed000_vgg16_model6": (12_291, 12_291),
    "seed000_vgg16_model7": (66_051, 66_051),
    "seed000_vgg19_model8": (12_291, 12_291),
    "seed000_vgg19_model9": (66_051, 66_051),
    # from-scratch CNNs: everything trainable (seed 000: 4,731; 001: 860,741 for 5 classes; 002/004; 003)
    "seed000_mouth_cnn": (4_731, 4_731),
    "seed001_plain_cnn": (860_741, 860_741),
    "seed002_bn_cnn": (4_474_759, 4_474_759),
    "seed004_bn_cnn": (4_474_759, 4_474_759),
    "seed003_five_layer_cnn": (11_075_847, 11_075_847),
}


def _summary(capsys, *configs: str) -> dict:
    # data.root points nowhere: the summary must not read the dataset.
    argv = [a for c in configs for a in ("--config", str(CONFIGS / f"{c}.yaml"))]
    assert main([*argv, "--data.root", "/nonexistent/fer2013", "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize(("config", "expected"), EXPECTED.items(), ids=EXPECTED)
def test_trainable_counts_match_the_seeds(config, expected, capsys):
    counts = _summary(capsys, config)
    assert (counts["trainable"], counts["trainable_phase2"]) == expected
    if not config.startswith("seed000_vgg"):
        assert counts["total"] == counts["trainable"]


def test_two_phase_config_counts_each_phase(capsys):
    counts = _summary(capsys, "seed003_seresnet50")
    head = 2048 * 4096 + 4096 + 4096 * 1024 + 1024 + 1024 * 7 + 7
    bn = counts["trainable"] - head  # phase 1: head + BatchNorm (seed 003 keeps BN trainable)
    assert 0 < bn < 100_000
    assert counts["trainable"] < counts["trainable_phase2"] < counts["total"]  # phase 2 from layer3.4 on
    full = _summary(capsys, "seed003_resnet50")
    assert full["trainable_phase2"] == full["total"]


def test_batchnorm_statistics_are_reported_like_keras_non_trainable(capsys):
    assert main(["--config", str(CONFIGS / "seed003_five_layer_cnn.yaml")]) == 0
    out = capsys.readouterr().out
    assert "11,075,847" in out and "BatchNorm statistics (buffers):          896" in out
