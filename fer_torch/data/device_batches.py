"""The device-resident data path: decoded splits preprocessed once into one uint8 tensor on the training device,
batched by index slicing (no worker processes, no host-to-device copy per batch)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import albumentations as A
import numpy as np
import torch
from torch.utils.data import DistributedSampler

from fer_torch.data.samples import Samples
from fer_torch.data.transforms import ToChannels, deterministic_steps
from fer_torch.spec import InputSpec


def preprocess_to_uint8(samples: Samples, spec: InputSpec) -> torch.Tensor:
    """The deterministic part of the pipeline (filters, resize, channels) once per image: uint8 ``(N, C, H, W)``."""
    transform = A.Compose([*deterministic_steps(spec), ToChannels(spec.channels)])
    out = np.empty((len(samples), *spec.image_size, spec.channels), dtype=np.uint8)
    for i in range(len(samples)):
        image = transform(image=samples.image(i))["image"]
        out[i] = image.reshape(out.shape[1:])
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


class DeviceBatches:
    """Iterable of ``(uint8 images (B, C, H, W), int64 labels (B,))`` sliced from tensors on one device.

    The order comes from a :class:`~torch.utils.data.DistributedSampler` (``seed + epoch`` permutation, this
    rank's shard, padded to equal length like the DataLoader path under DDP). Lightning finds it as
    ``.sampler`` and calls its ``set_epoch`` before every epoch, so a resumed run sees the same order.

    It is stateful the way Lightning's fit loop checkpoints a training loader (``state_dict`` /
    ``load_state_dict``): a checkpoint taken mid-epoch records how many batches of which epoch were handed out,
    and the resumed run's first pass over that epoch starts after them.
    """

    batch_sampler = None  # the DataLoader attributes Lightning inspects

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, shuffle: bool, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.sampler = DistributedSampler(range(len(labels)), num_replicas=num_replicas, rank=rank,
                                          shuffle=shuffle, seed=seed)
        self._position = (self.sampler.epoch, 0)  # (epoch, batches handed out) of the latest pass
        self._resume: tuple[int, int] | None = None

    def state_dict(self) -> dict[str, int]:
        """The epoch of the latest pass and how many of its batches were handed out."""
        epoch, batches = self._position
        return {"epoch": epoch, "batches": batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Make the next pass, if it is over ``state["epoch"]``, skip the ``state["batches"]`` handed out before."""
        self._resume = (int(state["epoch"]), int(state["batches"]))

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        epoch, resume = self.sampler.epoch, self._resume  # read at the first batch: after Lightning's set_epoch
        self._resume = None
        skip = resume[1] if resume is not None and resume[0] == epoch else 0
        order = torch.tensor(list(self.sampler), dtype=torch.int64, device=self.images.device)
        for served, index in enumerate(order.split(self.batch_size)[skip:], start=skip + 1):
            self._position = (epoch, served)
            yield self.images[index], self.labels[index]
