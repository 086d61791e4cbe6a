"""Endless sources: `Dataset.counter` (numbers in steps) and `Dataset.random` (random ints).

Random streams follow the seeding rules of `shuffle` (`engine.data.ordering`): with a
`seed` or a global seed the numbers are reproducible; iteration k of a dataset built with
`rerandomize_each_iteration=True` uses a generator seeded by (seeds, k), and otherwise
every iteration repeats the first one's numbers.
"""

from __future__ import annotations

import itertools

import numpy as np

from engine import dtypes as _dt
from engine.data.node import INFINITE, Node, check_count
from engine.data.ordering import dataset_seeds
from engine.tensor import wrap
from engine.tensor_shape import TensorSpec

__all__ = ["Counters", "SeededNode", "checked_seeds"]


def checked_seeds(seed, what: str) -> tuple:
    """The two seeds of a random step (see `dataset_seeds`), after checking `seed`."""
    if seed is not None:
        check_count(seed, what, "seed", 0)
    return dataset_seeds(seed)


class SeededNode(Node):
    """A node that draws from a generator seeded per iteration (see the module)."""

    def __init__(self, seed, rerandomize, what: str):
        self.seeds = checked_seeds(seed, what)
        self.rerandomize = bool(rerandomize)
        self._iterations = itertools.count()

    def _rng(self) -> np.random.Generator:
        iteration = next(self._iterations) if self.rerandomize else 0
        return np.random.default_rng([*self.seeds, iteration])


class CounterNode(Node):
    kind = "CounterDataset"

    def __init__(self, start: int, step: int, dtype):
        self.start, self.step, self.dtype = start, step, dtype

    def _spec(self):
        return TensorSpec([], self.dtype)

    def cardinality(self) -> int:
        return INFINITE

    def iterate(self, options):
        np_dtype = self.dtype._np
        for value in itertools.count(self.start, self.step):
            yield wrap(np.array(value, np_dtype))


class RandomNode(SeededNode):
    kind = "RandomDataset"

    def _spec(self):
        return TensorSpec([], _dt.int64)

    def cardinality(self) -> int:
        return INFINITE

    def iterate(self, options):
        rng = self._rng()
        while True:
            for value in rng.integers(0, 2**32, size=1024, dtype=np.int64):
                yield wrap(np.array(value))


def _counter_dtype(dtype):
    try:
        dtype = _dt.as_dtype(dtype)
    except (TypeError, ValueError, KeyError):
        dtype = None
    if dtype is None or dtype.name == "string" or np.dtype(dtype._np).kind not in "iuf":
        raise TypeError(f"Dataset.counter: dtype must be an integer or float dtype; got "
                        f"{dtype!r}. Use engine.int64 (the default) or engine.int32.")
    return dtype


class Counters:
    """Endless sources (a mixin of `engine.data.Dataset`)."""

    @classmethod
    def counter(cls, start=0, step=1, dtype=_dt.int64, name=None):
        """An endless dataset of the numbers `start, start + step, start + 2 * step, ...`.

        Args:
            start: the first number.
            step: the difference between consecutive numbers (may be negative).
            dtype: the dtype of the elements (default int64).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of scalars with infinite cardinality.

        Example:
            >>> [int(x) for x in engine.data.Dataset.counter(10, 5).take(3)]
            [10, 15, 20]
        """
        start = check_count(start, "Dataset.counter", "start", -2**63)
        step = check_count(step, "Dataset.counter", "step", -2**63)
        return cls._new(CounterNode(start, step, _counter_dtype(dtype)))

    @classmethod
    def random(cls, seed=None, rerandomize_each_iteration=None, name=None):
        """An endless dataset of random int64 scalars, uniform in `[0, 2**32)`.

        Args:
            seed: the op seed; with it (or a global seed) the numbers are reproducible.
            rerandomize_each_iteration: new numbers on every iteration (default False:
                every iteration repeats the first one's numbers).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` with infinite cardinality.

        Example:
            >>> ds = engine.data.Dataset.random(seed=4).take(3)
            >>> first, again = list(ds.as_numpy_iterator()), list(ds.as_numpy_iterator())
            >>> first == again, all(0 <= x < 2**32 for x in first)
            (True, True)
        """
        return cls._new(RandomNode(seed, rerandomize_each_iteration, "Dataset.random"))
