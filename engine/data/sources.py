"""Where datasets come from: tensors, ranges, Python generators, files, and other datasets.

The `Source` mixin holds the constructors (`Dataset.from_tensor_slices`, `from_tensors`,
`range`, `from_generator`, `zip`, `list_files`) and `concatenate`; the node classes below
hold the data. Slices and ranges are random-access sources: their rows can be gathered
in any order, which `batch` uses to slice whole batches at once (`engine.data.indexing`).
"""

from __future__ import annotations

import glob
import operator

import numpy as np

from engine import dtypes as _dt
from engine import nest
from engine.data import indexing, structure
from engine.data.generator import GeneratorNode, generator_spec
from engine.data.node import INFINITE, UNKNOWN, Node, close
from engine.errors import InvalidArgumentError, ShapeError
from engine.tensor import wrap
from engine.tensor_shape import TensorSpec

__all__ = ["Source"]


class SliceNode(Node):
    """The rows of tensors that share their first dimension."""

    kind = "TensorSliceDataset"

    def __init__(self, element):
        flat = nest.flatten(element)
        paths = [structure.path_name(p) for p, _ in nest.flatten_with_paths(element)]
        if not flat:
            raise ValueError("Dataset.from_tensor_slices: got an empty structure; expected "
                             "at least one tensor or array to slice.")
        for path, tensor in zip(paths, flat):
            if tensor.ndim == 0:
                raise ShapeError(f"Dataset.from_tensor_slices: component {path} is a scalar "
                                 f"({tensor.numpy()!r}); every component needs a first "
                                 "dimension to slice. Use from_tensors for a single element.")
        sizes = [tensor.shape[0] for tensor in flat]
        if len(set(sizes)) > 1:
            listing = ", ".join(f"{p} has {n}" for p, n in zip(paths, sizes))
            raise ShapeError(f"Dataset.from_tensor_slices: the components have different "
                             f"first dimensions ({listing}); expected one size for all, "
                             "since row i of each makes element i. Trim or pad them to one "
                             "length.")
        self.arrays = [structure.host_array(t) for t in flat]
        self.size = sizes[0]
        self._structure = element
        self._pack = structure.packer(self.element_spec)

    def _spec(self):
        return nest.map_structure(lambda t: TensorSpec(t.shape[1:], t.dtype), self._structure)

    def cardinality(self) -> int:
        return self.size

    def iterate(self, options):
        arrays, pack = self.arrays, self._pack
        for i in range(self.size):
            yield pack([wrap(a[i, ...]) for a in arrays])

    def plan(self):
        return indexing.IndexPlan(self, lambda: indexing.source_order(self.size))

    def gather(self, index) -> list:
        return [indexing.gather(a, index) for a in self.arrays]


class TensorsNode(Node):
    """One element."""

    kind = "TensorDataset"

    def __init__(self, element):
        self.element = element

    def _spec(self):
        return structure.spec_of(self.element)

    def cardinality(self) -> int:
        return 1

    def iterate(self, options):
        yield self.element


class RangeNode(Node):
    """`start, start + step, ...` up to `stop` (excluded), like Python's `range`."""

    kind = "RangeDataset"

    def __init__(self, args: tuple, dtype):
        try:
            values = range(*[operator.index(_scalar(a)) for a in args])
        except (TypeError, ValueError) as err:
            raise type(err)(f"Dataset.range: got {args!r}; expected 1 to 3 integers "
                            f"(stop), (start, stop) or (start, stop, step) ({err}).") from None
        self.values = values
        self.dtype = _dt.as_dtype(dtype)
        self.size = len(values)
        _check_range_dtype(values, self.dtype)

    def _spec(self):
        return TensorSpec([], self.dtype)

    def cardinality(self) -> int:
        return self.size

    def iterate(self, options):
        np_dtype = self.dtype._np
        for value in self.values:
            yield wrap(np.array(value, np_dtype))

    def plan(self):
        return indexing.IndexPlan(self, lambda: indexing.source_order(self.size))

    def gather(self, index) -> list:
        start, step = self.values.start, self.values.step
        if isinstance(index, range):
            first = start + step * index.start
            return [np.arange(first, first + step * index.step * len(index),
                              step * index.step, dtype=self.dtype._np)]
        return [(start + step * index).astype(self.dtype._np)]


def _check_range_dtype(values: range, dtype) -> None:
    """Raises now if `dtype` is not numeric or cannot hold every value of the range."""
    kind = np.dtype(dtype._np).kind if dtype.name != "string" else "O"
    if kind not in "iuf":
        raise TypeError(f"Dataset.range: output_type must be an integer or float dtype; got "
                        f"{dtype.name}. Use output_type=engine.int64 (the default), or map "
                        "the numbers to another dtype afterwards.")
    if kind in "iu" and len(values):
        info = np.iinfo(dtype._np)
        low, high = min(values[0], values[-1]), max(values[0], values[-1])
        if low < info.min or high > info.max:
            raise ValueError(f"Dataset.range: the values {low}..{high} do not fit "
                             f"output_type {dtype.name} ([{info.min}, {info.max}]). Use a "
                             "wider output_type such as engine.int64.")


def _scalar(value):
    return value.numpy() if hasattr(value, "numpy") else value


class ZipNode(Node):
    """Elements of several datasets side by side, until the shortest ends."""

    kind = "ZipDataset"

    def __init__(self, datasets):
        self.datasets = datasets
        self.inputs = tuple(ds._node for ds in nest.flatten(datasets))

    def _spec(self):
        return nest.pack_sequence_as(self.datasets, [n.element_spec for n in self.inputs])

    def cardinality(self) -> int:
        counts = [n.cardinality() for n in self.inputs]
        if UNKNOWN in counts:
            return UNKNOWN
        finite = [c for c in counts if c != INFINITE]
        return min(finite) if finite else INFINITE

    def iterate(self, options):
        iterators = [n.iterate(options) for n in self.inputs]
        try:
            while True:
                flat = []
                for it in iterators:
                    value = next(it, _END)
                    if value is _END:
                        return
                    flat.append(value)
                yield nest.pack_sequence_as(self.datasets, flat)
        finally:
            for it in iterators:
                close(it)


_END = object()


class ConcatenateNode(Node):
    """The elements of one dataset, then those of another."""

    kind = "ConcatenateDataset"

    def __init__(self, first: Node, second: Node):
        self.inputs = (first, second)
        self._relaxed = structure.relax(first.element_spec, second.element_spec,
                                        "Dataset.concatenate")

    def _spec(self):
        return self._relaxed

    def cardinality(self) -> int:
        a, b = (n.cardinality() for n in self.inputs)
        if INFINITE in (a, b):
            return INFINITE
        return UNKNOWN if UNKNOWN in (a, b) else a + b

    def iterate(self, options):
        for node in self.inputs:
            yield from node.iterate(options)


class ListNode(Node):
    """Elements already in memory (a window, a finished cache)."""

    kind = "Dataset"

    def __init__(self, elements: list, spec):
        self.elements = elements
        self.spec = spec

    def _spec(self):
        return self.spec

    def cardinality(self) -> int:
        return len(self.elements)

    def iterate(self, options):
        yield from self.elements


class Source:
    """`Dataset` constructors (a mixin of `engine.data.Dataset`)."""

    @classmethod
    def from_tensor_slices(cls, tensors, name=None):
        """A dataset of the rows of `tensors`: element i holds row i of every component.

        Args:
            tensors: a tensor, array or list, or tuples and dicts of them (nested); all
                components must have the same first dimension. A list is one component.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` with one element per row.

        Raises:
            ShapeError: if a component is a scalar or the first dimensions differ.

        Example:
            >>> ds = engine.data.Dataset.from_tensor_slices(([1, 2, 3], [[1.0], [2.0], [3.0]]))
            >>> [(int(a), b.tolist()) for a, b in ds.as_numpy_iterator()]
            [(1, [1.0]), (2, [2.0]), (3, [3.0])]
        """
        element = structure.normalize(tensors, "Dataset.from_tensor_slices")
        return cls._new(SliceNode(element))

    @classmethod
    def from_tensors(cls, tensors, name=None):
        """A dataset of one element: `tensors` itself.

        Args:
            tensors: a tensor, array, number or list, or tuples and dicts of them.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` with one element.

        Example:
            >>> ds = engine.data.Dataset.from_tensors([1, 2, 3])
            >>> [x.tolist() for x in ds.as_numpy_iterator()]
            [[1, 2, 3]]
        """
        return cls._new(TensorsNode(structure.normalize(tensors, "Dataset.from_tensors")))

    @classmethod
    def range(cls, *args, output_type=_dt.int64, name=None):
        """A dataset of evenly spaced integers, like Python's `range`.

        Args:
            *args: `stop`, `start, stop` or `start, stop, step`.
            output_type: the dtype of the elements (default int64).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of scalars.

        Example:
            >>> [int(x) for x in engine.data.Dataset.range(1, 8, 3)]
            [1, 4, 7]
        """
        return cls._new(RangeNode(args, output_type))

    @classmethod
    def from_generator(cls, generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """A dataset of the values a Python generator yields.

        Each iteration of the dataset calls `generator(*args)` anew. Every value is
        converted to the signature's dtypes and checked against its shapes.

        Args:
            generator: a callable returning an iterable (a generator function).
            output_types: (legacy) nested dtypes; use `output_signature` instead.
            output_shapes: (legacy) nested shapes matching `output_types` (default: any).
            args: values passed to `generator` as NumPy arrays.
            output_signature: nested `engine.TensorSpec`s, one per component.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of unknown cardinality.

        Raises:
            TypeError: if `generator` is not callable or no signature is given; while
                iterating, if a value does not fit the signature.

        Example:
            >>> def gen():
            ...     for i in range(3):
            ...         yield i, [i] * i
            >>> ds = engine.data.Dataset.from_generator(gen, output_signature=(
            ...     engine.TensorSpec([], engine.int32), engine.TensorSpec([None], engine.int32)))
            >>> [b.tolist() for a, b in ds.as_numpy_iterator()]
            [[], [1], [2, 2]]
        """
        if not callable(generator):
            raise TypeError(f"Dataset.from_generator: generator must be a callable that "
                            f"returns an iterator; got {type(generator).__name__}. Pass the "
                            "generator function itself: from_generator(gen, ...), not gen().")
        spec = generator_spec(output_types, output_shapes, output_signature)
        args = tuple(structure.to_host_tensor(a, "Dataset.from_generator")
                     for a in (args or ()))
        return cls._new(GeneratorNode(generator, spec, args))

    @classmethod
    def zip(cls, *args, datasets=None, name=None):
        """A dataset of the elements of several datasets side by side.

        Args:
            *args: datasets, or one tuple or dict of datasets (nested).
            datasets: the same as a keyword.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` whose elements nest like the datasets given; it ends with the
            shortest one.

        Example:
            >>> a = engine.data.Dataset.range(3)
            >>> b = engine.data.Dataset.range(10, 12)
            >>> [(int(x), int(y)) for x, y in engine.data.Dataset.zip(a, b)]
            [(0, 10), (1, 11)]
        """
        if datasets is None:
            datasets = args[0] if len(args) == 1 else tuple(args)
        elif args:
            raise TypeError("Dataset.zip: pass the datasets either positionally or as "
                            "datasets=..., not both.")
        if type(datasets) is list:
            raise TypeError("Dataset.zip: got a list; pass a tuple (or dict) of datasets, "
                            "as lists are values, not structures, in engine.data.")
        if not nest.flatten(datasets):
            raise ValueError(f"Dataset.zip: got no datasets ({datasets!r}); expected at least "
                             "one dataset, e.g. Dataset.zip((a, b)).")
        for path, leaf in nest.flatten_with_paths(datasets):
            if not isinstance(leaf, Source):
                raise TypeError(f"Dataset.zip: expected datasets; got {type(leaf).__name__} "
                                f"at {structure.path_name(path)}.")
        return cls._new(ZipNode(datasets))

    @classmethod
    def list_files(cls, file_pattern, shuffle=None, seed=None, name=None):
        """A dataset of the file names that match glob patterns.

        Args:
            file_pattern: a glob pattern or a list of patterns.
            shuffle: shuffle the names on every iteration (default True).
            seed: the shuffle's seed.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of string scalars (sorted unless shuffled).

        Raises:
            InvalidArgumentError: if no file matches.

        Example:
            >>> import os, tempfile
            >>> folder = tempfile.mkdtemp()
            >>> for n in ("a.txt", "b.txt"):
            ...     open(os.path.join(folder, n), "w").close()
            >>> ds = engine.data.Dataset.list_files(os.path.join(folder, "*.txt"), shuffle=False)
            >>> [os.path.basename(f.decode()) for f in ds.as_numpy_iterator()]
            ['a.txt', 'b.txt']
        """
        patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(
            np.asarray(file_pattern).reshape(-1))
        patterns = [p.decode() if isinstance(p, bytes) else str(p) for p in patterns]
        names = sorted({f for p in patterns for f in glob.glob(p)})
        if not names:
            raise InvalidArgumentError(f"Dataset.list_files: no files match {patterns}. Check "
                                       "the pattern and the working directory.")
        dataset = cls.from_tensor_slices(np.array(names, dtype=object))
        if shuffle is None or shuffle:
            dataset = dataset.shuffle(len(names), seed=seed)
        return dataset

    def concatenate(self, dataset, name=None):
        """This dataset's elements followed by those of `dataset`.

        Args:
            dataset: a `Dataset` with the same element structure and dtypes.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Raises:
            TypeError: if the structures or dtypes differ.

        Example:
            >>> a, b = engine.data.Dataset.range(2), engine.data.Dataset.range(5, 7)
            >>> [int(x) for x in a.concatenate(b)]
            [0, 1, 5, 6]
        """
        if not isinstance(dataset, Source):
            raise TypeError(f"Dataset.concatenate: expected a Dataset; got "
                            f"{type(dataset).__name__}.")
        return self._new(ConcatenateNode(self._node, dataset._node))
