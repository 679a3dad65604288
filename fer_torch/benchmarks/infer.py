"""Inference speed of every registered architecture: ms per face at batch 1, images/s at batch N.

Each model runs at its registered default input size and channels, in eval mode under
``torch.inference_mode``, in fp32 and (``--bf16``, on by default) as the live ``Predictor`` runs bf16: a
bfloat16 copy of the model in channels-last memory format, and (``--onnx``, on by default) exported to ONNX
by ``tools/export.py``'s writer and run in onnxruntime (fp32, as ``live.py --weights model.onnx`` runs it).
Each figure is the median of up to ``--repeats`` timed calls, capped at ~``--budget`` seconds, so slow models (VGG at
224 px) get one batched call without warm-up.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from fer_torch.benchmarks.timing import significant
from fer_torch.device import torch_threads
from fer_torch.errors import ConfigError
from fer_torch.inference.classifier import LoadedClassifier, OnnxBackend, TorchBackend, torch_backend
from fer_torch.labels import FER2013_CLASSES
from fer_torch.models import create_model, list_models, model_input_spec
from fer_torch.spec import InputSpec

clock = time.perf_counter
"""The timer of every measurement (a test replaces it to play a CPU of any speed)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``tools/benchmark.py infer``."""
    parser.add_argument("--models", nargs="+", default=None,
                        help="registry names (default: all, or none when --model-files is given)")
    parser.add_argument("--model-files", nargs="+", type=Path, default=None, metavar="FILE",
                        help="also time these model files' networks (.ckpt or .safetensors, at their own input "
                             "size), e.g. a new default beside the shipped one")
    parser.add_argument("--batch", type=int, default=64, help="batch size of the throughput column")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per measurement (at most; median kept)")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per measurement before repeats are cut")
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                        help="also time a bfloat16 channels-last copy of each model (default: on)")
    parser.add_argument("--onnx", action=argparse.BooleanOptionalAction, default=True,
                        help="also time each model exported to ONNX, in onnxruntime (default: on)")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:N)")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's; use 1 on a busy machine)"
    )
    parser.add_argument("--parity-data", type=Path,
                        help="FER2013 ROOT: also label its val crops with the default model (or --weights) in torch "
                             "bf16 and onnxruntime and count agreement with torch fp32, and show the auto backend's "
                             "probe")
    parser.add_argument("--weights", type=Path, help="model file of --parity-data (default: the default model)")


def _seconds_per_call(fn: Callable[[], object], repeats: int, budget: float, expected: float) -> tuple[float, int]:
    """Median seconds of ``fn``; ``expected`` (a guess of one call's time) sizes the loop to ``budget``.

    A warm-up call runs only when it fits the budget: a slow model's first batched call is its only one.
    """
    if expected * (repeats + 1) <= budget:
        fn()
    n = max(1, min(repeats, int(budget / max(expected, 1e-6))))
    times = []
    for _ in range(n):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times), n


def _measure(backend: TorchBackend | OnnxBackend, shape: tuple[int, ...], args: argparse.Namespace) -> tuple[float, float, int]:
    """(ms per face at batch 1, images/s at ``args.batch``, timed repeats of the batched run) of a backend's
    forward pass; the input is prepared (device, dtype, layout) outside the timed call."""
    device = backend.device

    def run(batch: int) -> Callable[[], object]:
        x = backend.prepare(torch.randn(batch, *shape))

        def call() -> object:
            with torch.inference_mode():
                out = backend.run(x)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            return out

        return call

    call_one = run(1)
    start = clock()
    call_one()  # warm-up, and the first guess of a call's time
    single, _ = _seconds_per_call(call_one, args.repeats, args.budget, clock() - start)
    batched, n = _seconds_per_call(run(args.batch), args.repeats, args.budget, single * args.batch)
    return single * 1000, args.batch / batched, n


def _onnx_backend(model: torch.nn.Module, spec: InputSpec, directory: Path, args: argparse.Namespace) -> OnnxBackend:
    """``model`` exported as live.py and evaluate.py would load it (tools/export.py's writer), in onnxruntime."""
    from fer_torch.export.writers import write_onnx

    path = write_onnx(LoadedClassifier.from_module(model, FER2013_CLASSES, spec, args.device), directory / "model.onnx")
    return LoadedClassifier.from_weights(path, device=args.device).backend


def parity_report(root: Path, weights: Path | None) -> list[str]:
    """Markdown lines: how often torch bf16 and onnxruntime give torch fp32's label on FER2013 val crops, and what
    ``--backend auto`` picks here (its batch-1 probe)."""
    from fer_torch.data.readers import load_splits
    from fer_torch.inference.backends import with_backend

    crops = list(load_splits(root)["val"].images)
    reference = LoadedClassifier.from_weights(weights, "cpu", "fp32")
    labels = reference.predict_proba(crops).argmax(1)
    engines = {"torch bf16": LoadedClassifier.from_weights(weights, "cpu", "bf16"),
               "onnxruntime fp32": with_backend(reference, "onnxruntime")[0]}
    model = Path(reference.name).name
    lines = [f"Label parity on FER2013 val ({len(crops):,} crops), against torch fp32, model {model}:", ""]
    for name, model in engines.items():
        same = int((model.predict_proba(crops).argmax(1) == labels).sum())
        lines.append(f"- {name}: {same:,} of {len(crops):,} labels identical ({100 * same / len(crops):.2f} %)")
    for precision in ("fp32", "auto"):
        lines.append(f"- `--precision {precision} --backend auto` here: "
                     f"{with_backend(LoadedClassifier.from_weights(weights, 'cpu', precision), 'auto')[1]}")
    return [*lines, ""]


def networks(args: argparse.Namespace) -> Iterator[tuple[str, torch.nn.Module, InputSpec]]:
    """``(row name, network in eval mode on args.device, input spec)`` of every requested registry model and model
    file, one at a time."""
    from fer_torch.model_io.model_file import read_model_file

    for name in args.models or ([] if args.model_files else list_models()):
        spec = model_input_spec(name)
        yield name, create_model(name, num_classes=7, in_chans=spec.channels).to(args.device).eval(), spec
    for path in args.model_files or []:
        loaded = read_model_file(path)
        if loaded.module is None:
            raise ConfigError(f"{path}: --model-files takes torch model files (.ckpt, .safetensors), not {loaded.format}")
        yield path.name, loaded.module.to(args.device).eval(), loaded.input_spec


def run(args: argparse.Namespace) -> str:
    """Time every requested model with ``--threads`` torch threads (default: torch's); a markdown table."""
    with torch_threads(args.threads or torch.get_num_threads()):
        return report(args)


def report(args: argparse.Namespace) -> str:
    """The timing table (and ``--parity-data``'s label parity) of every requested model."""
    parity = parity_report(args.parity_data, args.weights) if args.parity_data else []
    header = ["model", "input", "params", "ms/face (b=1)", f"images/s (b={args.batch})", "repeats"]
    if args.bf16:
        header += ["bf16 ms/face", "bf16 images/s"]
    if args.onnx:
        header += ["onnxruntime ms/face", "onnxruntime images/s"]
    rows = [header, ["---"] * len(header)]
    for name, model, spec in networks(args):
        shape = (spec.channels, *spec.image_size)
        params = sum(p.numel() for p in model.parameters())
        ms, ips, n = _measure(torch_backend(model, args.device, "fp32"), shape, args)
        row = [name, "x".join(map(str, shape)), f"{params / 1e6:.2f}M", significant(ms), significant(ips), str(n)]
        if args.bf16:  # the conversion live.py and evaluate.py make, on a copy
            ms16, ips16, _ = _measure(torch_backend(copy.deepcopy(model), args.device, "bf16"), shape, args)
            row += [significant(ms16), significant(ips16)]
        if args.onnx:
            with tempfile.TemporaryDirectory() as tmp:
                msx, ipsx, _ = _measure(_onnx_backend(model, spec, Path(tmp), args), shape, args)
            row += [significant(msx), significant(ipsx)]
        rows.append(row)
        del model
    precision = "fp32 and bf16 channels-last" if args.bf16 else "fp32"
    if args.onnx:
        precision += "; onnxruntime fp32 (the tools/export.py ONNX model)"
    title = f"### Inference ({args.device}, {torch.get_num_threads()} threads, eval, inference_mode, {precision})"
    return "\n".join([title, "", *("| " + " | ".join(r) + " |" for r in rows), "", *parity])
