"""``tools/export.py``: write a trained model as slim weights (safetensors), ONNX or TorchScript, and verify it.

The exported file carries the class names and input spec; ``evaluate.py --weights``, ``live.py --weights``
and ``LoadedClassifier.from_weights`` take it wherever they take a checkpoint. Before the file is kept, the
exported model and the PyTorch one classify the same ``--verify-images`` crops; the largest probability
difference and the label agreement are printed, and export fails when they disagree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_torch.choices import EXPORT_FORMATS, ONNX_OPSET
from fer_torch.cli.common import ToolArgumentParser, add_weights_argument


def build_parser() -> argparse.ArgumentParser:
    parser = ToolArgumentParser(prog="export.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_weights_argument(parser, type=Path, default=None,
                         help="Lightning checkpoint or weights file (default: the shipped weights/fer_default.safetensors)")
    parser.add_argument("--format", choices=EXPORT_FORMATS, required=True,
                        help="weights: slim safetensors; onnx: dynamic batch, opset %d; torchscript: traced" % ONNX_OPSET)
    parser.add_argument("--output", type=Path, help="file to write (default: model.safetensors / model.onnx / model.pt)")
    parser.add_argument("--verify-images", type=int, default=256, help="crops compared after export (default: 256)")
    parser.add_argument("--data", help="take the verification crops from this dataset's val split (default: synthetic)")
    parser.add_argument("--tolerance", type=float, default=1e-3,
                        help="largest allowed probability difference (default: 1e-3)")
    parser.add_argument("--min-agreement", type=float, default=0.99,
                        help="smallest allowed fraction of identical labels (default: 0.99)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from fer_torch.errors import ConfigError
    from fer_torch.export.exporter import export_model, verification_images
    from fer_torch.export.writers import WRITERS
    from fer_torch.inference.classifier import LoadedClassifier

    if args.verify_images < 1:
        raise ConfigError(f"--verify-images must be >= 1, got {args.verify_images}")
    classifier = LoadedClassifier.from_weights(args.weights, device="cpu", precision="fp32")
    output = args.output or Path(f"model{WRITERS[args.format][0]}")
    crops = verification_images(classifier, args.verify_images, args.data)
    path, agreement = export_model(classifier, args.format, output, crops, args.tolerance, args.min_agreement)
    print(f"wrote {path} ({args.format}, {path.stat().st_size / 1e6:.1f} MB) from {classifier.name}")
    print(agreement.format())
    return 0
