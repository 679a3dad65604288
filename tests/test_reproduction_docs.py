"""docs/reproduction.md's measured rows are the runs' own figures: each row that links a folder of
docs/reproduction/ states the accuracy and macro F1 of the metrics.json committed there, and the folder holds the
confusion matrix and the training curves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROW_FILES = re.compile(r"\]\(reproduction/(?P<config>[a-z0-9_]+)/\)")
ACCURACY = re.compile(r"\*\*(?P<acc>\d+\.\d\d) %\*\* accuracy, macro F1 (?P<f1>\d+\.\d\d) %")


def measured_rows() -> list[tuple[str, str]]:
    rows = []
    for line in (DOCS / "reproduction.md").read_text().splitlines():
        match = ROW_FILES.search(line)
        if line.startswith("| seed") and match:
            rows.append((match["config"], line))
    return rows


def test_the_measured_rows_are_there():
    configs = [config for config, _ in measured_rows()]
    measured = {"seed004_bn_cnn", "seed002_bn_cnn", "seed002_model_a", "seed002_model_b", "seed001_plain_cnn"}
    assert measured <= set(configs) and len(configs) == len(set(configs))


@pytest.mark.parametrize(("config", "row"), measured_rows(), ids=[c for c, _ in measured_rows()])
def test_a_measured_row_states_its_metrics_json(config, row):
    folder = DOCS / "reproduction" / config
    metrics = json.loads((folder / "metrics.json").read_text())
    stated = ACCURACY.search(row)
    assert stated is not None, f"{config}: the row states no '**A %** accuracy, macro F1 F %'"
    assert stated["acc"] == f"{100 * metrics['accuracy']:.2f}"
    assert stated["f1"] == f"{100 * metrics['macro_f1']:.2f}"
    assert f"{metrics['n']:,}" in row, f"{config}: the row does not name its {metrics['n']:,} images"
    for plot in ("confusion_matrix.png", "training_curves.png"):
        assert (folder / plot).stat().st_size > 5_000, f"{config}: {plot} missing"
