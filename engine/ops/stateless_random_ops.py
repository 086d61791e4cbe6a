"""Stateless random numbers: the same seed gives the same numbers, always.

`stateless_normal(shape, seed=[1, 2])` is a pure function of its arguments: the seed
(two integers, a list or an int tensor of shape [2]) is hashed into a Philox key, and the
numbers are drawn on the host and copied to the op's device, so they are the same on
every platform and device. Use these where a computation must be repeatable: a traced
function, a data pipeline, a gradient check. `engine.random.experimental.stateless_split`
derives new seeds from a seed. Inside `engine.function` a shape (or `num_samples`) may hold
sizes known only when the graph runs (`shape_inputs`).

This module also holds the helpers the stateful ops and `Generator` share: turning
`mean`/`stddev` and `minval`/`maxval` into engine ops, so that their gradients flow.
"""

from __future__ import annotations

import operator

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor, to_array
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops import random_kernels as _k
from engine.ops import static_args as _sa
from engine.ops.join_ops import stack
from engine.ops.shape_tensors import known_int, shape_argument
from engine.registry import FLOAT, INTEGER
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape

__all__ = [
    "stateless_normal", "stateless_uniform", "stateless_truncated_normal",
    "stateless_categorical", "stateless_gamma", "stateless_poisson", "stateless_split",
    "stateless_fold_in",
]

_S = _k.STATELESS
_NORMAL = _k.make_op(_S, _k.NORMAL, "stateless_random_normal", "StatelessRandomNormal",
                     "Standard normal numbers from a seed of shape [2].")
_UNIFORM = _k.make_op(_S, _k.UNIFORM, "stateless_random_uniform", "StatelessRandomUniform",
                      "Uniform numbers in [0, 1) from a seed of shape [2].")
_UNIFORM_INT = _k.make_op(_S, _k.UNIFORM_INT, "stateless_random_uniform_int",
                          "StatelessRandomUniformInt",
                          "Uniform integers in [minval, maxval) from a seed of shape [2].")
_FULL_INT = _k.make_op(_S, _k.FULL_INT, "stateless_random_uniform_full_int",
                       "StatelessRandomUniformFullInt",
                       "Integers over the dtype's whole range from a seed of shape [2].")
_TRUNCATED = _k.make_op(_S, _k.TRUNCATED_NORMAL, "stateless_truncated_normal",
                        "StatelessTruncatedNormal",
                        "Standard normal numbers within 2 of 0 from a seed of shape [2].")
_MULTINOMIAL = _k.make_op(_S, _k.MULTINOMIAL, "stateless_multinomial", "StatelessMultinomial",
                          "Class indices drawn from logits, from a seed of shape [2].")
_GAMMA = _k.make_op(_S, _k.GAMMA, "stateless_random_gamma", "StatelessRandomGammaV2",
                    "Gamma(alpha, 1) numbers from a seed of shape [2].")
_POISSON = _k.make_op(_S, _k.POISSON, "stateless_random_poisson", "StatelessRandomPoisson",
                      "Poisson(lam) counts from a seed of shape [2].")
_UNIFORM_DTYPES = FLOAT | INTEGER


# --- helpers shared with random_ops and random_generator ------------------------------------
def shape_attr(shape, op: str) -> tuple:
    """A shape argument (list, TensorShape, int tensor) as a tuple of ints >= 0."""
    try:
        return _k.check_shape(op, _sa.static_shape(shape, op))
    except TypeError:
        if isinstance(shape, TensorShape) and shape.rank is not None:
            raise TypeError(f"{op}: got shape {shape}, whose None sizes are known only when "
                            "a graph runs; expected a list of ints. Pass engine.shape(x), a "
                            "tensor, instead of x.shape.") from None
        raise


def shape_inputs(shape, op: str) -> tuple:
    """A shape argument as `(attr, inputs)`: the `shape` attr and the node's extra inputs.

    Eagerly, and whenever tracing knows every size, the shape is the attr alone (`inputs`
    is empty). Inside `engine.function` it may hold sizes known only when the graph runs
    (`[engine.shape(x)[0], 3]`, `engine.shape(x)`): the attr keeps the known sizes
    (`(None, 3)`) and `inputs` holds the shape as a 1-D integer tensor.
    """
    try:
        return shape_attr(shape, op), ()
    except TracingError:  # a symbolic size: its value exists only when the graph runs
        dims, runtime = shape_argument(op, shape)
        dims = _k.check_shape(op, dims)
        return dims, (() if runtime is None else (runtime,))


def count_inputs(count, op: str, what: str) -> tuple:
    """A count argument (`num_samples`) as `(attr, inputs)`, like `shape_inputs`."""
    try:
        return operator.index(count), ()
    except TracingError:
        known = known_int(count)
        if known is not None:
            return known, ()
        if count.dtype not in _k.INDEX_DTYPES or count.shape.rank not in (None, 0):
            raise DTypeError(f"{op}: {what} is a {count.dtype.name} tensor of shape "
                             f"{count.shape}; expected an int32 or int64 scalar.") from None
        return None, (count,)


def as_input(value, dtype: _dt.DType):
    """`value` as an op input of `dtype`: tensors pass through, numbers become arrays."""
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        return value
    return to_array(value, dtype)


def _is_number(value, number) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == number


def scale_and_shift(x, scale, shift):
    """`x * scale + shift` as engine ops, skipping a multiply by 1 and an add of 0."""
    dtype = x.dtype
    if not _is_number(scale, 1):
        x = _m.multiply(x, as_input(scale, dtype))
    if not _is_number(shift, 0):
        x = _m.add(x, as_input(shift, dtype))
    return x


def to_range(x, minval, maxval):
    """Maps uniform numbers in [0, 1) to [minval, maxval) with engine ops."""
    numbers = (int, float)
    if isinstance(minval, numbers) and isinstance(maxval, numbers):
        return scale_and_shift(x, maxval - minval, minval)
    lo = as_input(minval, x.dtype)
    return _m.add(_m.multiply(x, _m.subtract(as_input(maxval, x.dtype), lo)), lo)


def check_uniform(op: str, dtype, minval, maxval, full_range_ok: bool):
    """Validates `uniform`'s dtype and bounds; returns (dtype, maxval) with float defaults.

    Raises:
        DTypeError: for a dtype that is neither floating nor integer.
        ValueError: for an integer dtype without `maxval`.
    """
    dtype = _k.check_dtype(op, dtype, _UNIFORM_DTYPES)
    if dtype.is_integer:
        if full_range_ok and (minval is None) != (maxval is None):
            raise ValueError(f"{op}: for integer dtype {dtype.name}, give both minval and "
                             f"maxval, or neither (the full range); got minval={minval!r} "
                             f"and maxval={maxval!r}.")
        if maxval is None and not full_range_ok:
            raise ValueError(f"{op}: integer dtype {dtype.name} needs maxval (the excluded "
                             f"upper bound), e.g. {op}([3], maxval=10, dtype=engine."
                             f"{dtype.name}).")
    elif maxval is None:
        maxval = 1
    if minval is None and not (dtype.is_integer and full_range_ok):
        raise ValueError(f"{op}: minval is None; expected a number or tensor (the included "
                         "lower bound).")
    return dtype, maxval


def check_alg(alg, op: str) -> None:
    """Accepts the Philox algorithm by any of TensorFlow's names."""
    if alg is None:
        return
    name = getattr(alg, "name", alg)
    if str(name).lower() in ("philox", "auto_select", "1", "3"):
        return
    if str(name).lower() in ("threefry", "2"):
        raise InvalidArgumentError(f"{op}: alg={alg!r} is not available; eagerlab implements "
                                   "the Philox algorithm only. Use alg='philox' or "
                                   "'auto_select'.")
    raise ValueError(f"{op}: unknown alg {alg!r}; expected 'philox', 'auto_select' or "
                     "'threefry'.")


def _seed(seed):
    return seed if isinstance(seed, Tensor) or hasattr(seed, "_read") else to_array(seed)


# --- public functions -----------------------------------------------------------------------
def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None,
                     alg="auto_select"):
    """Normal numbers that depend only on `seed`: the same seed gives the same numbers.

    Args:
        shape: the output shape (list of ints or 1-D int tensor).
        seed: two integers (list or int32/int64 tensor of shape [2]).
        mean, stddev: numbers or tensors broadcastable to `shape` (gradients flow to them).
        dtype: a floating dtype.
        name: ignored in eager mode.
        alg: 'philox' or 'auto_select' (the same thing here).

    Returns:
        A tensor of `shape` and `dtype`.

    Raises:
        ShapeError: if `seed` does not have shape [2].

    Example:
        >>> a = engine.random.stateless_normal([2], seed=[1, 2])
        >>> b = engine.random.stateless_normal([2], seed=[1, 2])
        >>> bool(engine.reduce_all(a == b))
        True
    """
    check_alg(alg, "stateless_normal")
    shape, sizes = shape_inputs(shape, "stateless_normal")
    attrs = {"shape": shape, "dtype": _k.check_dtype("stateless_normal", dtype, FLOAT)}
    return scale_and_shift(dispatch(_NORMAL, (_seed(seed),) + sizes, attrs), stddev, mean)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32,
                               name=None, alg="auto_select"):
    """Normal numbers within 2 stddev of `mean` (others re-drawn) that depend only on `seed`.

    Args:
        shape: the output shape (list of ints or 1-D int tensor).
        seed: two integers (list or int32/int64 tensor of shape [2]).
        mean, stddev: numbers or tensors broadcastable to `shape` (gradients flow to them).
        dtype: a floating dtype.
        name: ignored in eager mode.
        alg: 'philox' or 'auto_select' (the same thing here).

    Returns:
        A tensor of `shape` and `dtype`.

    Raises:
        ShapeError: if `seed` does not have shape [2].

    Example:
        >>> x = engine.random.stateless_truncated_normal([1000], seed=[3, 4])
        >>> bool(engine.reduce_max(engine.abs(x)) <= 2.0)
        True
    """
    check_alg(alg, "stateless_truncated_normal")
    shape, sizes = shape_inputs(shape, "stateless_truncated_normal")
    attrs = {"shape": shape,
             "dtype": _k.check_dtype("stateless_truncated_normal", dtype, FLOAT)}
    return scale_and_shift(dispatch(_TRUNCATED, (_seed(seed),) + sizes, attrs), stddev, mean)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None,
                      alg="auto_select"):
    """Uniform numbers in [minval, maxval) that depend only on `seed`.

    Args:
        shape: the output shape.
        seed: two integers (list or int tensor of shape [2]).
        minval, maxval: the bounds; maxval defaults to 1 for floats. Integer dtypes need
            both, or both None for integers over the dtype's whole range.
        dtype: a floating or integer dtype.
        name: ignored in eager mode.
        alg: 'philox' or 'auto_select'.

    Returns:
        A tensor of `shape` and `dtype`.

    Raises:
        ValueError: for an integer dtype with only one of minval and maxval.
        InvalidArgumentError: for integers with minval >= maxval.

    Example:
        >>> engine.random.stateless_uniform([3], [1, 2], maxval=10, dtype=engine.int32).shape
        TensorShape([3])
    """
    check_alg(alg, "stateless_uniform")
    dtype, maxval = check_uniform("stateless_uniform", dtype, minval, maxval, True)
    shape, sizes = shape_inputs(shape, "stateless_uniform")
    if dtype.is_integer and minval is None:
        return dispatch(_FULL_INT, (_seed(seed),) + sizes, {"shape": shape, "dtype": dtype})
    if dtype.is_integer:
        bounds = (as_input(minval, dtype), as_input(maxval, dtype))
        return dispatch(_UNIFORM_INT, (_seed(seed),) + bounds + sizes, {"shape": shape})
    rnd = dispatch(_UNIFORM, (_seed(seed),) + sizes, {"shape": shape, "dtype": dtype})
    return to_range(rnd, minval, maxval)


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    """Class indices drawn from unnormalized log-probabilities; depends only on `seed`.

    Args:
        logits: (batch, num_classes) floating tensor of unnormalized log-probabilities.
        num_samples: how many indices to draw per row.
        seed: two integers (list or int tensor of shape [2]).
        dtype: int32 or int64 (default).
        name: ignored in eager mode.

    Returns:
        A (batch, num_samples) tensor of class indices.

    Example:
        >>> engine.random.stateless_categorical([[0.0, 0.0]], 5, seed=[7, 8]).shape
        TensorShape([1, 5])
    """
    dtype = _k.check_dtype("stateless_categorical", dtype or _dt.int64, _k.INDEX_DTYPES)
    count, sizes = count_inputs(num_samples, "stateless_categorical", "num_samples")
    attrs = {"num_samples": count, "output_dtype": dtype}
    return dispatch(_MULTINOMIAL, (_seed(seed), logits) + sizes, attrs)


def _param_of_dtype(op: str, what: str, value, dtype):
    """`value` as a tensor of `dtype`; a tensor of another dtype is refused, as in TF."""
    given = getattr(value, "dtype", None)
    if isinstance(given, _dt.DType) and given is not dtype:
        raise DTypeError(f"{op}: got {what} of dtype {given.name} with dtype={dtype.name}; "
                         f"expected {what} of the dtype of the samples. Pass "
                         f"dtype=engine.{given.name}, or cast {what} with "
                         f"engine.cast({what}, engine.{dtype.name}).")
    return convert_to_tensor(value, dtype)


def gamma_params(op: str, alpha, beta, dtype):
    """`alpha` broadcast against `beta` (None: 1), both as tensors of `dtype`."""
    dtype = _k.check_dtype(op, dtype, FLOAT)
    alpha = _param_of_dtype(op, "alpha", alpha, dtype)
    if beta is None:
        return alpha, None
    beta = _param_of_dtype(op, "beta", beta, dtype)
    shape = np.broadcast_shapes(tuple(alpha.shape), tuple(beta.shape))
    if tuple(alpha.shape) != shape:
        alpha = _a.broadcast_to(alpha, shape)
    return alpha, beta


def gamma_scale(sample, beta):
    """`max(tiny, sample / beta)`: a rate `beta`, kept positive as TensorFlow does."""
    if beta is not None:
        sample = _m.divide(sample, beta)
    # bfloat16 shares float32's exponent range, so its smallest normal number too.
    tiny = np.finfo(np.float32 if sample.dtype is _dt.bfloat16 else sample.dtype._np).tiny
    return _m.maximum(sample, float(tiny))


def stateless_gamma(shape, seed, alpha, beta=None, dtype=_dt.float32, name=None):
    """Gamma(alpha, beta) numbers (beta is a rate) that depend only on `seed`.

    As in TensorFlow, `shape` is the whole output shape and ends with the shape of the
    parameters (`broadcast(alpha, beta)`); unlike `engine.random.gamma`, which appends it.

    Args:
        shape: the output shape (list of ints or 1-D int tensor), ending with the
            parameters' broadcast shape.
        seed: two integers (list or int32/int64 tensor of shape [2]).
        alpha: the concentration (> 0), a number or tensor.
        beta: the rate (default 1); gradients flow to it.
        dtype: a floating dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of `dtype` and shape `shape`.

    Raises:
        DTypeError: for a non-floating dtype.
        ShapeError: if `seed` does not have shape [2], or `shape` does not end with the
            parameters' shape.

    Example:
        >>> engine.random.stateless_gamma([10, 2], [1, 2], alpha=[0.5, 1.5]).shape
        TensorShape([10, 2])
    """
    alpha, beta = gamma_params("stateless_gamma", alpha, beta, dtype)
    shape, sizes = _leading(shape_inputs(shape, "stateless_gamma"), alpha.shape,
                            "stateless_gamma", "broadcast(alpha, beta)")
    sample = dispatch(_GAMMA, (_seed(seed), alpha) + sizes, {"shape": shape})
    return gamma_scale(sample, beta)


def _leading(shape_and_sizes: tuple, params, op: str, what: str) -> tuple:
    """`shape_inputs`'s `(attr, inputs)` without the trailing dimensions that the
    parameters' shape `params` fills (the kernels append it), checked against it."""
    dims, sizes = shape_and_sizes
    if params.rank is None:
        raise ShapeError(f"{op}: the rank of {what} is unknown; the output shape must end "
                         "with its shape. Give the parameters a known rank.")
    params = params.as_list()
    lead = len(dims) - len(params)
    tail = dims[lead:] if lead >= 0 else ()
    if lead < 0 or any(d is not None and p is not None and d != p
                       for d, p in zip(tail, params)):
        raise ShapeError(f"{op}: the shape {list(dims)} must end with the shape of "
                         f"{what}, {params}, as in TensorFlow (the parameters give the "
                         "trailing dimensions). Pass shape=[..., "
                         f"{', '.join(map(str, params))}] or reshape the parameters.")
    return tuple(dims[:lead]), tuple(s[:lead] for s in sizes)


def stateless_poisson(shape, seed, lam, dtype=_dt.int32, name=None):
    """Poisson(lam) counts that depend only on `seed`, of shape `shape`.

    As in TensorFlow, `shape` is the whole output shape and ends with `lam`'s shape
    (unlike `engine.random.poisson`, which appends it).

    Args:
        shape: the output shape (list of ints or 1-D int tensor), ending with `lam`'s.
        seed: two integers (list or int32/int64 tensor of shape [2]).
        lam: the rate (>= 0), a number or tensor.
        dtype: int32, int64 or a floating dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of `dtype` (no gradient).

    Raises:
        DTypeError: for another dtype.
        ShapeError: if `seed` does not have shape [2], or `shape` does not end with
            `lam`'s shape.

    Example:
        >>> engine.random.stateless_poisson([4], [1, 2], lam=3.0).dtype
        engine.int32
    """
    lam = lam if isinstance(lam, Tensor) else convert_to_tensor(lam)
    shape, sizes = _leading(shape_inputs(shape, "stateless_poisson"), lam.shape,
                            "stateless_poisson", "lam")
    attrs = {"shape": shape,
             "dtype": _k.check_dtype("stateless_poisson", dtype, _k.POISSON_DTYPES)}
    return dispatch(_POISSON, (_seed(seed), lam) + sizes, attrs)


def stateless_split(seed, num=2, alg="auto_select"):
    """Derives `num` new seeds from `seed`: a (num, 2) tensor of seed.dtype.

    Args:
        seed: two integers (list or int32/int64 tensor of shape [2]).
        num: how many seeds to make.
        alg: 'philox' or 'auto_select' (the same thing here).

    Returns:
        A `(num, 2)` tensor; iterate over it for the seeds.

    Example:
        >>> first, second = engine.random.experimental.stateless_split([1, 2])
        >>> first.shape
        TensorShape([2])
    """
    check_alg(alg, "stateless_split")
    seed = _seed(seed)
    dtype = _dt.as_dtype(seed.dtype)
    if not dtype.is_integer:
        raise DTypeError(f"stateless_split: seed has dtype {dtype.name}; expected int32 or "
                         "int64.")
    shape, sizes = shape_inputs([num, 2], "stateless_split")
    return dispatch(_FULL_INT, (seed,) + sizes, {"shape": shape, "dtype": dtype})


def stateless_fold_in(seed, data, alg="auto_select"):
    """A new seed from `seed` and an integer `data` (e.g. a step or worker index).

    Args:
        seed: two integers (list or int32/int64 tensor of shape [2]).
        data: an integer to mix in.
        alg: 'philox' or 'auto_select' (the same thing here).

    Returns:
        A new seed: a shape-[2] tensor of `seed`'s dtype.

    Example:
        >>> engine.random.experimental.stateless_fold_in([1, 2], 5).shape
        TensorShape([2])
    """
    check_alg(alg, "stateless_fold_in")
    data = convert_to_tensor(data)
    if not data.dtype.is_integer:
        raise DTypeError(f"stateless_fold_in: data has dtype {data.dtype.name}; expected an "
                         "integer.")
    mixed = dispatch(_FULL_INT, (_seed(seed),), {"shape": (), "dtype": data.dtype})
    return stack([mixed, data])
