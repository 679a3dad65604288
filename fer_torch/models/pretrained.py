"""Pretrained weights: the libraries' own names and loaders, or a local file that needs no network.

``pretrained`` is ``False``, a library weight name (torchvision ``True``/``"imagenet"``/``"DEFAULT"``/
``"IMAGENET1K_V1"``; a timm tag ``"resnet50.a1_in1k"``; facenet-pytorch ``"vggface2"``/
``"casia-webface"``), or a path to a state dict / checkpoint. Downloads go through torchvision, timm
(Hugging Face hub) and facenet-pytorch themselves; when one fails for lack of network the error says
which file to fetch from where and how to pass it.
"""

from __future__ import annotations

import logging
import os
import pathlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, Union

import torch
from torch import Tensor, nn

from fer_torch.errors import PretrainedWeightsError, first_line
from fer_torch.extras import require
from fer_torch.safe_load import mentions_unsafe_retry, refused_pickle

if TYPE_CHECKING:
    from fer_torch.models.base import FERNet

PretrainedArg = Union[bool, str, os.PathLike, None]
T = TypeVar("T")
_log = logging.getLogger(__name__)

WEIGHT_FILE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors", ".pth.tar")
IMAGENET_NAMES = ("imagenet", "default")


def _network_errors() -> tuple[type[BaseException], ...]:
    # urllib's URLError, requests' and huggingface_hub's errors (LocalEntryNotFoundError, HfHubHTTPError)
    # all derive from OSError; OfflineModeIsEnabled from ConnectionError (an OSError too).
    errors: list[type[BaseException]] = [OSError]
    try:
        from huggingface_hub.errors import EntryNotFoundError

        errors.append(EntryNotFoundError)
    except ImportError:  # pragma: no cover - hub client absent
        pass
    return tuple(errors)


NETWORK_ERRORS = _network_errors()


def is_weights_file(pretrained: PretrainedArg) -> bool:
    """Whether ``pretrained`` names a local file rather than a library weight name."""
    if isinstance(pretrained, os.PathLike):
        return True
    if not isinstance(pretrained, str):
        return False
    return (
        pretrained.endswith(WEIGHT_FILE_SUFFIXES)
        or pretrained.startswith(("/", "./", "../", "~"))
        or os.path.isfile(pretrained)
    )


def require_no_library_weights(model_name: str, pretrained: PretrainedArg) -> None:
    """Refuse a library weight name for an architecture that no library publishes weights for."""
    if pretrained not in (False, None):
        raise PretrainedWeightsError(
            f"{model_name} has no published weights: pretrained takes False or a weights file path, got {pretrained!r}"
        )


def offline_error(model_name: str, pretrained: object, url: str, filename: str, cache: str) -> PretrainedWeightsError:
    """The one-line error for a library download that failed (no network)."""
    return PretrainedWeightsError(
        f"pretrained={pretrained!r} for {model_name} needs {url}; offline, download it elsewhere and pass "
        f"pretrained=/path/to/{filename} (or put it in {cache})"
    )


def _download(model_name: str, pretrained: object, url: str, filename: str, cache: str, load: Callable[[], T]) -> T:
    try:
        return load()
    except NETWORK_ERRORS as e:
        raise offline_error(model_name, pretrained, url, filename, cache) from e


def adapt_first_conv(conv: nn.Conv2d, in_chans: int) -> nn.Conv2d:
    """``conv`` taking ``in_chans`` channels, its RGB kernels summed for grayscale (timm's adapt_input_conv).

    Summing keeps a pretrained filter's response to a gray image, and for random weights keeps the
    activation variance a 3-channel input would give.
    """
    from timm.models import adapt_input_conv

    if conv.in_channels == in_chans:
        return conv
    new = nn.Conv2d(
        in_chans, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups,
        bias=conv.bias is not None,
    )
    with torch.no_grad():
        new.weight.copy_(adapt_input_conv(in_chans, conv.weight))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


# --- torchvision -------------------------------------------------------------------------------


def torchvision_weights(arch: str, pretrained: PretrainedArg):
    """torchvision ``WeightsEnum`` member for ``pretrained`` (``None`` for no weights)."""
    from torchvision.models import get_model_weights, get_weight

    if pretrained in (False, None):
        return None
    enum = get_model_weights(arch)
    if pretrained is True or str(pretrained).lower() in IMAGENET_NAMES:
        return enum.DEFAULT
    name = str(pretrained)
    try:
        return get_weight(name) if "." in name else enum[name]
    except (KeyError, ValueError):
        choices = ", ".join(["True", "'imagenet'", *(f"'{w.name}'" for w in enum)])
        raise PretrainedWeightsError(
            f"unknown pretrained={pretrained!r} for {arch}; choose from {choices} or a weights file path"
        ) from None


def build_torchvision(arch: str, pretrained: PretrainedArg) -> nn.Module:
    """``torchvision.models.get_model(arch, weights=...)`` with the offline error."""
    from torchvision.models import get_model

    weights = torchvision_weights(arch, pretrained)
    if weights is None:
        return get_model(arch, weights=None)
    filename = weights.url.rsplit("/", 1)[-1]
    cache = os.path.join(torch.hub.get_dir(), "checkpoints") + "/"
    return _download(arch, pretrained, weights.url, filename, cache, lambda: get_model(arch, weights=weights))


# --- timm ----------------------------------------------------------------------------------------


def timm_pretrained_name(arch: str, pretrained: PretrainedArg) -> str | None:
    """Full timm name ``arch.tag`` for ``pretrained`` (``True``/"imagenet" = timm's default tag)."""
    import timm

    if pretrained in (False, None):
        return None
    if pretrained is True or str(pretrained).lower() in IMAGENET_NAMES:
        return f"{arch}.{timm.models.get_pretrained_cfg(arch).tag}"
    name = str(pretrained) if str(pretrained).startswith(f"{arch}.") else f"{arch}.{pretrained}"
    available = timm.list_pretrained(f"{arch}.*")
    if name not in available:
        raise PretrainedWeightsError(
            f"unknown pretrained={pretrained!r} for {arch}; timm has {', '.join(available)} "
            "(or pass a weights file path)"
        )
    return name


def build_timm(arch: str, pretrained: PretrainedArg, in_chans: int, **kwargs: object) -> nn.Module:
    """timm feature extractor (``num_classes=0``); timm adapts pretrained RGB kernels to ``in_chans``."""
    import timm

    name = timm_pretrained_name(arch, pretrained)
    if name is None:
        return timm.create_model(arch, pretrained=False, num_classes=0, in_chans=in_chans, **kwargs)
    cfg = timm.models.get_pretrained_cfg(name)
    if cfg.hf_hub_id:
        from huggingface_hub.constants import HF_HUB_CACHE

        url, filename = f"https://huggingface.co/{cfg.hf_hub_id}", "model.safetensors"
        cache = f"{HF_HUB_CACHE} with `hf download {cfg.hf_hub_id}`"
    else:
        url, filename = cfg.url, cfg.url.rsplit("/", 1)[-1]
        cache = os.path.join(torch.hub.get_dir(), "checkpoints") + "/"
    return _download(
        arch,
        pretrained,
        url,
        filename,
        cache,
        lambda: timm.create_model(name, pretrained=True, num_classes=0, in_chans=in_chans, **kwargs),
    )


# --- facenet-pytorch -----------------------------------------------------------------------------

_FACENET_RELEASE = "https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/"
FACENET_WEIGHTS = {  # the URLs facenet_pytorch.models.inception_resnet_v1.load_weights downloads
    "vggface2": _FACENET_RELEASE + "20180402-114759-vggface2.pt",
    "casia-webface": _FACENET_RELEASE + "20180408-102900-casia-webface.pt",
}


def build_facenet(pretrained: PretrainedArg) -> nn.Module:
    """facenet-pytorch ``InceptionResnetV1`` embedding network (``classify=False``), without its logits layer."""
    InceptionResnetV1 = require("facenet_pytorch", "the inception_resnet_v1 (FaceNet) model").InceptionResnetV1
    from facenet_pytorch.models.inception_resnet_v1 import get_torch_home

    if pretrained in (False, None):
        return InceptionResnetV1(pretrained=None, classify=False)
    name = "vggface2" if pretrained is True else str(pretrained).lower()
    if name not in FACENET_WEIGHTS:
        raise PretrainedWeightsError(
            f"unknown pretrained={pretrained!r} for inception_resnet_v1; choose from "
            f"{', '.join(map(repr, FACENET_WEIGHTS))} or a weights file path"
        )
    url = FACENET_WEIGHTS[name]
    cache = os.path.join(get_torch_home(), "checkpoints") + "/"
    net = _download(
        "inception_resnet_v1",
        pretrained,
        url,
        url.rsplit("/", 1)[-1],
        cache,
        lambda: InceptionResnetV1(pretrained=name, classify=False),
    )
    del net.logits  # the face-identity classifier (8631 / 10575 people) is never used for expressions
    return net


# --- local files ----------------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What :func:`load_weights_file` took from a file."""

    path: str
    prefix: str
    backbone_tensors: int
    head_loaded: bool
    adapted: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def read_state_dict(path: str | os.PathLike) -> dict[str, Tensor]:
    """Tensors of a state dict, ``{"state_dict"|"model": ...}`` checkpoint or ``.safetensors`` file."""
    from timm.models import load_state_dict

    path = os.fspath(pathlib.Path(path).expanduser())
    if not os.path.isfile(path):
        raise PretrainedWeightsError(f"pretrained weights file {path} does not exist")
    try:
        # Checkpoint hyper-parameters may hold paths (e.g. a data root); nothing else outside torch's allow-list.
        with torch.serialization.safe_globals([pathlib.PosixPath, pathlib.WindowsPath, pathlib.PurePosixPath]):
            state = load_state_dict(path, use_ema=False, weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is one clear error
        refused = refused_pickle(e)
        if refused is not None:
            raise PretrainedWeightsError(f"{path}: {refused}; pass a state dict or .safetensors file") from None
        if mentions_unsafe_retry(e):
            raise PretrainedWeightsError(f"{path}: cannot read weights (corrupt, truncated or not a torch or "
                                         ".safetensors file)") from None
        raise PretrainedWeightsError(f"{path}: cannot read weights ({type(e).__name__}: {first_line(e)})") from e
    tensors = {k: v for k, v in state.items() if isinstance(v, Tensor)} if isinstance(state, dict) else {}
    if not tensors:
        raise PretrainedWeightsError(f"{path}: holds no state dict of tensors")
    return tensors


def _best_prefix(keys: list[str], targets: set[str]) -> tuple[str, int]:
    """The key prefix (``""``, ``"model."``, ``"model.backbone."`` ...) under which most ``targets`` occur."""
    counts: Counter[str] = Counter()
    for key in keys:
        parts = key.split(".")
        for i in range(len(parts)):
            if ".".join(parts[i:]) in targets:
                counts[".".join(parts[:i]) + ("." if i else "")] += 1
                break
    return counts.most_common(1)[0] if counts else ("", 0)


def _fit(key: str, value: Tensor, target: Tensor) -> tuple[Tensor, bool]:
    """``value`` shaped as ``target``: a first conv's RGB kernels summed for grayscale (timm's adapt_input_conv)."""
    if value.shape == target.shape:
        return value, False
    if value.ndim == 4 and value.shape[0] == target.shape[0] and value.shape[2:] == target.shape[2:]:
        from timm.models import adapt_input_conv

        adapted = adapt_input_conv(target.shape[1], value)
        if adapted.shape == target.shape:
            return adapted, True
    raise PretrainedWeightsError(f"{key}: file has shape {tuple(value.shape)}, model needs {tuple(target.shape)}")


def load_weights_file(model: "FERNet", path: str | os.PathLike) -> LoadReport:
    """Load a local file's weights into ``model``: every backbone tensor (strict), the head when it fits.

    Keys may carry any prefix (``model.``, ``model.backbone.`` of a Lightning checkpoint, ``module.``);
    tensors outside the backbone and head (e.g. the original ImageNet classifier) are ignored and logged.
    """
    state = read_state_dict(path)
    path = os.fspath(path)
    target = model.backbone.state_dict()
    required = {k for k in target if not k.endswith("num_batches_tracked")}
    prefix, found = _best_prefix(list(state), required)
    missing = sorted(k for k in required if prefix + k not in state)
    if missing:
        raise PretrainedWeightsError(
            f"{path}: {len(missing)} of {len(required)} backbone tensors missing (e.g. {', '.join(missing[:3])}); "
            f"file keys look like {', '.join(list(state)[:3])}"
        )
    backbone_sd, adapted = {}, []
    for k in target:
        if prefix + k in state:
            backbone_sd[k], was_adapted = _fit(k, state[prefix + k], target[k])
            if was_adapted:
                adapted.append(k)
    model.backbone.load_state_dict(backbone_sd, strict=False)
    used = {prefix + k for k in backbone_sd}

    head_loaded = False
    if prefix.endswith("backbone."):
        head_prefix = prefix[: -len("backbone.")] + "head."
        head_target = model.head.state_dict()
        head_sd = {k: state.get(head_prefix + k) for k in head_target}
        if all(v is not None and v.shape == head_target[k].shape for k, v in head_sd.items()):
            model.head.load_state_dict(head_sd)
            used |= {head_prefix + k for k in head_sd}
            head_loaded = True
        else:
            _log.info("%s: head not loaded (its shapes differ from this model's, e.g. another class count)", path)
            used |= {head_prefix + k for k in head_target}  # a head left out on purpose is not "ignored"
    ignored = [k for k in state if k not in used and not k.endswith("num_batches_tracked")]
    if ignored:
        _log.warning("%s: ignored %d tensors outside the model (e.g. %s)", path, len(ignored), ", ".join(ignored[:3]))
    return LoadReport(path, prefix, len(backbone_sd), head_loaded, adapted, ignored)
