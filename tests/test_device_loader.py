"""data.loader 'device': the same batches as the DataLoader path, the same augmentation statistics, seeded,
resumable, sharded under DDP."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import albumentations as A
import kornia.augmentation as K
import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback

from fer_torch.cli.train import run
from fer_torch.data.augmentation_presets import PRESETS, Affine, Blur, Downscale, Gamma, Noise, output_size
from fer_torch.data.datamodule import FERDataModule
from fer_torch.data.dataset import FERDataset
from fer_torch.data.device_augmentation import BatchPreparation, build_device_augmentation
from fer_torch.data.device_batches import DeviceBatches
from fer_torch.data.samples import Samples
from fer_torch.data.transforms import build_augmentation, build_transform
from fer_torch.errors import ConfigError
from fer_torch.lit.classifier import FERClassifier
from fer_torch.spec import InputSpec

REPO = Path(__file__).resolve().parents[1]
QUIET = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)


class _Trainer:  # what on_after_batch_transfer reads from a trainer
    def __init__(self, training: bool) -> None:
        self.training = training


def _first_batch(dm: FERDataModule, split: str, training: bool):
    batch = next(iter(dm.train_dataloader() if split == "train" else dm.val_dataloader()))
    dm.trainer = _Trainer(training)
    try:
        return dm.on_after_batch_transfer(batch, 0)
    finally:
        dm.trainer = None


@pytest.mark.parametrize("augment", [None, "standard"])
def test_both_loaders_give_batches_of_one_shape_dtype_and_range(fer_folder, augment):
    batches = {}
    for loader in ("dataloader", "device"):
        dm = FERDataModule(str(fer_folder), train_augment=augment, batch_size=8, loader=loader,
                           input_spec={"channels": 3, "mean": (0.5,) * 3, "std": (0.25,) * 3, "image_size": (40, 40)},
                           dataloader={"num_workers": 0})
        batches[loader] = {split: _first_batch(dm, split, split == "train") for split in ("train", "val")}
    for split in ("train", "val"):
        (x_a, y_a), (x_b, y_b) = batches["dataloader"][split], batches["device"][split]
        assert x_a.shape == x_b.shape == (8, 3, 40, 40) and x_a.dtype == x_b.dtype == torch.float32
        assert y_a.dtype == y_b.dtype == torch.int64
        assert x_b.min() >= -2.0 and x_b.max() <= 2.0  # (0 - 0.5) / 0.25 .. (1 - 0.5) / 0.25
    # Unaugmented val batches are the same images, preprocessed the same way, in the same order.
    (x_a, y_a), (x_b, y_b) = batches["dataloader"]["val"], batches["device"]["val"]
    assert torch.equal(y_a, y_b)
    torch.testing.assert_close(x_a, x_b, atol=1e-6, rtol=0)


def _asymmetric_images(n: int, size: int = 24) -> np.ndarray:
    image = np.random.default_rng(0).integers(0, 256, (size, size), dtype=np.uint8)
    return np.repeat(image[None], n, axis=0)


def _face(size: int = 48) -> np.ndarray:
    """The astronaut's face, gray, ``size`` px: a real face for the image-processing steps."""
    from skimage.data import astronaut

    import cv2

    return cv2.resize(cv2.cvtColor(astronaut()[30:230, 140:340], cv2.COLOR_RGB2GRAY), (size, size),
                      interpolation=cv2.INTER_AREA)


def _augment_both(preset: str, n: int, image: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` copies of one image through ``preset`` on each path: (original, DataLoader outputs, device outputs)."""
    images = _asymmetric_images(n) if image is None else np.repeat(image[None], n, axis=0)
    spec = InputSpec(image_size=images.shape[1:], channels=1, mean=(0.0,), std=(1.0,))
    torch.manual_seed(0)
    dataset = FERDataset(Samples(images, np.zeros(n, dtype=np.int64), ("a",)), build_transform(spec, preset))
    dataset.reseed(0)
    host = torch.stack([dataset[i][0] for i in range(n)])[:, 0].numpy()
    prepare = BatchPreparation(spec, build_device_augmentation(preset, spec.image_size))
    device = prepare(torch.from_numpy(images)[:, None], train=True)
    return images[0] / 255.0, host, device[:, 0].numpy()


def _flip_and_shift(original: np.ndarray, out: np.ndarray) -> tuple[bool, int, int]:
    """The (flip, dy, dx) of a zero-padded crop that reproduces ``out`` from ``original``."""
    padded = np.pad(original, 4)
    for flip in (False, True):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                crop = padded[4 + dy:4 + dy + 24, 4 + dx:4 + dx + 24]
                if np.allclose(crop[:, ::-1] if flip else crop, out, atol=1e-5):
                    return flip, dy, dx
    raise AssertionError("not a padded crop of the original")


def test_crop_flip_flips_half_and_shifts_up_to_four_pixels_on_both_paths():
    original, host, device = _augment_both("crop_flip", 400)
    for outputs in (host, device):
        found = np.array([_flip_and_shift(original, out) for out in outputs])
        assert 0.42 < found[:, 0].mean() < 0.58  # flip rate 0.5 (binomial sd 0.025)
        assert set(found[:, 1]) == set(found[:, 2]) == set(range(-4, 5))  # every shift of the 4 px padding


@pytest.mark.parametrize("preset, unchanged", [("flip", 0.5), ("standard", 0.125), ("strong", 0.03125)])
def test_a_preset_leaves_the_same_share_of_images_untouched_on_both_paths(preset, unchanged):
    original, host, device = _augment_both(preset, 600)
    for outputs in (host, device):
        share = np.mean([np.allclose(out, original, atol=1e-5) for out in outputs])
        assert abs(share - unchanged) < 0.06, (preset, share)


@pytest.mark.parametrize("step, atol", [
    (Gamma(gamma=(2.0, 2.0), p=1.0), 1 / 255),  # albumentations rounds to uint8 once
    (Downscale(scale=(0.5, 0.5), p=1.0), 1.5 / 255),  # and twice here: after the down- and the upscale
    (Blur(sigma=(1.2, 1.2), kernel=7, p=1.0), 1 / 255),
])
def test_a_webcam_step_pinned_to_one_value_gives_the_same_image_on_both_paths(monkeypatch, step, atol):
    monkeypatch.setitem(PRESETS, "pinned", (step,))
    original, host, device = _augment_both("pinned", 3, _face())
    assert not np.allclose(host[0], original, atol=0.02)  # the step really changed the face
    np.testing.assert_allclose(device, host, atol=atol, rtol=0)


def test_noise_has_the_drawn_strength_on_both_paths(monkeypatch):
    monkeypatch.setitem(PRESETS, "pinned", (Noise(std=(0.05, 0.05), p=1.0),))
    grey = np.full((48, 48), 128, dtype=np.uint8)  # far from both clips
    original, host, device = _augment_both("pinned", 40, grey)
    for outputs in (host, device):
        assert abs((outputs - original).std() - 0.05) < 0.004
        assert abs((outputs - original).mean()) < 0.004


@pytest.mark.parametrize("step", [Gamma(gamma=(0.5, 2.5), p=0.3), Downscale(scale=(0.4, 0.9), p=0.3),
                                  Blur(sigma=(0.4, 1.6), p=0.3), Noise(std=(0.02, 0.1), p=0.3)])
def test_a_webcam_step_applies_at_its_probability_on_both_paths(monkeypatch, step):
    monkeypatch.setitem(PRESETS, "pinned", (step,))
    original, host, device = _augment_both("pinned", 500, _face())
    for outputs in (host, device):
        changed = np.mean([not np.allclose(out, original, atol=1e-5) for out in outputs])
        assert abs(changed - 0.3) < 0.07, (step, changed)  # binomial sd 0.02


@pytest.mark.parametrize("border, corner_is_edge", [("replicate", True), ("reflect", False)])
def test_affine_border_fills_alike_on_both_paths(monkeypatch, border, corner_is_edge):
    framed = _asymmetric_images(1, 48)[0] // 2  # interior 0-127 inside a 1-px frame of 200
    framed[[0, -1], :] = framed[:, [0, -1]] = 200
    monkeypatch.setitem(PRESETS, "pinned", (Affine(scale=0.0, shift=0.0, degrees=45, p=1.0, border=border),))
    _, host, device = _augment_both("pinned", 20, framed)
    for outputs in (host, device):  # any turn samples the corners from outside the face
        turned = [out for out in outputs if not np.allclose(out, framed / 255, atol=0.05)]
        corners = np.array([out[[0, 0, -1, -1], [0, -1, 0, -1]] for out in turned])
        assert len(turned) > 5 and np.allclose(corners, 200 / 255, atol=0.02) == corner_is_edge


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_of_the_one_table_builds_on_both_backends(preset):
    steps = PRESETS[preset]
    host, device = build_augmentation(preset, (43, 72)), build_device_augmentation(preset, (43, 72))
    assert len(host) >= len(steps)  # a step may take two albumentations transforms (pad + crop, crop + resize)
    assert (device is None) if not steps else len(device) == len(steps)
    if device is not None:
        assert device(torch.rand(4, 1, 43, 72)).shape == (4, 1, *output_size(steps, (43, 72)))


def test_a_parameter_changed_in_the_table_reaches_both_backends(monkeypatch):
    def degrees() -> tuple[float, float]:
        host = next(t for t in build_augmentation("standard", (48, 48)) if isinstance(t, A.Affine))
        device = next(m for m in build_device_augmentation("standard", (48, 48)) if isinstance(m, K.RandomAffine))
        return host.rotate[1], device._param_generator.degrees

    assert degrees() == (15, 15)
    monkeypatch.setitem(PRESETS, "standard", tuple(
        dataclasses.replace(step, degrees=33) if isinstance(step, Affine) else step for step in PRESETS["standard"]
    ))
    assert degrees() == (33, 33)


def test_device_loader_takes_presets_only(fer_folder):
    with pytest.raises(ConfigError, match="takes an augmentation preset name"):
        FERDataModule(str(fer_folder), train_augment=[{"name": "HorizontalFlip"}], loader="device")
    with pytest.raises(ConfigError, match=r"unknown augmentation preset 'wild'; did you mean 'window'\? choose from none, flip, "):
        build_device_augmentation("wild", (48, 48))
    with pytest.raises(ConfigError, match="loader must be"):
        FERDataModule(str(fer_folder), loader="gpu")


def test_ddp_shards_are_disjoint_cover_the_split_and_follow_the_epoch():
    images, labels = torch.zeros(10, 1, 2, 2, dtype=torch.uint8), torch.arange(10)
    shards = [DeviceBatches(images, labels, batch_size=3, shuffle=True, seed=5, num_replicas=2, rank=r) for r in (0, 1)]
    seen = [torch.cat([y for _, y in shard]) for shard in shards]
    assert len(shards[0]) == 2 and len(seen[0]) == len(seen[1]) == 5
    assert sorted(torch.cat(seen).tolist()) == list(range(10))
    first = seen[0].clone()
    for shard in shards:
        shard.sampler.set_epoch(1)
    assert not torch.equal(torch.cat([y for _, y in shards[0]]), first)


def _train(root: Path, seed: int, **datamodule) -> dict[str, torch.Tensor]:
    pl.seed_everything(seed, verbose=False)
    dm = FERDataModule(str(root), batch_size=16, loader="device", **datamodule, dataloader={"num_workers": 0})
    model = FERClassifier("bn_cnn", num_classes=7, batch_mixing={"mixup_alpha": 0.2, "cutmix_alpha": 0.2})
    pl.Trainer(accelerator="cpu", max_epochs=2, deterministic=True, limit_val_batches=1, **QUIET).fit(model, datamodule=dm)
    return model.state_dict()


def test_seeded_device_run_is_repeatable(fer_folder):
    a, b = _train(fer_folder, 3, train_augment="strong"), _train(fer_folder, 3, train_augment="strong")
    c = _train(fer_folder, 4, train_augment="strong")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def _fit_cli(root: Path, out: Path, *extra: str):
    return run(["--config", str(REPO / "configs/seed002_bn_cnn.yaml"), "--data.root", str(root),
                "--data.loader", "device", "--data.train_augment", "standard", "--data.batch_size", "16",
                "--trainer.default_root_dir", str(out), "--trainer.deterministic", "true", "--seed_everything", "7",
                "--trainer.callbacks", "[]", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
                "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false", *extra])


def test_resumed_device_run_matches_the_uninterrupted_run(fer_folder, tmp_path):
    full = _fit_cli(fer_folder, tmp_path / "full", "--trainer.max_epochs", "3")
    first = _fit_cli(fer_folder, tmp_path / "part", "--trainer.max_epochs", "2")
    last = Path(first.trainer.log_dir) / "checkpoints" / "last.ckpt"
    resumed = _fit_cli(fer_folder, tmp_path / "resumed", "--trainer.max_epochs", "3", "--ckpt_path", str(last))
    for key in ("train/loss", "val/loss", "val/acc"):
        assert torch.equal(resumed.trainer.callback_metrics[key], full.trainer.callback_metrics[key]), key
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


class _SeenLabels(Callback):
    """Each rank saves the labels of every training batch it got and its final weights."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir, self.labels = out_dir, []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.labels.append(batch[1].clone())

    def on_train_end(self, trainer, pl_module) -> None:
        torch.save({"labels": torch.cat(self.labels), "state": pl_module.model.state_dict()},
                   Path(self.out_dir) / f"rank{trainer.global_rank}.pt")


@pytest.mark.slow
def test_device_loader_under_ddp_on_two_cpu_processes(fer_folder, tmp_path):
    pl.seed_everything(0, verbose=False)
    dm = FERDataModule(str(fer_folder), train_augment="flip", batch_size=7, loader="device")
    model = FERClassifier("bn_cnn", num_classes=7)
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp_spawn", max_epochs=1, limit_val_batches=1,
                         callbacks=[_SeenLabels(str(tmp_path))], **QUIET)
    trainer.fit(model, datamodule=dm)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    # 56 training images, 28 per rank in 4 batches of 7: together every image once.
    assert [len(r["labels"]) for r in ranks] == [28, 28]
    assert torch.bincount(torch.cat([r["labels"] for r in ranks])).tolist() == [8] * 7
    for key, value in ranks[0]["state"].items():
        assert torch.equal(value, ranks[1]["state"][key]), key  # gradients all-reduced: identical replicas


def test_train_benchmark_puts_both_loaders_side_by_side(capsys):
    from fer_torch.cli.benchmark import main

    assert main(["train", "--loader", "dataloader", "device", "--arch", "mouth_cnn", "--precision", "32", "--batch",
                 "8", "--epochs", "2", "--images", "14", "--num-workers", "0", "--augment", "flip"]) == 0
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in capsys.readouterr().out.splitlines()
            if line.startswith("| mouth_cnn")]
    assert [r[:4] for r in rows] == [["mouth_cnn", "32", "none", "dataloader"], ["mouth_cnn", "32", "none", "device"]]
    for row in rows:
        assert float(row[4]) > 0 and float(row[5]) > 0
    assert rows[0][6] == "1.00" and float(rows[1][6]) > 0  # device img/s over dataloader img/s
