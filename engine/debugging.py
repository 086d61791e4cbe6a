"""`engine.debugging`: numeric checks and assertions.

`check_numerics(t, message)` raises if `t` holds NaN or Inf; `enable_check_numerics()`
checks the output of every op and names the op (and name scope) that first produced one.
TensorFlow 2's assertions (`assert_equal`, `assert_rank`, `assert_shapes`, `Assert`, ...)
are here too, see `engine.ops.assert_ops`: eagerly they raise at once, traced they check
what tracing knows and add nodes that check values when the graph runs.
"""

from __future__ import annotations

from engine import context
from engine.debugging_more import *  # noqa: F403 - assert_scalar, traceback and placement
from engine.debugging_more import __all__ as _more
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError
from engine.ops import assert_ops as _assert_ops
from engine.ops import infer as _inf
from engine.ops.assert_ops import *  # noqa: F403 - tf.debugging.assert_*, Assert, is_*
from engine.registry import INEXACT, OpDef, register

__all__ = ["check_numerics", "enable_check_numerics", "disable_check_numerics",
           *_assert_ops.__all__, *_more]


def _check_kernel(xp, x, message=""):
    if not bool(xp.isfinite(x).all()):
        nans = int(xp.isnan(x).sum())
        infs = int(xp.isinf(x).sum())
        raise InvalidArgumentError(f"check_numerics: {message}: tensor of shape "
                                   f"{tuple(x.shape)} has {nans} NaN and {infs} Inf values.",
                                   op="CheckNumerics")
    return x


_CHECK = register(OpDef(
    "check_numerics", "CheckNumerics", ("tensor",),
    lambda x, message="": (_inf.check_dtype("check_numerics", x, INEXACT) or x),
    _check_kernel, vjp=lambda ctx, g: (g,), attrs={"message": ""}, dtypes=INEXACT,
    doc="Raises InvalidArgumentError if the tensor has NaN or Inf; passes it through."))


def check_numerics(tensor, message: str, name=None):
    """Returns `tensor`, or raises `InvalidArgumentError` if it holds NaN or Inf.

    Args:
        tensor: a floating tensor.
        message: a prefix for the error message, to say which tensor failed.
        name: ignored in eager mode.

    Returns:
        `tensor`'s value; the gradient passes through unchanged.

    Raises:
        InvalidArgumentError: if `tensor` holds NaN or Inf.
        DTypeError: if `tensor` is not floating or complex.

    Example:
        >>> engine.debugging.check_numerics(engine.constant([1.0]), "ok").numpy()
        array([1.], dtype=float32)
        >>> engine.debugging.check_numerics(engine.constant([1.0, np.nan]), "logits")
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: check_numerics: logits: ... has 1 NaN and 0 Inf values.
    """
    return dispatch(_CHECK, (tensor,), {"message": str(message)})


def enable_check_numerics(stack_height_limit=30, path_length_limit=50) -> None:
    """Checks every floating output of every op from now on (slower).

    The error names the op, its raw-op name and the name scope (layer path) it ran in.

    Args:
        stack_height_limit: accepted for TensorFlow parity; ignored.
        path_length_limit: accepted for TensorFlow parity; ignored.

    Example:
        >>> engine.debugging.enable_check_numerics()
        >>> engine.constant([np.nan]) * 2.0
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: check_numerics: multiply (Mul) produced NaN or Inf ...
        >>> engine.debugging.disable_check_numerics()
    """
    if not context.GLOBAL.check_numerics:
        context.GLOBAL.check_numerics = True
        context.enter_slow()


def disable_check_numerics() -> None:
    """Turns `enable_check_numerics` off.

    Example:
        >>> engine.debugging.enable_check_numerics()
        >>> engine.debugging.disable_check_numerics()
        >>> (engine.constant([np.nan]) * 2.0).numpy()
        array([nan], dtype=float32)
    """
    if context.GLOBAL.check_numerics:
        context.GLOBAL.check_numerics = False
        context.exit_slow()
