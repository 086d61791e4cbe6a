"""What `engine.TensorArray` builds on: sizes and indices, the traced buffer, element lists.

An array keeps its elements one of two ways (see `engine.graph.tensor_array`): a Python
list of tensors (eagerly, and while tracing an array of elements of different shapes) or
one *buffer* tensor of shape `(size, *element_shape)` (while tracing). The functions here
convert between them, grow a buffer whose size is known only when the graph runs, and
explain what went wrong in the words of the array's user.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.custom_grad import custom_gradient
from engine.errors import InvalidIndexError, ShapeError
from engine.graph.ir import SymbolicTensor
from engine.ops.array_ops import expand_dims, reshape, shape
from engine.ops.fill_ops import zeros
from engine.ops.gather_ops import gather, tensor_scatter_nd_update
from engine.ops.join_ops import concat, stack
from engine.ops.math_ops import cast, maximum
from engine.ops.sequence_ops import range as range_
from engine.ops.shape_tensors import is_symbolic, known_int
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = []  # helpers of engine.graph.tensor_array only

_THREAD = context.THREAD


@custom_gradient
def padded_rows(rows, size):
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


def stack_elements(api: str, elements: list) -> Tensor:
    """The elements (tensors of one shape) stacked along a new first axis.

    Raises:
        ShapeError: when two elements' shapes differ (an array made with infer_shape=False).
    """
    check_one_shape(api, elements)
    return stack(elements)


def check_one_shape(api: str, elements: list) -> None:
    """Raises ShapeError unless the elements (None: not written) have one shape."""
    shapes = [(k, e.shape) for k, e in enumerate(elements) if e is not None]
    for k, other in shapes[1:]:
        if not shapes[0][1].is_compatible_with(other):
            raise ShapeError(f"TensorArray.{api}: element {shapes[0][0]} has shape "
                             f"{shapes[0][1]} and element {k} has shape {other}; stacking "
                             "needs elements of one shape. Use concat() to join elements "
                             "along their first axis, or write elements of one shape.")


def concat_elements(api: str, elements: list) -> Tensor:
    """The elements joined along their first axis (their other dimensions must agree)."""
    for k, e in enumerate(elements):
        if e.shape.rank == 0:
            raise ShapeError(f"TensorArray.{api}: element {k} is a scalar; concat needs "
                             "elements of rank >= 1 (use stack for scalars).")
    return concat(elements, 0)


def split_lengths(value, lengths) -> tuple[list | None, int]:
    """`(lengths as ints or None, their number)` for `TensorArray.split`, checked."""
    if isinstance(lengths, (list, tuple, np.ndarray)) or (
            isinstance(lengths, Tensor) and not isinstance(lengths, SymbolicTensor)):
        ints = [int(n) for n in np.asarray(lengths).ravel()]
        if any(n < 0 for n in ints):
            raise ValueError(f"TensorArray.split: lengths must be non-negative; got {ints}.")
        rows = value.shape[0] if value.shape.rank else None
        if rows is not None and sum(ints) != rows:
            raise ShapeError(f"TensorArray.split: lengths {ints} sum to {sum(ints)}, but value "
                             f"has {rows} rows (shape {value.shape}); the lengths must add "
                             "up to value's first dimension.")
        return ints, len(ints)
    count = lengths.shape[0] if lengths.shape.rank == 1 else None
    if count is None or not lengths.dtype.is_integer:
        raise ValueError(f"TensorArray.split: lengths is a {lengths.dtype.name} tensor of "
                         f"shape {lengths.shape}; expected a 1-D int tensor of known length "
                         "(or a list of ints).")
    return None, count


def stale_error(api: str, description: str, where: str) -> Exception:
    """The error for using an array whose write inside a loop or branch was thrown away."""
    from engine.errors import TracingError  # noqa: PLC0415 - only on this error path

    return TracingError(
        f"TensorArray.{api}: {description} was written inside {where!r} (a loop body or "
        "branch), but the TensorArray that write returned was not used. While tracing, "
        "TensorArray methods do not change the array; they return the updated one. Write "
        "`ta = ta.write(i, x)` (likewise for scatter, unstack and split) so that the loop "
        "carries the writes.")


def initial_size(size, eager: bool, dynamic: bool) -> tuple:
    """`(int, None)` for a size known now, `(None, int32 scalar tensor)` for one known only
    when the graph runs (while tracing, always for a dynamic array)."""
    if size is None:
        size = 0
    value = static_int(size)
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


def static_int(value) -> int | None:
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


def static_ints(values) -> list | None:
    """`values` (a list or 1-D tensor) as Python ints, or None if known only at run time."""
    if isinstance(values, (list, tuple)):
        ints = [static_int(v) for v in values]
        return None if None in ints else ints
    if isinstance(values, np.ndarray) or (isinstance(values, Tensor) and not isinstance(
            values, SymbolicTensor)):
        return [int(v) for v in np.asarray(values).ravel()]
    return None


def empty_stack(element_shape: TensorShape, dtype, api: str) -> Tensor:
    """What `stack` (or `concat`) of an array with no elements returns: shape
    `(0, *element_shape)` (`concat`: `(0, *element_shape[1:])`) when the element shape is
    known, else `(0,)`, as TensorFlow does."""
    if not element_shape.is_fully_defined():
        return zeros([0], dtype)
    dims = element_shape.as_list()
    return zeros([0] + (dims[1:] if api == "concat" else dims), dtype)


class BufferMixin:
    """`TensorArray`'s methods on its traced buffer: growing it at run time, and how
    `while_loop` and `cond` (`engine.graph.control_flow`) carry it."""

    def _loop_buffer(self):
        """The array as one tensor, or None while its element shape is unknown."""
        self._check_fresh("stack")
        if self._elements is not None:
            known = any(v is not None for v in self._elements)
            return self.stack() if known or self._element_shape.is_fully_defined() else None
        if self._buffer is None and not self._element_shape.is_fully_defined():
            return None
        buffer = self._ensure_buffer("stack")
        if buffer.shape.rank is None and self._element_shape.is_fully_defined():
            # a loop variable made before the first write (see `_settled_spec`)
            buffer = reshape(buffer, [-1] + self._element_shape.as_list())
        return buffer

    def _with_buffer(self, buffer) -> BufferMixin:
        """A traced TensorArray over `buffer` (a loop variable or a node's output)."""
        dims = buffer.shape.dims
        size = dims[0] if dims else self._current_size()  # None: known only at run time
        size = None if self._dynamic_size else size
        element_shape = TensorShape(dims[1:] if dims else None)
        if dims is None:  # a buffer of unknown rank: the elements' shape is still what it was
            element_shape = self._element_shape
        return self._copy(_eager=False, _elements=None, _buffer=buffer, _make_buffer=None,
                          _size=size, _element_shape=element_shape)

    def _deferred(self, make_buffer) -> BufferMixin:
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

    def _settled_spec(self, spec: TensorSpec, placeholder, out) -> TensorSpec:
        """The loop spec once the body has run: a body that asked for the size before its
        first write made the loop variable with an unknown rank; the buffer the body
        returns tells the rank, and the loop variable takes that more precise shape."""
        if spec.shape.rank is not None:
            return spec
        if out is None or out.shape.rank is None:
            raise ValueError("while_loop: the body asks a TensorArray of unknown element shape "
                             "for its size but never writes to it; pass element_shape= when "
                             "creating it.")
        settled = self._loop_spec(out)
        placeholder._value.shape = tuple(settled.shape.dims)
        placeholder._node.attrs["shape"] = settled.shape.dims
        return settled

    def _out_of_range(self, api: str, index: int) -> InvalidIndexError:
        return InvalidIndexError(f"TensorArray.{api}: index {index} is out of range for a "
                                 f"TensorArray of size {self._size}; give a larger size or "
                                 "dynamic_size=True.")

    def _grown_at_run_time(self, api: str, last) -> BufferMixin:
        """A traced array of run-time size, grown when the graph runs to hold index `last`."""
        buffer = self._ensure_buffer(api)
        size = maximum(last + 1, shape(buffer)[0])
        return self._copy(_buffer=padded_rows(buffer, size))

    def _unstack_at_run_time(self, value) -> BufferMixin:
        """`unstack` while the rows or the size are known only when the graph runs: the rows,
        followed by zeros up to the size."""
        size = maximum(self.size(), shape(value)[0])
        return self._copy(_size=None, _buffer=padded_rows(value, size),
                          _make_buffer=None)

    def _buffered(self, api: str) -> BufferMixin:
        """A traced list of elements as a buffer (the elements must have one shape)."""
        if not self._elements:
            return self._copy(_elements=None, _size=0)
        buffer = stack_elements(api, [v if v is not None else self._zeros_element(api)
                                           for v in self._elements])
        return self._with_buffer(buffer)

    def _ensure_buffer(self, api: str):
        if self._buffer is not None:
            return self._buffer
        dims = [self._size] + self._known_shape(api)
        if self._make_buffer is not None:
            self._buffer = self._make_buffer(TensorSpec(dims, self._dtype))
            self._make_buffer = None
            return self._buffer
        size = self._size if self._size is not None else self._size_tensor
        buffer = zeros([size] + dims[1:], self._dtype)
        if _THREAD.graph is self._graph:  # kept only where this array lives
            self._buffer = buffer
        return buffer
