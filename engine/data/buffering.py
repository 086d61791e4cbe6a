"""Steps that keep elements around: cache (in memory or in a file) and prefetch.

`cache()` records the elements of the first complete iteration and replays them on every
later one; an iteration that stops early records nothing (with a warning, as in
TensorFlow), so `take` after `cache` never truncates the cache. `cache(filename)` writes the
elements to a file instead (`engine.data.cachefile`), which later iterations and later
processes read as long as it exists.

`prefetch(n)` reads up to `n` elements ahead in a background thread, so the pipeline's
work overlaps the training step's. The thread starts on the first element and stops
when the iteration ends or is abandoned.
"""

from __future__ import annotations

import os
import threading
import warnings

from engine import nest
from engine.data import structure, threads
from engine.data.cachefile import CacheWriter, read_cache
from engine.data.node import AUTOTUNE, Node, check_count, close
from engine.tensor import wrap

__all__ = ["Buffering", "AUTOTUNE_PREFETCH"]

# How far `prefetch(AUTOTUNE)` reads ahead. The producer and the consumer share the GIL,
# so a deeper buffer does not make elements faster; it only hides uneven step times.
AUTOTUNE_PREFETCH = 2


class MemoryCacheNode(Node):
    kind = "CacheDataset"

    def __init__(self, node: Node):
        self.inputs = (node,)
        self._elements = None
        self._lock = threading.Lock()
        self._warned = False

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def plan(self):
        upstream = self.inputs[0].plan()  # rows already in memory: nothing to record
        return upstream if upstream is not None and not upstream.random else None

    def iterate(self, options):
        if self._elements is not None:
            yield from self._elements
            return
        recorded = []
        source = self.inputs[0].iterate(options)
        try:
            for element in source:
                recorded.append(element)
                yield element
        except GeneratorExit:
            self._warn_partial()
            raise
        finally:
            close(source)
        with self._lock:
            if self._elements is None:
                self._elements = recorded

    def _warn_partial(self):
        if not self._warned:
            self._warned = True
            warnings.warn("Dataset.cache: an iteration stopped before the end, so the cache "
                          "was not filled (this happens with take() after cache()). Put "
                          "take() before cache(), or iterate to the end once.", stacklevel=4)


class FileCacheNode(Node):
    kind = "CacheDataset"

    def __init__(self, node: Node, filename: str):
        self.inputs = (node,)
        self.filename = os.fspath(filename)
        spec = node.element_spec
        if structure.has_datasets(spec):
            raise TypeError("Dataset.cache: cannot write windows (datasets) to a file; batch "
                            "them first.")
        self.dtypes = [s.dtype for s in nest.flatten(spec)]

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        pack = structure.packer(self.element_spec)
        if os.path.exists(self.filename):
            for arrays in read_cache(self.filename, self.dtypes):
                yield pack([wrap(a) for a in arrays])
            return
        flatten = structure.flattener(self.element_spec)
        writer = CacheWriter(self.filename, self.dtypes)
        completed = False
        source = self.inputs[0].iterate(options)
        try:
            for element in source:
                writer.write([structure.host_array(t) for t in flatten(element)])
                yield element
            completed = True
        finally:
            close(source)
            if completed:
                writer.commit()
            else:
                writer.abort()


class PrefetchNode(Node):
    kind = "PrefetchDataset"

    def __init__(self, node: Node, buffer_size: int):
        self.inputs = (node,)
        self.buffer_size = buffer_size

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        if self.buffer_size == 0:
            return source
        depth = AUTOTUNE_PREFETCH if self.buffer_size == AUTOTUNE else self.buffer_size
        return threads.prefetched(source, depth)


class Buffering:
    """Caching and prefetching steps (a mixin of `engine.data.Dataset`)."""

    def cache(self, filename="", name=None):
        """Keeps the elements of the first full iteration and replays them afterwards.

        Args:
            filename: "" to keep them in memory, or a file path to write them to; an
                existing file is read instead of iterating the input (delete it to
                rebuild the cache).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> calls = []
            >>> def gen():
            ...     calls.append(1)
            ...     yield from range(3)
            >>> ds = engine.data.Dataset.from_generator(
            ...     gen, output_signature=engine.TensorSpec([], engine.int64)).cache()
            >>> [int(x) for x in ds], [int(x) for x in ds], len(calls)
            ([0, 1, 2], [0, 1, 2], 1)
        """
        if filename is None or (isinstance(filename, str) and filename == ""):
            return self._new(MemoryCacheNode(self._node))
        if hasattr(filename, "numpy"):
            filename = filename.numpy()
        if isinstance(filename, bytes):
            filename = filename.decode()
        return self._new(FileCacheNode(self._node, filename))

    def prefetch(self, buffer_size, name=None):
        """Reads up to `buffer_size` elements ahead in a background thread.

        Args:
            buffer_size: how many elements to hold ready, `engine.data.AUTOTUNE` (a small
                default, see `AUTOTUNE_PREFETCH`), or 0 for no read-ahead.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` with the same elements.

        Example:
            >>> ds = engine.data.Dataset.range(4).batch(2).prefetch(engine.data.AUTOTUNE)
            >>> [b.tolist() for b in ds.as_numpy_iterator()]
            [[0, 1], [2, 3]]
        """
        size = check_count(buffer_size, "Dataset.prefetch", "buffer_size", 0,
                           allow_minus_one=True)
        return self._new(PrefetchNode(self._node, size))
