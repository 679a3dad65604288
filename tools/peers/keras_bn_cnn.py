#!/usr/bin/env python
"""Keras peer of fer-torch's ``bn_cnn``: the BN CNN of seeds 002/004, trained with ``model.fit`` on in-memory arrays.

Prints ONE JSON line on stdout (TF log noise goes to stderr). Steady-state mode (default) times ``--batches``
batches after ``--warmup-batches`` untimed ones (tracing included there): wall time from the start of the first
timed batch to the end of the last, as fer-torch's ``benchmark.py train`` does. ``--epochs E`` instead trains E
full epochs on ``--data`` and reports per-epoch training seconds and val accuracy (ROOT/val).

Imports only tensorflow, numpy and Pillow, so it runs under a scratch venv's python; TF is no project dependency.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CLASSES = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
PARAMS = 4_478_727  # 4,474,759 trainable + 3,968 BatchNorm moving mean/variance
NO_TF = ("error: TensorFlow is not installed in this Python; run this script with a scratch virtualenv's python "
         "(python -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu pillow)")


class UsageError(Exception):
    """A one-line error for stderr, exit status 2."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="ROOT with train/<class>/*.jpg (and val/ for --epochs); "
                   "default: seeded synthetic images")
    p.add_argument("--images", type=int, help="load at most N training images (seeded random subset; default all)")
    p.add_argument("--batch", type=int, default=64, help="batch size (seed 004: 64)")
    p.add_argument("--warmup-batches", type=int, default=5, help="untimed batches first (tracing included)")
    p.add_argument("--batches", type=int, default=40, help="timed batches")
    p.add_argument("--threads", type=int, default=0, help="TF intra/inter-op threads (0 = TF default)")
    p.add_argument("--epochs", type=int, default=0, help="train E full epochs on --data instead (accuracy check)")
    p.add_argument("--lr", type=float, default=5e-4, help="Adam learning rate (seed 004: 5e-4)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    args = p.parse_args(argv)
    for name in ("batch", "batches", "images"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1")
    if min(args.warmup_batches, args.threads, args.epochs) < 0:
        p.error("--warmup-batches, --threads and --epochs must be >= 0")
    if args.epochs and args.data is None:
        p.error("--epochs needs --data")
    return args


def list_split(root: Path, split: str) -> list[tuple[Path, int]]:
    """(image path, class index) of ROOT/split/<class>/*, classes in alphabetical order."""
    folder = root / split
    if not root.is_dir():
        raise UsageError(f"error: --data {root}: not a directory")
    if not folder.is_dir():
        raise UsageError(f"error: --data {root}: no {split}/ folder")
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
    if list(classes) != list(CLASSES):
        raise UsageError(f"error: --data {root}: {split}/ class folders {classes} are not {list(CLASSES)}")
    files = [(f, i) for i, c in enumerate(classes) for f in sorted((folder / c).iterdir()) if f.is_file()]
    if not files:
        raise UsageError(f"error: --data {root}: no images in {split}/")
    return files


def load(files: list[tuple[Path, int]], limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 48, 48, 1) images in [0, 1] and one-hot float32 (N, 7) labels of a seeded subset."""
    try:
        from PIL import Image
    except ImportError:
        raise UsageError("error: --data needs Pillow in this Python (pip install pillow)") from None
    order = np.random.default_rng(seed).permutation(len(files))[:limit]
    x = np.empty((len(order), 48, 48, 1), np.float32)
    for j, k in enumerate(order):
        try:
            with Image.open(files[k][0]) as im:
                x[j, :, :, 0] = np.asarray(im.convert("L").resize((48, 48)), np.float32) / 255.0
        except OSError as e:
            raise UsageError(f"error: cannot read image {files[k][0]}: {e}") from None
    y = np.eye(len(CLASSES), dtype=np.float32)[[files[k][1] for k in order]]
    return x, y


def build_model(tf, lr: float):
    """Seed 004's Sequential model, compiled as the seed does (Adam, categorical cross-entropy, accuracy)."""
    L = tf.keras.layers
    model = tf.keras.Sequential([tf.keras.Input((48, 48, 1))])
    for filters, kernel in ((64, 3), (128, 5), (512, 3), (512, 3)):
        model.add(L.Conv2D(filters, kernel, padding="same"))
        model.add(L.BatchNormalization())
        model.add(L.Activation("relu"))
        model.add(L.MaxPooling2D(2))
        model.add(L.Dropout(0.25))
    model.add(L.Flatten())
    for units in (256, 512):
        model.add(L.Dense(units))
        model.add(L.BatchNormalization())
        model.add(L.Activation("relu"))
        model.add(L.Dropout(0.25))
    model.add(L.Dense(len(CLASSES), activation="softmax"))
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=lr), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    assert model.count_params() == PARAMS, model.count_params()
    return model


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def run(args: argparse.Namespace, tf) -> dict:
    """Train and return the JSON record."""
    if args.data is not None:
        x, y = load(list_split(args.data, "train"), args.images, args.seed)
    else:
        rng = np.random.default_rng(args.seed)
        n = args.images or args.batch * (args.warmup_batches + args.batches)
        x = rng.random((n, 48, 48, 1), dtype=np.float32)
        y = np.eye(len(CLASSES), dtype=np.float32)[rng.integers(0, len(CLASSES), n)]
    if len(x) < args.batch:
        raise UsageError(f"error: {len(x)} training images, fewer than one batch of {args.batch}")
    tf.keras.utils.set_random_seed(args.seed)
    model = build_model(tf, args.lr)
    record = {"framework": "keras", "tensorflow": tf.__version__, "params": model.count_params(), "batch": args.batch}
    cb = tf.keras.callbacks
    if args.epochs:
        vx, vy = load(list_split(args.data, "val"), None, args.seed)
        starts: list[float] = []
        ends: list[float] = []

        class EpochTimer(cb.Callback):
            """Training seconds of each epoch: its start to the end of its last training batch."""

            def on_epoch_begin(self, epoch: int, logs=None) -> None:
                starts.append(time.perf_counter())
                ends.append(starts[-1])

            def on_train_batch_end(self, batch: int, logs=None) -> None:
                ends[-1] = time.perf_counter()

        hist = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, validation_data=(vx, vy), shuffle=True,
                         callbacks=[EpochTimer()], verbose=0)
        record.update(images=len(x), val_images=len(vx), epochs=args.epochs,
                      epoch_seconds=[round(e - s, 2) for s, e in zip(starts, ends)],
                      val_accuracy=[round(float(a), 4) for a in hist.history["val_accuracy"]])
    else:
        x, y = x[: len(x) // args.batch * args.batch], y[: len(y) // args.batch * args.batch]  # full batches only
        total, warm = args.warmup_batches + args.batches, args.warmup_batches
        seen = {"n": 0, "start": 0.0, "end": 0.0}

        class Steady(cb.Callback):
            def on_train_batch_begin(self, batch: int, logs=None) -> None:
                if seen["n"] == warm:
                    seen["start"] = time.perf_counter()

            def on_train_batch_end(self, batch: int, logs=None) -> None:
                seen["n"] += 1
                seen["end"] = time.perf_counter()
                if seen["n"] >= total:
                    self.model.stop_training = True

        epochs = -(-total // (len(x) // args.batch))
        model.fit(x, y, batch_size=args.batch, epochs=epochs, shuffle=True, callbacks=[Steady()], verbose=0)
        seconds = seen["end"] - seen["start"]
        record.update(batches=args.batches, images_per_s=round(args.batches * args.batch / seconds, 1))
    record.update(threads=args.threads, cpu=cpu_name())
    return record


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.data is not None:
            list_split(args.data, "train")  # fail fast, before the slow TF import
            if args.epochs:
                list_split(args.data, "val")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            import tensorflow as tf
        except ImportError:
            raise UsageError(NO_TF) from None
        if args.threads:
            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON line
            record = run(args, tf)
    except UsageError as e:
        print(e, file=sys.stderr)
        return 2
    print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
