"""Knowledge distillation: the student approaches its teacher, ensembles average, checkpoints stay student-only."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from fer_torch.callbacks import KnowledgeDistillation
from fer_torch.callbacks.distillation import EnsembleTeacher, distillation_loss
from fer_torch.errors import ConfigError
from fer_torch.lit import load_lightning_module
from fer_torch.lit.classifier import FERClassifier
from fer_torch.spec import InputSpec

QUIET = dict(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
             enable_checkpointing=False)
SPEC = InputSpec(image_size=(48, 48), channels=1, mean=(0.5,), std=(0.5,))


def _data(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 1, 48, 48, generator=g), torch.arange(n) % 7)


def _checkpoint(path, seed, arch="resnet_fer", spec=SPEC, **kwargs):
    """A briefly trained classifier saved as a Lightning checkpoint."""
    pl.seed_everything(seed, verbose=False)
    model = FERClassifier(arch, num_classes=7, input_spec=spec.to_dict(), **kwargs)
    trainer = pl.Trainer(max_steps=2, **QUIET)
    trainer.fit(model, DataLoader(_data(seed=seed), batch_size=16))
    trainer.save_checkpoint(path)
    return path


@pytest.fixture(scope="module")
def teacher_ckpt(tmp_path_factory):
    return _checkpoint(tmp_path_factory.mktemp("teacher") / "teacher.ckpt", seed=1)


def _kl_to_teacher(student, teacher, x, temperature=4.0):
    student.eval()
    with torch.no_grad():
        kl = distillation_loss(student(x), teacher.probabilities(x, temperature), temperature).item()
    student.train()
    return kl


def test_two_identical_teachers_equal_one(teacher_ckpt):
    member = load_lightning_module(teacher_ckpt)
    x = _data(8, seed=5).tensors[0]
    one = EnsembleTeacher([member], [member.input_spec], SPEC).probabilities(x, 2.0)
    two = EnsembleTeacher([member, member], [member.input_spec] * 2, SPEC).probabilities(x, 2.0)
    assert torch.allclose(one, two, atol=1e-6) and torch.allclose(one.sum(-1), torch.ones(8))


def test_distillation_lowers_the_kl_to_the_teacher_and_leaves_the_checkpoint_student_only(teacher_ckpt, tmp_path):
    pl.seed_everything(0, verbose=False)
    student = FERClassifier("plain_cnn", num_classes=7, input_spec=SPEC.to_dict(), optimizer={"lr": 1e-3})
    distill = KnowledgeDistillation(str(teacher_ckpt), temperature=4.0, weight=1.0)
    x = _data(32, seed=0).tensors[0]
    teacher = EnsembleTeacher([load_lightning_module(teacher_ckpt)], [SPEC], SPEC)
    before = _kl_to_teacher(student, teacher, x)
    trainer = pl.Trainer(max_epochs=8, callbacks=[distill], **QUIET)
    trainer.fit(student, DataLoader(_data(32, seed=0), batch_size=16, shuffle=True))
    after = _kl_to_teacher(student, teacher, x)
    assert after < 0.5 * before
    assert student.distillation is None  # detached after fit
    trainer.save_checkpoint(tmp_path / "student.ckpt")
    keys = torch.load(tmp_path / "student.ckpt", weights_only=True)["state_dict"]
    assert keys and all(k.startswith("model.") for k in keys)
    assert load_lightning_module(tmp_path / "student.ckpt").hparams.arch == "plain_cnn"


def test_a_teacher_with_another_normalization_sees_the_same_pixels(teacher_ckpt):
    other = InputSpec(image_size=(48, 48), channels=1, mean=(0.0,), std=(1.0,))
    seen = []

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen.append(x)
            return torch.zeros(len(x), 7)

    pixels = torch.rand(2, 1, 48, 48)
    EnsembleTeacher([Probe()], [other], SPEC).probabilities((pixels - 0.5) / 0.5)
    assert torch.allclose(seen[0], pixels, atol=1e-6)


def test_bad_settings_and_mismatched_classes_are_one_line_errors(teacher_ckpt):
    with pytest.raises(ConfigError, match="temperature > 0"):
        KnowledgeDistillation(str(teacher_ckpt), temperature=0.0)
    with pytest.raises(ConfigError, match="at least one teacher"):
        KnowledgeDistillation([])
    student = FERClassifier("bn_cnn", num_classes=5, input_spec=SPEC.to_dict())
    trainer = pl.Trainer(max_steps=1, callbacks=[KnowledgeDistillation(str(teacher_ckpt))], **QUIET)
    data = TensorDataset(torch.randn(8, 1, 48, 48), torch.arange(8) % 5)
    with pytest.raises(ConfigError, match="teacher .* predicts"):
        trainer.fit(student, DataLoader(data, batch_size=8))


@pytest.mark.parametrize("loader", ["dataloader", "device"])
def test_the_training_cli_distills_from_the_shipped_default(loader, fer_folder, tmp_path):
    from fer_torch.cli.train import run
    from fer_torch.paths import DEFAULT_WEIGHTS

    config = Path(__file__).resolve().parents[1] / "configs" / "fer2013_resnet_fer.yaml"
    cli = run(["--config", str(config), "--data.root", str(fer_folder),
               "--trainer.fast_dev_run", "true", "--data.batch_size", "4", "--data.dataloader.num_workers", "0",
               "--data.loader", loader, "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_progress_bar", "false",
               "--trainer.callbacks+=fer_torch.callbacks.KnowledgeDistillation",
               f"--trainer.callbacks.teachers={DEFAULT_WEIGHTS}"])
    distill = next(c for c in cli.trainer.callbacks if isinstance(c, KnowledgeDistillation))
    assert cli.trainer.global_step == 1 and len(distill.teacher.members) == 1
