"""`SumToShape`: the sum that undoes broadcasting, with the summed axes decided at run time.

The gradient of a broadcasting op (`x * y`, `where`, `matmul`'s batch axes) with respect
to an input is the upstream gradient summed over the axes along which that input was
broadcast. `GradientTape` decides those axes from the static shapes whenever it can (then
the gradient is a plain `Sum`, or nothing at all). Inside `engine.function` an input of
shape `(None, 3)` may be `(1, 3)` or `(4, 3)` when the graph runs; tracing cannot tell
whether it was broadcast, so the tape adds one `SumToShape(grad, shape(x))` node, which
decides when the graph runs, as TensorFlow's `BroadcastGradientArgs` + `Sum` + `Reshape`
do.

The kernel sums `input` over its leading axes and over the axes where the target size is
1 and the input's is not, giving exactly the target shape. Its gradient broadcasts the
upstream gradient back to the input's shape, so second-order gradients work.
"""

from __future__ import annotations

from engine import dtypes as _dt
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import shape_tensors as _st
from engine.ops.reduce_ops import _sum_kernel
from engine.registry import NUMERIC, OpDef, register
from engine.tensor_shape import TensorSpec

__all__: list[str] = []


def _sum_to_shape_infer(x, shape, dims=None):
    _inf.check_dtype("sum_to_shape", x, NUMERIC)
    if shape.dtype not in (_dt.int32, _dt.int64) or shape.shape.rank not in (None, 1):
        raise ShapeError(f"sum_to_shape: shape is a {shape.dtype.name} tensor of shape "
                         f"{shape.shape}; expected a 1-D int32 or int64 tensor such as "
                         "engine.shape(x).")
    if dims is None:  # nothing known but the target's length, if that
        length = shape.shape[0] if shape.shape.rank == 1 else None
        dims = None if length is None else (None,) * length
    if dims is not None and x.shape.rank is not None and len(dims) > x.shape.rank:
        raise ShapeError(f"sum_to_shape: got an input of shape {x.shape} and a target of rank "
                         f"{len(dims)}; expected a target of at most the input's rank (the "
                         "shape of a tensor that broadcasts to the input).")
    return TensorSpec(dims, x.dtype)


def _sum_to_shape_kernel(xp, x, shape, dims=None):
    target = _st.run_time_ints("sum_to_shape", "SumToShape", "shape", shape, dims)
    if x.shape == target:
        return x
    lead = x.ndim - len(target)
    fits = lead >= 0 and all(d in (1, n) for d, n in zip(target, x.shape[lead:]))
    if not fits:
        raise InvalidArgumentError(
            f"sum_to_shape: got an input of shape {x.shape} and the target shape "
            f"{list(target)}; expected a target that broadcasts to the input's shape.",
            op="SumToShape")
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target)
                                      if d == 1 and x.shape[lead + i] != 1)
    return _sum_kernel(xp, x, axis=axes, keepdims=True).reshape(target)


def _sum_to_shape_vjp(ctx, g):
    x = ctx.inputs[0]
    dims = x._value.shape
    if dims is not None and None not in dims:
        return _a.broadcast_to(g, tuple(dims)), None
    return _a.broadcast_to(g, _a.shape(x)), None


_SUM_TO_SHAPE = register(OpDef(
    "sum_to_shape", "SumToShape", ("input", "shape"), _sum_to_shape_infer,
    _sum_to_shape_kernel, vjp=_sum_to_shape_vjp, attrs={"dims": None}, dtypes=NUMERIC,
    same_dtype=(0,),
    doc="Sums input over the axes along which a tensor of `shape` was broadcast to it "
        "(leading axes, and axes where shape is 1): the gradient of a broadcasting op with "
        "respect to an input whose size is known only when the graph runs. The attr dims "
        "holds what tracing knew of shape."))
