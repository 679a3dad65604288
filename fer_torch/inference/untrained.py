"""Randomly initialised classifiers wrapped like trained checkpoints: for speed benchmarks and tests,
where predictions need not be right (speed does not depend on the weights)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fer_torch.labels import FER2013_CLASSES
from fer_torch.spec import InputSpec


def untrained_classifier(arch: str = "bn_cnn", class_names: Sequence[str] = FER2013_CLASSES, seed: int = 0,
                         region: str | None = None, **model_kwargs):
    """A :class:`FERClassifier` of ``arch`` with random weights and the architecture's default input spec
    (``region`` defaults to the architecture's, else ``face``; ``mouth_cnn`` reads mouths)."""
    import torch

    from fer_torch.lit.classifier import FERClassifier
    from fer_torch.models import model_defaults

    defaults = model_defaults(arch)
    spec = InputSpec(**{**{k: v for k, v in defaults.items() if k in InputSpec.__dataclass_fields__},
                        "region": region or defaults.get("region") or ("mouth" if arch == "mouth_cnn" else "face")})
    torch.manual_seed(seed)
    classifier = FERClassifier(arch=arch, num_classes=len(class_names), in_chans=spec.channels,
                               class_names=list(class_names), input_spec=spec.to_dict(),
                               model_kwargs=model_kwargs or None)
    return classifier.eval()


def save_checkpoint(classifier, path: str | Path) -> Path:
    """Save ``classifier`` as a Lightning checkpoint (what ``tools/train.py`` writes) without training it."""
    import pytorch_lightning as pl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    trainer.strategy.connect(classifier)
    trainer.save_checkpoint(path)
    return path
