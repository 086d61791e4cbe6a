"""Steps that group elements: batch, padded_batch, unbatch, rebatch and window.

`batch` stacks each component of consecutive elements along a new first dimension. When
its input is a random-access source reordered by shuffle/take/skip/repeat/shard, it
gathers each batch directly from the source arrays (`engine.data.indexing`): a slice view
for consecutive rows, one `take` otherwise; the elements are the same either way.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from engine import nest
from engine.convert import to_array
from engine.data import indexing, structure
from engine.data.node import INFINITE, UNKNOWN, Node, check_count, close
from engine.errors import ShapeError
from engine.tensor import wrap
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["Batching"]


def _check_tensors(node: Node, what: str):
    spec = node.element_spec
    if structure.has_datasets(spec):
        raise TypeError(f"{what}: the elements hold datasets (from window()); batch each "
                        "window instead: flat_map(lambda w: w.batch(size)).")
    return spec


def _batched_count(n: int, size: int, drop_remainder: bool) -> int:
    if n < 0:
        return n
    return n // size if drop_remainder else math.ceil(n / size)


def _groups(source, sizes, drop_remainder: bool):
    """Lists of consecutive elements, of the sizes in `sizes` (cycled)."""
    try:
        for size in itertools.cycle(sizes):
            items = list(itertools.islice(source, size))
            if not items or (drop_remainder and len(items) < size):
                return
            yield items
    finally:
        close(source)


def _stacked(groups, in_spec, out_spec, what: str):
    flatten, pack = structure.flattener(in_spec), structure.packer(out_spec)
    names = structure.leaf_paths(in_spec)
    for items in groups:
        columns = zip(*[flatten(e) for e in items]) if names else []
        yield pack([structure.stack(list(column), what, name)
                    for column, name in zip(columns, names)])


class BatchNode(Node):
    kind = "BatchDataset"

    def __init__(self, node: Node, batch_size: int, drop_remainder: bool):
        self.inputs = (node,)
        self.batch_size = batch_size
        self.drop_remainder = drop_remainder
        _check_tensors(node, "Dataset.batch")

    def _spec(self):
        size = self.batch_size if self.drop_remainder else None
        return structure.batched_spec(self.inputs[0].element_spec, size)

    def cardinality(self) -> int:
        return _batched_count(self.inputs[0].cardinality(), self.batch_size,
                              self.drop_remainder)

    def iterate(self, options):
        node = self.inputs[0]
        plan = node.plan()
        if plan is not None:
            return self._gathered(plan)
        groups = _groups(node.iterate(options), [self.batch_size], self.drop_remainder)
        return _stacked(groups, node.element_spec, self.element_spec, "Dataset.batch")

    def _gathered(self, plan):
        pack, source = structure.packer(self.element_spec), plan.source
        for index in indexing.batches(plan.chunks(), self.batch_size, self.drop_remainder):
            yield pack([wrap(array) for array in source.gather(index)])


class PaddedBatchNode(Node):
    kind = "PaddedBatchDataset"

    def __init__(self, node: Node, batch_size: int, padded_shapes, padding_values,
                 drop_remainder: bool):
        what = "Dataset.padded_batch"
        spec = _check_tensors(node, what)
        self.inputs = (node,)
        self.batch_size = batch_size
        self.drop_remainder = drop_remainder
        specs = nest.flatten(spec)
        self.names = structure.leaf_paths(spec)
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
        else:
            try:
                shapes = nest.flatten_up_to(spec, padded_shapes, check_types=False)
            except (TypeError, ValueError):
                raise TypeError(f"{what}: padded_shapes {padded_shapes} does not match the "
                                f"element structure {spec}.") from None
            shapes = [TensorShape(_dims(s)) for s in shapes]
        self.shapes = []
        for s, shape, name in zip(specs, shapes, self.names):
            if shape.rank is None:
                raise ShapeError(f"{what}: component {name} has unknown rank; pass "
                                 "padded_shapes to say its shape.")
            if s.shape.rank is not None and s.shape.rank != shape.rank:
                raise ShapeError(f"{what}: padded shape {shape} of component {name} has "
                                 f"rank {shape.rank}, but the component is {s}.")
            _check_fits(s, shape, name, what)
            self.shapes.append(shape)
        self.pads = _padding_values(padding_values, specs, self.names, spec, what)

    def _spec(self):
        size = self.batch_size if self.drop_remainder else None
        specs = [TensorSpec(TensorShape([size]).concatenate(shape), s.dtype)
                 for s, shape in zip(nest.flatten(self.inputs[0].element_spec), self.shapes)]
        return nest.pack_sequence_as(self.inputs[0].element_spec, specs)

    def cardinality(self) -> int:
        return _batched_count(self.inputs[0].cardinality(), self.batch_size,
                              self.drop_remainder)

    def iterate(self, options):
        node = self.inputs[0]
        flatten = structure.flattener(node.element_spec)
        pack = structure.packer(self.element_spec)
        for items in _groups(node.iterate(options), [self.batch_size], self.drop_remainder):
            columns = zip(*[flatten(e) for e in items]) if self.names else []
            yield pack([self._pad(column, shape, pad, name) for column, shape, pad, name
                        in zip(columns, self.shapes, self.pads, self.names)])

    def _pad(self, column, shape: TensorShape, pad: np.ndarray, name: str):
        arrays = [structure.host_array(t) for t in column]
        target = []
        for axis, dim in enumerate(shape.as_list()):
            longest = max(a.shape[axis] if a.ndim > axis else 0 for a in arrays)
            if dim is not None and longest > dim:
                raise ShapeError(f"Dataset.padded_batch: component {name} has a dimension "
                                 f"{axis} of size {longest}, larger than the padded shape "
                                 f"{shape}. Raise padded_shapes or trim the elements.")
            target.append(longest if dim is None else dim)
        out = np.full([len(arrays)] + target, pad, dtype=pad.dtype)
        for i, a in enumerate(arrays):
            if a.ndim != len(target):
                raise ShapeError(f"Dataset.padded_batch: component {name} has rank {a.ndim}; "
                                 f"expected rank {len(target)} (padded shape {shape}).")
            if a.ndim == 0:
                out[i] = a[()]  # assigning a 0-d object array would store the array itself
            else:
                out[(i,) + tuple(slice(0, d) for d in a.shape)] = a
        return wrap(out)


def _check_fits(spec: TensorSpec, shape: TensorShape, name: str, what: str) -> None:
    """Raises now if a component's known dimension exceeds its padded shape."""
    if spec.shape.rank is None:
        return
    for axis, (known, padded) in enumerate(zip(spec.shape.as_list(), shape.as_list())):
        if known is not None and padded is not None and known > padded:
            raise ShapeError(f"{what}: component {name} ({spec}) has dimension {axis} of "
                             f"size {known}, larger than its padded shape {shape}. Raise "
                             "padded_shapes or trim the elements.")


def _dims(shape):
    if hasattr(shape, "numpy"):
        shape = shape.numpy().tolist()
    if isinstance(shape, TensorShape):
        return shape
    return None if shape is None else [None if d is None or d == -1 else int(d) for d in shape]


def _padding_values(values, specs: list, names: list, spec, what: str) -> list:
    """One scalar padding array per component (0, False or b"" where none is given)."""
    if values is None:
        flat = [None] * len(specs)
    elif not nest.is_nested(values) and nest.is_nested(spec):
        flat = [values] * len(specs)
    else:
        try:
            flat = nest.flatten_up_to(spec, values, check_types=False)
        except (TypeError, ValueError):
            raise TypeError(f"{what}: padding_values {values!r} does not match the element "
                            f"structure {spec}.") from None
    pads = []
    for s, value, name in zip(specs, flat, names):
        if value is None:
            pads.append(np.array(b"", dtype=object) if s.dtype.name == "string"
                        else np.zeros((), s.dtype._np))
            continue
        try:
            array = to_array(value.numpy() if hasattr(value, "numpy") else value, s.dtype)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{what}: padding value {value!r} for component {name} does not "
                            f"fit its dtype {s.dtype.name} ({err}). Give a padding value of "
                            "that dtype.") from None
        if array.ndim != 0:
            raise ShapeError(f"{what}: padding values must be scalars; got shape "
                             f"{array.shape} for component {name}.")
        pads.append(array)
    return pads


def _unbatched(source, flatten, pack, what: str):
    try:
        for element in source:
            arrays = [structure.host_array(t) for t in flatten(element)]
            sizes = {a.shape[0] if a.ndim else None for a in arrays}
            if None in sizes or len(sizes) > 1:
                raise ShapeError(f"{what}: every component needs the same first dimension; "
                                 f"got shapes {[a.shape for a in arrays]}.")
            for i in range(sizes.pop() if sizes else 0):
                yield pack([wrap(a[i, ...]) for a in arrays])
    finally:
        close(source)


class UnbatchNode(Node):
    kind = "UnbatchDataset"

    def __init__(self, node: Node, sizes=None, drop_remainder: bool = False):
        self.inputs = (node,)
        self.sizes = sizes  # rebatch: the new batch sizes, cycled
        self.drop_remainder = drop_remainder
        self.kind = "RebatchDataset" if sizes else "UnbatchDataset"
        spec = _check_tensors(node, self._what())
        self._unbatched_spec = structure.unbatched_spec(spec, self._what())
        _check_leading_dims(spec, self._what())

    def _what(self) -> str:
        return "Dataset.rebatch" if self.sizes else "Dataset.unbatch"

    def _spec(self):
        if not self.sizes:
            return self._unbatched_spec
        rows = structure.leading_dim(self.inputs[0].element_spec)
        # every batch is full when the remainder is dropped, or when each input batch
        # splits evenly into the one new size
        full = self.drop_remainder or (rows is not None and rows % self.sizes[0] == 0)
        known = len(set(self.sizes)) == 1 and full
        return structure.batched_spec(self._unbatched_spec, self.sizes[0] if known else None)

    def cardinality(self) -> int:
        node = self.inputs[0]
        n, rows = node.cardinality(), structure.leading_dim(node.element_spec)
        if n == INFINITE or (n >= 0 and rows is not None):
            total = n if n < 0 else n * rows
            if not self.sizes or total < 0:
                return total
            if len(set(self.sizes)) == 1:
                return _batched_count(total, self.sizes[0], self.drop_remainder)
        return UNKNOWN

    def iterate(self, options):
        node = self.inputs[0]
        rows = _unbatched(node.iterate(options), structure.flattener(node.element_spec),
                          structure.packer(self._unbatched_spec), self._what())
        if not self.sizes:
            return rows
        groups = _groups(rows, self.sizes, self.drop_remainder)
        return _stacked(groups, self._unbatched_spec, self.element_spec, self._what())


def _check_leading_dims(spec, what: str) -> None:
    """Raises now if the components' known first dimensions differ (they could never unbatch)."""
    dims = {s.shape[0] for s in nest.flatten(spec) if s.shape.rank and s.shape[0] is not None}
    if len(dims) > 1:
        raise ShapeError(f"{what}: the components have different first dimensions "
                         f"({sorted(dims)}) in {spec}; expected one size, since row i of each "
                         "makes element i. Map the elements to one first dimension.")


class WindowNode(Node):
    kind = "WindowDataset"

    def __init__(self, node: Node, size: int, shift: int, stride: int, drop_remainder: bool):
        self.inputs = (node,)
        self.size, self.shift, self.stride = size, shift, stride
        self.drop_remainder = drop_remainder
        self.span = (size - 1) * stride + 1  # input elements one full window covers

    def _spec(self):
        return nest.map_structure(structure.DatasetSpec, self.inputs[0].element_spec)

    def cardinality(self) -> int:
        n = self.inputs[0].cardinality()
        if n < 0:
            return n
        if self.drop_remainder:
            return (n - self.span) // self.shift + 1 if n >= self.span else 0
        return math.ceil(n / self.shift)

    def iterate(self, options):
        from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this
        from engine.data.sources import ListNode  # noqa: PLC0415

        node = self.inputs[0]
        spec = node.element_spec
        flatten, specs = structure.flattener(spec), nest.flatten(spec)
        source, buffer, exhausted = node.iterate(options), [], False
        try:
            while True:
                while len(buffer) < self.span and not exhausted:
                    value = next(source, _END)
                    exhausted = value is _END
                    if not exhausted:
                        buffer.append(value)
                window = buffer[:self.span:self.stride]
                if not window or (self.drop_remainder and len(window) < self.size):
                    return
                columns = zip(*[flatten(e) for e in window]) if specs else []
                yield nest.pack_sequence_as(spec, [
                    Dataset._new(ListNode(list(column), s)) for column, s in zip(columns, specs)])
                skip = self.shift - len(buffer)
                del buffer[:self.shift]
                for _ in range(skip if not exhausted else 0):
                    exhausted = next(source, _END) is _END
                    if exhausted:
                        break
        finally:
            close(source)


_END = object()


class Batching:
    """Grouping steps (a mixin of `engine.data.Dataset`)."""

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks consecutive elements into batches of `batch_size`.

        Args:
            batch_size: elements per batch.
            drop_remainder: drop a last batch smaller than `batch_size` (then the batch
                dimension of `element_spec` is known).
            num_parallel_calls: accepted for TensorFlow compatibility.
            deterministic: accepted for TensorFlow compatibility.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` whose components have a new first dimension.

        Raises:
            ShapeError: while iterating, if elements of one batch differ in shape.

        Example:
            >>> ds = engine.data.Dataset.range(7).batch(3)
            >>> [b.tolist() for b in ds.as_numpy_iterator()]
            [[0, 1, 2], [3, 4, 5], [6]]
        """
        size = check_count(batch_size, "Dataset.batch", "batch_size", 1)
        if num_parallel_calls is not None:
            check_count(num_parallel_calls, "Dataset.batch", "num_parallel_calls", 1,
                        allow_minus_one=True)
        return self._new(BatchNode(self._node, size, bool(drop_remainder)))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Batches elements of different shapes, padding each component to one shape.

        Args:
            batch_size: elements per batch.
            padded_shapes: nested shapes per component; None (or -1) dimensions pad to
                the longest in each batch. Default: pad every unknown dimension.
            padding_values: nested scalars to pad with, or one scalar for all (default 0,
                or b"" for strings).
            drop_remainder: drop a last batch smaller than `batch_size`.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.from_generator(
            ...     lambda: ([n] * n for n in (1, 2, 3)),
            ...     output_signature=engine.TensorSpec([None], engine.int64))
            >>> [b.tolist() for b in ds.padded_batch(2).as_numpy_iterator()]
            [[[1, 0], [2, 2]], [[3, 3, 3]]]
        """
        size = check_count(batch_size, "Dataset.padded_batch", "batch_size", 1)
        return self._new(PaddedBatchNode(self._node, size, padded_shapes, padding_values,
                                         bool(drop_remainder)))

    def unbatch(self, name=None):
        """Splits each element along its first dimension into several elements.

        Args:
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.from_tensors([[1, 2], [3, 4]]).unbatch()
            >>> [x.tolist() for x in ds.as_numpy_iterator()]
            [[1, 2], [3, 4]]
        """
        return self._new(UnbatchNode(self._node))

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """Regroups batched elements into batches of another size.

        The same as `unbatch().batch(batch_size)`, except that `batch_size` may be a list
        of sizes used in turn.

        Args:
            batch_size: the new batch size, or a list of sizes (cycled).
            drop_remainder: drop a last batch smaller than its size.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset`.

        Example:
            >>> ds = engine.data.Dataset.range(6).batch(4).rebatch([1, 2])
            >>> [b.tolist() for b in ds.as_numpy_iterator()]
            [[0], [1, 2], [3], [4, 5]]
        """
        sizes = batch_size.numpy().tolist() if hasattr(batch_size, "numpy") else batch_size
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
        if not sizes:
            raise ValueError("Dataset.rebatch: batch_size is an empty list; give at least "
                             "one size.")
        sizes = [check_count(s, "Dataset.rebatch", "batch_size", 1) for s in sizes]
        return self._new(UnbatchNode(self._node, sizes, bool(drop_remainder)))

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """Groups elements into windows, each a dataset (per component) of `size` elements.

        Window k holds input elements `k*shift + i*stride` for `i < size`.

        Args:
            size: elements per window.
            shift: how far each window starts after the previous (default `size`).
            stride: the step between a window's elements.
            drop_remainder: drop the windows at the end that have fewer than `size`.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of windows: nested like the elements, with a `Dataset` for each
            component. Turn windows into tensors with `flat_map(lambda w: w.batch(size))`.

        Example:
            >>> ds = engine.data.Dataset.range(6).window(3, shift=2)
            >>> [[int(x) for x in w] for w in ds]
            [[0, 1, 2], [2, 3, 4], [4, 5]]
        """
        size = check_count(size, "Dataset.window", "size", 1)
        shift = size if shift is None else check_count(shift, "Dataset.window", "shift", 1)
        stride = check_count(stride, "Dataset.window", "stride", 1)
        return self._new(WindowNode(self._node, size, shift, stride, bool(drop_remainder)))
