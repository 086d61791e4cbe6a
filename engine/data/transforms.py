"""Steps that apply user functions (map, filter, flat_map, ...), enumerate and unique.

`map`, `filter` and `take_while` trace their function once (`engine.data.functions`).
`flat_map` and `interleave` call theirs eagerly per element, since it builds a dataset;
their `element_spec` is learned from the first input element's dataset, when asked for.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.data import recovery, structure, threads
from engine.data.functions import UserFunction, call_eagerly
from engine.data.node import AUTOTUNE, Node, check_count, close, first_element
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorSpec

__all__ = ["Transforms"]

_END = object()


def _parallelism(value, what: str, options) -> int:
    """The thread count for `num_parallel_calls` (0: run in the consumer's thread)."""
    if value is None:
        return 0
    count = check_count(value, what, "num_parallel_calls", 1, allow_minus_one=True)
    return options.threading.autotune_threads() if count == AUTOTUNE else count


class MapNode(Node):
    kind = "MapDataset"

    def __init__(self, node: Node, func, num_parallel_calls, deterministic):
        self.inputs = (node,)
        self.fn = UserFunction(func, node.element_spec, "Dataset.map",
                               lambda: first_element(node, "Dataset.map"))
        check_count(num_parallel_calls if num_parallel_calls is not None else 1,
                    "Dataset.map", "num_parallel_calls", 1, allow_minus_one=True)
        self.num_parallel_calls = num_parallel_calls
        self.deterministic = deterministic
        if num_parallel_calls is not None:
            self.kind = "ParallelMapDataset"

    def _spec(self):
        return self.fn.output_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        fn = recovery.guarded(self.fn, options, "Dataset.map")
        workers = _parallelism(self.num_parallel_calls, "Dataset.map", options)
        if workers > 1:
            ordered = (options.is_deterministic if self.deterministic is None
                       else bool(self.deterministic))
            results = threads.parallel_map(source, fn, workers, ordered)
        else:
            results = _mapped(source, fn)
        return results if fn is self.fn else _kept(results)


def _mapped(source, fn):
    try:
        for element in source:
            yield fn(element)
    finally:
        close(source)


def _kept(results):
    """The results that are not `recovery.SKIPPED` (under `ignore_errors`)."""
    try:
        for result in results:
            if result is not recovery.SKIPPED:
                yield result
    finally:
        close(results)


def _predicate(func, node: Node, what: str) -> UserFunction:
    fn = UserFunction(func, node.element_spec, what, lambda: first_element(node, what))
    if not fn.eager:
        spec = fn.output_spec
        if (not isinstance(spec, TensorSpec) or spec.dtype != _dt.bool
                or spec.shape.rank not in (0, None)):
            raise TypeError(f"{what}: the predicate must return a scalar bool tensor; it "
                            f"returns {spec}. Compare (x > 0) or reduce (engine.reduce_all) "
                            "to get one bool per element.")
    return fn


def _truth(value, what: str) -> bool:
    if not isinstance(value, Tensor) or value.dtype != _dt.bool or value._value.size != 1:
        raise TypeError(f"{what}: the predicate returned {value!r}; expected a scalar bool "
                        "tensor.")
    return bool(value._value)


class FilterNode(Node):
    kind = "FilterDataset"

    def __init__(self, node: Node, predicate):
        self.inputs = (node,)
        self.fn = _predicate(predicate, node, "Dataset.filter")

    def _spec(self):
        return self.inputs[0].element_spec

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        fn = recovery.guarded(self.fn, options, "Dataset.filter")
        try:
            for element in source:
                keep = fn(element)
                if keep is not recovery.SKIPPED and _truth(keep, "Dataset.filter"):
                    yield element
        finally:
            close(source)


class TakeWhileNode(Node):
    kind = "TakeWhileDataset"

    def __init__(self, node: Node, predicate):
        self.inputs = (node,)
        self.fn = _predicate(predicate, node, "Dataset.take_while")

    def _spec(self):
        return self.inputs[0].element_spec

    def iterate(self, options):
        source, fn = self.inputs[0].iterate(options), self.fn
        try:
            for element in source:
                if not _truth(fn(element), "Dataset.take_while"):
                    return
                yield element
        finally:
            close(source)


class InterleaveNode(Node):
    """`flat_map` (cycle_length 1) and `interleave`: datasets made per element, mixed."""

    kind = "InterleaveDataset"

    def __init__(self, node: Node, func, cycle_length: int, block_length: int,
                 num_parallel_calls, what: str, spec=None):
        if not callable(func):
            raise TypeError(f"{what}: expected a function returning a Dataset; got "
                            f"{type(func).__name__}.")
        self.inputs = (node,)
        self.func = func
        self.unpack = type(node.element_spec) is tuple
        self.cycle_length = cycle_length
        self.block_length = block_length
        self.num_parallel_calls = num_parallel_calls
        self.what = what
        self.known_spec = spec  # readers know their spec without opening a file

    def _spec(self):
        if self.known_spec is not None:
            return self.known_spec
        element = first_element(self.inputs[0], self.what)
        return self._dataset(element).element_spec

    def _dataset(self, element):
        from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

        result = call_eagerly(self.func, element, self.unpack)
        if not isinstance(result, Dataset):
            raise TypeError(f"{self.what}: the function must return a Dataset; it returned "
                            f"{type(result).__name__}. Wrap tensors with "
                            "engine.data.Dataset.from_tensors or from_tensor_slices.")
        return result

    def iterate(self, options):
        cycle_length = self.cycle_length
        if cycle_length == AUTOTUNE:
            cycle_length = options.threading.autotune_threads()
        parallel = _parallelism(self.num_parallel_calls, self.what, options) > 0
        source = self.inputs[0].iterate(options)
        cycle = [None] * cycle_length
        index = block = opened = 0
        exhausted = False
        try:
            while not exhausted or opened:
                current = cycle[index]
                if current is not None:
                    value = next(current, _END)
                    if value is not _END:
                        block += 1
                        if block == self.block_length:
                            block, index = 0, (index + 1) % cycle_length
                        yield value
                        continue
                    close(current)
                    cycle[index], opened = None, opened - 1
                    block, index = 0, (index + 1) % cycle_length
                elif not exhausted:
                    element = next(source, _END)
                    if element is _END:
                        exhausted = True
                        continue
                    elements = self._dataset(element)._node.iterate(options)
                    if parallel:
                        elements = threads.prefetched(elements, 2 * self.block_length)
                    cycle[index], opened = elements, opened + 1
                else:
                    block, index = 0, (index + 1) % cycle_length
        finally:
            for elements in cycle:
                if elements is not None:
                    close(elements)
            close(source)


class EnumerateNode(Node):
    kind = "EnumerateDataset"

    def __init__(self, node: Node, start: int):
        self.inputs = (node,)
        self.start = start

    def _spec(self):
        return (TensorSpec([], _dt.int64), self.inputs[0].element_spec)

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        try:
            for count, element in enumerate(source, self.start):
                yield wrap(np.array(count, np.int64)), element
        finally:
            close(source)


class UniqueNode(Node):
    kind = "UniqueDataset"

    def __init__(self, node: Node):
        spec = node.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype not in (
                _dt.int32, _dt.int64, _dt.string):
            raise TypeError(f"Dataset.unique: supports datasets whose elements are single "
                            f"int32, int64 or string tensors; got {spec}.")
        self.inputs = (node,)

    def _spec(self):
        return self.inputs[0].element_spec

    def iterate(self, options):
        source, seen = self.inputs[0].iterate(options), set()
        try:
            for element in source:
                array = structure.host_array(element)
                key = (array.shape, tuple(array.reshape(-1).tolist()))
                if key not in seen:
                    seen.add(key)
                    yield element
        finally:
            close(source)


class Transforms:
    """Steps with user functions (a mixin of `engine.data.Dataset`)."""

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies `map_func` to each element.

        The function is traced once into a graph (see `engine.data.functions`); an element
        that is a tuple is passed as positional arguments.

        Args:
            map_func: a function from an element to a new element.
            num_parallel_calls: None (one at a time), a thread count, or
                `engine.data.AUTOTUNE` (one thread per CPU).
            deterministic: with parallel calls, whether results keep the input order
                (default: the `deterministic` option, True unless set).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.from_tensor_slices(([1, 2], [10, 20]))
            >>> [int(v) for v in ds.map(lambda x, y: x + y)]
            [11, 22]
        """
        return self._new(MapNode(self._node, map_func, num_parallel_calls, deterministic))

    def filter(self, predicate, name=None):
        """Keeps the elements for which `predicate` returns True.

        Args:
            predicate: a function from an element to a scalar bool tensor.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(6).filter(lambda x: x % 2 == 0)]
            [0, 2, 4]
        """
        return self._new(FilterNode(self._node, predicate))

    def take_while(self, predicate, name=None):
        """The elements up to (not including) the first for which `predicate` is False.

        Args:
            predicate: a function from an element to a scalar bool tensor.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(10).take_while(lambda x: x < 3)]
            [0, 1, 2]
        """
        return self._new(TakeWhileNode(self._node, predicate))

    def flat_map(self, map_func, name=None):
        """Maps each element to a dataset and chains those datasets' elements.

        Args:
            map_func: a function from an element to a `Dataset` (called eagerly).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.range(1, 4).flat_map(
            ...     lambda x: engine.data.Dataset.from_tensors(x).repeat(x))
            >>> [int(v) for v in ds]
            [1, 2, 2, 3, 3, 3]
        """
        return self._new(InterleaveNode(self._node, map_func, 1, 1, None, "Dataset.flat_map"))

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        """Maps elements to datasets and mixes them: `block_length` at a time from each of
        `cycle_length` open datasets, round robin.

        Args:
            map_func: a function from an element to a `Dataset` (called eagerly).
            cycle_length: how many datasets are open at once (None or AUTOTUNE: one per
                CPU).
            block_length: how many consecutive elements to take from each (default 1).
            num_parallel_calls: None, or a thread count / AUTOTUNE: each open dataset is
                then read ahead by its own thread (the order stays the same).
            deterministic: accepted for TensorFlow compatibility; the order is always the
                deterministic one.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.range(1, 4).interleave(
            ...     lambda x: engine.data.Dataset.from_tensors(x).repeat(2), cycle_length=2)
            >>> [int(v) for v in ds]
            [1, 2, 1, 2, 3, 3]
        """
        cycle = AUTOTUNE if cycle_length is None else check_count(
            cycle_length, "Dataset.interleave", "cycle_length", 1, allow_minus_one=True)
        block = 1 if block_length is None else check_count(
            block_length, "Dataset.interleave", "block_length", 1)
        if num_parallel_calls is not None:
            check_count(num_parallel_calls, "Dataset.interleave", "num_parallel_calls", 1,
                        allow_minus_one=True)
        return self._new(InterleaveNode(self._node, map_func, cycle, block, num_parallel_calls,
                                        "Dataset.interleave"))

    def enumerate(self, start=0, name=None):
        """Pairs each element with its position: `(i, element)`, i an int64 scalar.

        Args:
            start: the first position.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> [(int(i), int(x)) for i, x in engine.data.Dataset.range(5, 7).enumerate()]
            [(0, 5), (1, 6)]
        """
        start = check_count(start, "Dataset.enumerate", "start", -2**62)
        return self._new(EnumerateNode(self._node, start))

    def unique(self, name=None):
        """The elements without repeats (first occurrences, in order).

        Args:
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` (int32, int64 or string elements only, as in TensorFlow).

        Example:
            >>> ds = engine.data.Dataset.from_tensor_slices([1, 3, 1, 2, 3])
            >>> [int(x) for x in ds.unique()]
            [1, 3, 2]
        """
        return self._new(UniqueNode(self._node))
