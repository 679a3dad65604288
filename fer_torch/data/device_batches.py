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
    """

    batch_sampler = None  # the DataLoader attributes Lightning inspects

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, shuffle: bool, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.sampler = DistributedSampler(range(len(labels)), num_replicas=num_replicas, rank=rank,
                                          shuffle=shuffle, seed=seed)

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.tensor(list(self.sampler), dtype=torch.int64, device=self.images.device)
        for index in order.split(self.batch_size):
            yield self.images[index], self.labels[index]
