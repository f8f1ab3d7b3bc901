"""Decoding photos in parallel with inference, in order, with bounded memory.

Pillow releases the GIL while it decodes and resizes, so a few threads keep the encoder fed
while ONNX Runtime runs the previous batch. At most `window` decoded images wait at any time.
Inference itself can run several batches at once (`iter_mapped`): on a laptop CPU, one
ONNX Runtime thread per batch and a batch per core beats one batch spread over every core,
because each op's threads no longer wait for the slowest of them (bench/encode.py measures it).
Towards the end of a run the batches shrink (`tapered_batch`), so the last one does not run
alone on one core while the others idle.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from photofind.errors import ImageLoadError

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Decode threads: as many as cores, at least 2, at most 4 (beyond that memory, not speed)."""
    return max(2, min(4, os.cpu_count() or 2))


def inference_workers() -> int:
    """Batches to run at once, each on one ONNX Runtime thread: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def tapered_batch(remaining: int, batch_size: int, workers: int, smallest: int = 4) -> int:
    """The size of the next batch when `remaining` items are still to come.

    Full batches while plenty remain, then about a 2 x `workers`th of what is left, but not
    under `smallest` (a ViT runs a batch of 4 about as fast per photo as one of 16): the
    last batch each worker gets is small, so no core waits long for another to finish.
    48 photos in batches of 16 on 2 workers go as 12, 9, 7, 5, 4, 4, 4, 3."""
    size = min(batch_size, max(smallest, -(-remaining // (2 * max(1, workers)))))
    return min(size, remaining) if remaining > 0 else size  # more than expected: go on


def iter_decoded(
    items: Iterable[T],
    decode: Callable[[T], R],
    *,
    workers: int | None = None,
    window: int = 32,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[tuple[int, R | None, str | None]]:
    """Yield (index, decoded or None, error or None) in input order. `items` is read
    lazily, at most `window` ahead of what was yielded, so it may be a stream."""
    pending: deque[tuple[int, Future[R | None]]] = deque()
    source: Iterable[tuple[int, T]] = iter(enumerate(items))
    with ThreadPoolExecutor(workers or default_workers(), thread_name_prefix="decode") as pool:
        try:
            for index, item in source:
                if cancel is not None and cancel():
                    break
                pending.append((index, pool.submit(decode, item)))
                if len(pending) >= window:
                    done = _result(*pending.popleft())
                    yield done
            while pending:
                if cancel is not None and cancel():
                    break
                rest = _result(*pending.popleft())
                yield rest
        finally:
            for _, future in pending:
                future.cancel()


def _result(index: int, future: Future[R | None]) -> tuple[int, R | None, str | None]:
    try:
        return index, future.result(), None
    except ImageLoadError as exc:
        return index, None, str(exc)
    except Exception as exc:  # a decoder bug must cost one file, not the batch
        return index, None, f"cannot decode: {type(exc).__name__}: {exc}"


def iter_mapped(items: Iterable[T], fn: Callable[[T], R], *, workers: int = 1) -> Iterator[R]:
    """`fn` over `items` with `workers` calls at once in threads, results in input order.

    One call more than `workers` waits queued, so no worker idles while the caller handles a
    result. An exception from `fn` is raised at its item's place; the calls still queued are
    dropped and those running are waited for.
    """
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="infer") as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
