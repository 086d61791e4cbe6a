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
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.custom_grad import custom_gradient
from engine.errors import DTypeError, InvalidIndexError, ShapeError
from engine.graph.ir import SymbolicTensor
from engine.ops.array_ops import expand_dims, reshape, shape
from engine.ops.fill_ops import zeros
from engine.ops.gather_ops import gather, tensor_scatter_nd_update
from engine.ops.join_ops import concat, stack, unstack
from engine.ops.math_ops import cast, maximum
from engine.ops.reduce_ops import reduce_max
from engine.ops.sequence_ops import range as range_
from engine.ops.shape_tensors import is_symbolic, known_int
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["TensorArray"]


class TensorArray:
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
        tensor_array_name: accepted for TensorFlow compatibility.
        handle: accepted for TensorFlow compatibility (must be None).
        flow: accepted for TensorFlow compatibility (must be None).
        infer_shape: accepted for TensorFlow compatibility (element shapes are always
            checked against each other).
        element_shape: the shape of each element, if known upfront.
        colocate_with_first_write_call: accepted for TensorFlow compatibility.
        name: accepted for TensorFlow compatibility.

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
        self._size_given = size is not None
        self._eager = context.executing_eagerly()
        # _size: an int, or None while the size is known only when the graph runs (always
        # for a traced dynamic array); then _size_tensor holds it until a buffer exists
        # (whose first dimension it is after).
        self._size, self._size_tensor = _initial_size(size, self._eager, self._dynamic_size)
        self._elements = [None] * self._size if self._eager else None
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
        if self._eager or self._size is not None:
            return convert_to_tensor(self._current_size(), _dt.int32)
        if self._buffer is None and self._make_buffer is None:
            return self._size_tensor
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
        value = self._check_element("write", value)
        if self._eager:
            self._elements[self._eager_index("write", index, grow=True)] = value
            return self
        i = _static_int(index)
        if i is not None and i < 0:
            raise InvalidIndexError(f"TensorArray.write: index must be non-negative; got {i}.")
        if self._dynamic_size:
            ta = self._grown_at_run_time("write", index)
        elif i is not None and self._size is not None and i >= self._size:
            raise self._out_of_range("write", i)
        elif i is None and self._size == 0:
            raise ValueError("TensorArray.write: the index is known only when the graph runs, "
                             "and the array has static size 0. Give the size upfront "
                             "(engine.TensorArray(dtype, size=n)) or pass dynamic_size=True.")
        else:
            ta = self
        buffer = ta._ensure_buffer("write")
        indices = [[i]] if i is not None else reshape(index, (1, 1))
        return ta._copy(_buffer=tensor_scatter_nd_update(buffer, indices,
                                                         expand_dims(value, 0)))

    def unstack(self, value, name=None) -> TensorArray:
        """Makes the rows of `value` (along axis 0) the elements.

        Args:
            value: a tensor of rank at least 1.
            name: ignored.

        Returns:
            The updated TensorArray.
        """
        value = self._check_value("unstack", value)
        if not value.shape.rank:
            raise ShapeError(f"TensorArray.unstack: value has shape {value.shape}; expected "
                             "rank >= 1.")
        rows = value.shape[0]
        self._merge_shape("unstack", value.shape[1:])
        if rows is None or self._size is None:  # tracing, a size known only at run time
            return self._unstack_at_run_time(value)
        if self._size_given and not self._dynamic_size and rows > self._size:
            raise ValueError(f"TensorArray.unstack: cannot unstack {rows} rows into a "
                             f"TensorArray of static size {self._size}; give a larger size "
                             "or dynamic_size=True.")
        size = max(rows, self._current_size())
        if self._eager:
            self._elements = list(unstack(value)) + self._elements[rows:]
            self._elements += [None] * (size - len(self._elements))
            return self
        if rows < size:
            value = concat([value, zeros([size - rows] + value.shape[1:].as_list(),
                                         self._dtype)], 0)
        return self._copy(_size=size, _buffer=value, _make_buffer=None)

    def scatter(self, indices, value, name=None) -> TensorArray:
        """Stores the rows of `value` at `indices`.

        Args:
            indices: a list or 1-D int tensor, one index per row of `value`.
            value: a tensor whose first dimension matches `indices`.
            name: ignored.

        Returns:
            The updated TensorArray.
        """
        value = self._check_value("scatter", value)
        self._merge_shape("scatter", value.shape[1:])
        static = _static_ints(indices)
        if self._eager:
            for i, row in zip(static, unstack(value)):
                self.write(i, row)
            return self
        ta = self
        if self._dynamic_size and static != []:
            last = max(static) if static is not None else reduce_max(indices)
            ta = self._grown_at_run_time("scatter", last)
        elif self._size is not None and static and max(static) >= self._size:
            raise self._out_of_range("scatter", max(static))
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
        if self._eager:
            value = self._elements[self._eager_index("read", index)]
            return value if value is not None else self._zeros_element("read")
        i = _static_int(index)
        if i is not None and self._size is not None and not 0 <= i < self._size:
            raise InvalidIndexError(f"TensorArray.read: index {i} is out of range for a "
                                    f"TensorArray of size {self._size}.")
        return gather(self._ensure_buffer("read"), index if i is None else i)

    def gather(self, indices, name=None) -> Tensor:
        """The elements at `indices`, stacked.

        Args:
            indices: a list or 1-D int tensor.
            name: ignored.

        Returns:
            A tensor of shape `(len(indices), *element_shape)`.
        """
        if self._eager:
            return stack([self.read(i) for i in _static_ints(indices)])
        return gather(self._ensure_buffer("gather"), indices)

    def stack(self, name=None) -> Tensor:
        """All elements stacked into one tensor of shape `(size, *element_shape)`.

        Returns:
            A tensor.
        """
        if not self._eager:
            return self._ensure_buffer("stack")
        if not self._elements:
            return zeros([0] + self._known_shape("stack"), self._dtype)
        return stack([v if v is not None else self._zeros_element("stack")
                      for v in self._elements])

    def concat(self, name=None) -> Tensor:
        """All elements joined along their first axis.

        Returns:
            A tensor of shape `(sum of the elements' first dimensions, ...)`.
        """
        if self._eager:
            if not self._elements:
                return zeros([0] + self._known_shape("concat")[1:], self._dtype)
            return concat([self.read(i) for i in range(len(self._elements))], 0)
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

    # --- while_loop and cond (see control_flow) -------------------------------------------
    def _loop_buffer(self):
        """The array as one tensor, or None while its element shape is unknown."""
        if self._eager:
            known = any(v is not None for v in self._elements)
            return self.stack() if known or self._element_shape.is_fully_defined() else None
        if self._buffer is None and not self._element_shape.is_fully_defined():
            return None
        return self._ensure_buffer("stack")

    def _with_buffer(self, buffer) -> TensorArray:
        """A traced TensorArray over `buffer` (a loop variable or a node's output)."""
        dims = buffer.shape.dims
        size = dims[0] if dims else self._current_size()  # None: known only at run time
        size = None if self._dynamic_size else size
        return self._copy(_eager=False, _elements=None, _buffer=buffer, _make_buffer=None,
                          _size=size, _element_shape=TensorShape(dims[1:] if dims else None))

    def _deferred(self, make_buffer) -> TensorArray:
        """A traced TensorArray whose buffer `make_buffer(spec)` makes on first need."""
        size = None if self._dynamic_size else self._current_size()
        return self._copy(_eager=False, _elements=None, _buffer=None,
                          _make_buffer=make_buffer, _size=size)

    def _loop_spec(self, buffer) -> TensorSpec:
        """The spec a loop carries `buffer` under: a dynamic array's length may change."""
        dims = buffer.shape.dims
        if self._dynamic_size and dims:
            return TensorSpec([None] + dims[1:], buffer.dtype)
        return TensorSpec(buffer.shape, buffer.dtype)

    def _initial_buffer(self, spec: TensorSpec):
        """The buffer before a loop whose body first wrote the array (`spec` tells how)."""
        size = spec.shape[0]
        if size is None:
            size = self._size_tensor if self._size_tensor is not None else self._current_size()
        return zeros([size] + spec.shape[1:].as_list(), spec.dtype)

    # --- helpers --------------------------------------------------------------------------
    def _copy(self, **changes) -> TensorArray:
        ta = object.__new__(TensorArray)
        ta.__dict__.update(self.__dict__)
        ta.__dict__.update(changes)
        return ta

    def _current_size(self) -> int | None:
        return len(self._elements) if self._eager else self._size

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
        if not self._element_shape.is_compatible_with(shape):
            raise ShapeError(f"TensorArray.{api}: got an element of shape {shape}; the array "
                             f"holds elements of shape {self._element_shape}. Every element "
                             "must have the same shape.")
        if self._buffer is None:  # once a buffer exists, its shape is the element shape
            self._element_shape = self._element_shape.merge_with(shape)

    def _known_shape(self, api: str) -> list:
        if not self._element_shape.is_fully_defined():
            raise ValueError(f"TensorArray.{api}: the element shape is unknown "
                             f"({self._element_shape}); write an element first or pass "
                             "element_shape= when creating the TensorArray.")
        return self._element_shape.as_list()

    def _zeros_element(self, api: str) -> Tensor:
        return zeros(self._known_shape(api), self._dtype)

    def _ensure_buffer(self, api: str):
        if self._buffer is None:
            dims = [self._size] + self._known_shape(api)
            if self._make_buffer is not None:
                self._buffer = self._make_buffer(TensorSpec(dims, self._dtype))
                self._make_buffer = None
            else:
                size = self._size if self._size is not None else self._size_tensor
                self._buffer = zeros([size] + dims[1:], self._dtype)
        return self._buffer

    def _out_of_range(self, api: str, index: int) -> InvalidIndexError:
        return InvalidIndexError(f"TensorArray.{api}: index {index} is out of range for a "
                                 f"TensorArray of size {self._size}; give a larger size or "
                                 "dynamic_size=True.")

    def _grown_at_run_time(self, api: str, last) -> TensorArray:
        """A traced array of run-time size, grown when the graph runs to hold index `last`."""
        buffer = self._ensure_buffer(api)
        size = maximum(last + 1, shape(buffer)[0])
        return self._copy(_buffer=_padded_rows(buffer, size))

    def _unstack_at_run_time(self, value) -> TensorArray:
        """`unstack` while the rows or the size are known only when the graph runs: the rows,
        followed by zeros up to the size."""
        size = maximum(self.size(), shape(value)[0])
        return self._copy(_size=None, _buffer=_padded_rows(value, size),
                          _make_buffer=None)

    def _eager_index(self, api: str, index, grow: bool = False) -> int:
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


@custom_gradient
def _padded_rows(rows, size):
    """`rows` followed by zero rows up to `size` (>= their number; both known at run time).

    A scatter, not a concat (whose gradient would need static sizes). The gradient is the
    first rows of the incoming one, found from the number of rows (a scalar): a
    while_loop's backward pass keeps per iteration what it reads, which must have one
    shape in every iteration, as a growing `rows` (or the scatter's indices) has not.
    """
    count = shape(rows)[0]
    where = expand_dims(range_(count), 1)  # (rows, 1)
    padded = tensor_scatter_nd_update(zeros(concat([expand_dims(size, 0), shape(rows)[1:]], 0),
                                            rows.dtype), where, rows)

    def grad(upstream):
        return gather(upstream, range_(count)), None

    return padded, grad


def _initial_size(size, eager: bool, dynamic: bool) -> tuple:
    """`(int, None)` for a size known now, `(None, int32 scalar tensor)` for one known only
    when the graph runs (while tracing, always for a dynamic array)."""
    if size is None:
        size = 0
    value = _static_int(size)
    if value is None and is_symbolic(size) and not eager:
        if size.dtype not in (_dt.int32, _dt.int64) or size.shape.rank not in (None, 0):
            raise ValueError(f"TensorArray: size is a {size.dtype.name} tensor of shape "
                             f"{size.shape}; expected a scalar int32 or int64 tensor.")
        value = known_int(size)
        if value is None:
            return None, cast(size, _dt.int32)
    if value is None or value < 0:
        raise ValueError(f"TensorArray: size must be a non-negative int or scalar int tensor; "
                         f"got {size!r}.")
    if dynamic and not eager:
        return None, convert_to_tensor(value, _dt.int32)
    return value, None


def _static_int(value) -> int | None:
    """`value` as a Python int, or None when it is known only when a graph runs."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, SymbolicTensor) or hasattr(value, "_read"):
        return None
    if isinstance(value, Tensor) and value.shape.rank == 0 and value.dtype.is_integer:
        return int(value._value)
    return None


def _static_ints(values) -> list | None:
    if isinstance(values, (list, tuple)):
        ints = [_static_int(v) for v in values]
        return None if None in ints else ints
    if isinstance(values, np.ndarray) or (isinstance(values, Tensor) and not isinstance(
            values, SymbolicTensor)):
        return [int(v) for v in np.asarray(values).ravel()]
    return None
