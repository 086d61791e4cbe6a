"""More stateless random functions, and TF 2.15's `split` / `fold_in` names.

`stateless_binomial`, `stateless_parameterized_truncated_normal`, `split`, `fold_in`.

`StatelessRandomBinomial` is a registered op drawn on the host from the seed's Philox key
(like the other stateless ops in `engine.ops.stateless_random_ops`). The parameterized
truncated normal is a composite: a stateless uniform u pushed through the normal quantile,
z = ndtri(Phi(a) + u (Phi(b) - Phi(a))), computed on the side of zero where Phi keeps its
precision, so gradients reach the means, stddevs and bounds.
"""

from __future__ import annotations

import math

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError
from engine.ops import math_ops as _m
from engine.ops import random_kernels as _k
from engine.ops import unary_ops as _u
from engine.ops.clip_ops import clip_by_value
from engine.ops.gather_ops import gather
from engine.ops.random_ops import experimental as _experimental
from engine.ops.select_ops import where
from engine.ops.shape_ops import shape as _shape
from engine.ops.sort_ops import argsort
from engine.ops.special_more import erfc
from engine.ops.special_ops import ndtri
from engine.ops.stateless_random_ops import (
    _seed,
    shape_inputs,
    stateless_fold_in,
    stateless_split,
    stateless_uniform,
)
from engine.registry import FLOAT
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["stateless_binomial", "stateless_parameterized_truncated_normal", "split",
           "fold_in"]

_BINOMIAL_DTYPES = FLOAT | {_dt.int32, _dt.int64}


def _draw_binomial(gen, counts, probs, shape=(), dtype=_dt.int32):
    shape = tuple(shape)
    n = np.broadcast_to(counts, shape).astype(np.float64)
    p = np.broadcast_to(probs, shape).astype(np.float64)
    if np.any(n < 0) or np.any(np.isnan(n)) or np.any(n != np.floor(n)):
        raise InvalidArgumentError("stateless_binomial: counts must be whole numbers >= 0; "
                                   "got a negative, fractional or NaN count.")
    if np.any(~((p >= 0) & (p <= 1))):
        raise InvalidArgumentError("stateless_binomial: probs must lie in [0, 1]; got a value "
                                   "outside (or NaN).")
    out = gen.binomial(n.astype(np.int64), p, size=shape)
    return np.asarray(out).astype(_dt.as_dtype(dtype)._np, copy=False)


def _infer_binomial(op, counts, probs, shape=(), dtype=_dt.int32):
    _k.check_dtype(op, counts.dtype, _BINOMIAL_DTYPES, "counts of dtype")
    dims = _k.check_shape(op, shape)
    out = TensorShape(dims)
    for param, what in ((counts, "counts"), (probs, "probs")):
        if out.rank is not None and param.shape.rank is not None:
            try:
                TensorShape(np.broadcast_shapes(
                    tuple(1 if d is None else d for d in param.shape.as_list()),
                    tuple(1 if d is None else d for d in out.as_list())))
            except ValueError:
                raise InvalidArgumentError(
                    f"{op}: {what} of shape {param.shape} does not broadcast to shape "
                    f"{list(dims)}; expected it to match the shape's rightmost dimensions."
                ) from None
    return TensorSpec(out, _k.check_dtype(op, dtype, _BINOMIAL_DTYPES, "output_dtype"))


_BINOMIAL = _k.make_op(
    _k.STATELESS, _k.Sampler("binomial", _draw_binomial, _infer_binomial, ("counts", "probs"),
                             (("shape", ()), ("dtype", _dt.int32))),
    "stateless_random_binomial", "StatelessRandomBinomial",
    "Binomial(counts, probs) counts from a seed of shape [2].")


def stateless_binomial(shape, seed, counts, probs, output_dtype=_dt.int32, name=None):
    """Binomial draws (successes in `counts` trials of probability `probs`) from a seed.

    Args:
        shape: the output shape; `counts` and `probs` broadcast to it.
        seed: two integers (list or int32/int64 tensor of shape [2]).
        counts: numbers of trials (whole numbers >= 0).
        probs: success probabilities in [0, 1].
        output_dtype: int32, int64 or a floating dtype.
        name: ignored in eager mode.

    Returns:
        A tensor of `shape` and `output_dtype` (no gradient).

    Raises:
        InvalidArgumentError: for negative counts or probabilities outside [0, 1].

    Example:
        >>> engine.random.stateless_binomial([3], [1, 2], counts=10, probs=0.0).numpy()
        array([0, 0, 0], dtype=int32)
    """
    probs = probs if isinstance(probs, Tensor) else convert_to_tensor(probs, _dt.float32)
    if not (probs.dtype.is_floating):
        raise DTypeError(f"stateless_binomial: probs has dtype {probs.dtype.name}; expected a "
                         "floating dtype.")
    counts = _m.cast(convert_to_tensor(counts), probs.dtype)
    dims, sizes = shape_inputs(shape, "stateless_binomial")
    attrs = {"shape": dims, "dtype": _dt.as_dtype(output_dtype)}
    return dispatch(_BINOMIAL, (_seed(seed), counts, probs) + sizes, attrs)


def _normal_cdf(z):
    return _m.multiply(0.5, erfc(_m.multiply(z, -1 / math.sqrt(2))))


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0,
                                             minvals=-2.0, maxvals=2.0, name=None):
    """Normal draws limited to [minvals, maxvals], from a seed (parameters broadcast).

    Args:
        shape: the output shape.
        seed: two integers (list or int32/int64 tensor of shape [2]).
        means, stddevs: the untruncated normal's parameters (stddevs > 0).
        minvals, maxvals: the bounds (minvals < maxvals).
        name: ignored in eager mode.

    Returns:
        A float tensor of `shape` (float64 if any parameter is float64, else float32);
        gradients reach the parameters.

    Example:
        >>> x = engine.random.stateless_parameterized_truncated_normal(
        ...     [1000], [1, 2], means=0.0, stddevs=1.0, minvals=1.0, maxvals=1.5)
        >>> bool(engine.reduce_all((x >= 1.0) & (x <= 1.5)))
        True
    """
    params = [p if isinstance(p, Tensor) else convert_to_tensor(p)
              for p in (means, stddevs, minvals, maxvals)]
    dtype = _dt.float64 if any(p.dtype is _dt.float64 for p in params) else _dt.float32
    means, stddevs, minvals, maxvals = (_m.cast(p, dtype) for p in params)
    u = stateless_uniform(shape, seed, dtype=dtype)
    a = _m.divide(_m.subtract(minvals, means), stddevs)
    b = _m.divide(_m.subtract(maxvals, means), stddevs)
    # Sample in the interval's mirror when it lies right of 0: Phi is precise near 0 and -inf.
    mirrored = _m.greater(a, 0.0)
    lo = where(mirrored, _u.negative(b), a)
    hi = where(mirrored, _u.negative(a), b)
    cdf_lo = _normal_cdf(lo)
    z = ndtri(_m.add(cdf_lo, _m.multiply(u, _m.subtract(_normal_cdf(hi), cdf_lo))))
    z = clip_by_value(where(mirrored, _u.negative(z), z), a, b)
    return _m.add(means, _m.multiply(stddevs, z))


def split(seed, num=2, alg="auto_select"):
    """TF 2.15's `tf.random.split`: `num` new stateless seeds from `seed`, shape (num, 2).

    Args:
        seed: two integers (list or int32/int64 tensor of shape [2]).
        num: how many seeds to make.
        alg: 'philox' or 'auto_select'.

    Returns:
        A (num, 2) tensor of seed's dtype.

    Example:
        >>> engine.random.split([1, 2], num=3).shape
        TensorShape([3, 2])
    """
    return stateless_split(seed, num=num, alg=alg)


def fold_in(seed, data, alg="auto_select"):
    """TF 2.15's `tf.random.fold_in`: a new stateless seed from `seed` and an integer.

    Args:
        seed: two integers (list or int32/int64 tensor of shape [2]).
        data: an integer to mix in (a step or worker index).
        alg: 'philox' or 'auto_select'.

    Returns:
        A shape-[2] seed tensor.

    Example:
        >>> engine.random.fold_in([1, 2], 7).shape
        TensorShape([2])
    """
    return stateless_fold_in(seed, data, alg=alg)


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """Shuffles `value` along its first axis, the same way for the same seed.

    Args:
        value: a tensor of rank >= 1.
        seed: two integers (list or int32/int64 tensor of shape [2]).
        alg: 'philox' or 'auto_select'.
        name: ignored.

    Returns:
        A tensor like `value` with its rows permuted.

    Example:
        >>> out = engine.random.experimental.stateless_shuffle(engine.range(5), seed=[1, 2])
        >>> sorted(out.numpy().tolist())
        [0, 1, 2, 3, 4]
    """
    x = convert_to_tensor(value)
    if x.shape.rank == 0:
        raise InvalidArgumentError("stateless_shuffle: got a scalar; expected a tensor of rank "
                                   ">= 1 (rows are shuffled along axis 0).")
    keys = stateless_uniform(_shape(x)[:1], seed, alg=alg)  # one random sort key a row
    return gather(x, argsort(keys))


_experimental.stateless_shuffle = stateless_shuffle  # TensorFlow files it under experimental
