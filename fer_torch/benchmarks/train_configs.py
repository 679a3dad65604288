"""Training images/s through the real training CLI (``tools/train.py --config ...``), side by side in one run with
trainer presets, the bare PyTorch step of the same model and optimizer in every CPU mode, and the seeds' Keras
original (``tools/peers/keras_bn_cnn.py`` under a Python that has TensorFlow).

Every path is timed in steady state (``--warmup`` batches untimed, then ``--steps`` batches, data preparation
included), repeats interleaved so a busy machine slows every path alike, medians reported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import torch
import yaml

from fer_torch.benchmarks.timing import bare_step_images_per_s
from fer_torch.hardware import cpu_mode
from fer_torch.lit.classifier import FERClassifier
from fer_torch.lit.optimizers import build_optimizer
from fer_torch.spec import InputSpec

KERAS_PEER = Path(__file__).resolve().parents[2] / "tools" / "peers" / "keras_bn_cnn.py"
BARE_MODES = (("32-true", False), ("32-true", True), ("bf16-mixed", False), ("bf16-mixed", True))
"""(precision, channels-last) of the bare steps timed for the best one."""


TRAIN_TOOL = "import sys; from fer_torch.cli.scripts import train; sys.exit(train())"
"""``python -c`` program that runs ``tools/train.py`` (``fer-train``) with the arguments after it."""


def cli_images_per_s(config: str, preset: str | None, args: argparse.Namespace, root_dir: Path) -> tuple[float, dict]:
    """(images/s, the run's saved config.yaml) of ``tools/train.py --config config [preset]`` over ``warmup + steps``
    batches, in a process of its own as a user runs it, timed by :class:`SteadyStateTimer`."""
    run_dir = Path(tempfile.mkdtemp(dir=root_dir))
    timing = run_dir / "timing.json"
    argv = ["--config", config, *preset_args(preset), "--data.root", str(args.data),
            "--trainer.max_epochs", "1", "--trainer.limit_train_batches", str(args.warmup + args.steps),
            "--trainer.limit_val_batches", "1", "--trainer.num_sanity_val_steps", "0",
            "--trainer.enable_model_summary", "false", "--trainer.default_root_dir", str(run_dir),
            "--trainer.callbacks+=fer_torch.benchmarks.timing.SteadyStateTimer",
            f"--trainer.callbacks.warmup={args.warmup}", f"--trainer.callbacks.output={timing}"]
    done = subprocess.run([sys.executable, "-c", TRAIN_TOOL, *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: training {config} failed: {last}")
    if not timing.is_file():
        raise SystemExit(f"error: {config} has fewer than --warmup + --steps = {args.warmup + args.steps} training "
                         "batches in one epoch; lower them")
    (saved,) = run_dir.rglob("config.yaml")
    return json.loads(timing.read_text())["images_per_s"], yaml.safe_load(saved.read_text())


def saved_classifier(saved: dict) -> FERClassifier:
    """The model and optimizer settings of a run's saved config, as a fresh :class:`FERClassifier`."""
    model, data = saved["model"], saved["data"]
    spec = InputSpec.from_dict(data["input_spec"])
    return FERClassifier(**{key: model[key] for key in ("arch", "model_kwargs", "optimizer")},
                         input_spec=spec.to_dict())


def preset_args(preset: str | None) -> list[str]:
    """``"configs/trainer/cpu.yaml --data.loader dataloader"`` -> ``["--config", "configs/trainer/cpu.yaml",
    "--data.loader", "dataloader"]``: a preset is a config file, CLI overrides, or both."""
    words = shlex.split(preset or "")
    return ["--config", words[0], *words[1:]] if words and not words[0].startswith("--") else words


def bare_images_per_s(classifier, precision: str, channels_last: bool, batch: int, args: argparse.Namespace) -> float:
    """Images/s of a plain loop (zero_grad, forward, loss, backward, step) on ``classifier``'s model with
    its configured optimizer, on in-memory random tensors of its input shape."""
    torch.manual_seed(0)
    hp = classifier.hparams
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = classifier.model.float().train().to(memory_format=memory_format)
    opt = hp.optimizer
    optimizer = build_optimizer(opt["name"], [{"params": list(model.parameters())}], lr=opt["lr"],
                                weight_decay=opt["weight_decay"], fused=None, options=opt["options"])
    x = torch.randn(batch, *classifier.example_input_array.shape[1:]).contiguous(memory_format=memory_format)
    y = torch.randint(0, hp.num_classes, (batch,))
    return bare_step_images_per_s(model, optimizer, itertools.repeat((x, y), args.warmup + args.steps), precision,
                                  args.warmup)


def keras_images_per_s(python: str, batch: int, args: argparse.Namespace) -> dict:
    """The Keras peer's JSON line (``images_per_s`` ...), run under ``python``."""
    command = [python, str(KERAS_PEER), "--data", str(args.data), "--images", str(args.keras_images),
               "--batch", str(batch), "--warmup-batches", str(args.warmup), "--batches", str(args.steps)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: the Keras peer failed ({python}): {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _label(preset: str | None) -> str:
    return "default path" if preset is None else f"+ `{preset.replace('configs/', '')}`"


def run_configs(args: argparse.Namespace) -> str:
    """Markdown table: per config, the training CLI's images/s with each preset beside the bare steps and Keras."""
    if args.data is None:
        raise SystemExit("error: --config needs --data (FER2013 folders, e.g. ../shared/data/fer2013)")
    warnings.filterwarnings("ignore", message=".*(num_workers|does not have many workers|val_dataloader|"
                            "smaller than the logging interval|model summary).*")
    presets = [None if p == "none" else p for p in args.preset]
    mode = cpu_mode()
    lines = [f"### Training through the CLI on `{args.data}` ({args.steps} timed batches after {args.warmup}, "
             f"median of {args.repeats} interleaved repeats, {torch.get_num_threads()} threads; this CPU's mode: "
             f"{mode.describe()})", "",
             "| config | path | precision | channels-last | loader | images/s | runs | vs Keras | vs best bare |",
             "| --- | --- | --- | --- | --- | ---: | --- | ---: | ---: |"]
    with tempfile.TemporaryDirectory(prefix="fer_bench_cli_") as root_dir:
        root = Path(root_dir)
        for config in args.config:
            runs: dict[str, list[float]] = {}
            setting: dict[str, tuple[str, str, str]] = {}
            for _ in range(args.repeats):
                for preset in presets:
                    rate, saved = cli_images_per_s(config, preset, args, root)
                    key = _label(preset)
                    runs.setdefault(key, []).append(rate)
                    setting[key] = (str(saved["trainer"]["precision"]), str(saved["model"]["channels_last"]).lower(),
                                    saved["data"]["loader"])
                    batch = saved["data"]["batch_size"]
                if args.keras:
                    keras_run = keras_images_per_s(args.keras, batch, args)
                    runs.setdefault("Keras original", []).append(keras_run["images_per_s"])
                    setting["Keras original"] = ("float32", "-", "in-memory arrays")
                if args.bare:
                    for precision, channels_last in BARE_MODES:
                        key = f"bare step, {precision}{', channels-last' if channels_last else ''}"
                        rate = bare_images_per_s(saved_classifier(saved), precision, channels_last, batch, args)
                        runs.setdefault(key, []).append(rate)
                        setting[key] = (precision, str(channels_last).lower(), "random tensors")
            medians = {key: statistics.median(values) for key, values in runs.items()}
            keras = medians.get("Keras original")
            bare = max((v for k, v in medians.items() if k.startswith("bare")), default=None)
            for key, rate in medians.items():
                vs_keras = f"{rate / keras:.2f}" if keras else "-"
                vs_bare = f"{rate / bare:.2f}" if bare else "-"
                values = ", ".join(f"{v:.0f}" for v in runs[key])
                lines.append(f"| `{Path(config).name}` (batch {batch}) | {key} | {' | '.join(setting[key])} | "
                             f"{rate:.1f} | {values} | {vs_keras} | {vs_bare} |")
    return "\n".join(lines) + "\n"


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` mode's options."""
    parser.add_argument("--config", nargs="+", help="train through tools/train.py with these configs (needs --data)")
    parser.add_argument("--preset", nargs="+", default=["none"],
                        help="what to layer after each --config, each a trainer preset file and/or overrides in one "
                        "quoted word ('none' = the config alone: the default path), e.g. none "
                        "'configs/trainer/cpu.yaml --data.loader dataloader'")
    parser.add_argument("--bare", action="store_true",
                        help="also time the bare PyTorch step of each config's model and optimizer in fp32/bf16, "
                        "contiguous/channels-last")
    parser.add_argument("--keras", metavar="PYTHON",
                        help="also time the seeds' Keras BN CNN (tools/peers/keras_bn_cnn.py) under this Python, "
                        "which must have TensorFlow (a scratch virtualenv)")
    parser.add_argument("--keras-images", type=int, default=8192, help="training images the Keras peer holds")
