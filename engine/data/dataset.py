"""`engine.data.Dataset`: a lazy input pipeline with `tf.data`'s API, iterated eagerly.

A dataset is a chain of steps (`engine.data.node`), built by methods that each return a
new dataset: `Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32).prefetch(2)`.
Nothing runs until the dataset is iterated; each `for` loop starts a fresh pass, and
several passes may run at once. Iterating yields the elements as nested tuples and dicts
of eager `engine.Tensor`s on the host, ready for a training step:

    for x, y in dataset:
        loss = train_step(x, y)

Iterate datasets outside `engine.function` and pass the batches in: a traced step sees
one batch per call, and it retraces only if the batch shape changes (use
`drop_remainder=True` to keep one shape).

The methods live in mixins by concept: `sources.Source` (constructors), `ordering.Ordering`
(shuffle, take, skip, repeat, shard), `transforms.Transforms` (map, filter, flat_map,
interleave, enumerate, ...), `batching.Batching` (batch, padded_batch, unbatch, rebatch,
window), `buffering.Buffering` (cache, prefetch), `counters.Counters` (counter, random),
`scanning.Scanning` (scan), `grouping.Grouping` (group_by_window,
bucket_by_sequence_length), `sampling.Sampling` (sample_from_datasets,
choose_from_datasets, rejection_resample), `recovery.Recovery` (ignore_errors) and
`saving.Saving` (save, load, snapshot); this module holds iteration, cardinality, specs,
options, `reduce` and `apply`.
"""

from __future__ import annotations

import numpy as np

from engine import context, nest
from engine.data import structure
from engine.data.batching import Batching
from engine.data.buffering import Buffering
from engine.data.counters import Counters
from engine.data.grouping import Grouping
from engine.data.node import INFINITE, UNKNOWN, Node, close
from engine.data.options import Options
from engine.data.ordering import Ordering
from engine.data.recovery import Recovery
from engine.data.sampling import Sampling
from engine.data.saving import Saving
from engine.data.scanning import Scanning
from engine.data.sources import Source
from engine.data.transforms import Transforms
from engine.errors import OutOfRangeError, TracingError
from engine.graph.function import function as _engine_function
from engine.tensor import wrap

__all__ = ["Dataset", "Iterator"]


class WithOptionsNode(Node):
    kind = "OptionsDataset"

    def __init__(self, node: Node, options: Options):
        self.inputs = (node,)
        self.own_options = options

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        return self.inputs[0].iterate(options)

    def plan(self):
        return self.inputs[0].plan()


class AssertCardinalityNode(Node):
    kind = "AssertCardinalityDataset"

    def __init__(self, node: Node, expected: int):
        self.inputs = (node,)
        self.expected = expected

    def _spec(self):
        return self.inputs[0].element_spec

    def cardinality(self) -> int:
        return self.expected

    def iterate(self, options):
        source, count = self.inputs[0].iterate(options), 0
        try:
            for element in source:
                count += 1
                if self.expected != INFINITE and count > self.expected:
                    raise _cardinality_error(self.expected, f"at least {count}")
                yield element
        finally:
            close(source)
        if count != self.expected:
            raise _cardinality_error(self.expected, str(count))


def _cardinality_error(expected: int, actual: str) -> Exception:
    from engine.errors import FailedPreconditionError  # noqa: PLC0415

    wanted = "infinite" if expected == INFINITE else str(expected)
    return FailedPreconditionError(f"assert_cardinality: the dataset was expected to have "
                                   f"{wanted} elements but has {actual}.")


class Dataset(Source, Counters, Ordering, Transforms, Scanning, Batching, Grouping, Buffering,
              Sampling, Recovery, Saving):
    """A lazy pipeline of elements (nested tuples and dicts of tensors), as `tf.data.Dataset`.

    Build datasets with the constructors (`from_tensor_slices`, `from_tensors`, `range`,
    `from_generator`, `zip`, `list_files`, `engine.data.TextLineDataset`, ...) and
    transform them with methods that return new datasets. Iterating yields eager tensors.

    Example:
        >>> x = np.arange(10, dtype=np.float32).reshape(5, 2)
        >>> ds = engine.data.Dataset.from_tensor_slices((x, np.arange(5))).batch(2)
        >>> for features, labels in ds.take(1):
        ...     print(features.shape, labels.numpy())
        (2, 2) [0 1]
        >>> len(ds), ds.element_spec[1]
        (3, TensorSpec(shape=(None,), dtype=engine.int64, name=None))
    """

    def __init__(self):
        raise TypeError("engine.data.Dataset cannot be created directly; use a constructor "
                        "such as Dataset.from_tensor_slices, Dataset.range or "
                        "Dataset.from_generator.")

    @staticmethod
    def _new(node: Node) -> Dataset:
        dataset = object.__new__(Dataset)
        dataset._node = node
        return dataset

    # --- description -----------------------------------------------------------------
    @property
    def element_spec(self):
        """The nested `engine.TensorSpec`s of the elements (`DatasetSpec` for windows)."""
        return self._node.element_spec

    def cardinality(self):
        """The number of elements as an int64 scalar tensor, or a special value.

        Returns:
            The count; `INFINITE_CARDINALITY` (-1) for endless datasets (`repeat()`),
            `UNKNOWN_CARDINALITY` (-2) when it cannot be known without iterating
            (`filter`, `from_generator`, ...).

        Example:
            >>> int(engine.data.Dataset.range(10).batch(3).cardinality())
            4
            >>> int(engine.data.Dataset.range(3).repeat().cardinality())
            -1
        """
        return wrap(np.array(self._node.cardinality(), np.int64))

    def __len__(self) -> int:
        if not context.executing_eagerly():
            raise TypeError("len(dataset) is only available eagerly; use "
                            "dataset.cardinality() instead.")
        count = self._node.cardinality()
        if count == INFINITE:
            raise TypeError("The dataset is infinite.")
        if count == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return count

    def __bool__(self) -> bool:
        return True  # as in TensorFlow: `if dataset:` must not call __len__

    def __repr__(self) -> str:
        return f"<{self._node.kind} element_spec={self.element_spec}>"

    # --- iteration -------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        if context.THREAD.graph is not None:
            raise TracingError("Iterating a dataset inside engine.function is not supported; "
                               "iterate it outside and pass each batch to the function.")
        return Iterator(self)

    def as_numpy_iterator(self):
        """Iterates the elements as NumPy values (arrays, scalars, bytes).

        Returns:
            An iterator of nested NumPy values.

        Example:
            >>> ds = engine.data.Dataset.from_tensor_slices({"a": [1, 2]})
            >>> [int(e["a"]) for e in ds.as_numpy_iterator()]
            [1, 2]
        """
        if structure.has_datasets(self.element_spec):
            raise TypeError("as_numpy_iterator: the elements hold datasets (windows); batch "
                            "them first with flat_map(lambda w: w.batch(n)).")
        return (nest.map_structure(lambda t: t.numpy(), element) for element in self)

    def get_single_element(self, name=None):
        """The one element of a dataset that has exactly one.

        Args:
            name: ignored (TensorFlow compatibility).

        Returns:
            The element.

        Raises:
            InvalidArgumentError: if the dataset is empty or has more than one element.

        Example:
            >>> engine.data.Dataset.range(4).batch(4).get_single_element().numpy()
            array([0, 1, 2, 3])
        """
        from engine.errors import InvalidArgumentError  # noqa: PLC0415

        elements = self._node.iterate(self._node.options)
        try:
            first = next(elements, _NOTHING)
            if first is _NOTHING:
                raise InvalidArgumentError("get_single_element: the dataset is empty; expected "
                                           "exactly one element.")
            if next(elements, _NOTHING) is not _NOTHING:
                raise InvalidArgumentError("get_single_element: the dataset has more than one "
                                           "element; expected exactly one. Use take(1) or "
                                           "batch to make one.")
        finally:
            close(elements)
        return first

    # --- whole-dataset operations ----------------------------------------------------
    def reduce(self, initial_state, reduce_func, name=None):
        """Folds the elements into one value: `state = reduce_func(state, element)`.

        `reduce_func` is traced with `engine.function` (Python values in the state become
        tensors first).

        Args:
            initial_state: the starting state (tensors or values, nested).
            reduce_func: a function `(state, element) -> new state` of the same structure.
            name: ignored (TensorFlow compatibility).

        Returns:
            The final state (the initial state for an empty dataset).

        Example:
            >>> int(engine.data.Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x))
            10
        """
        if not callable(reduce_func):
            raise TypeError(f"Dataset.reduce: reduce_func must be callable; got "
                            f"{type(reduce_func).__name__}.")
        state = structure.normalize(initial_state, "Dataset.reduce")
        if structure.has_datasets(self.element_spec):
            raise TypeError("Dataset.reduce: the elements hold datasets (windows); batch "
                            "them first.")
        step = _engine_function(reduce_func, reduce_retracing=True)
        first_structure = nest.map_structure(lambda t: t.dtype, state)
        for element in self:
            state = step(state, element)
            try:
                nest.assert_same_structure(first_structure, state, check_types=False)
            except (TypeError, ValueError):
                raise TypeError(f"Dataset.reduce: reduce_func changed the state's structure "
                                f"from {first_structure} to {state}; return a state nested "
                                "like the initial one.") from None
        return state

    def apply(self, transformation_func):
        """Applies a function from dataset to dataset: `transformation_func(self)`.

        Args:
            transformation_func: a function taking and returning a `Dataset`.

        Returns:
            The dataset it returns.

        Example:
            >>> def evens(ds):
            ...     return ds.filter(lambda x: x % 2 == 0)
            >>> [int(x) for x in engine.data.Dataset.range(5).apply(evens)]
            [0, 2, 4]
        """
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"Dataset.apply: the function must return a Dataset; it returned "
                            f"{type(result).__name__}.")
        return result

    # --- options ---------------------------------------------------------------------
    def options(self) -> Options:
        """The options of this pipeline (merged from every step).

        Returns:
            An `engine.data.Options`.

        Example:
            >>> engine.data.Dataset.range(3).options().deterministic is None
            True
        """
        return self._node.options

    def with_options(self, options, name=None):
        """The same dataset with `options` set for the whole pipeline.

        Args:
            options: an `engine.data.Options`; values set there override earlier ones.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> options = engine.data.Options()
            >>> options.deterministic = False
            >>> engine.data.Dataset.range(3).with_options(options).options().deterministic
            False
        """
        if not isinstance(options, Options):
            raise TypeError(f"Dataset.with_options: expected engine.data.Options; got "
                            f"{type(options).__name__}.")
        return self._new(WithOptionsNode(self._node, options))

    def _assert_cardinality(self, expected: int) -> Dataset:
        return self._new(AssertCardinalityNode(self._node, expected))


_NOTHING = object()


class Iterator:
    """An iterator over a dataset's elements (`iter(dataset)`).

    Args:
        dataset: the `Dataset` to iterate.

    Example:
        >>> it = iter(engine.data.Dataset.range(2))
        >>> int(next(it)), int(it.get_next())
        (0, 1)
        >>> it.get_next()
        Traceback (most recent call last):
        engine.errors.OutOfRangeError: End of sequence
    """

    def __init__(self, dataset: Dataset):
        self._node = dataset._node
        self._elements = dataset._node.iterate(dataset._node.options)

    @property
    def element_spec(self):
        """The nested specs of the elements."""
        return self._node.element_spec

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        return next(self._elements)

    def get_next(self):
        """The next element; raises `OutOfRangeError` at the end (TensorFlow's behaviour).

        Returns:
            The next element.
        """
        try:
            return next(self._elements)
        except StopIteration:
            raise OutOfRangeError("End of sequence") from None

    def close(self) -> None:
        """Stops the iteration now, ending its background threads."""
        close(self._elements)
