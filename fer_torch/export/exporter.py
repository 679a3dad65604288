"""Export a trained classifier and verify the written file against the PyTorch model before keeping it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer_torch.errors import FERError
from fer_torch.export.writers import WRITERS
from fer_torch.inference.classifier import LoadedClassifier
from fer_torch.suggest import unknown_name


class ExportError(FERError, RuntimeError):
    """An exported model disagrees with the PyTorch one, or cannot be written."""


@dataclass(frozen=True)
class Agreement:
    """How closely two classifiers agree on the same crops."""

    n: int
    max_probability_difference: float
    label_agreement: float  # fraction of crops with the same top-1 class

    def format(self) -> str:
        return (f"verified on {self.n} images: largest probability difference {self.max_probability_difference:.2e}, "
                f"labels agree on {self.label_agreement:.2%}")


def compare(reference: LoadedClassifier, other: LoadedClassifier, crops) -> Agreement:
    """Probability and label agreement of ``other`` with ``reference`` on reader-format ``crops``."""
    expected, got = reference.predict_proba(crops), other.predict_proba(crops)
    difference = float((expected - got).abs().max()) if len(crops) else 0.0
    agreement = float((expected.argmax(1) == got.argmax(1)).double().mean()) if len(crops) else 1.0
    return Agreement(len(crops), difference, agreement)


def verification_images(classifier: LoadedClassifier, n: int, data: str | Path | None = None) -> list[np.ndarray]:
    """``n`` crops to verify an export on: the first of ``data``'s val split (else its first split), or
    synthetic faces of the model's input size."""
    spec = classifier.input_spec
    if data is not None:
        from fer_torch.data.readers import load_splits

        splits = load_splits(data, rgb=spec.channels == 3, region=spec.region)
        samples = splits.get("val") or next(iter(splits.values()))
        return [samples.image(i) for i in range(min(n, len(samples)))]
    from fer_torch.fixtures.synthetic_images import make_synthetic_samples

    per_class = math.ceil(n / len(classifier.class_names))
    samples = make_synthetic_samples(per_class, classifier.class_names, size=spec.image_size,
                                     rgb=spec.channels == 3, seed=0)
    return [samples.image(i) for i in range(n)]


def export_model(classifier: LoadedClassifier, fmt: str, output: str | Path, crops, tolerance: float = 1e-3,
                 min_agreement: float = 0.99) -> tuple[Path, Agreement]:
    """Write ``classifier`` (fp32, CPU) as ``fmt`` to ``output``, reload it through the model-file reader and compare
    it on ``crops``; the file is kept only when probabilities differ by at most ``tolerance`` and labels agree on
    at least ``min_agreement`` of the crops."""
    if fmt not in WRITERS:
        raise ExportError(unknown_name("export format", fmt, WRITERS))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")
    try:
        WRITERS[fmt][1](classifier, partial)
        exported = LoadedClassifier.from_weights(partial, device="cpu", precision="fp32")
        agreement = compare(classifier, exported, crops)
        if agreement.max_probability_difference > tolerance or agreement.label_agreement < min_agreement:
            raise ExportError(f"{output}: the exported model disagrees with the PyTorch one ({agreement.format()}; "
                              f"allowed: difference <= {tolerance:g}, agreement >= {min_agreement:.2%}); not written")
        partial.chmod(0o644)  # some writers create 0600 files
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output, agreement
