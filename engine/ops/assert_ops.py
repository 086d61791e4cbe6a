"""TensorFlow 2's assertions (`tf.debugging.assert_*`, `tf.debugging.Assert`) and checks.

Eagerly an assertion checks at once: None when it holds, else `InvalidArgumentError` (the
message, then the first failing indices and values). Inside `engine.function`, what tracing
knows is checked while tracing (dtypes: `DTypeError`; ranks and sizes: `ShapeError`, a
ValueError as in TensorFlow; values of constants), and value checks become `Assert` nodes:
stateful like `engine.print`, so they run in program order (before every op created after
them), are never pruned, and raise `InvalidArgumentError` naming the node and its line.

TensorFlow returns an op to pass to `tf.control_dependencies` inside functions. Here
stateful nodes already keep program order, so assertions return None in both modes
(`assert_all_finite` returns its input, as in TensorFlow) and `engine.control_dependencies`
skips None entries: `with engine.control_dependencies([engine.assert_equal(a, b)]):` ports
as it is.

The checks that never add an `Assert` node (dtypes, iterables, predicates) live in
`engine.ops.assert_checks` and are re-exported here, so `__all__` names every assertion.
"""

from __future__ import annotations

import sys

import numpy as np

from engine import context
from engine.convert import convert_to_tensor, tensor_or_variable
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.array_extras import get_static_value
from engine.ops.assert_checks import (
    assert_integer,
    assert_proper_iterable,
    assert_type,
    is_non_decreasing,
    is_numeric_tensor,
    is_strictly_increasing,
)
from engine.registry import BOOL, INEXACT, NUMERIC, OpDef, register
from engine.tensor import Tensor

__all__ = [
    "Assert", "assert_equal", "assert_none_equal", "assert_less", "assert_less_equal",
    "assert_greater", "assert_greater_equal", "assert_near", "assert_positive",
    "assert_negative", "assert_non_negative", "assert_non_positive", "assert_integer",
    "assert_type", "assert_rank", "assert_rank_at_least", "assert_rank_in", "assert_shapes",
    "assert_all_finite", "assert_proper_iterable", "is_numeric_tensor", "is_non_decreasing",
    "is_strictly_increasing",
]

_THREAD = context.THREAD


# --- the Assert op ---------------------------------------------------------------------------
# `condition` may be elementwise: the assertion holds when all of it is True. On failure the
# message is `header`; then, for each input named in `labels`, the first failing indices and
# the values there, and its first elements; then `template`'s lines (text, or the index of a
# data input to summarize).
def _assert_infer(condition, *data, summarize=3, header="", labels=(), template=()):
    _inf.check_dtype("Assert", condition, BOOL, "condition")
    return ()


def _assert_kernel(xp, condition, *data, summarize=3, header="", labels=(), template=()):
    if bool(xp.all(condition)):
        return ()
    host = [np.asarray(a) if xp is np else xp.asnumpy(a) for a in (condition, *data)]
    if not (header or labels or template):  # raw_ops.Assert: show every data input
        header, template = "Assert: condition is False. Data:", tuple(range(len(data)))
    raise InvalidArgumentError(_report(host[0], host[1:], summarize, header, labels, template),
                               op="Assert")


_ASSERT = register(OpDef(
    "assert", "Assert", ("condition", "*data"), _assert_infer, _assert_kernel,
    attrs={"summarize": 3, "header": "", "labels": (), "template": ()}, num_outputs=0,
    same_dtype=(), stateful=True,
    doc="Raises InvalidArgumentError, with the data summarized, unless condition is all True."))


def _text(a) -> str:
    return np.array2string(np.asarray(a), separator=" ", threshold=sys.maxsize,
                           max_line_width=sys.maxsize)


def _report(cond, data, summarize, header, labels, template) -> str:
    n = sys.maxsize if summarize < 0 else summarize
    lines = [header] if header else []
    if labels and cond.ndim:
        bad = np.argwhere(~cond)
        lines.append(f"Indices of first {min(n, len(bad))} of {len(bad)} failing values: "
                     f"{bad[:n].tolist()}")
        where = tuple(bad[:n].T)
        for label, a in zip(labels, data):
            lines.append(f"Corresponding {label} values: "
                         f"{_text(np.broadcast_to(a, cond.shape)[where])}")
    for label, a in zip(labels, data):
        flat = a.reshape(-1)
        lines.append(f"First {min(n, flat.size)} elements of {label}: {_text(flat[:n])}")
    for entry in template:
        if isinstance(entry, str):
            lines.append(entry)
        else:
            flat = data[entry].reshape(-1)
            lines.append(_text(flat[:n])[:-1] + (" ...]" if flat.size > n else "]")
                         if data[entry].ndim else _text(data[entry]))
    return "\n".join(lines)




def _summarize(summarize) -> int:
    return 3 if summarize is None else int(summarize)


def _header(message, text: str) -> str:
    return f"{message}\n{text}" if message else text


def _check(condition_fn, inputs: tuple, attrs: dict) -> None:
    """Asserts `condition_fn(*inputs)`; while tracing, at once when the inputs are known."""
    if _THREAD.graph is not None:
        known = [get_static_value(x) for x in inputs]
        if all(k is not None for k in known):
            from engine.graph.trace import init_scope  # noqa: PLC0415 - graph sits above ops

            with init_scope():
                return _check(condition_fn, tuple(known), attrs)
    dispatch(_ASSERT, (condition_fn(*inputs), *inputs), attrs)
    return None


# --- elementwise comparisons -----------------------------------------------------------------
def _elementwise(api: str, compare, symbol: str, good: str, bad: str, unary: bool = False):
    """`assert_*(x, y)` (or `assert_*(x)` against 0 when `unary`), with its docstring."""
    y_text = "0" if unary else "y"

    def run(inputs: tuple, condition, message, summarize) -> None:
        header = _header(message, f"Condition x {symbol} {y_text} did not hold ({api}).")
        _check(condition, inputs, {"summarize": _summarize(summarize), "header": header,
                                   "labels": ("x", "y")[:len(inputs)]})

    if unary:
        def check(x, message=None, summarize=None, name=None) -> None:
            x = tensor_or_variable(x)
            _inf.check_dtype(api, x, NUMERIC, "x")
            run((x,), lambda t: compare(t, 0), message, summarize)
    else:
        def check(x, y, message=None, summarize=None, name=None) -> None:
            run((x, y), compare, message, summarize)

    y_arg = "" if unary else "\n        y: a tensor of the same dtype, broadcastable with `x`."
    check.__name__ = check.__qualname__ = api
    check.__doc__ = f"""Asserts `x {symbol} {y_text}` element-wise; empty inputs pass.

    Args:
        x: a numeric tensor.{y_arg}
        message: text to put first in the error message.
        summarize: how many failing entries to show (default 3; -1: all).
        name: ignored.

    Raises:
        InvalidArgumentError: if it fails, showing the first failing indices and values.

    Example:
        >>> engine.debugging.{api}({good})
        >>> engine.debugging.{api}({bad})
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: Condition x {symbol} {y_text} did not hold ({api}).
        Indices of first 1 of 1 failing values: [[1]]
        ...
    """
    return check


assert_equal = _elementwise("assert_equal", _m.equal, "==", "[1, 2], [1, 2]", "[1, 2], [1, 9]")
assert_none_equal = _elementwise("assert_none_equal", _m.not_equal, "!=", "[1, 2], [3, 9]",
                                 "[1, 2], [3, 2]")
assert_less = _elementwise("assert_less", _m.less, "<", "[1, 2], [3, 3]", "[1, 2], [3, 2]")
assert_less_equal = _elementwise("assert_less_equal", _m.less_equal, "<=", "[1, 2], [1, 3]",
                                 "[1, 2], [1, 1]")
assert_greater = _elementwise("assert_greater", _m.greater, ">", "[1, 2], [0, 1]",
                              "[1, 2], [0, 2]")
assert_greater_equal = _elementwise("assert_greater_equal", _m.greater_equal, ">=",
                                    "[1, 2], [1, 2]", "[1, 2], [1, 3]")
assert_positive = _elementwise("assert_positive", _m.greater, ">", "[1, 2]", "[1, 0]", True)
assert_negative = _elementwise("assert_negative", _m.less, "<", "[-1, -2]", "[-1, 0]", True)
assert_non_negative = _elementwise("assert_non_negative", _m.greater_equal, ">=", "[0, 2]",
                                   "[0, -2]", True)
assert_non_positive = _elementwise("assert_non_positive", _m.less_equal, "<=", "[0, -2]",
                                   "[0, 2]", True)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None) -> None:
    """Asserts `|x - y| <= atol + rtol * |y|` element-wise.

    Args:
        x: a floating or complex tensor.
        y: a tensor of the same dtype, broadcastable with `x`.
        rtol: the relative tolerance (default: 10 * the dtype's machine epsilon).
        atol: the absolute tolerance (default: 10 * the dtype's machine epsilon).
        message: text to put first in the error message.
        summarize: how many failing entries to show (default 3; -1: all).
        name: ignored.

    Raises:
        InvalidArgumentError: if some pair is not close, showing the first failing ones.

    Example:
        >>> engine.debugging.assert_near(engine.constant([1.0]), [1.0 + 1e-7])
        >>> engine.debugging.assert_near(engine.constant([1.0]), [1.1], atol=0.01)
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: x and y not equal to tolerance rtol = ...
    """
    x = tensor_or_variable(x)
    _inf.check_dtype("assert_near", x, INEXACT, "x")
    eps = 10 * float(np.finfo(x.dtype.as_numpy_dtype).eps)
    rtol, atol = eps if rtol is None else rtol, eps if atol is None else atol
    header = _header(message, f"x and y not equal to tolerance rtol = {rtol}, atol = {atol} "
                              "(assert_near).")

    def close(a, b):
        a = tensor_or_variable(a)
        b = b if isinstance(b, Tensor) else convert_to_tensor(b, a.dtype)
        return _m.less_equal(_magnitude(_m.subtract(a, b)),
                             _m.add(atol, _m.multiply(rtol, _magnitude(b))))

    _check(close, (x, y), {"summarize": _summarize(summarize), "header": header,
                           "labels": ("x", "y")})


def _magnitude(t):
    if not t.dtype.is_complex:
        return _u.abs(t)
    return _u.sqrt(_m.add(_u.square(_m.real(t)), _u.square(_m.imag(t))))


def Assert(condition, data, summarize=None, name=None) -> None:  # noqa: N802 - TF's name
    """Raises `InvalidArgumentError` showing `data` when the scalar `condition` is False.

    Args:
        condition: a scalar boolean tensor (or Python bool).
        data: a list of tensors and strings to show when the condition is False.
        summarize: how many entries of each tensor to show (default 3; -1: all).
        name: ignored.

    Raises:
        InvalidArgumentError: if `condition` is False.

    Example:
        >>> x = engine.constant([1.0, 2.0])
        >>> engine.debugging.Assert(engine.reduce_max(x) < 5.0, ["x:", x])
        >>> engine.debugging.Assert(engine.reduce_max(x) < 2.0, ["x too large:", x])
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: Assert: condition is False. Data:
        x too large:
        [1. 2.]
    """
    condition = tensor_or_variable(condition)
    if condition.shape.rank not in (None, 0):
        raise ShapeError(f"Assert: got a condition of shape {condition.shape}; expected a "
                         "scalar. Reduce it first, e.g. engine.reduce_all(x > 0).")
    if _THREAD.graph is not None and get_static_value(condition) is not None and bool(
            get_static_value(condition)):
        return None  # known to hold while tracing
    tensors, template = _data_template(data, 0)
    dispatch(_ASSERT, (condition, *tensors), {
        "summarize": _summarize(summarize), "header": "Assert: condition is False. Data:",
        "template": tuple(template)})
    return None


# --- static checks: ranks and shapes (an Assert node checks what is known only at run time) --
def _rank_check(api: str, wanted: str, test, condition):
    def run(x, ranks: list, message) -> None:
        x = tensor_or_variable(x)
        known = [get_static_value(r) for r in ranks]
        text = wanted.format(", ".join("given" if k is None else str(int(k)) for k in known))
        if x.shape.rank is not None and all(k is not None for k in known):
            if not test(x.shape.rank, [int(k) for k in known]):
                raise ShapeError(_header(message, f"{api}: x must have rank {text}; got rank "
                                                  f"{x.shape.rank} (shape {x.shape})."))
            return
        actual = _a.size(_a.shape(x))
        holds = condition(actual, ranks[0])
        for r in ranks[1:]:
            holds = _m.logical_or(holds, condition(actual, r))
        dispatch(_ASSERT, (holds, actual), {
            "header": _header(message, f"{api}: x must have rank {text}."),
            "template": ("Got rank:", 0)})

    if api == "assert_rank_in":
        def check(x, ranks, message=None, name=None) -> None:
            run(x, list(ranks), message)
    else:
        def check(x, rank, message=None, name=None) -> None:
            run(x, [rank], message)

    arg = "ranks" if api == "assert_rank_in" else "rank"
    good, bad = ("[1, 2]", "(0, 1)") if api == "assert_rank_in" else ("2", "3")
    check.__name__ = check.__qualname__ = api
    check.__doc__ = f"""Asserts that `x` has rank {wanted.format(arg)}.

    Checked at once (or while tracing) when the ranks are known, else when the graph runs.

    Args:
        x: a tensor.
        {arg}: {"a list of ints or scalar integer tensors" if arg == "ranks" else
                 "an int or a scalar integer tensor"}.
        message: text to put first in the error message.
        name: ignored.

    Raises:
        ShapeError: (a ValueError) if the known rank fails.
        InvalidArgumentError: when the graph runs, if the rank known only then fails.

    Example:
        >>> engine.debugging.{api}(engine.zeros([2, 3]), {good})
        >>> engine.debugging.{api}(engine.zeros([2, 3]), {bad})
        Traceback (most recent call last):
        ...
        engine.errors.ShapeError: {api}: x must have rank ...; got rank 2 (shape (2, 3)).
    """
    return check


assert_rank = _rank_check("assert_rank", "{}", lambda r, ks: r == ks[0], _m.equal)
assert_rank_at_least = _rank_check("assert_rank_at_least", "at least {}",
                                   lambda r, ks: r >= ks[0], _m.greater_equal)
assert_rank_in = _rank_check("assert_rank_in", "in [{}]", lambda r, ks: r in ks, _m.equal)


def _size_entry(entry):
    """An explicit size (int), None for any size, or the entry itself: a symbol."""
    if entry is None or entry == ".":
        return None
    if isinstance(entry, (int, np.integer)) or (isinstance(entry, str)
                                                and entry.lstrip("-").isdigit()):
        return int(entry)
    return entry


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None) -> None:
    """Asserts tensors' shapes, naming sizes that must agree across tensors.

    A shape has one entry per dimension: an int (that size), None or "." (any size), or a
    name such as "N" (one size wherever it appears). A first entry `...` or "*" checks only
    the innermost dimensions. Scalars and empty shapes count as `(1,)`, as in TensorFlow.

    Args:
        shapes: a dict from tensor to shape, or a list of `(tensor, shape)` pairs.
        data: tensors and strings to show when a run-time check fails.
        summarize: how many entries of each of `data` to show (default 3; -1: all).
        message: text to put first in the error message.
        name: ignored.

    Raises:
        ShapeError: (a ValueError) when known sizes or ranks break a constraint.
        InvalidArgumentError: when the graph runs, for sizes known only then.

    Example:
        >>> x, y = engine.zeros([4, 3]), engine.zeros([4, 2])
        >>> engine.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", 2))])
        >>> engine.debugging.assert_shapes([(x, ("N", "Q")), (y, ("Q", ...))])
        Traceback (most recent call last):
        ...
        engine.errors.ShapeError: assert_shapes: tensor 1 (shape (4, 2)) dimension 0 must ...
    """
    pairs = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    pairs = [(x.deref() if hasattr(x, "deref") else x, spec) for x, spec in pairs]
    extra, template = _data_template(data or [], 2)
    attrs = {"summarize": _summarize(summarize), "template": ("Got size:", 0, "Expected:", 1,
                                                              *template)}
    sizes: dict = {}  # symbol -> (static size or None, size tensor, where it was set)
    for k, (x, spec) in enumerate(pairs):
        x, spec = tensor_or_variable(x), list(spec)
        inner = bool(spec) and (spec[0] is Ellipsis or spec[0] == "*")
        entries = spec[1:] if inner else (spec or [1])
        rank, n = x.shape.rank, len(entries)
        dims = [1] if rank == 0 else (None if rank is None else x.shape.as_list())
        what = f"tensor {k} (shape {x.shape})"
        if dims is None:
            (assert_rank_at_least if inner else assert_rank)(x, n, message)
        elif len(dims) < n or (len(dims) != n and not inner):
            raise ShapeError(_header(message, f"assert_shapes: {what} must have rank "
                                              f"{'at least ' * inner}{n} for {spec}."))
        for i, entry in enumerate(entries):
            axis, wanted = i - n if inner else i, _size_entry(entry)
            if wanted is None:
                continue
            static = None if dims is None else dims[axis]
            actual = static if static is not None else _a.shape(x)[axis]
            where = f"tensor {k} dimension {axis}"
            if not isinstance(wanted, int):
                if wanted not in sizes:
                    sizes[wanted] = (static, actual, where)
                    continue
                set_static, set_size, set_where = sizes[wanted]
                label, wanted = f"{entry!r} (set by {set_where})", set_size
            else:
                set_static, label = wanted, str(wanted)
            text = f"assert_shapes: {what} dimension {axis} must have size {label}"
            if static is not None and set_static is not None:
                if static != set_static:
                    raise ShapeError(_header(message, f"{text}; got {static}, expected "
                                                      f"{set_static}."))
                continue
            dispatch(_ASSERT, (_m.equal(actual, wanted), actual, wanted, *extra),
                     dict(attrs, header=_header(message, text + ".")))


def _data_template(items, offset: int) -> tuple[list, list]:
    tensors, template = [], []
    for item in items:
        if isinstance(item, (str, bytes)):
            template.append(item if isinstance(item, str) else item.decode())
        else:
            template.append(offset + len(tensors))
            tensors.append(item)
    return tensors, template


# --- finiteness ------------------------------------------------------------------------------
def assert_all_finite(x, message, name=None):
    """Returns `x`, or raises `InvalidArgumentError` if it holds NaN or Inf (`check_numerics`).

    Args:
        x: a floating tensor.
        message: text for the error message, to say which tensor failed.
        name: ignored.

    Returns:
        `x`'s value (the gradient passes through).

    Example:
        >>> engine.debugging.assert_all_finite(engine.constant([1.0]), "ok").numpy()
        array([1.], dtype=float32)
        >>> engine.debugging.assert_all_finite(engine.constant([np.inf]), "logits")
        Traceback (most recent call last):
        ...
        engine.errors.InvalidArgumentError: check_numerics: logits: ... has 0 NaN and 1 Inf values.
    """
    from engine import registry  # noqa: PLC0415 - CheckNumerics is registered by debugging

    return dispatch(registry.get("CheckNumerics"), (x,), {"message": str(message)})
