"""`TensorArray`: a list of same-typed tensors for eager code, traced code and while loops.

Two representations, chosen when the array is made (as TensorFlow does):
- eagerly, a Python list of tensors: `write` stores its tensor and returns the array
  itself (in place, like TensorFlow's eager TensorArray), `stack` is one `Pack`, and a
  tape sees the ops that made and combined the elements;
- while tracing, one tensor, the *buffer*, of shape `(size, *element_shape)`: `write` is a
  `TensorScatterUpdate` and returns a new TensorArray holding the new buffer, `read` is a
  `GatherV2`, `stack` is the buffer itself. The buffer is what a traced `while_loop`
  carries as the loop variable, so `ta = ta.write(i, x)` works in a loop body, and
  gradients flow from `stack()` back to the written values through those ops' own rules.

While tracing, the size may be a Python int or a scalar int tensor known only when the
graph runs (`engine.TensorArray(dtype, size=n)` for an argument `n`); the buffer then has
the shape `(None, *element_shape)` and is made by a `Fill` node that takes `n` as an input.
With `dynamic_size=True` the size is always a run-time value while tracing (as in
TensorFlow, whose dynamic arrays stack to `(None, ...)`), even when it starts as a Python
int: a while_loop then carries a buffer of shape `(None, *element_shape)` whose first
dimension may change between iterations, and a write past the end grows the buffer when
the graph runs (a scatter of the old rows into zeros up to the index). The buffer's
length is the size, so `stack` is the buffer itself and `size` its first dimension. An
element shape not given upfront comes from the first write; later writes must match it.
A traced write copies the buffer (O(size) per write), so growing by one row at a time
costs no more than any other write.

With `infer_shape=False` elements may have different shapes (`concat` joins them, `split`
makes them); while tracing, such an array keeps a Python list of symbolic elements, as an
eager one does, until a while_loop carries it or an index known only at run time reaches
it: then its elements must share one shape, to form the buffer. The helpers are in
`engine.graph.tensor_array_buffer`.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidIndexError, ShapeError
from engine.graph import tensor_array_buffer as _buf
from engine.graph.trace import user_source
from engine.ops.array_ops import expand_dims, reshape, shape
from engine.ops.fill_ops import zeros
from engine.ops.gather_ops import gather, tensor_scatter_nd_update
from engine.ops.join_ops import concat, unstack
from engine.ops.manip_ops import split
from engine.ops.reduce_ops import reduce_max
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

_THREAD = context.THREAD
_static_int, _static_ints = _buf.static_int, _buf.static_ints

__all__ = ["TensorArray"]


class TensorArray(_buf.BufferMixin):
    """A list of tensors of one dtype that works eagerly, in traced code and in loops.

    Use it to collect values in a `while_loop`: `ta = ta.write(i, x)` in the body, then
    `ta.stack()` after the loop. Always use the array `write` returns (eagerly it is the
    same object; while tracing it is a new one).

    Args:
        dtype: the elements' dtype.
        size: the number of elements: a Python int or a scalar int tensor (while tracing,
            one known only when the graph runs).
        dynamic_size: whether writes past the end grow the array.
        clear_after_read: accepted for TensorFlow compatibility (elements stay readable).
        tensor_array_name: a name for error messages.
        handle: accepted for TensorFlow compatibility (must be None).
        flow: accepted for TensorFlow compatibility (must be None).
        infer_shape: whether every element must have the shape of the first (False lets
            elements differ: `concat` joins them; `stack` still needs one shape).
        element_shape: the shape of each element, if known upfront.
        colocate_with_first_write_call: accepted for TensorFlow compatibility.
        name: a name for error messages.

    Example:
        >>> ta = engine.TensorArray(engine.float32, size=3)
        >>> for i in range(3):
        ...     ta = ta.write(i, engine.constant([1.0, 2.0]) * i)
        >>> ta.stack().numpy()
        array([[0., 0.],
               [1., 2.],
               [2., 4.]], dtype=float32)
        >>> @engine.function
        ... def squares(x):
        ...     ta = engine.TensorArray(engine.float32, size=4)
        ...     body = lambda i, ta: (i + 1, ta.write(i, x * engine.cast(i * i, engine.float32)))
        ...     _, ta = engine.while_loop(lambda i, ta: i < 4, body, (0, ta))
        ...     return ta.stack()
        >>> squares(engine.constant(2.0)).numpy()
        array([ 0.,  2.,  8., 18.], dtype=float32)
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        if handle is not None or flow is not None:
            raise ValueError("TensorArray: handle= and flow= are not supported; create the "
                             "array from dtype and size.")
        self._dtype = _dt.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._element_shape = TensorShape(element_shape)
        self._infer_shape = bool(infer_shape)
        self._size_given = size is not None
        self._eager = context.executing_eagerly()
        where = user_source()
        label = tensor_array_name or name
        self._description = (f"TensorArray {label!r}" if label else "the TensorArray made at "
                             + (f"{where[0]}:{where[1]}" if where else "an unknown line"))
        self._graph = _THREAD.graph  # the graph this array's tensors belong to
        self._stale = None  # (graph name): a write in a nested graph whose result was lost
        listed = self._eager or (not self._infer_shape and _static_int(size or 0) is not None)
        # _size: an int, or None while the size is known only when the graph runs (always
        # for a traced dynamic array); then _size_tensor holds it until a buffer exists
        # (whose first dimension it is after).
        self._size, self._size_tensor = _buf.initial_size(size, listed, self._dynamic_size)
        # _elements: the elements (None: not written) while kept as a list, else None.
        self._elements = [None] * self._size if listed else None
        self._buffer = None
        self._make_buffer = None

    # --- description ------------------------------------------------------------------------
    @property
    def dtype(self) -> _dt.DType:
        """The elements' dtype."""
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        """The elements' shape, as far as known."""
        return self._element_shape

    @property
    def dynamic_size(self) -> bool:
        """Whether writes past the end grow the array."""
        return self._dynamic_size

    def size(self, name=None) -> Tensor:
        """The number of elements, as an int32 scalar tensor."""
        self._check_fresh("size")
        if self._elements is not None or self._size is not None:
            return convert_to_tensor(self._current_size(), _dt.int32)
        if self._buffer is None and self._make_buffer is None:
            return self._size_tensor
        if self._buffer is None and not self._element_shape.is_fully_defined():
            # In a while_loop body before the first write tells the element shape: the
            # buffer is a loop variable of unknown rank until the loop settles its spec.
            self._buffer = self._make_buffer(TensorSpec(None, self._dtype))
            self._make_buffer = None
        return shape(self._ensure_buffer("size"))[0]

    def __repr__(self) -> str:
        mode = "eager" if self._eager else "graph"
        size = self._current_size()
        size = "?" if size is None else size
        return (f"<engine.TensorArray dtype={self._dtype.name} size={size} "
                f"element_shape={self._element_shape} ({mode})>")

    # --- writing --------------------------------------------------------------------------
    def write(self, index, value, name=None) -> TensorArray:
        """Stores `value` at `index`; returns the array to use from now on.

        Args:
            index: a Python int or scalar int tensor (symbolic only while tracing).
            value: a tensor (or value convertible to one) of the array's dtype.
            name: ignored.

        Returns:
            The updated TensorArray.
        """
        ta = self._writable("write", index)
        value = ta._check_element("write", value)
        if ta._elements is not None:
            ta._elements[ta._list_index("write", index, grow=True)] = value
            return ta
        i = _static_int(index)
        if i is not None and i < 0:
            raise InvalidIndexError(f"TensorArray.write: index must be non-negative; got {i}.")
        if ta._dynamic_size:
            ta = ta._grown_at_run_time("write", index)
        elif i is not None and ta._size is not None and i >= ta._size:
            raise ta._out_of_range("write", i)
        elif i is None and ta._size == 0:
            raise ValueError("TensorArray.write: the index is known only when the graph runs, "
                             "and the array has static size 0. Give the size upfront "
                             "(engine.TensorArray(dtype, size=n)) or pass dynamic_size=True.")
        buffer = ta._ensure_buffer("write")
        indices = [[i]] if i is not None else reshape(index, (1, 1))
        rows = tensor_scatter_nd_update(buffer, indices, expand_dims(value, 0))
        if buffer.shape.rank is None:  # a loop variable whose shape the loop settles later
            rows = reshape(rows, [-1] + ta._known_shape("write"))
        return ta._copy(_buffer=rows)

    def unstack(self, value, name=None) -> TensorArray:
        """Makes the rows of `value` (along axis 0) the elements.

        Args:
            value: a tensor of rank at least 1.
            name: ignored.

        Returns:
            The updated TensorArray.
        """
        ta = self._writable("unstack")
        value = ta._check_value("unstack", value)
        if not value.shape.rank:
            raise ShapeError(f"TensorArray.unstack: value has shape {value.shape}; expected "
                             "rank >= 1.")
        rows = value.shape[0]
        if rows is None and ta._elements is not None and not ta._eager:
            ta = ta._buffered("unstack")
        ta._merge_shape("unstack", value.shape[1:])
        if rows is None or ta._size is None:  # tracing, a size known only at run time
            return ta._unstack_at_run_time(value)
        ta._check_count("unstack", rows)
        return ta._with_rows("unstack", list(unstack(value)), value)

    def split(self, value, lengths, name=None) -> TensorArray:
        """Splits `value` along axis 0 into elements of the given lengths.

        Elements of different lengths have different shapes: `concat` joins them again and
        `read` gives each; `stack` needs equal lengths.

        Args:
            value: a tensor of rank at least 1.
            lengths: a list (or 1-D int tensor) of element lengths that sum to
                `value.shape[0]`.
            name: ignored.

        Returns:
            The updated TensorArray.

        Example:
            >>> ta = engine.TensorArray(engine.float32, size=2, infer_shape=False)
            >>> ta = ta.split(engine.constant([1.0, 2.0, 3.0]), [2, 1])
            >>> ta.read(1).numpy()
            array([3.], dtype=float32)
        """
        ta = self._writable("split")
        value = ta._check_value("split", value)
        if not value.shape.rank:
            raise ShapeError(f"TensorArray.split: value has shape {value.shape}; expected "
                             "rank >= 1.")
        ints, count = _buf.split_lengths(value, lengths)
        ta._check_count("split", count)
        if ints and len(set(ints)) == 1:  # equal lengths: an unstack of the reshaped value
            rows = reshape(value, [count, ints[0]] + value.shape[1:].as_list())
            return ta.unstack(rows) if count else ta
        pieces = split(value, ints if ints is not None else lengths, num=count)
        if ta._elements is None:  # elements of different shapes: a list from now on
            if ta._size is None and ta._buffer is not None:
                raise ValueError("TensorArray.split: in a graph, an array of run-time size "
                                 "cannot take elements of different lengths; split with equal "
                                 "lengths, or split into a new TensorArray.")
            kept = [None] * max(count, ta._size or 0)
            if ta._buffer is not None:
                kept = [gather(ta._buffer, j) for j in range(len(kept))]
            ta = ta._copy(_elements=kept, _buffer=None, _make_buffer=None, _infer_shape=False)
        ta._infer_shape = ta._infer_shape and all(p.shape == pieces[0].shape for p in pieces)
        return ta._with_rows("split", pieces, value)

    def scatter(self, indices, value, name=None) -> TensorArray:
        """Stores the rows of `value` at `indices`.

        Args:
            indices: a list or 1-D int tensor, one index per row of `value`.
            value: a tensor whose first dimension matches `indices`.
            name: ignored.

        Returns:
            The updated TensorArray.
        """
        static = _static_ints(indices)
        ta = self._writable("scatter", 0 if static is not None else indices)
        value = ta._check_value("scatter", value)
        ta._merge_shape("scatter", value.shape[1:])
        if ta._elements is not None:
            for i, row in zip(static, unstack(value)):
                ta._elements[ta._list_index("scatter", i, grow=True)] = row
            return ta
        if ta._dynamic_size and static != []:
            last = max(static) if static is not None else reduce_max(indices)
            ta = ta._grown_at_run_time("scatter", last)
        elif ta._size is not None and static and max(static) >= ta._size:
            raise ta._out_of_range("scatter", max(static))
        buffer = ta._ensure_buffer("scatter")
        where = reshape(np.asarray(static, np.int32) if static is not None else indices, (-1, 1))
        return ta._copy(_buffer=tensor_scatter_nd_update(buffer, where, value))

    # --- reading --------------------------------------------------------------------------
    def read(self, index, name=None) -> Tensor:
        """The element at `index` (zeros if never written and its shape is known).

        Args:
            index: a Python int or scalar int tensor.
            name: ignored.

        Returns:
            A tensor of the element shape.
        """
        ta = self._readable("read", _static_int(index) is not None)
        if ta._elements is not None:
            value = ta._elements[ta._list_index("read", index)]
            return value if value is not None else ta._zeros_element("read")
        i = _static_int(index)
        if i is not None and ta._size is not None and not 0 <= i < ta._size:
            raise InvalidIndexError(f"TensorArray.read: index {i} is out of range for a "
                                    f"TensorArray of size {ta._size}.")
        return gather(ta._ensure_buffer("read"), index if i is None else i)

    def gather(self, indices, name=None) -> Tensor:
        """The elements at `indices`, stacked.

        Args:
            indices: a list or 1-D int tensor.
            name: ignored.

        Returns:
            A tensor of shape `(len(indices), *element_shape)`.
        """
        static = _static_ints(indices)
        ta = self._readable("gather", static is not None)
        if ta._elements is not None:
            return _buf.stack_elements("gather", [ta.read(i) for i in static])
        return gather(ta._ensure_buffer("gather"), indices)

    def stack(self, name=None) -> Tensor:
        """All elements stacked into one tensor of shape `(size, *element_shape)`.

        An array without elements gives shape `(0, *element_shape)`, or `(0,)` while the
        element shape is unknown.

        Raises:
            ShapeError: when elements have different shapes (`infer_shape=False`).
        """
        self._check_fresh("stack")
        if self._elements is None:
            return self._ensure_buffer("stack")
        if not self._elements:
            return _buf.empty_stack(self._element_shape, self._dtype, "stack")
        _buf.check_one_shape("stack", self._elements)
        return _buf.stack_elements("stack", [v if v is not None else
                                             self._zeros_element("stack")
                                             for v in self._elements])

    def concat(self, name=None) -> Tensor:
        """All elements joined along their first axis.

        Returns:
            A tensor of shape `(sum of the elements' first dimensions, ...)`.
        """
        self._check_fresh("concat")
        if self._elements is not None:
            if not self._elements:
                return _buf.empty_stack(self._element_shape, self._dtype, "concat")
            return _buf.concat_elements("concat", [self.read(i)
                                                   for i in range(len(self._elements))])
        buffer = self._ensure_buffer("concat")
        dims = buffer.shape.as_list()
        if len(dims) < 2:
            raise ShapeError(f"TensorArray.concat: elements have shape {dims[1:]}; concat "
                             "needs elements of rank >= 1 (use stack for scalars).")
        rows = -1 if dims[0] is None else dims[0] * dims[1]
        return reshape(buffer, [rows] + dims[2:])

    # --- TensorFlow compatibility ---------------------------------------------------------
    def identity(self) -> TensorArray:
        """The array itself (TensorFlow uses it to add control dependencies)."""
        return self

    def mark_used(self) -> None:
        """Does nothing (TensorFlow warns about unused arrays)."""

    def close(self, name=None) -> None:
        """Does nothing (elements are freed with the array)."""

    # --- helpers --------------------------------------------------------------------------
    def _copy(self, **changes) -> TensorArray:
        ta = object.__new__(TensorArray)
        ta.__dict__.update(self.__dict__)
        ta.__dict__.update(changes)
        ta._graph = _THREAD.graph
        ta._stale = None
        return ta

    def _current_size(self) -> int | None:
        return len(self._elements) if self._elements is not None else self._size

    def _check_fresh(self, api: str) -> None:
        if self._stale is not None and _THREAD.graph is self._graph:
            raise _buf.stale_error(api, self._description, self._stale)

    def _writable(self, api: str, index=0) -> TensorArray:
        """The array a write starts from: itself eagerly, else a copy to update (as a list
        while the index is known now), after noting a write from inside a nested graph."""
        self._check_fresh(api)
        if self._eager:
            return self
        graph = _THREAD.graph
        if graph is not self._graph and self._graph is not None:
            self._stale = graph.name  # an error if this array is used again where it lives
        if self._elements is not None and _static_int(index) is not None:
            return self._copy(_elements=list(self._elements))
        return self._buffered(api) if self._elements is not None else self

    def _readable(self, api: str, static_index: bool) -> TensorArray:
        self._check_fresh(api)
        if self._elements is not None and not self._eager and not static_index:
            return self._buffered(api)
        return self

    def _check_count(self, api: str, count: int) -> None:
        if self._size_given and not self._dynamic_size and self._size is not None \
                and count > self._size:
            raise ValueError(f"TensorArray.{api}: cannot make {count} elements in a "
                             f"TensorArray of static size {self._size}; give a larger size "
                             "or dynamic_size=True.")

    def _with_rows(self, api: str, rows: list, value) -> TensorArray:
        """The array with `rows` as its first elements (`value`: them stacked, if equal)."""
        size = max(len(rows), self._current_size())
        if self._elements is not None:
            self._elements = rows + self._elements[len(rows):]
            self._elements += [None] * (size - len(self._elements))
            return self
        if len(rows) < size:
            value = concat([value, zeros([size - len(rows)] + value.shape[1:].as_list(),
                                         self._dtype)], 0)
        return self._copy(_size=size, _buffer=value, _make_buffer=None)

    def _check_value(self, api: str, value):
        if hasattr(value, "_read"):
            value = value.read_value()
        elif not isinstance(value, Tensor):
            value = convert_to_tensor(value, self._dtype)
        if value.dtype is not self._dtype:
            raise DTypeError(f"TensorArray.{api}: got a {value.dtype.name} value for a "
                             f"TensorArray of {self._dtype.name}. Cast it with "
                             f"engine.cast(value, engine.{self._dtype.name}).")
        return value

    def _check_element(self, api: str, value):
        value = self._check_value(api, value)
        self._merge_shape(api, value.shape)
        return value

    def _merge_shape(self, api: str, shape: TensorShape) -> None:
        if not self._infer_shape and self._elements is not None:
            return  # elements may differ in shape
        if not self._element_shape.is_compatible_with(shape):
            hint = ("" if self._infer_shape else " A traced array whose index is known only "
                    "when the graph runs, or that a while_loop carries, keeps its elements in "
                    "one tensor, so they need one shape even with infer_shape=False.")
            raise ShapeError(f"TensorArray.{api}: got an element of shape {shape}; the array "
                             f"holds elements of shape {self._element_shape}. Every element "
                             "must have the same shape (pass infer_shape=False to let them "
                             "differ)." + hint)
        if self._buffer is None or self._buffer.shape.rank is None:
            # once a buffer of known rank exists, its shape is the element shape
            self._element_shape = self._element_shape.merge_with(shape)

    def _known_shape(self, api: str) -> list:
        if not self._element_shape.is_fully_defined():
            raise ValueError(f"TensorArray.{api}: the element shape is unknown "
                             f"({self._element_shape}); write an element first or pass "
                             "element_shape= when creating the TensorArray.")
        return self._element_shape.as_list()

    def _zeros_element(self, api: str) -> Tensor:
        return zeros(self._known_shape(api), self._dtype)

    def _list_index(self, api: str, index, grow: bool = False) -> int:
        i = _static_int(index)
        if i is None or i < 0:
            raise InvalidIndexError(f"TensorArray.{api}: index must be a non-negative int; got "
                                    f"{index!r}.")
        if i >= len(self._elements):
            if not (grow and self._dynamic_size):
                raise InvalidIndexError(
                    f"TensorArray.{api}: index {i} is out of range for a TensorArray of size "
                    f"{len(self._elements)}" + ("; give a larger size or dynamic_size=True."
                                                if grow else "."))
            self._elements += [None] * (i + 1 - len(self._elements))
        return i
