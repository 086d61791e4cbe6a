"""The vjps of max pooling, shared by the 2-D and 3-D pooling ops.

A max pool's gradient sends each window's gradient to its first maximum: it is linear in
`grad`, and the argmax positions are piecewise constant in the other inputs. The
gradient's gradient (a gather at each first maximum) is its adjoint, so each
differentiates into the other, to any order.
"""

from __future__ import annotations

from engine.dispatch import dispatch

__all__ = ["max_pool_vjps"]


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
