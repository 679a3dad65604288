"""One entry point for every dataset form: the readers of :data:`~fer_torch.data.reader_registry.READERS`
(FER2013 CSV, split folders, webcam crops and any registered later).

``load_splits`` finds the form (``source="auto"``) and returns ``{split: Samples}``; ``select_classes`` then picks,
reorders and caps classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_torch.data.reader_registry import AUTO, READERS, check_source
from fer_torch.data.samples import Samples
from fer_torch.data.subsets import select_classes
from fer_torch.errors import DataError
from fer_torch.registry_options import route_options

__all__ = ["detect_source", "list_class_names", "load_splits", "select_classes"]


def detect_source(root: str | Path) -> str:
    """Name of the reader that recognises ``root``, asking them by descending priority: ``webcam`` for a folder
    with manifest.csv, ``folder`` for split subfolders, ``csv`` for a .csv file or a folder holding
    fer2013.csv/train.csv/test.csv."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"{root}: no such file or directory")
    readers = {name: READERS.get(name) for name in READERS.names()}
    for name in sorted(readers, key=lambda n: -readers[n].priority):
        if readers[name].detect(root):
            return name
    *others, last = [reader.description for reader in readers.values()]
    raise DataError(f"{root}: not a dataset; expected {', '.join([*others, ''])}{'or ' if others else ''}{last}")


def _resolve(root: str | Path, source: str) -> tuple[Path, str]:
    """The path and the name of the reader of ``source`` (detected for ``auto``)."""
    root = Path(root).expanduser()
    check_source(source, DataError)
    if not root.exists():
        raise DataError(f"{root}: no such file or directory")
    return root, detect_source(root) if source == AUTO else source


def load_splits(root: str | Path, source: str = AUTO, *, rgb: bool = False, **options: Any) -> dict[str, Samples]:
    """Read a dataset into ``{split: Samples}`` (keys among train/val/test, only those present).

    ``source`` names a reader (see :func:`fer_torch.data.reader_registry.source_choices`); ``auto`` detects it.
    Class names are the classes present, in FER2013 order (CSV: all seven). ``rgb`` gives ``(H, W, 3)`` RGB images
    instead of gray. ``options`` go to the reader that takes them, and those only another reader takes are left
    out, so one call serves any form (:mod:`fer_torch.registry_options`; an option no reader takes is a
    :class:`DataError`). The built-in readers' options: ``region`` (``face`` or ``mouth`` crops only),
    ``val_fraction`` and ``split_seed`` (train/val split by subject) for webcam data; ``split_test_by_prefix``
    (test/PublicTest_* -> val) for folders; for both, ``strict`` (an unreadable image file raises instead of
    being skipped with a warning) and ``cache_dir``/``use_cache`` (decoded images are cached in ``cache_dir``,
    default ``$FER_TORCH_CACHE`` or ``~/.cache/fer_torch``, unless ``use_cache=False``).
    """
    root, name = _resolve(root, source)
    return READERS.get(name).read(root, rgb=rgb, **route_options(READERS, name, options, lambda r: r.read))


def list_class_names(root: str | Path, source: str = AUTO) -> tuple[str, ...]:
    """Class names of a dataset in label order, without decoding images (CSV: all seven)."""
    root, name = _resolve(root, source)
    return tuple(READERS.get(name).class_names(root))
