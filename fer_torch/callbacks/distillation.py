"""Knowledge distillation: a student trains on a teacher's (or an ensemble's) soft predictions.

``KnowledgeDistillation`` is a callback: it loads the teacher checkpoints, and for the length of ``fit``
hands the student a ``distillation(logits, x, hard_loss)`` function that its ``training_step`` applies to
the same (augmented, mixed) batch. The teacher is neither a submodule nor a hyperparameter of the student,
so the student's checkpoints hold the student only and load without the teacher files.

Loss (Hinton et al. 2015): ``(1 - weight) * hard_loss + weight * T^2 * KL(teacher_T || student_T)``, where
``*_T`` are softmaxes at temperature ``T`` and the ensemble teacher is the mean of its members' tempered
probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn

from fer_torch.errors import ConfigError
from fer_torch.spec import InputSpec


def _column(values: Sequence[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).view(1, -1, 1, 1)


class EnsembleTeacher(nn.Module):
    """Frozen classifiers whose tempered softmaxes are averaged; inputs are converted to each member's spec.

    The student's batch is normalized for ``student_spec``; a member trained with another mean/std, size or
    channel count sees the same images re-normalized, resized and channel-converted for its own spec.
    """

    def __init__(self, members: Sequence[nn.Module], specs: Sequence[InputSpec], student_spec: InputSpec) -> None:
        super().__init__()
        for spec in specs:
            if tuple(spec.preprocessing) != tuple(student_spec.preprocessing):
                raise ConfigError(
                    f"teacher preprocessing {list(spec.preprocessing)} differs from the student's "
                    f"{list(student_spec.preprocessing)}; distill from teachers trained on the same filters"
                )
        self.members = nn.ModuleList(members).eval().requires_grad_(False)
        self.specs = list(specs)
        self.student_spec = student_spec
        # Normalization constants as buffers: moved to the device once, not copied from the host every step.
        for name, spec in (("student", student_spec), *((f"member{i}", s) for i, s in enumerate(specs))):
            self.register_buffer(f"{name}_mean", _column(spec.mean), persistent=False)
            self.register_buffer(f"{name}_std", _column(spec.std), persistent=False)

    def _member_input(self, x: torch.Tensor, i: int) -> torch.Tensor:
        spec = self.specs[i]
        if spec == self.student_spec:
            return x
        x = x * self.student_std + self.student_mean  # back to [0, 1] pixels
        if spec.channels != x.shape[1]:
            x = x.mean(dim=1, keepdim=True) if spec.channels == 1 else x.expand(-1, spec.channels, -1, -1)
        if tuple(spec.image_size) != tuple(x.shape[-2:]):
            x = F.interpolate(x, size=tuple(spec.image_size), mode="bilinear", antialias=True, align_corners=False)
        return (x - getattr(self, f"member{i}_mean")) / getattr(self, f"member{i}_std")

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Mean over members of ``softmax(logits / temperature)`` for a student-normalized batch ``x``."""
        probs = [
            (member(self._member_input(x, i)).float() / temperature).softmax(dim=-1)
            for i, member in enumerate(self.members)
        ]
        return torch.stack(probs).mean(dim=0)


def distillation_loss(
    student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float
) -> torch.Tensor:
    """``T^2 * KL(teacher || softmax(student / T))``, batch mean (the T^2 keeps gradients comparable across T)."""
    log_student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    return F.kl_div(log_student, teacher_probs, reduction="batchmean") * temperature**2


class KnowledgeDistillation(pl.Callback):
    """Distill ``teachers`` (checkpoint paths; several = an ensemble) into the student during ``fit``.

    Args:
        teachers: one checkpoint or a list of them; their class names must equal the student's.
        temperature: softmax temperature ``T`` of teacher and student in the KL term.
        weight: share of the KL term; ``1 - weight`` goes to the student's own loss on the labels.
    """

    def __init__(self, teachers: str | Sequence[str], temperature: float = 4.0, weight: float = 0.5) -> None:
        super().__init__()
        self.teachers = [teachers] if isinstance(teachers, (str, Path)) else list(teachers)
        if not self.teachers:
            raise ConfigError("KnowledgeDistillation needs at least one teacher checkpoint")
        if temperature <= 0 or not 0.0 <= weight <= 1.0:
            raise ConfigError(f"distillation needs temperature > 0 and 0 <= weight <= 1, got {temperature}, {weight}")
        self.temperature = float(temperature)
        self.weight = float(weight)
        self.teacher: EnsembleTeacher | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or self.teacher is not None:
            return
        from fer_torch.lit.checkpoint import load_lightning_module

        members = [load_lightning_module(path) for path in self.teachers]
        for path, member in zip(self.teachers, members):
            if tuple(member.class_names) != tuple(pl_module.class_names):
                raise ConfigError(
                    f"teacher {path} predicts {list(member.class_names)}, the student {list(pl_module.class_names)}"
                )
        self.teacher = EnsembleTeacher(members, [m.input_spec for m in members], pl_module.input_spec)

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.teacher.to(pl_module.device)
        pl_module.distillation = self.loss

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pl_module.distillation = None

    def loss(self, student_logits: torch.Tensor, x: torch.Tensor, hard_loss: torch.Tensor) -> torch.Tensor:
        """The student's training loss: ``hard_loss`` blended with the KL to the teacher on the same batch ``x``."""
        teacher_probs = self.teacher.probabilities(x, self.temperature)
        soft = distillation_loss(student_logits, teacher_probs, self.temperature)
        return (1.0 - self.weight) * hard_loss + self.weight * soft
