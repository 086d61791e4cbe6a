"""Steps that group elements by a key: `group_by_window` and `bucket_by_sequence_length`.

`group_by_window` keeps one open window per key. An element joins its key's window; when
the window holds `window_size` elements it is handed, as a dataset, to `reduce_func`, whose
dataset's elements come out next. At the end of the input the windows still open are
handed over in increasing key order, as in `tf.data`.

`bucket_by_sequence_length` is `group_by_window` keyed by length bucket, with each window
batched (padded to its longest element, or to the bucket's boundary).
"""

from __future__ import annotations

import bisect

import numpy as np

from engine import dtypes as _dt
from engine import nest
from engine.data import recovery
from engine.data.functions import UserFunction, call_eagerly
from engine.data.node import Node, check_count, close, first_element
from engine.data.sources import ListNode
from engine.errors import InvalidArgumentError
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["Grouping"]


def _scalar_function(func, input_spec, what: str, dtypes: tuple, node=None) -> UserFunction:
    """A traced function that must return a scalar of one of `dtypes`."""
    first = None if node is None else (lambda: first_element(node, what))
    fn = UserFunction(func, input_spec, what, first)
    if not fn.eager:
        spec = fn.output_spec
        if (not isinstance(spec, TensorSpec) or spec.dtype not in dtypes
                or spec.shape.rank not in (0, None)):
            names = " or ".join(d.name for d in dtypes)
            raise TypeError(f"{what}: the function must return a scalar {names} tensor; it "
                            f"returns {spec}. Cast it, e.g. engine.cast(key, engine.int64).")
    return fn


def _integer(value, what: str) -> int:
    if not isinstance(value, Tensor) or value._value.size != 1 or value.dtype.name not in (
            "int32", "int64"):
        raise TypeError(f"{what}: the function returned {value!r}; expected a scalar integer "
                        "tensor.")
    return int(value._value)


class GroupByWindowNode(Node):
    """Windows of elements with equal keys, each reduced to a dataset (see the module)."""

    kind = "GroupByWindowDataset"

    def __init__(self, node: Node, key_of, size_of, reduce, what: str, spec=None):
        self.inputs = (node,)
        self.key_of = key_of  # element -> int (or recovery.SKIPPED)
        self.size_of = size_of  # key -> window size
        self.reduce = reduce  # (key, window dataset) -> dataset
        self.what = what
        self.known_spec = spec

    def _spec(self):
        if self.known_spec is not None:
            return self.known_spec
        return self._reduced(0, []).element_spec  # datasets are lazy: nothing runs

    def _reduced(self, key: int, elements: list):
        from engine.data.dataset import Dataset  # noqa: PLC0415 - dataset.py imports this

        window = Dataset._new(ListNode(elements, self.inputs[0].element_spec))
        result = self.reduce(key, window)
        if not isinstance(result, Dataset):
            raise TypeError(f"{self.what}: reduce_func must return a Dataset; it returned "
                            f"{type(result).__name__}. Return e.g. window.batch(n).")
        return result

    def iterate(self, options):
        source = self.inputs[0].iterate(options)
        key_of = recovery.guarded(self.key_of, options, self.what)
        windows: dict = {}  # key -> (size, elements)
        try:
            for element in source:
                key = key_of(element)
                if key is recovery.SKIPPED:
                    continue
                if key not in windows:
                    windows[key] = (self.size_of(key), [])
                size, elements = windows[key]
                elements.append(element)
                if len(elements) >= size:
                    del windows[key]
                    yield from self._reduced(key, elements)._node.iterate(options)
        finally:
            close(source)
        for key in sorted(windows):
            yield from self._reduced(key, windows.pop(key)[1])._node.iterate(options)


def _window_sizes(window_size, window_size_func, what: str):
    """A function key -> window size, from exactly one of the two arguments."""
    if (window_size is None) == (window_size_func is None):
        raise ValueError(f"{what}: give exactly one of window_size and window_size_func; got "
                         f"window_size={window_size!r}, window_size_func={window_size_func!r}.")
    if window_size is not None:
        size = check_count(window_size, what, "window_size", 1)
        return lambda key: size
    size_fn = _scalar_function(window_size_func, TensorSpec([], _dt.int64),
                               f"{what} (window_size_func)", (_dt.int64,))

    def size_of(key):
        size = _integer(size_fn(wrap(np.array(key, np.int64))), f"{what} (window_size_func)")
        if size < 1:
            raise InvalidArgumentError(f"{what}: window_size_func returned {size} for key "
                                       f"{key}; expected a window size >= 1.")
        return size
    return size_of


def _boundaries(bucket_boundaries, bucket_batch_sizes, what: str):
    boundaries = [check_count(b, what, "bucket_boundaries", 0) for b in bucket_boundaries]
    if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
        raise ValueError(f"{what}: bucket_boundaries must increase strictly; got "
                         f"{boundaries}. Sort them and drop repeats.")
    sizes = [check_count(s, what, "bucket_batch_sizes", 1) for s in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError(f"{what}: got {len(boundaries)} bucket_boundaries and "
                         f"{len(sizes)} bucket_batch_sizes; expected one batch size per "
                         f"bucket, len(bucket_boundaries) + 1 = {len(boundaries) + 1}.")
    return boundaries, sizes


def _filled_shapes(spec, padded_shapes, filler: int):
    """The padded shape of each component, with unknown dimensions set to `filler`."""
    shapes = nest.map_structure(lambda s: s.shape, spec) if padded_shapes is None else \
        padded_shapes

    def fill(shape):
        dims = TensorShape(shape.numpy().tolist() if hasattr(shape, "numpy") else shape)
        if dims.rank is None:
            return dims
        return [filler if d is None or d == -1 else d for d in dims.as_list()]
    return nest.map_structure_up_to(spec, fill, shapes) if nest.is_nested(spec) else fill(shapes)


class Grouping:
    """Grouping by key (a mixin of `engine.data.Dataset`)."""

    def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None,
                        name=None):
        """Groups elements by key into windows and reduces each window to a dataset.

        Args:
            key_func: a function from an element to a scalar int64 key (traced).
            reduce_func: a function `(key, window) -> Dataset`, called eagerly for each
                full window (and for the windows still open at the end, by key).
            window_size: the number of elements per window, the same for all keys.
            window_size_func: instead of `window_size`, a function from the key to its
                window size (traced).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of unknown cardinality.

        Raises:
            ValueError: unless exactly one of `window_size` and `window_size_func` is given.
            TypeError: if `key_func` does not return a scalar int64.

        Example:
            >>> ds = engine.data.Dataset.range(8).group_by_window(
            ...     key_func=lambda x: x % 2, reduce_func=lambda key, w: w.batch(3),
            ...     window_size=3)
            >>> [b.tolist() for b in ds.as_numpy_iterator()]
            [[0, 2, 4], [1, 3, 5], [6], [7]]
        """
        what = "Dataset.group_by_window"
        size_of = _window_sizes(window_size, window_size_func, what)
        if not callable(reduce_func):
            raise TypeError(f"{what}: reduce_func must be a function (key, window) -> "
                            f"Dataset; got {type(reduce_func).__name__}.")
        key_fn = _scalar_function(key_func, self.element_spec, f"{what} (key_func)",
                                  (_dt.int64,), self._node)

        def key_of(element):
            return _integer(key_fn(element), f"{what} (key_func)")

        def reduce(key, window):
            return call_eagerly(reduce_func, (wrap(np.array(key, np.int64)), window), True)
        return self._new(GroupByWindowNode(self._node, key_of, size_of, reduce, what))

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None):
        """Batches elements of similar length together, each batch padded to its longest.

        Bucket `i` holds the lengths in `[bucket_boundaries[i-1], bucket_boundaries[i])`
        (the first starts at 0, the last has no end) and makes batches of
        `bucket_batch_sizes[i]`; the batches of all buckets come out as they fill.

        Args:
            element_length_func: a function from an element to its length, a scalar int32
                or int64 (traced).
            bucket_boundaries: the increasing upper bounds (excluded) of the buckets.
            bucket_batch_sizes: the batch size of each bucket; one more than boundaries.
            padded_shapes: the shapes to pad to, as in `padded_batch` (default: each
                component's longest in the batch).
            padding_values: the padding values, as in `padded_batch` (default 0).
            pad_to_bucket_boundary: pad unknown dimensions to the bucket's boundary - 1
                instead of the batch's longest; every length must then be below the last
                boundary.
            no_padding: batch without padding (the elements of a batch must then have one
                shape).
            drop_remainder: drop each bucket's last batch if it is smaller than its size.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of batches with an unknown leading dimension.

        Raises:
            ValueError: if the boundaries do not increase or the number of batch sizes is
                not one more than the number of boundaries.

        Example:
            >>> ds = engine.data.Dataset.from_generator(
            ...     lambda: iter([[1], [2, 2], [3, 3, 3], [4, 4, 4, 4]]),
            ...     output_signature=engine.TensorSpec([None], engine.int32))
            >>> ds = ds.bucket_by_sequence_length(lambda x: engine.shape(x)[0], [3], [2, 2])
            >>> [b.tolist() for b in ds.as_numpy_iterator()]
            [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
        """
        what = "Dataset.bucket_by_sequence_length"
        boundaries, sizes = _boundaries(bucket_boundaries, bucket_batch_sizes, what)
        length_fn = _scalar_function(element_length_func, self.element_spec,
                                     f"{what} (element_length_func)", (_dt.int32, _dt.int64),
                                     self._node)
        spec, drop = self.element_spec, bool(drop_remainder)
        to_boundary = bool(pad_to_bucket_boundary) and not no_padding

        def key_of(element):
            length = _integer(length_fn(element), f"{what} (element_length_func)")
            bucket = bisect.bisect_right(boundaries, length)
            if to_boundary and bucket == len(boundaries):
                raise InvalidArgumentError(
                    f"{what}: an element has length {length}, not below the last bucket "
                    f"boundary {boundaries[-1] if boundaries else 0}; with "
                    "pad_to_bucket_boundary=True every length must be. Add a larger "
                    "boundary or filter long elements out.")
            return bucket

        def reduce(bucket, window):
            if no_padding:
                return window.batch(sizes[bucket], drop_remainder=drop)
            shapes = padded_shapes
            if to_boundary:
                shapes = _filled_shapes(spec, padded_shapes, boundaries[bucket] - 1)
            return window.padded_batch(sizes[bucket], shapes, padding_values, drop)

        empty = self._new(ListNode([], spec))  # checks padded_shapes and values now
        known = (empty.batch(1) if no_padding else
                 empty.padded_batch(1, padded_shapes, padding_values)).element_spec
        return self._new(GroupByWindowNode(self._node, key_of, lambda b: sizes[b], reduce,
                                           what, known))
