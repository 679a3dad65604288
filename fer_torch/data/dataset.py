"""A torch Dataset over in-memory :class:`~fer_torch.data.samples.Samples` and an albumentations pipeline."""

from __future__ import annotations

import random
import signal

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from fer_torch.data.samples import Samples


class FERDataset(Dataset):
    """Items are ``(transform(image) as float32 (C, H, W), label)``; labels collate to int64, -1 = unlabeled."""

    def __init__(self, samples: Samples, transform: A.Compose):
        self.samples = samples
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.transform(image=self.samples.image(index))["image"]
        return image, int(self.samples.labels[index])

    def reseed(self, seed: int) -> None:
        """Give the pipeline one fresh random stream (shared by its transforms, so their draws are independent)."""
        seed %= 2**32
        self.transform.set_random_state(np.random.default_rng(seed), random.Random(seed))


def seed_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: forked workers would otherwise repeat the parent's augmentation stream.

    torch gives every worker its own seed (``base_seed + worker_id``, reproducible under
    ``seed_everything``); albumentations keeps its own random state, so it is reseeded from it.

    The worker also ignores SIGTERM: a process-group SIGTERM (``timeout``, ``docker stop``) is the main process's to
    handle (training stops gracefully and shuts its workers down); killed workers would fail it with "DataLoader
    worker ... killed by signal". A worker still exits when the main process is gone.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    info = get_worker_info()
    if info is not None and isinstance(info.dataset, FERDataset):
        info.dataset.reseed(info.seed)
