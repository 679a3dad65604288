"""FERDataModule: every dataset the seeds use, configured by plain values (LightningCLI / YAML friendly)."""

from __future__ import annotations

from collections.abc import Sequence
import os
from typing import Any, Literal

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info, rank_zero_warn
from torch.utils.data import DataLoader

from fer_torch.data.augmentation_presets import output_size, preset_steps
from fer_torch.data.dataset import FERDataset, seed_worker
from fer_torch.data.device_augmentation import BatchPreparation, build_device_augmentation
from fer_torch.data.device_batches import DeviceBatches, preprocess_to_uint8
from fer_torch.data.reader_registry import check_source
from fer_torch.data.readers import list_class_names, load_splits, select_classes
from fer_torch.data.samples import Samples
from fer_torch.data.transforms import build_augmentation, build_transform
from fer_torch.data.val_splits import apply_val_split, check_val_split
from fer_torch.config_groups import (DataLoaderOptions, InputSpecOptions, ReadingOptions, SplitOptions, group,
                                     plain)
from fer_torch.errors import ConfigError, EmptySplitError, MissingClassError
from fer_torch.labels import canonical_names
from fer_torch.spec import InputSpec


def stratified_split(samples: Samples, val_fraction: float, seed: int = 0) -> tuple[Samples, Samples]:
    """Seeded split keeping each label's share: ``round(val_fraction * count)`` of every label go to val."""
    rng = np.random.default_rng(seed)
    to_val = np.zeros(len(samples), dtype=bool)
    for label in np.unique(samples.labels):
        members = np.flatnonzero(samples.labels == label)
        to_val[rng.choice(members, size=round(val_fraction * len(members)), replace=False)] = True
    return samples.take(np.flatnonzero(~to_val)), samples.take(np.flatnonzero(to_val))


LOADERS = ("auto", "dataloader", "device")


def resolve_loader(loader: str, train_augment: str | Sequence[dict[str, Any]] | None) -> tuple[str, str | None]:
    """``(loader, note)``: ``auto`` is the in-memory batch path (``device``) for an augmentation preset and the
    DataLoader path for a list of albumentations transforms, which only that path runs; ``note`` says so."""
    if loader not in LOADERS:
        raise ConfigError(f"loader must be one of {', '.join(LOADERS)}, got {loader!r}")
    if loader != "auto":
        return loader, None
    if train_augment is None or isinstance(train_augment, str):
        return "device", None
    return "dataloader", ("data.loader auto: train_augment is a list of albumentations transforms, so batches come "
                          "from the DataLoader path (albumentations in worker processes), not the in-memory path")


def resolve_input_spec(arch: str | None, **overrides: Any) -> InputSpec:
    """``arch``'s registry :class:`InputSpec` (``InputSpec()`` without one) with the non-None ``overrides``."""
    if arch is None:
        return InputSpec().override(**overrides)
    from fer_torch.models import model_input_spec  # deferred: the registry imports timm/torchvision

    return model_input_spec(arch).override(**overrides)


class FERDataModule(pl.LightningDataModule):
    """FER2013 CSV, ``ROOT/<split>/<class>`` folders or the webcam dataset, with albumentations pipelines.

    Args:
        root: dataset path (folder root, CSV file or webcam root).
        source: ``auto`` (detect) or a registered reader: ``csv`` | ``folder`` | ``webcam`` | ... (see
            :mod:`fer_torch.data.reader_registry`).
        classes: class subset in the wanted label order (aliases allowed); None keeps every class.
        max_per_class: caps on training images per class, e.g. ``{"happy": 4000}`` (seed 001).
        arch: the architecture whose registry :class:`InputSpec` the input defaults to (the training CLI links
            it from ``model.arch``); None: InputSpec's own defaults (48x48 grayscale, 0.5/0.5, face).
        input_spec: :class:`~fer_torch.config_groups.InputSpecOptions`, changes to that spec (``image_size``,
            ``channels``, ``mean``, ``std``, ``preprocessing``, ``region``; None keeps the architecture's).
        train_augment: augmentation preset name or a list of ``{"name": <albumentations class>, ...}``.
        batch_size: images per batch.
        split: :class:`~fer_torch.config_groups.SplitOptions`: what validates (``val_split``) and the
            stratified split carved from train when the source has none (``val_fraction``, ``split_seed``).
        reading: :class:`~fer_torch.config_groups.ReadingOptions` (``rgb``, ``strict``, ``use_cache``,
            ``cache_dir``), passed to :func:`load_splits` (as are ``input_spec.region`` and ``split``'s
            ``val_fraction``, ``split_seed`` and ``split_test_by_prefix``); the reader gets those it takes.
        loader: ``device``: every split preprocessed once into a uint8 tensor on the training device (host memory
            on a CPU), batches sliced there, the preset ``train_augment`` applied per batch with kornia and
            normalization in the training process (:mod:`fer_torch.data.device_batches`); ``dataloader``:
            albumentations per image in DataLoader workers; ``auto`` (default): ``device`` for a preset,
            ``dataloader`` for a list of albumentations transforms (:func:`resolve_loader`). On 2 CPU cores the
            in-memory path leaves both cores to the model.
        dataloader: :class:`~fer_torch.config_groups.DataLoaderOptions` of the ``dataloader`` path
            (``num_workers``, ``pin_memory``, ``persistent_workers``).

    Groups take their dataclass or a plain mapping of its fields, and are recorded as plain dicts.
    """

    def __init__(
        self,
        root: str,
        source: str = "auto",
        classes: list[str] | None = None,
        max_per_class: dict[str, int] | None = None,
        arch: str | None = None,
        input_spec: InputSpecOptions = InputSpecOptions(),
        train_augment: str | list[dict[str, Any]] | None = "standard",
        batch_size: int = 64,
        split: SplitOptions = SplitOptions(),
        reading: ReadingOptions = ReadingOptions(),
        loader: Literal["auto", "dataloader", "device"] = "auto",
        dataloader: DataLoaderOptions = DataLoaderOptions(),
    ):
        super().__init__()
        spec_changes = group(InputSpecOptions, input_spec, "input_spec")
        self.split = group(SplitOptions, split, "split")
        self.reading = group(ReadingOptions, reading, "reading")
        self.dataloader_options = group(DataLoaderOptions, dataloader, "dataloader")
        loader, note = resolve_loader(loader, train_augment)
        if note:
            rank_zero_info(note)
        input_spec, split, reading = plain(spec_changes), plain(self.split), plain(self.reading)
        dataloader = plain(self.dataloader_options)
        self.save_hyperparameters()
        self.root = str(root)
        self.source = check_source(source)
        self.classes = canonical_names(classes) if classes else None
        self.max_per_class = dict(max_per_class) if max_per_class else None
        self.spec = resolve_input_spec(arch, **input_spec)
        build_augmentation(train_augment, self.spec.image_size)  # a bad preset/config fails here, not in a worker
        self.batch_preparation = (
            BatchPreparation(self.spec, build_device_augmentation(train_augment, self.spec.image_size))
            if loader == "device" else None
        )
        self._device_splits: dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]] = {}
        self._train_batches: DeviceBatches | None = None
        self._train_position: dict[str, int] | None = None  # a checkpoint's, for training batches not yet made
        if not 0 <= self.split.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.split.val_fraction!r}")
        check_val_split(self.split.val_split)
        self._splits: dict[str, Samples] | None = None
        self._class_names: tuple[str, ...] | None = None

    # -- what the model needs before any image is decoded -------------------------------------------
    @property
    def class_names(self) -> tuple[str, ...]:
        """Class names in label order: ``classes`` when given, else the source's classes (no decoding)."""
        if self._class_names is None:
            self._class_names = self.classes or tuple(list_class_names(self.root, self.source))
        return self._class_names

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def input_spec(self) -> InputSpec:
        """The :class:`InputSpec`: the architecture's default with this module's size/channels/normalization/
        filters/region overrides."""
        return self.spec

    @property
    def train_image_size(self) -> tuple[int, int]:
        """Size of the training images after augmentation: the input size, smaller after a ``window`` preset."""
        augment = self.hparams.train_augment
        size = tuple(self.spec.image_size)
        return output_size(preset_steps(augment), size) if isinstance(augment, str) else size

    @property
    def class_weights(self) -> torch.Tensor:
        """'Balanced' weights ``n_samples / (n_classes * count_c)`` from the training split (float32)."""
        train = self.samples("train")
        counts = torch.bincount(torch.from_numpy(train.labels[train.labels >= 0]), minlength=self.num_classes)
        if (counts == 0).any():
            missing = [n for n, c in zip(self.class_names, counts.tolist()) if c == 0]
            raise EmptySplitError(f"{self.root}: no training images of {missing}; balanced class weights undefined")
        return (counts.sum() / (self.num_classes * counts)).to(torch.float32)

    # -- data ------------------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        """Load (or reuse) every split; decoding happens once per process, later runs hit the reader cache."""
        if self._splits is not None:
            return
        raw = load_splits(
            self.root,
            self.source,
            rgb=self.reading.rgb,
            region=self.spec.region,
            val_fraction=self.split.val_fraction,
            split_seed=self.split.split_seed,
            split_test_by_prefix=self.split.split_test_by_prefix,
            strict=self.reading.strict,
            cache_dir=self.reading.cache_dir,
            use_cache=self.reading.use_cache,
        )
        raw = apply_val_split(raw, self.split.val_split, self.root)
        if "val" not in raw and "train" in raw and self.split.val_fraction > 0:  # e.g. Kaggle train.csv
            raw["train"], raw["val"] = stratified_split(raw["train"], self.split.val_fraction, self.split.split_seed)
        classes = list(self.class_names)
        try:
            self._splits = {
                split: select_classes(
                    samples,
                    classes=classes,
                    max_per_class=self.max_per_class if split == "train" else None,
                    seed=self.split.split_seed,
                )
                for split, samples in raw.items()
            }
        except MissingClassError as exc:
            present = ",".join(dict.fromkeys(name for samples in raw.values() for name in samples.class_names))
            raise MissingClassError(f"{self.root}: {exc}; train on the classes it has with --data.classes "
                                    f"'[{present}]' (data.classes in a config)") from None

    def samples(self, split: str) -> Samples:
        """The loaded :class:`Samples` of ``split`` (``train``/``val``/``test``); loads on first use."""
        self.setup()
        assert self._splits is not None
        if split not in self._splits:
            raise EmptySplitError(f"{self.root} has no {split!r} split (has {', '.join(self._splits)})")
        return self._splits[split]

    @property
    def split_names(self) -> tuple[str, ...]:
        """Splits present in the loaded data."""
        self.setup()
        assert self._splits is not None
        return tuple(self._splits)

    def dataset(self, split: str, augment: str | Sequence[dict[str, Any]] | None = None) -> FERDataset:
        """A :class:`FERDataset` over ``split`` with ``build_transform(input_spec, augment)``."""
        return FERDataset(self.samples(split), build_transform(self.spec, augment))

    def _loader(self, dataset: FERDataset, shuffle: bool) -> DataLoader:
        dataset.reseed(torch.initial_seed())  # num_workers=0 path; workers reseed in seed_worker
        options = self.dataloader_options
        return DataLoader(
            dataset,
            batch_size=self.hparams.batch_size,
            shuffle=shuffle,
            drop_last=False,
            num_workers=options.num_workers,
            pin_memory=options.pin_memory,
            persistent_workers=options.persistent_workers and options.num_workers > 0,
            worker_init_fn=seed_worker,
        )

    # -- the device-resident path -----------------------------------------------------------------------------
    def device_batches(self, split: str, shuffle: bool) -> DeviceBatches:
        """Batches of ``split`` as uint8 tensors on the training device (this rank's shard under DDP)."""
        trainer = self.trainer
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        key = (split, str(device))
        self.batch_preparation.to(device)
        if key not in self._device_splits:
            samples = self.samples(split)
            images = preprocess_to_uint8(samples, self.spec).to(device)
            self._device_splits[key] = images, torch.from_numpy(samples.labels).to(device)
        images, labels = self._device_splits[key]
        return DeviceBatches(images, labels, self.hparams.batch_size, shuffle=shuffle,
                             seed=int(os.environ.get("PL_GLOBAL_SEED", 0)),
                             num_replicas=trainer.world_size if trainer is not None else 1,
                             rank=trainer.global_rank if trainer is not None else 0)

    def state_dict(self) -> dict[str, Any]:
        """Device path: where the training batches stand (epoch, batches handed out), so a mid-epoch checkpoint
        resumes after them. Lightning checkpoints the loader too, but restores that only into a loader made after
        the restore, and a schedule sized by ``trainer.estimated_stepping_batches`` (one-cycle) makes it before."""
        return {"train_batches": self._train_batches.state_dict()} if self._train_batches is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume the training batches where :meth:`state_dict` left them, whether or not they exist yet."""
        self._train_position = state_dict.get("train_batches")
        if self._train_batches is not None and self._train_position is not None:
            self._train_batches.load_state_dict(self._train_position)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Device path: uint8 batch -> float, training augmentation (fit's training loop only), normalization."""
        if self.hparams.loader != "device" or not isinstance(batch, (tuple, list)):
            return batch  # the DataLoader path, or the model summary's example input
        images, labels = batch
        training = self.trainer is not None and self.trainer.training
        return self.batch_preparation(images, train=training), labels

    def _batches(self, split: str, augment: str | Sequence[dict[str, Any]] | None, shuffle: bool):
        if self.hparams.loader == "device":
            return self.device_batches(split, shuffle)
        return self._loader(self.dataset(split, augment), shuffle)

    def _eval_split(self, preferred: str) -> str:
        if preferred in self.split_names:
            return preferred
        rank_zero_warn(f"{self.root} has no {preferred!r} split; using 'val'")
        return "val"

    def train_dataloader(self) -> DataLoader | DeviceBatches:
        """Shuffled training batches with ``train_augment``."""
        batches = self._batches("train", self.hparams.train_augment, shuffle=True)
        if isinstance(batches, DeviceBatches):
            self._train_batches = batches
            if self._train_position is not None:
                batches.load_state_dict(self._train_position)
        return batches

    def val_dataloader(self) -> DataLoader | DeviceBatches:
        """Validation batches, eval pipeline, fixed order."""
        return self._batches("val", None, shuffle=False)

    def test_dataloader(self) -> DataLoader | DeviceBatches:
        """Test batches (the ``val`` split when the source has no ``test``)."""
        return self._batches(self._eval_split("test"), None, shuffle=False)

    def predict_dataloader(self) -> DataLoader | DeviceBatches:
        """Prediction batches over ``test`` (else ``val``); unlabeled images carry label -1."""
        return self._batches(self._eval_split("test"), None, shuffle=False)
