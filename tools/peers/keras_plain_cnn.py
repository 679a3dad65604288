#!/usr/bin/env python
"""Keras peer of fer-torch's ``plain_cnn`` under seed 001's recipe: the seed's ``Sequential`` model (its section 7
code) on FER2013's five classes (angry, happy, sad, surprise, neutral; happy capped at 4,000 training images),
pixels /255, Adam at Keras' defaults, batch 64, ``model.fit`` on in-memory arrays, validated on ROOT/val.

Prints ONE JSON line on stdout: the per-epoch history (train and val accuracy and loss) and the seconds it took.
Imports only tensorflow, numpy and Pillow, so it runs under a scratch venv's python; TF is no project dependency.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CLASSES = ("angry", "happy", "sad", "surprise", "neutral")
HAPPY_CAP = 4000


def load(root: Path, split: str, cap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 48, 48, 1) images in [0, 1] and one-hot labels of ``split``'s five classes."""
    from PIL import Image

    images, labels = [], []
    for index, name in enumerate(CLASSES):
        files = sorted((root / split / name).iterdir())
        files = files[:cap] if cap and name == "happy" else files
        images += [np.asarray(Image.open(f).convert("L"), dtype=np.float32) / 255.0 for f in files]
        labels += [index] * len(files)
    return np.stack(images)[..., None], np.eye(len(CLASSES), dtype=np.float32)[labels]


def seed001_model(features: int = 64):
    """The seed's model: 3 x (2 valid 3x3 convs -> max pool [-> dropout]), dense 512 x 2 with dropout, softmax."""
    from tensorflow import keras
    from tensorflow.keras import layers

    return keras.Sequential([
        keras.Input((48, 48, 1)),
        layers.Conv2D(features, 3, activation="relu"), layers.Conv2D(features, 3, activation="relu"),
        layers.MaxPool2D(2, 2), layers.Dropout(0.3),
        layers.Conv2D(features, 3, activation="relu"), layers.Conv2D(features, 3, activation="relu"),
        layers.MaxPool2D(2, 2), layers.Dropout(0.4),
        layers.Conv2D(2 * features, 3, activation="relu"), layers.Conv2D(2 * features, 3, activation="relu"),
        layers.MaxPool2D(2, 2), layers.Flatten(),
        layers.Dense(8 * features, activation="relu"), layers.Dropout(0.3),
        layers.Dense(8 * features, activation="relu"), layers.Dropout(0.2),
        layers.Dense(len(CLASSES), activation="softmax"),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="FER2013 folders: ROOT/{train,val}/<class>/")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except ImportError:
        print("error: TensorFlow is not installed in this Python; run this script with a scratch virtualenv's "
              "python (tools/peers/README.md)", file=sys.stderr)
        return 2
    train, val = load(args.data, "train", HAPPY_CAP), load(args.data, "val")
    tf.random.set_seed(args.seed)
    model = seed001_model()
    model.compile(loss="categorical_crossentropy", optimizer=tf.keras.optimizers.Adam(), metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(*train, batch_size=64, epochs=args.epochs, verbose=0, validation_data=val, shuffle=True)
    print(json.dumps({"framework": "keras", "train_images": len(train[0]), "val_images": len(val[0]),
                      "seconds": round(time.perf_counter() - start, 1),
                      "history": {k: [round(v, 4) for v in vs] for k, vs in history.history.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
