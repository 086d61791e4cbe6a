"""Background threads for pipelines: read-ahead (`prefetch`) and parallel calls (`map`).

Both are generators that own their threads: threads start on the first element and are
joined when the generator finishes, fails, or is closed (a `for` loop left with `break`,
an iterator dropped, `take` reaching its count). Only the thread that iterates a source
ever touches it, and that thread also closes it, so a source never runs in two threads
at once. NumPy releases the GIL in its large kernels, and `py_function` code that reads
files or sleeps releases it too; that is what these threads overlap.
"""

from __future__ import annotations

import collections
import queue
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from engine.data.node import close

__all__ = ["prefetched", "parallel_map"]

_ITEM, _END, _ERROR = range(3)


def prefetched(source, depth: int):
    """Yields the items of `source`, read up to `depth` items ahead by a thread."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in source:
                buffer.put((_ITEM, item))
                if stop.is_set():
                    return
            buffer.put((_END, None))
        except BaseException as err:  # handed to the consumer, which raises it
            buffer.put((_ERROR, err))
        finally:
            close(source)

    thread = threading.Thread(target=produce, name="engine.data.prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == _ITEM:
                yield value
            elif kind == _END:
                return
            else:
                raise value
    finally:
        stop.set()
        # Emptying the queue unblocks a producer waiting in put(); it then sees `stop`.
        while True:
            try:
                buffer.get_nowait()
            except queue.Empty:
                break
        if thread is not threading.current_thread():
            thread.join()


def parallel_map(source, fn, threads: int, ordered: bool):
    """Yields `fn(item)` for the items of `source`, computed by `threads` threads.

    Up to `2 * threads` calls are in flight. `ordered=False` yields each result as soon as
    it is ready instead of in input order.
    """
    pool = ThreadPoolExecutor(threads, thread_name_prefix="engine.data.map")
    limit = 2 * threads
    pending: collections.deque = collections.deque()
    try:
        for item in source:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield _next_result(pending, ordered)
        while pending:
            yield _next_result(pending, ordered)
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        close(source)


def _next_result(pending: collections.deque, ordered: bool):
    if ordered:
        return pending.popleft().result()
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    future = next(f for f in pending if f in done)  # the oldest finished call
    pending.remove(future)
    return future.result()
