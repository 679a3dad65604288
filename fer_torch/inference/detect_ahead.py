"""Detect ahead: find the faces of frame t+1 in a worker thread while the caller classifies frame t.

OpenCV's detector and torch's kernels both release the GIL, so on a CPU the two stages overlap: a live loop
then runs at about the detector's own frames/s (``tools/benchmark.py live``) instead of detector + model.
Results come out in frame order; the cost is one frame of read-ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def detect_ahead(items: Iterable[Item], detect: Callable[[Item], Result]) -> Iterator[tuple[Item, Result]]:
    """Yield ``(item, detect(item))`` in order, running ``detect`` on the next item while the caller works.

    Errors raised by ``detect`` surface at the item they belong to; an error raised by ``items`` itself (a
    dropped camera, Ctrl-C) surfaces after the item already read is delivered. Closing the generator early
    (a ``break``) waits for the one detection still running and stops reading ``items``.
    """
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fer-detect") as pool:
        pending: tuple[Item, Future[Result]] | None = None
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except BaseException:
                if pending is not None:
                    yield pending[0], pending[1].result()
                raise
            future = pool.submit(detect, item)
            if pending is not None:
                yield pending[0], pending[1].result()
            pending = (item, future)
        if pending is not None:
            yield pending[0], pending[1].result()
