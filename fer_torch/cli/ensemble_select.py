"""``tools/ensemble_select.py``: choose an ensemble greedily on the validation split.

Forward selection: start empty, repeatedly add the checkpoint that most raises the accuracy of the
mean-probability ensemble, stop when no checkpoint raises it. Prints each model's accuracy, the chosen
list and its accuracy; ``--json`` adds a JSON summary as the last line.
"""

from __future__ import annotations

import argparse
import json

from fer_torch.cli.common import ToolArgumentParser
from fer_torch.cli.evaluate import add_data_arguments
from fer_torch.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="ensemble_select.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.weights or len(args.weights) < 2:
        raise ConfigError("ensemble selection needs at least two --weights files")
    from fer_torch.evaluation.ensemble import combine_probabilities, greedy_select
    from fer_torch.evaluation.runner import predict_split

    preds = predict_split(args.weights, args.data, split=args.split, source=args.source, tta=args.tta,
                          detect_faces=args.detect_faces, face_margin=args.face_margin, batch_size=args.batch_size,
                          device=args.device, precision=args.precision, detector=args.detector,
                          every_face=args.all_faces)
    # Keys stay unique when the same file is given twice.
    names = [c if args.weights.index(c) == i else f"{c}#{i}" for i, c in enumerate(args.weights)]
    probs = dict(zip(names, preds.probs))
    targets = preds.samples.labels
    individual = {n: float((combine_probabilities([p])[1].numpy() == targets).mean()) for n, p in probs.items()}
    for name, acc in individual.items():
        print(f"{acc:.4f}  {name}")
    chosen, accuracy = greedy_select(probs, targets)
    print(f"chosen ({len(chosen)} of {len(names)}) on {args.split}, n {len(targets)}: accuracy {accuracy:.4f}")
    for name in chosen:
        print(f"  --weights {name}")
    if args.json:
        print(json.dumps({"split": args.split, "n": int(len(targets)), "chosen": chosen, "accuracy": accuracy,
                          "individual": individual}))
    return 0
