"""Training images/s: Lightning vs a bare PyTorch loop, or (``--loader``) the DataLoader vs the device data path.

Without ``--loader``: the Lightning path (FERClassifier + Trainer.fit) vs a bare PyTorch loop, per architecture.
Both paths train the same model with the same optimizer (Adam), batch and in-memory DataLoader of synthetic
images at the architecture's input size. Timing is steady state: the first ``--warmup`` batches are
excluded, then wall time runs from the start of the next batch to the end of the last one (data loading,
logging and metric updates between batches included). ``bf16-mixed`` uses CPU/GPU autocast; by default both
precisions are timed.

With ``--loader dataloader device``: ``Trainer.fit`` through :class:`FERDataModule` on each data path (albumentations
in DataLoader workers vs the split on the device with kornia augmentation), interleaved per architecture and
repeated, reporting the first epoch's wall seconds (setup, decode, transfer and any compilation included) and the
steady images/s of the later epochs (median over repeats). Data: ``--data`` folders, else a synthetic FER2013-sized
folder of ``--images`` images.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.benchmarks.timing import SteadyStateTimer, bare_step_images_per_s
from fer_torch.callbacks.seeding import EpochReseeding
from fer_torch.data.datamodule import FERDataModule
from fer_torch.data.dataset_writers import write_folders
from fer_torch.fixtures.synthetic_images import make_synthetic_samples
from fer_torch.lit.classifier import FERClassifier
from fer_torch.models import model_input_spec

FROM_SCRATCH = ("mouth_cnn", "plain_cnn", "bn_cnn", "five_layer_cnn", "resnet_fer")
LOADER_ARCHS = ("bn_cnn", "five_layer_cnn", "resnet_fer")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arch", nargs="+", default=list(FROM_SCRATCH), help="registry names (from-scratch CNNs)")
    parser.add_argument("--precision", nargs="+", default=["32", "bf16-mixed"], choices=["32", "bf16-mixed"],
                        help="float32 and/or bf16 autocast (default: both)")
    parser.add_argument("--batch", type=int, default=64, help="batch size")
    parser.add_argument("--steps", type=int, default=30, help="timed batches per path")
    parser.add_argument("--warmup", type=int, default=3, help="untimed batches first")
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"], help="Lightning accelerator")
    parser.add_argument("--loader", nargs="+", choices=["dataloader", "device"],
                        help="compare these data paths (fit through FERDataModule) instead of Lightning vs bare")
    parser.add_argument("--data", type=Path, help="ROOT/{train,val}/<class>/ folders for --loader "
                        "(default: a synthetic folder of --images images)")
    parser.add_argument("--images", type=int, default=2048, help="synthetic training images for --loader")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per --loader fit (first one reported apart)")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved repeats per --loader path (median)")
    parser.add_argument("--num-workers", type=int, default=2, help="DataLoader workers of the dataloader path")
    parser.add_argument("--augment", default="standard", help="augmentation preset of --loader fits")
    parser.add_argument("--compile-mode", nargs="+", default=["none"],
                        help="torch.compile modes for --loader fits ('none' = eager), e.g. none default")
    from fer_torch.benchmarks.train_configs import add_config_arguments

    add_config_arguments(parser)


def _loader(arch: str, batch: int, batches: int, num_classes: int = 7) -> DataLoader:
    spec = model_input_spec(arch)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch * batches, spec.channels, *spec.image_size, generator=g)
    y = torch.randint(0, num_classes, (batch * batches,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True)


def lightning_images_per_s(arch: str, precision: str, batch: int, steps: int, warmup: int, device: str = "cpu") -> float:
    """Images/s of ``Trainer.fit`` on FERClassifier (no logger, checkpoint, progress bar or validation)."""
    pl.seed_everything(0, verbose=False)
    timer = SteadyStateTimer(warmup)
    trainer = pl.Trainer(accelerator=device, devices=1, precision=precision, max_epochs=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=0, num_sanity_val_steps=0, callbacks=[timer, EpochReseeding()])
    trainer.fit(FERClassifier(arch, num_classes=7, optimizer={"name": "adam", "lr": 1e-3}),
                _loader(arch, batch, warmup + steps))
    return timer.images_per_s


def bare_images_per_s(arch: str, precision: str, batch: int, steps: int, warmup: int, device: str = "cpu") -> float:
    """Images/s of a plain loop: zero_grad, forward, cross-entropy, backward, Adam step."""
    pl.seed_everything(0, verbose=False)
    model = FERClassifier(arch, num_classes=7).model.train().to("cuda" if device == "gpu" else "cpu")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return bare_step_images_per_s(model, optimizer, _loader(arch, batch, warmup + steps), precision, warmup)


class EpochTimer(Callback):
    """Start and end time of every training epoch and the images each one trained on.

    Not Lightning's ``ThroughputMonitor``: that keeps no per-epoch times, and the first epoch is timed from the
    start of the fit (setup and compilation included), apart from the steady ones.
    """

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.images: list[int] = []
        self.starts: list[float] = []

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.starts.append(time.perf_counter())
        self.images.append(0)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.images[-1] += len(batch[1])

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.strategy.root_device.type == "cuda":
            torch.cuda.synchronize()
        self.ends.append(time.perf_counter())


def fit_timing(root: Path, arch: str, loader: str, precision: str, compile_mode: str,
               args: argparse.Namespace) -> tuple[float, float]:
    """(first-epoch seconds from ``fit`` start, steady images/s of the later epochs) of one ``Trainer.fit``."""
    pl.seed_everything(0, verbose=False)
    if args.device == "gpu":
        torch.set_float32_matmul_precision("high")  # what configs/trainer/gpu.yaml sets
    dm = FERDataModule(str(root), arch=arch, train_augment=args.augment, batch_size=args.batch, loader=loader,
                       dataloader={"num_workers": args.num_workers, "persistent_workers": True,
                                   "pin_memory": args.device == "gpu"})
    model = FERClassifier(arch, num_classes=dm.num_classes, input_spec=dm.input_spec.to_dict(),
                          optimizer={"name": "adamw", "lr": 1e-3, "fused": True if args.device == "gpu" else None},
                          channels_last=True, compile_mode=None if compile_mode == "none" else compile_mode)
    timer = EpochTimer()
    trainer = pl.Trainer(accelerator=args.device, devices=1, precision=precision, max_epochs=args.epochs,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0,
                         callbacks=[timer, EpochReseeding()], benchmark=args.device == "gpu")
    start = time.perf_counter()
    trainer.fit(model, datamodule=dm)
    steady = sum(timer.images[1:]) / sum(e - s for s, e in zip(timer.starts[1:], timer.ends[1:]))
    return timer.ends[0] - start, steady


def _synthetic_folder(images: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="fer_bench_"))
    write_folders(make_synthetic_samples(max(1, images // 7), seed=0), root, "train")
    write_folders(make_synthetic_samples(2, seed=1), root, "val")
    return root


def run_loaders(args: argparse.Namespace) -> str:
    """Markdown table: per architecture, precision and compile mode, each data path's first epoch and steady img/s."""
    if args.epochs < 2:
        raise SystemExit("error: --epochs must be at least 2 (the first epoch is reported apart)")
    root = args.data or _synthetic_folder(args.images)
    archs = args.arch if args.arch != list(FROM_SCRATCH) else list(LOADER_ARCHS)
    lines = [
        f"### Data paths: fit on `{'synthetic' if args.data is None else args.data}` ({args.device}, batch "
        f"{args.batch}, augment `{args.augment}`, {args.epochs} epochs, median of {args.repeats}, "
        f"{args.num_workers} DataLoader workers, {torch.get_num_threads()} threads)",
        "",
        "| arch | precision | compile | loader | first epoch s | steady img/s | vs dataloader |",
        "| --- | --- | --- | --- | ---: | ---: | ---: |",
    ]
    warnings.filterwarnings("ignore", message=".*(num_workers|does not have many workers|no `val_dataloader`).*")
    for arch in archs:
        for precision in args.precision:
            for mode in args.compile_mode:
                runs: dict[str, list[tuple[float, float]]] = {loader: [] for loader in args.loader}
                for _ in range(args.repeats):  # interleaved, so a busy machine slows both paths alike
                    for loader in args.loader:
                        runs[loader].append(fit_timing(root, arch, loader, precision, mode, args))
                medians = {k: (statistics.median(f for f, _ in v), statistics.median(s for _, s in v))
                           for k, v in runs.items()}
                for loader, (first, steady) in medians.items():
                    base = medians.get("dataloader", (0.0, 0.0))[1]
                    ratio = f"{steady / base:.2f}" if base else "-"
                    lines.append(f"| {arch} | {precision} | {mode} | {loader} | {first:.2f} | {steady:.0f} | {ratio} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> str:
    """Markdown table: Lightning vs bare images/s and their ratio for each architecture and precision."""
    if args.config:
        from fer_torch.benchmarks.train_configs import run_configs

        return run_configs(args)
    if args.loader:
        return run_loaders(args)
    lines = [
        f"### Training throughput (batch {args.batch}, {args.steps} timed steps after {args.warmup} warm-up, "
        f"{torch.get_num_threads()} threads)",
        "",
        "| arch | precision | Lightning img/s | bare PyTorch img/s | Lightning / bare |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    warnings.filterwarnings("ignore", message=".*no `val_dataloader`")
    for arch in args.arch:
        for precision in args.precision:
            lit = lightning_images_per_s(arch, precision, args.batch, args.steps, args.warmup, args.device)
            bare = bare_images_per_s(arch, precision, args.batch, args.steps, args.warmup, args.device)
            lines.append(f"| {arch} | {precision} | {lit:.1f} | {bare:.1f} | {lit / bare:.2f} |")
    return "\n".join(lines) + "\n"
