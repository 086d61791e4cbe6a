"""The vjps of max and average pooling, shared by the 2-D and 3-D pooling ops.

An average pool is linear: its gradient op spreads each window's gradient over the window,
and that op's own gradient is the average pool again. A max pool's gradient sends each
window's gradient to its first maximum: it is linear in `grad`, and the argmax positions
are piecewise constant in the other inputs. The gradient's gradient (a gather at each first
maximum) is its adjoint, so each differentiates into the other, to any order.
"""

from __future__ import annotations

from engine.dispatch import dispatch
from engine.ops.shape_tensors import shape_of_tensor

__all__ = ["max_pool_vjps", "avg_pool_vjps"]


def max_pool_vjps(ops: dict) -> tuple:
    """`(pool_vjp, grad_vjp, grad_grad_vjp)` for a max pool, its gradient op and that
    gradient's gradient op.

    Args:
        ops: `{"grad": OpDef, "grad_grad": OpDef}`, filled in once those ops are
            registered (the vjps look them up when they run).

    Returns:
        Three vjp functions `(ctx, g) -> input gradients`.
    """

    def pool(ctx, g):
        return (dispatch(ops["grad"], (ctx.inputs[0], ctx.outputs[0], g), ctx.attrs),)

    def grad(ctx, g):
        x, y, _ = ctx.inputs
        return None, None, dispatch(ops["grad_grad"], (x, y, g), ctx.attrs)

    def grad_grad(ctx, g):
        x, y, _ = ctx.inputs
        return None, None, dispatch(ops["grad"], (x, y, g), ctx.attrs)

    return pool, grad, grad_grad


def avg_pool_vjps(ops: dict, rank: int) -> tuple:
    """`(pool_vjp, grad_vjp)` for an average pool of inputs of `rank` and its gradient op.

    Args:
        ops: `{"pool": OpDef, "grad": OpDef}`, filled in once those ops are registered.
        rank: the inputs' rank (4 for 2-D pooling, 5 for 3-D).

    Returns:
        Two vjp functions `(ctx, g) -> input gradients`.
    """

    def pool(ctx, g):
        known, runtime = shape_of_tensor(ctx.inputs[0], rank)
        attrs = dict(ctx.attrs, orig_input_shape=known)
        return (dispatch(ops["grad"], (g,) if runtime is None else (g, runtime), attrs),)

    def grad(ctx, g):
        # The gradient op is the adjoint of the linear map AvgPool, so its adjoint is AvgPool.
        attrs = {k: v for k, v in ctx.attrs.items() if k != "orig_input_shape"}
        return (dispatch(ops["pool"], (g,), attrs),) + (None,) * (len(ctx.inputs) - 1)

    return pool, grad
