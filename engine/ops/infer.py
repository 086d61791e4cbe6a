"""Shape and dtype inference helpers shared by the op families.

They work on `TensorSpec`s whose shapes may contain unknown dimensions (None) or have
unknown rank, and raise `ShapeError` / `DTypeError` naming the op, what was given, what
was expected, and how to fix it.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.errors import DTypeError, ShapeError
from engine.tensor_shape import TensorShape, TensorSpec


def spec(shape, dtype) -> TensorSpec:
    """Shorthand for `TensorSpec(shape, dtype)`."""
    return TensorSpec(shape, dtype)


def check_dtype(op: str, s: TensorSpec, allowed, what: str = "input") -> None:
    """Raises DTypeError unless `s.dtype` is in `allowed` (None allows all)."""
    if allowed is not None and s.dtype not in allowed:
        names = ", ".join(sorted(d.name for d in allowed))
        raise DTypeError(f"{op}: got {what} of dtype {s.dtype.name}; expected one of: {names}. "
                         "Cast it with engine.cast.")


def same_dtype(op: str, *specs: TensorSpec) -> _dt.DType:
    """The common dtype of `specs`; DTypeError if they differ."""
    first = specs[0].dtype
    for s in specs[1:]:
        if s.dtype is not first:
            from engine.dispatch import cast_target  # noqa: PLC0415 - one rule for hints

            target = cast_target(first, s.dtype)
            other = s.dtype if target is first else first
            raise DTypeError(f"{op}: got dtypes {first.name} and {s.dtype.name}; expected the "
                             f"same dtype. Cast the {other.name} input with "
                             f"engine.cast(x, engine.{target.name}).")
    return first


def broadcast_shapes(op: str, *shapes: TensorShape) -> TensorShape:
    """NumPy broadcasting on shapes with unknown dimensions."""
    if any(s.rank is None for s in shapes):
        return TensorShape(None)
    rank = max(s.rank for s in shapes)
    out = []
    for axis in range(rank):
        dims = [s[s.rank - rank + axis] if s.rank - rank + axis >= 0 else 1 for s in shapes]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            given = " and ".join(str(s) for s in shapes)
            raise ShapeError(f"{op}: got shapes {given}; expected shapes that broadcast "
                             f"(dimension {axis - rank} is {sorted(known)}). Reshape or "
                             "expand_dims one input so the sizes match or are 1.")
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return TensorShape(out)


def elementwise(op: str, allowed=None, out_dtype=None):
    """An `infer` for elementwise ops: broadcast shapes, one shared dtype."""

    def infer(*specs, **attrs):
        dtype = same_dtype(op, *specs)
        check_dtype(op, specs[0], allowed)
        shape = broadcast_shapes(op, *(s.shape for s in specs))
        return TensorSpec(shape, out_dtype if out_dtype is not None else dtype)

    return infer


def normalize_axis(op: str, axis: int, rank: int | None) -> int:
    """`axis` in [0, rank); ShapeError when out of range."""
    if rank is None:
        return axis
    if not -rank <= axis < max(rank, 1) or (rank == 0 and axis not in (0, -1)):
        raise ShapeError(f"{op}: axis {axis} is out of range for a tensor of rank {rank}; "
                         f"expected -{rank} <= axis < {rank}.")
    return axis % rank if rank else 0


def normalize_axes(op: str, axis, rank: int | None):
    """A sorted tuple of non-negative axes (None: all axes)."""
    if axis is None:
        return None if rank is None else tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = tuple(sorted({normalize_axis(op, int(a), rank) for a in axes}))
    if len(out) != len(axes):
        raise ShapeError(f"{op}: axis {axis} repeats an axis.")
    return out


def reduced_shape(shape: TensorShape, axes, keepdims: bool) -> TensorShape:
    """The shape after reducing `axes` (None: all)."""
    if shape.rank is None:
        return TensorShape(None)
    if axes is None:
        axes = range(shape.rank)
    axes = set(axes)
    if keepdims:
        return TensorShape([1 if i in axes else d for i, d in enumerate(shape)])
    return TensorShape([d for i, d in enumerate(shape) if i not in axes])
