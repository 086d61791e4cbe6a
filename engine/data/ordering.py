"""Steps that choose and order elements: shuffle, take, skip, repeat and shard.

Each step works on elements and, where its input is a random-access source, on the row
indices of that source (`plan()`), with the same code: `batch` then slices whole batches.

Shuffling follows `tf.data`: a buffer of `buffer_size` elements is filled; each output is a
uniformly chosen buffer element, whose place the next input element takes; at the end the
rest of the buffer comes out in random order. With a buffer at least as large as the
dataset, the order is a uniform random permutation.

Seeds follow TensorFlow's rules. With `seed` or a global seed (`engine.random.set_seed`),
the orders are reproducible: the k-th iteration of a dataset uses a generator seeded by
(global seed, op seed, k), and building the same pipeline after the same `set_seed` gives
the same orders. Without either, every iteration draws from OS entropy. With
`reshuffle_each_iteration=False` every iteration repeats the first order.
"""

from __future__ import annotations

import itertools

import numpy as np

from engine.data import indexing
from engine.data.node import INFINITE, UNKNOWN, Node, check_count, close

__all__ = ["Ordering", "buffer_shuffle", "dataset_seeds"]

_MAXINT32 = 2**31 - 1


def dataset_seeds(seed) -> tuple:
    """The two seeds of a shuffle by TensorFlow's rules (OS entropy if neither is set)."""
    from engine.ops import random_ops  # noqa: PLC0415 - only the seed state is needed

    state = random_ops._SEEDS
    if seed is not None:
        seed = check_count(seed, "Dataset.shuffle", "seed", 0) % _MAXINT32
    if seed is None and state.global_seed is None:
        entropy = np.random.SeedSequence().entropy
        return entropy % _MAXINT32, (entropy >> 64) % _MAXINT32
    if seed is None:
        with state.lock:  # as unseeded ops in a graph: a sequence fixed by the global seed
            seed = state.op_seeds.randrange(_MAXINT32)
    global_seed = (random_ops.DEFAULT_GRAPH_SEED if state.global_seed is None
                   else state.global_seed % _MAXINT32)
    return global_seed, seed


def _uniforms(rng: np.random.Generator):
    """Uniform floats in [0, 1), drawn from `rng` in blocks."""
    while True:
        yield from rng.random(4096).tolist()


def buffer_shuffle(items, buffer_size: int, rng: np.random.Generator):
    """Yields `items` shuffled through a buffer of `buffer_size` (tf.data's algorithm)."""
    uniforms = _uniforms(rng)
    try:
        buffer = list(itertools.islice(items, buffer_size))
        size = len(buffer)
        for item in items:
            j = int(next(uniforms) * size)
            value = buffer[j]
            buffer[j] = item
            yield value
    finally:
        close(items)
    while buffer:
        j = int(next(uniforms) * len(buffer))
        last = buffer.pop()
        if j < len(buffer):
            last, buffer[j] = buffer[j], last
        yield last


class ShuffleNode(Node):
    kind = "ShuffleDataset"

    def __init__(self, node: Node, buffer_size: int, seed, reshuffle: bool):
        self.inputs = (node,)
        self.buffer_size = buffer_size
        self.seeds = dataset_seeds(seed)
        self.reshuffle = reshuffle
        self._iterations = itertools.count()

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def _rng(self) -> np.random.Generator:
        iteration = next(self._iterations) if self.reshuffle else 0
        return np.random.default_rng([*self.seeds, iteration])

    def iterate(self, options):
        return buffer_shuffle(self.inputs[0].iterate(options), self.buffer_size, self._rng())

    def plan(self):
        upstream = self.inputs[0].plan()
        if upstream is None:
            return None

        def chunks():
            rows = indexing.as_ints(upstream.chunks())
            return indexing.from_ints(buffer_shuffle(rows, self.buffer_size, self._rng()))
        return upstream.derive(chunks, random=True)


class TakeNode(Node):
    kind = "TakeDataset"

    def __init__(self, node: Node, count: int):
        self.inputs = (node,)
        self.count = count

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        n = self.inputs[0].cardinality()
        if self.count == -1 or n == UNKNOWN:
            return n
        return self.count if n == INFINITE else min(n, self.count)

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        try:
            yield from (source if self.count == -1 else itertools.islice(source, self.count))
        finally:
            close(source)

    def plan(self):
        upstream = self.inputs[0].plan()
        if upstream is None or self.count == -1:
            return upstream
        return upstream.derive(lambda: indexing.take(upstream.chunks(), self.count))


class SkipNode(Node):
    kind = "SkipDataset"

    def __init__(self, node: Node, count: int):
        self.inputs = (node,)
        self.count = count

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        n = self.inputs[0].cardinality()
        if n < 0:
            return n
        return 0 if self.count == -1 else max(0, n - self.count)

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        try:
            if self.count == -1:
                for _ in source:
                    pass
                return
            yield from itertools.islice(source, self.count, None)
        finally:
            close(source)

    def plan(self):
        upstream = self.inputs[0].plan()
        if upstream is None or self.count == -1:
            return None
        return upstream.derive(lambda: indexing.skip(upstream.chunks(), self.count))


class RepeatNode(Node):
    kind = "RepeatDataset"

    def __init__(self, node: Node, count: int):
        self.inputs = (node,)
        self.count = count  # -1: forever

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        n = self.inputs[0].cardinality()
        if self.count == -1:
            return 0 if n == 0 else INFINITE
        if self.count == 0:
            return 0
        return n if n < 0 else n * self.count

    def _passes(self):
        return itertools.count() if self.count == -1 else range(self.count)

    def iterate(self, options):
        node = self.inputs[0]
        for _ in self._passes():
            empty = True
            for element in node.iterate(options):
                empty = False
                yield element
            if empty:  # repeating an empty dataset forever would never return
                return

    def plan(self):
        upstream = self.inputs[0].plan()
        if upstream is None:
            return None

        def chunks():
            for _ in self._passes():
                empty = True
                for chunk in upstream.chunks():
                    empty = empty and not len(chunk)
                    yield chunk
                if empty:
                    return
        return upstream.derive(chunks)


class ShardNode(Node):
    kind = "ShardDataset"

    def __init__(self, node: Node, num_shards: int, index: int):
        self.inputs = (node,)
        self.num_shards = num_shards
        self.index = index

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        n = self.inputs[0].cardinality()
        if n < 0:
            return n
        return n // self.num_shards + (1 if self.index < n % self.num_shards else 0)

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        try:
            yield from itertools.islice(source, self.index, None, self.num_shards)
        finally:
            close(source)

    def plan(self):
        upstream = self.inputs[0].plan()
        if upstream is None:
            return None
        return upstream.derive(
            lambda: indexing.shard(upstream.chunks(), self.num_shards, self.index))


class Ordering:
    """Shuffling and selecting steps (a mixin of `engine.data.Dataset`)."""

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """Randomly shuffles the elements through a buffer of `buffer_size` elements.

        Args:
            buffer_size: how many elements the buffer holds; at least the dataset's size
                for a uniform shuffle of the whole dataset.
            seed: the op seed (see the module docstring); None uses the global seed.
            reshuffle_each_iteration: a new order on every iteration (default True).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.range(5).shuffle(5, seed=7)
            >>> sorted(int(x) for x in ds)
            [0, 1, 2, 3, 4]
        """
        size = check_count(buffer_size, "Dataset.shuffle", "buffer_size", 1)
        reshuffle = True if reshuffle_each_iteration is None else bool(
            reshuffle_each_iteration)
        return self._new(ShuffleNode(self._node, size, seed, reshuffle))

    def take(self, count, name=None):
        """The first `count` elements (all of them for -1).

        Args:
            count: how many elements to keep, or -1 for all.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(10).take(3)]
            [0, 1, 2]
        """
        count = check_count(count, "Dataset.take", "count", 0, allow_minus_one=True)
        return self._new(TakeNode(self._node, count))

    def skip(self, count, name=None):
        """All elements but the first `count` (none for -1).

        Args:
            count: how many elements to drop, or -1 for all.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(5).skip(3)]
            [3, 4]
        """
        count = check_count(count, "Dataset.skip", "count", 0, allow_minus_one=True)
        return self._new(SkipNode(self._node, count))

    def repeat(self, count=None, name=None):
        """The elements, `count` times over (forever for None or -1).

        Each pass iterates the input anew, so a shuffle before `repeat` reshuffles.

        Args:
            count: the number of passes, or None / -1 for an endless dataset.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(2).repeat(3)]
            [0, 1, 0, 1, 0, 1]
        """
        count = -1 if count is None else check_count(count, "Dataset.repeat", "count", 0,
                                                     allow_minus_one=True)
        return self._new(RepeatNode(self._node, count))

    def shard(self, num_shards, index, name=None):
        """Every `num_shards`-th element, starting at element `index`.

        Args:
            num_shards: the number of shards (workers).
            index: this shard's number, in `[0, num_shards)`.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(10).shard(3, 1)]
            [1, 4, 7]
        """
        num_shards = check_count(num_shards, "Dataset.shard", "num_shards", 1)
        index = check_count(index, "Dataset.shard", "index", 0)
        if index >= num_shards:
            raise ValueError(f"Dataset.shard: index must be in [0, num_shards); got index="
                             f"{index} with num_shards={num_shards}.")
        return self._new(ShardNode(self._node, num_shards, index))
