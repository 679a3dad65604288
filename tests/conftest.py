"""Shared fixtures: small synthetic datasets in every on-disk form, generated per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fer_torch.data.dataset_writers import write_fer2013_csv, write_folders
from fer_torch.fixtures.synthetic_images import make_synthetic_samples

SHARED_FER2013 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fer2013"

# Keep tests CPU-friendly and quiet on a 2-core machine.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session", autouse=True)
def _isolated_decode_cache(tmp_path_factory):
    """Tests never read or write the user's decode cache (``~/.cache/fer_torch``)."""
    previous = os.environ.get("FER_TORCH_CACHE")
    os.environ["FER_TORCH_CACHE"] = str(tmp_path_factory.mktemp("decode_cache"))
    yield
    if previous is None:
        os.environ.pop("FER_TORCH_CACHE", None)
    else:
        os.environ["FER_TORCH_CACHE"] = previous


@pytest.fixture(scope="session")
def fer_splits():
    """7-class synthetic 48x48 grayscale splits: train 8/class, val 4/class."""
    return {"train": make_synthetic_samples(8, seed=0), "val": make_synthetic_samples(4, seed=1)}


@pytest.fixture(scope="session")
def fer_folder(tmp_path_factory, fer_splits) -> Path:
    """``ROOT/{train,val}/<class>/*.png`` holding :func:`fer_splits`."""
    root = tmp_path_factory.mktemp("fer_folder")
    for split, samples in fer_splits.items():
        write_folders(samples, root, split)
    return root


@pytest.fixture(scope="session")
def fer_csv(tmp_path_factory, fer_splits) -> Path:
    """Kaggle ``fer2013.csv`` holding :func:`fer_splits` (Usage Training/PublicTest)."""
    return write_fer2013_csv(fer_splits, tmp_path_factory.mktemp("fer_csv") / "fer2013.csv")


@pytest.fixture(scope="session")
def shared_fer2013() -> Path:
    """The real FER2013 folders beside the project; skips when absent."""
    if not (SHARED_FER2013 / "train").is_dir():
        pytest.skip(f"{SHARED_FER2013} is absent")
    return SHARED_FER2013
