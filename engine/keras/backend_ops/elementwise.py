"""Keras 2 backend element-wise functions (`K.square`, `K.equal`, ...) over engine ops.

Most are one engine op; they are made from a table so that each row states the op, the
Keras 2 name and a checked example. Each works eagerly and inside `engine.function`.
"""

from __future__ import annotations

import math

import engine as _engine
from engine import convert_to_tensor
from engine import math as _math

__all__ = ["abs", "exp", "log", "sqrt", "square", "sign", "round", "sin", "cos", "tanh",
           "sigmoid", "softplus", "softsign", "hard_sigmoid", "equal", "not_equal",
           "greater", "greater_equal", "less", "less_equal", "maximum", "minimum", "pow",
           "clip", "cast"]

_UNARY_DOC = """{summary}

    Args:
        x: a tensor (or array, list, number).

    Returns:
        A tensor of the same shape.

    Example:
        >>> engine.keras.backend.{name}({given}).numpy().tolist()
        {result}
    """

_BINARY_DOC = """{summary}

    Args:
        x: a tensor.
        y: a tensor, broadcast against `x`.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> engine.keras.backend.{name}([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]).numpy().tolist()
        {result}
    """


def _unary(name: str, op, summary: str, given: str, result: str):
    def function(x):
        return op(x)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = _UNARY_DOC.format(summary=summary, name=name, given=given, result=result)
    return function


def _binary(name: str, op, summary: str, result: str):
    def function(x, y):
        return op(x, y)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = _BINARY_DOC.format(summary=summary, name=name, result=result)
    return function


def _sqrt(x):
    # Keras 2 clips negatives to 0 first, so sqrt never returns NaN.
    x = convert_to_tensor(x)
    return _math.sqrt(_engine.clip_by_value(x, 0.0, math.inf))


def _hard_sigmoid(x):
    # Keras 2's segment-wise linear approximation: clip(0.2 * x + 0.5, 0, 1).
    x = convert_to_tensor(x)
    return _engine.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


abs = _unary("abs", _math.abs, "Element-wise absolute value.", "[-1.5, 2.0]",  # noqa: A001
             "[1.5, 2.0]")
exp = _unary("exp", _math.exp, "Element-wise e ** x.", "[0.0]", "[1.0]")
log = _unary("log", _math.log, "Element-wise natural logarithm.", "[1.0]", "[0.0]")
sqrt = _unary("sqrt", _sqrt, "Element-wise square root (negative values count as 0).",
              "[4.0, -1.0]", "[2.0, 0.0]")
square = _unary("square", _math.square, "Element-wise square.", "[-3.0]", "[9.0]")
sign = _unary("sign", _math.sign, "Element-wise sign: -1, 0 or 1.", "[-2.0, 0.0, 5.0]",
              "[-1.0, 0.0, 1.0]")
round = _unary("round", _math.round,  # noqa: A001
               "Element-wise rounding to the nearest integer (halves to even).",
               "[0.5, 1.5, 2.7]", "[0.0, 2.0, 3.0]")
sin = _unary("sin", _math.sin, "Element-wise sine.", "[0.0]", "[0.0]")
cos = _unary("cos", _math.cos, "Element-wise cosine.", "[0.0]", "[1.0]")
tanh = _unary("tanh", _math.tanh, "Element-wise hyperbolic tangent.", "[0.0]", "[0.0]")
sigmoid = _unary("sigmoid", _math.sigmoid, "Element-wise logistic sigmoid.",
                 "[0.0]", "[0.5]")
softplus = _unary("softplus", _math.softplus, "Element-wise log(1 + exp(x)).", "[0.0]",
                  "[0.6931471824645996]")
softsign = _unary("softsign", _math.softsign, "Element-wise x / (1 + |x|).", "[1.0, -3.0]",
                  "[0.5, -0.75]")
hard_sigmoid = _unary("hard_sigmoid", _hard_sigmoid,
                      "Keras 2's hard sigmoid: clip(0.2 * x + 0.5, 0, 1).", "[-3.0, 0.0, 1.0]",
                      "[0.0, 0.5, 0.699999988079071]")

equal = _binary("equal", _math.equal, "Element-wise x == y.", "[False, True, False]")
not_equal = _binary("not_equal", _math.not_equal, "Element-wise x != y.",
                    "[True, False, True]")
greater = _binary("greater", _math.greater, "Element-wise x > y.", "[False, False, True]")
greater_equal = _binary("greater_equal", _math.greater_equal, "Element-wise x >= y.",
                        "[False, True, True]")
less = _binary("less", _math.less, "Element-wise x < y.", "[True, False, False]")
less_equal = _binary("less_equal", _math.less_equal, "Element-wise x <= y.",
                     "[True, True, False]")
maximum = _binary("maximum", _math.maximum, "Element-wise maximum.", "[2.0, 2.0, 3.0]")
minimum = _binary("minimum", _math.minimum, "Element-wise minimum.", "[1.0, 2.0, 2.0]")


def pow(x, a):  # noqa: A001 - Keras 2's name
    """Element-wise x ** a.

    Args:
        x: a tensor.
        a: the exponent (a number or tensor).

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.pow([2.0, 3.0], 2).numpy().tolist()
        [4.0, 9.0]
    """
    x = convert_to_tensor(x)
    return _math.pow(x, _engine.cast(a, x.dtype))


def clip(x, min_value, max_value):
    """Element-wise clipping to [min_value, max_value] (Keras 2 rules for the bounds).

    A `max_value` below `min_value` is raised to `min_value`; None bounds are open.

    Args:
        x: a tensor.
        min_value: the lower bound (None: -inf).
        max_value: the upper bound (None: +inf).

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.clip([-2.0, 0.5, 3.0], 0.0, 1.0).numpy().tolist()
        [0.0, 0.5, 1.0]
    """
    min_value = -math.inf if min_value is None else min_value
    max_value = math.inf if max_value is None else max_value
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        max_value = max(max_value, min_value)
    x = convert_to_tensor(x)
    return _engine.clip_by_value(x, _engine.cast(min_value, x.dtype),
                                  _engine.cast(max_value, x.dtype))


def cast(x, dtype):
    """`x` converted to `dtype` (e.g. "float32", "int32", "bool").

    Args:
        x: a tensor.
        dtype: the target dtype (a string or engine dtype).

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.cast([1.7, -1.7], "int32").numpy().tolist()
        [1, -1]
    """
    return _engine.cast(x, dtype)
