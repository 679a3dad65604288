"""Time to accuracy: each training recipe (a config) run through the training CLI until its val accuracy reaches
``--target``, with the wall time, epochs and images/s it took, recipes side by side on the same CPU.

A recipe that does not reach the target within its own epochs (or ``--max-epochs``) reports its best val accuracy
and the time it ran. ``--full`` trains every recipe to its last epoch (an ablation table: the time to the target,
the best and the last val accuracy, seconds per epoch). A recipe is a config name or path, optionally followed by
training-CLI overrides in the same argument (``"fer2013_fast --data.train_augment window"``). Training time counts
from the start of the fit and includes validation; the process start (imports, reading the data) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fer_torch.benchmarks.train_configs import TRAIN_TOOL, preset_args

DEFAULT_RECIPES = ("fer2013_resnet_fer",)
DEFAULT_TARGET = 0.665
"""The val (PublicTest) accuracy a recipe must reach: the previous default's (fer2013_resnet_fer, 40 epochs),
the figure the recipe timings in docs/benchmarks.md were measured against."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="FER2013 folders (train/ and val/), e.g. ../shared/data/fer2013")
    parser.add_argument("--config", dest="configs", nargs="+", default=list(DEFAULT_RECIPES), metavar="CONFIG",
                        help=f"recipes to time, by name or path, each optionally with overrides in the same argument "
                             f"(default: {' '.join(DEFAULT_RECIPES)}, the previous default model's 40-epoch recipe)")
    parser.add_argument("--target", type=float, default=DEFAULT_TARGET,
                        help=f"val accuracy to reach (default {DEFAULT_TARGET}: the previous default's)")
    parser.add_argument("--preset", default=None,
                        help="trainer preset and overrides for every recipe, e.g. 'configs/trainer/cpu.yaml' "
                             "(default: none, the CPU's own fast mode)")
    parser.add_argument("--max-epochs", type=int, default=None, help="cap each recipe's epochs (default: its own)")
    parser.add_argument("--full", action="store_true",
                        help="train every recipe to its last epoch instead of stopping at the target")
    parser.add_argument("--runs", type=Path, default=None,
                        help="keep the runs (checkpoints, logs) under this folder (default: a temporary one)")


@dataclass(frozen=True)
class RecipeTime:
    """One recipe's run: when (if) it reached the target, and what it reached."""

    config: str
    precision: str
    reached_epoch: int | None
    seconds: float  # to the target, else the whole fit
    images_per_s: float
    best: float
    epochs_run: int
    startup_seconds: float
    last: float  # val accuracy at the last epoch run
    fit_seconds: float  # the whole fit

    def row(self, reference: RecipeTime | None) -> list[str]:
        """The markdown row; ``reference``: the first recipe, whose time the others are compared with."""
        reached = f"epoch {self.reached_epoch}" if self.reached_epoch else f"not in {self.epochs_run} epochs"
        versus = ""
        if reference is not None and reference.reached_epoch and self.reached_epoch:
            versus = f"{self.seconds / reference.seconds:.2f}"
        return [self.config, self.precision, reached, f"{self.seconds / 60:.1f}", versus, f"{self.images_per_s:.0f}",
                f"{100 * self.best:.2f} %", f"{100 * self.last:.2f} % (epoch {self.epochs_run})",
                f"{self.fit_seconds / self.epochs_run:.0f}", f"{self.startup_seconds:.0f}"]


def time_recipe(config: str, args: argparse.Namespace, root: Path) -> RecipeTime:
    """Train ``config`` in a process of its own until ``--target``; its :class:`RecipeTime`."""
    recipe_args = preset_args(config)
    run_dir = Path(tempfile.mkdtemp(prefix=Path(recipe_args[1]).stem + "_", dir=root))
    timing = run_dir / "time_to_accuracy.json"
    argv = [*recipe_args, *preset_args(args.preset), "--data.root", str(args.data),
            "--trainer.default_root_dir", str(run_dir),
            "--trainer.callbacks+=fer_torch.benchmarks.timing.TimeToAccuracy",
            f"--trainer.callbacks.target={args.target}", f"--trainer.callbacks.output={timing}",
            f"--trainer.callbacks.stop={not args.full}"]
    if args.max_epochs:
        argv += ["--trainer.max_epochs", str(args.max_epochs)]
    log = run_dir / "train.log"
    print(f"training {config} until {args.target:.4f} val accuracy; follow it in {log}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-c", TRAIN_TOOL, *argv], stdout=out, stderr=subprocess.STDOUT,
                              check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0 or not timing.is_file():
        last = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: training {config} failed: {last}")
    epochs = json.loads(timing.read_text())["epochs"]
    reached = next((e for e in epochs if e["val/acc"] >= args.target), None)
    last = reached or epochs[-1]
    (saved,) = run_dir.rglob("config.yaml")
    precision = _saved_precision(saved)
    name = " ".join([Path(recipe_args[1]).stem, *recipe_args[2:]])
    return RecipeTime(name, precision, reached["epoch"] if reached else None, last["seconds"],
                      last["images"] / last["seconds"], max(e["val/acc"] for e in epochs), len(epochs),
                      wall - epochs[-1]["seconds"], epochs[-1]["val/acc"], epochs[-1]["seconds"])


def _saved_precision(saved: Path) -> str:
    import yaml

    trainer = yaml.safe_load(saved.read_text()).get("trainer") or {}
    return str(trainer.get("precision"))


def run(args: argparse.Namespace) -> str:
    """Markdown table: per recipe, epochs and wall minutes to ``--target`` val accuracy, beside the first recipe."""
    with tempfile.TemporaryDirectory() as scratch:  # with --runs, the runs (and their train.log) are kept
        root = args.runs or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        times = [time_recipe(config, args, root) for config in args.configs]
    header = ["recipe", "precision", f"reached {100 * args.target:.2f} % val at", "minutes", "× the first",
              "images/s", "best val", "last val", "s per epoch", "start-up s"]
    rows = [header, ["---"] * len(header), *(t.row(times[0]) for t in times)]
    title = (f"### Time to {100 * args.target:.2f} % val accuracy (training from the start of the fit, validation "
             "included)")
    return "\n".join([title, "", *("| " + " | ".join(r) + " |" for r in rows), ""])
