"""Training images/s: the Lightning path (FERClassifier + Trainer.fit) vs a bare PyTorch loop, per architecture.

Both paths train the same model with the same optimizer (Adam), batch and in-memory DataLoader of synthetic
images at the architecture's input size. Timing is steady state: the first ``--warmup`` batches are
excluded, then wall time runs from the start of the next batch to the end of the last one (data loading,
logging and metric updates between batches included). ``bf16-mixed`` uses CPU/GPU autocast; by default both
precisions are timed.
"""

from __future__ import annotations

import argparse
import time
import warnings
from contextlib import nullcontext

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.callbacks import Callback
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.lit.classifier import FERClassifier
from fer_torch.models import model_defaults

FROM_SCRATCH = ("mouth_cnn", "plain_cnn", "bn_cnn", "five_layer_cnn", "resnet_fer")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arch", nargs="+", default=list(FROM_SCRATCH), help="registry names (from-scratch CNNs)")
    parser.add_argument("--precision", nargs="+", default=["32", "bf16-mixed"], choices=["32", "bf16-mixed"],
                        help="float32 and/or bf16 autocast (default: both)")
    parser.add_argument("--batch", type=int, default=64, help="batch size")
    parser.add_argument("--steps", type=int, default=30, help="timed batches per path")
    parser.add_argument("--warmup", type=int, default=3, help="untimed batches first")


class SteadyStateTimer(Callback):
    """Wall time from the start of batch ``warmup`` to the end of the last batch."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.start: float | None = None
        self.end: float | None = None
        self.batches = 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == self.warmup:
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if batch_idx >= self.warmup:
            self.end = time.perf_counter()
            self.batches += 1


def _loader(arch: str, batch: int, batches: int, num_classes: int = 7) -> DataLoader:
    spec = model_defaults(arch)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch * batches, spec["channels"], *spec["image_size"], generator=g)
    y = torch.randint(0, num_classes, (batch * batches,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True)


def lightning_images_per_s(arch: str, precision: str, batch: int, steps: int, warmup: int) -> float:
    """Images/s of ``Trainer.fit`` on FERClassifier (no logger, checkpoint, progress bar or validation)."""
    pl.seed_everything(0, verbose=False)
    timer = SteadyStateTimer(warmup)
    trainer = pl.Trainer(accelerator="cpu", devices=1, precision=precision, max_epochs=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=0, num_sanity_val_steps=0, callbacks=[timer])
    trainer.fit(FERClassifier(arch, num_classes=7, optimizer="adam", lr=1e-3), _loader(arch, batch, warmup + steps))
    return timer.batches * batch / (timer.end - timer.start)


def bare_images_per_s(arch: str, precision: str, batch: int, steps: int, warmup: int) -> float:
    """Images/s of a plain loop: zero_grad, forward, cross-entropy, backward, Adam step."""
    pl.seed_everything(0, verbose=False)
    model = FERClassifier(arch, num_classes=7).model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16-mixed" else nullcontext()
    start = None
    for i, (x, y) in enumerate(_loader(arch, batch, warmup + steps)):
        if i == warmup:
            start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return steps * batch / (time.perf_counter() - start)


def run(args: argparse.Namespace) -> str:
    """Markdown table: Lightning vs bare images/s and their ratio for each architecture and precision."""
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
            lit = lightning_images_per_s(arch, precision, args.batch, args.steps, args.warmup)
            bare = bare_images_per_s(arch, precision, args.batch, args.steps, args.warmup)
            lines.append(f"| {arch} | {precision} | {lit:.1f} | {bare:.1f} | {lit / bare:.2f} |")
    return "\n".join(lines) + "\n"
