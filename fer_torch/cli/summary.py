"""``tools/summary.py --config X [--config more.yaml] [--json]``: total and trainable parameters per phase.

The seeds read these counts from Keras' ``model.summary()``. Phase 1 is the model as configured (layers frozen
by ``model_kwargs.freeze_layers`` and by a :class:`TwoPhaseFinetuning` callback); phase 2 after that callback
unfreezes. The dataset is never read: the class count comes from ``data.classes`` (else FER2013's seven).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fer_torch.cli.train import build_cli
from fer_torch.labels import FER2013_CLASSES

if TYPE_CHECKING:
    from jsonargparse import Namespace
    from torch import nn

    from fer_torch.callbacks.finetuning import TwoPhaseFinetuning


def _trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _finetuning_callback(callbacks: Any) -> TwoPhaseFinetuning | None:
    from jsonargparse import Namespace

    from fer_torch.callbacks.finetuning import TwoPhaseFinetuning

    for entry in callbacks or []:
        if isinstance(entry, Namespace) and str(entry.get("class_path", "")).endswith("TwoPhaseFinetuning"):
            return TwoPhaseFinetuning(**(entry.get("init_args") or Namespace()).as_dict())
    return None


def parameter_counts(config: Namespace) -> tuple[dict[str, int], int]:
    """``{"total", "trainable", "trainable_phase2"}`` of the model a parsed training config describes, and its
    number of BatchNorm running statistics (what Keras lists as non-trainable)."""
    from fer_torch.lit.classifier import FERClassifier

    model_args = config.model.as_dict()
    model_args["pretrained"] = False  # counts do not depend on weights; never download
    classes = config.data.get("classes")
    model_args["num_classes"] = len(classes) if classes else len(FER2013_CLASSES)
    model_args["input_spec"] = config.data.input_spec.as_dict()  # resolved from the architecture by the training CLI
    model_args.pop("class_names", None)
    if (model_args.get("loss") or {}).get("class_weights") == "balanced":
        model_args["loss"] = {**model_args["loss"], "class_weights": None}  # would need the training split
    module = FERClassifier(**model_args)
    finetuning = _finetuning_callback(config.trainer.get("callbacks"))
    if finetuning is not None:
        finetuning.freeze_before_training(module)
    counts = {"total": sum(p.numel() for p in module.parameters()), "trainable": _trainable(module)}
    counts_bn = sum(b.numel() for n, b in module.named_buffers() if n.endswith(("running_mean", "running_var")))
    if finetuning is not None and finetuning.ever_unfreezes:
        finetuning.unfreeze_phase2(module)
    counts["trainable_phase2"] = _trainable(module)
    return counts, counts_bn


def main(argv: list[str] | None = None) -> int:
    """Print the parameter table (``--json``: a JSON object as the last line)."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        print(__doc__ + "\nOptions: --json, and every option of tools/train.py (see train.py --help).")
        return 0
    as_json = "--json" in argv
    argv = [a for a in argv if a != "--json"]
    cli = build_cli(argv, parse_only=True)
    counts, bn_statistics = parameter_counts(cli.config)
    model = cli.config.model
    print(f"arch: {model.arch}  model_kwargs: {model.model_kwargs}")
    print(f"total parameters:              {counts['total']:>13,}")
    print(f"trainable (phase 1):           {counts['trainable']:>13,}")
    print(f"trainable (phase 2):           {counts['trainable_phase2']:>13,}")
    print(f"frozen (phase 1):              {counts['total'] - counts['trainable']:>13,}")
    print(f"BatchNorm statistics (buffers): {bn_statistics:>12,}  (Keras adds these to non-trainable)")
    if as_json:
        print(json.dumps(counts))
    return 0
