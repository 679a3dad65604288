#!/usr/bin/env bash
# GPU runs on one NVIDIA H100/H200 through the device tool: issue 10's check (device-resident data path, fast
# step: `measure`), and the long recipes that need a GPU: issue 11's state-of-the-art configs (`sota`) and
# issue 17's from-scratch seed recipes (`seeds`). `measure` fits one 10-minute call; the long recipes do not
# all fit one call: run them one config per call (`bash tools/gpu_check.sh train configs/X.yaml`), each
# bounded by --trainer.max_time (default 00:00:08:00, set GPU_MAX_TIME) so a call always returns its table.
#
# RUNBOOK (15 device minutes in all; the machine stays warm only ~30 s after a call, so make the calls back to back)
# Here, once, in the repository root (both folders are in .gitignore):
#   python ../shared/tools/device_data.py pack --data ../shared/data/fer2013 --out .devdata --part-mb 40
#       -> .devdata/part1 (40 MB), part2 (20 MB)
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       --platform any -d .whl albumentations==2.0.8 albucore==0.0.24 pydantic==2.13.4 pydantic_core==2.46.4 \
#       annotated-types==0.7.0 typing-inspection==0.4.2 simsimd==6.5.16 stringzilla==5.3.2 kornia==0.9.0 \
#       kornia_rs==0.2.0 jsonargparse==4.53.0 docstring_parser==0.18.0 typeshed_client==2.15.0
# The tracked tree is ~13 MB (slim safetensors default) and a call carries at most 64 MiB, so the two data
# parts travel in two calls (if the tree grows past ~20 MB, pack with --part-mb 28 and add a call per part):
#   1. run(command="bash tools/gpu_check.sh unpack .devdata/part1", carry=[".devdata/part1"], timeout_s=120)
#   2. run(command="bash tools/gpu_check.sh unpack .devdata/part2 && bash tools/gpu_check.sh measure",
#          carry=[".devdata/part2", ".whl"], timeout_s=600)          # ~8 min; results under $OUT
#      (or `... && bash tools/gpu_check.sh sota` / `seeds` in a session that works on issue 11 / 17)
#   3. give_back()
# If call 3 runs out of time, the warm machine keeps /tmp/fer2013 and /tmp/site: rerun only the missing step
# ("bash tools/gpu_check.sh recipe" or "... loaders") at once, carrying ".whl".
# Copy the tables from $OUT/gpu_check.md into docs/benchmarks.md and the README with the device named.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=/tmp/fer2013
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
export PYTHONPATH="$PWD:/tmp/site" PYTHONUNBUFFERED=1

install_wheels() {  # albumentations, kornia, jsonargparse ... are not in the device image
    if [ -d .whl ] && [ ! -f /tmp/site/.done ]; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
        touch /tmp/site/.done
    fi
}

report() { tee -a "$OUT/gpu_check.md"; }

loaders() {  # both data paths, three architectures, eager; steady img/s and first-epoch seconds
    python3 tools/benchmark.py train --device gpu --loader dataloader device --data "$DATA" \
        --arch bn_cnn five_layer_cnn resnet_fer --precision bf16-mixed --batch 128 --epochs 3 --num-workers 12 | report
    # the large-batch point of the scaling rule (docs/benchmarks.md)
    python3 tools/benchmark.py train --device gpu --loader device --data "$DATA" --arch resnet_fer \
        --precision bf16-mixed --batch 512 --epochs 3 | report
}

compiled() {  # torch.compile on/off on the device path (the mode for configs is chosen from this table)
    python3 tools/benchmark.py train --device gpu --loader device --data "$DATA" --arch resnet_fer bn_cnn \
        --precision bf16-mixed --batch 512 --epochs 3 --compile-mode none default max-autotune-no-cudagraphs | report
}

recipe() {  # the default recipe end to end, 40 epochs, wall time and final/best val accuracy
    for extra in "--data.batch_size 128" "--data.batch_size 512 --model.optimizer.lr 6.0e-3" \
                 "--data.batch_size 512 --model.optimizer.lr 6.0e-3 --model.compile_mode default"; do
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        python3 tools/train.py --config configs/fer2013_resnet_fer.yaml --config configs/trainer/gpu.yaml \
            --data.root "$DATA" --trainer.default_root_dir /tmp/gpu_runs --trainer.enable_progress_bar false \
            $extra > "$OUT/recipe.log" 2>&1 || { tail -20 "$OUT/recipe.log"; return 1; }
        wall=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
        metrics=$(ls -t /tmp/gpu_runs/fer2013_resnet_fer/version_*/metrics.csv | head -1)
        python3 - "$metrics" "$wall" "$extra" <<'PY' | report
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("val/acc")]
accs = [float(r["val/acc"]) for r in rows]
print(f"| 40-epoch fer2013_resnet_fer + trainer/gpu.yaml {sys.argv[3]} | {sys.argv[2]} s wall | "
      f"final val {100 * accs[-1]:.2f} % | best val {100 * max(accs):.2f} % | {len(accs)} epochs |")
PY
    done
}

train_and_score() {  # CONFIG [overrides...]: train on the device path, then evaluate the best checkpoint on val
    local config=$1; shift
    local name; name=$(basename "$config" .yaml)
    start=$(date +%s.%N)
    python3 tools/train.py --config "$config" --config configs/trainer/gpu.yaml --data.root "$DATA" \
        --trainer.default_root_dir /tmp/gpu_runs --trainer.enable_progress_bar false \
        --trainer.max_time "${GPU_MAX_TIME:-00:00:08:00}" "$@" > "$OUT/$name.log" 2>&1 \
        || { tail -20 "$OUT/$name.log"; return 1; }
    wall=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
    best=$(ls -t /tmp/gpu_runs/"$name"/version_*/checkpoints/epoch*.ckpt | head -1)
    for tta in none flip tencrop; do
        python3 tools/evaluate.py --weights "$best" --data "$DATA" --split val --tta "$tta" \
            --output "$OUT/$name-$tta" --device cuda > "$OUT/$name-$tta.log" 2>&1
        echo "| $name $* | $wall s wall | TTA $tta | $(grep -m1 '^accuracy' "$OUT/$name-$tta.log") |" | report
    done
    # the slim release file (no optimizer state) travels back; the Lightning checkpoint stays there
    python3 tools/export.py --weights "$best" --format weights --output "$OUT/$name.safetensors" | report
}

sota() {  # issue 11: the state-of-the-art recipes, checkpoint selected on val only
    train_and_score configs/fer2013_resnet18_fer_sota.yaml
    train_and_score configs/fer2013_vgg_fer_sota.yaml
}

seeds() {  # issue 17: the from-scratch seed recipes to their own epochs (docs/reproduction.md)
    for config in seed001_plain_cnn seed002_bn_cnn seed004_bn_cnn seed003_five_layer_cnn seed002_model_a \
                  seed002_model_b; do
        train_and_score "configs/$config.yaml"
    done
}

case "${1:-measure}" in
    unpack)
        python3 "$2/device_data.py" unpack --part "$2" --out "$DATA" ;;
    loaders|compiled|recipe|sota|seeds)
        install_wheels; "$1" ;;
    train)
        install_wheels; shift; train_and_score "$@" ;;
    measure)
        install_wheels
        { nvidia-smi -L; python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"; } | report
        echo "images: $(find "$DATA" -name '*.jpg' | wc -l)" | report
        loaders; compiled; recipe ;;
    *)
        echo "usage: $0 {unpack PART|loaders|compiled|recipe|measure|sota|seeds|train CONFIG [overrides]}" >&2; exit 2 ;;
esac
