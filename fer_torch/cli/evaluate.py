"""``tools/evaluate.py``: evaluate a model file or an ensemble on a dataset split and write the report files.

Writes ``OUTPUT/metrics.json``, ``confusion_matrix.png``, ``report.md`` and ``predictions.csv``; prints
accuracy, macro F1, n and images/s. With ``--sequence-n``, also the per-class report and
``confusion_matrix_sequence_<N>.png`` over windows of N consecutive frames.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_torch.choices import PRECISION_CHOICES, TTA_MODES, VOTES
from fer_torch.cli.common import ToolArgumentParser, add_weights_argument
from fer_torch.data.reader_registry import AUTO, source_choices
from fer_torch.inference.detector_registry import DEFAULT_DETECTOR, DETECTORS
from fer_torch.labels import SPLIT_ORDER


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by evaluate and ensemble_select: model files, data, split and how to run the models."""
    add_weights_argument(parser, repeat=True,
                         help="model file: Lightning .ckpt, .safetensors weights, TorchScript .pt or .onnx; repeat "
                              "for an ensemble (default: weights/fer_default.safetensors)")
    parser.add_argument("--data", required=True, help="dataset root: class folders, fer2013.csv or a webcam dataset")
    parser.add_argument("--split", choices=SPLIT_ORDER, default="val", help="split to evaluate (default val)")
    parser.add_argument("--source", choices=source_choices(), default=AUTO, help="data form (default: detect)")
    parser.add_argument("--tta", choices=TTA_MODES, default="none", help="test-time augmentation")
    parser.add_argument("--detect-faces", action="store_true",
                        help="full-frame photos: crop the largest face as live.py does (photos without one count as "
                             "no_face)")
    parser.add_argument("--detector", choices=DETECTORS.names(), default=DEFAULT_DETECTOR,
                        help="face detector of --detect-faces")
    parser.add_argument("--all-faces", action="store_true",
                        help="with --detect-faces: score every face of a photo (each with the photo's label)")
    parser.add_argument("--face-margin", type=float, default=0.1, help="face crop margin, fraction of the box side")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--precision", choices=PRECISION_CHOICES, default="fp32",
                        help="model precision: fp32 (default), bf16, or auto (what live.py uses: bf16 on CPUs with "
                        "AMX-BF16 or AVX512-BF16)")


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="evaluate.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_arguments(parser)
    parser.add_argument("--output", help="directory for the report files (default: reports/<model>_<split>, "
                                         "printed at the end)")
    parser.add_argument("--ensemble-weights", type=float, nargs="+", metavar="W",
                        help="ensemble: one weight per --weights (weighted mean)")
    parser.add_argument("--model-classes-only", action="store_true",
                        help="leave out the images of classes the model does not predict (a model trained on a "
                             "subset, e.g. seed 001's five classes); without it they are an error")
    parser.add_argument("--vote", choices=VOTES, default="mean", help="ensemble rule: mean probability or majority vote")
    parser.add_argument("--sequence-n", type=int, nargs="+", metavar="N",
                        help="webcam data: majority vote over N consecutive frames, per N: accuracy, per-class "
                             "P/R/F1/accuracy and a confusion matrix (seed 000 uses 10)")
    return parser


def default_output(weights: list[str] | None, split: str) -> Path:
    """``reports/<model>_<split>``: the model file's stem (the default model's without ``--weights``), its run's name
    and version first for a run's checkpoint (``seed004_bn_cnn_version_0_best``), ``ensemble`` for several."""
    from fer_torch.paths import default_weights_or_none

    model = Path(weights[0]) if weights else default_weights_or_none() or Path("model")
    name = model.stem
    if model.parent.name == "checkpoints":
        run = model.parent.parent
        name = f"{run.parent.name}_{run.name}_{name}"
    return Path("reports") / f"{'ensemble' if weights and len(weights) > 1 else name}_{split}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.output = args.output or default_output(args.weights, args.split)
    from fer_torch.evaluation.runner import OUTPUT_FILES, evaluate, write_evaluation
    from fer_torch.evaluation.sequence import write_sequence_plots

    result = evaluate(args.weights, args.data, split=args.split, source=args.source, tta=args.tta,
                      detect_faces=args.detect_faces, face_margin=args.face_margin, batch_size=args.batch_size,
                      device=args.device, ensemble_weights=args.ensemble_weights, vote=args.vote, sequence_n=args.sequence_n,
                      precision=args.precision, detector=args.detector, every_face=args.all_faces,
                      model_classes_only=args.model_classes_only)
    models = result.split.models
    details = {"Checkpoints": ", ".join(f"{m.name} ({m.format})" for m in models),
               "Data": f"{args.data} ({args.split})", "TTA": args.tta,
               "Precision": ", ".join(sorted({m.precision for m in models}))}
    if args.model_classes_only:
        details["Classes"] = f"the model's {len(result.split.class_names)} only: {', '.join(result.split.class_names)}"
    if args.detect_faces:
        details["Faces"] = f"{args.detector}, {'every face' if args.all_faces else 'largest face'} of each photo"
    if len(models) > 1:
        details["Ensemble"] = f"{args.vote}" + (f", weights {args.ensemble_weights}" if args.ensemble_weights else "")
    write_evaluation(result, args.output, details)
    write_sequence_plots(result.metrics, args.output)
    m = result.metrics
    line = f"accuracy {m['accuracy']:.4f}  macro F1 {m['macro_f1']:.4f}  n {m['n']}  {result.images_per_second:.1f} images/s"
    if "no_face" in m:
        line += f"  no_face {m['no_face']}"
    print(line)
    if "sequence" in m:
        print("sequence accuracy: " + "  ".join(f"n={n}: {a if a is None else round(a, 4)}" for n, a in m["sequence"].items()))
    print(f"wrote {', '.join(OUTPUT_FILES)} to {args.output}")
    return 0
