#!/usr/bin/env bash
# CI, after the tests: build the wheel, install it with torch alone into a clean virtualenv, and use it from a
# folder outside the checkout the way a pip user would (issue 24). Run from the repository root, with the
# development venv active (its python writes the fixture data and the face photo).
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python -m pip wheel -q --no-deps -w "$work/dist" .
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q torch==2.14.1 torchvision==0.29.1
"$work/venv/bin/pip" install -q "$work"/dist/fer_torch-*.whl
"$work/venv/bin/pip" check
python - "$work" <<'PY'
import sys
from pathlib import Path

import cv2
from skimage import data

from fer_torch.data.dataset_writers import write_folders
from fer_torch.fixtures.synthetic_images import make_synthetic_samples

work = Path(sys.argv[1])
write_folders(make_synthetic_samples(4, seed=0), work / "fer", "train")
write_folders(make_synthetic_samples(2, seed=1), work / "fer", "val")
cv2.imwrite(str(work / "photo.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
PY
cd "$work"
export PATH="$work/venv/bin:$PATH"
fer-evaluate --data fer --split val --output eval >/dev/null && test -s eval/metrics.json
fer-live --source photo.jpg --no-display --log faces.csv
test "$(tail -n +2 faces.csv | wc -l)" -ge 1
fer-train --config seed004_bn_cnn --data.root fer --trainer.fast_dev_run true --trainer.default_root_dir runs >/dev/null
fer-train --list-configs > configs.txt && grep -q '^seed004_bn_cnn ' configs.txt
fer-train --list-configs | head -n 1 >/dev/null  # a reader that leaves early is not an error
python -c "from fer_torch.inference import Predictor; Predictor.from_weights()"
cd "$root"
echo "wheel smoke: ok (fer-evaluate, fer-live, fer-train from $work with torch and the wheel only; pip check clean)"
