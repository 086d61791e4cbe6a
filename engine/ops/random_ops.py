"""`engine.random`: random tensors with TensorFlow 2's seeding rules, and `nn.dropout`.

Seeds. An op's numbers depend on the global seed (`set_seed`) and its `seed=` argument:

    global seed  op seed  numbers
    unset        unset    fresh OS entropy on every call
    set          unset    a sequence fixed by the global seed, one per op type
    unset        set      a sequence fixed by the op seed (and a default global seed)
    set          set      a sequence fixed by both seeds

A sequence is repeatable, not constant: `normal([2], seed=1)` called twice gives two
different tensors, and running the program again, or calling `set_seed` again, gives the
same two again. Different op seeds, and different op types, give unrelated numbers.

How. `get_seed` turns the two seeds into the `seed` and `seed2` attrs of TensorFlow's
stateful ops (`RandomStandardNormal`, `RandomUniform`, ...; 0 and 0 mean "unseeded"). The
kernel keeps one call counter per (op type, seed, seed2), the counterpart of TensorFlow's
eager kernel cache, and draws call k at Philox counter k of the key hashed from those
(`random_kernels`). `set_seed` clears the counters. One deviation from TensorFlow: under a
global seed, TensorFlow gives every unseeded eager call a new op seed, while eagerlab gives
them one fixed op seed, so that they share a counter per op type: the same guarantees, and
the counter table does not grow in a long training loop.

Graphs. Every attr is a static, JSON-able value and the counters live beside the kernel,
so a random op traced into a graph draws new numbers on every run of the graph (and the
same numbers again after `set_seed`) without any help from the tracer. While tracing,
unseeded ops take op seeds from a sequence fixed by the global seed, so each node of a
graph has its own counter, as in `tf.function`. A shape known only when the graph runs
(`uniform([engine.shape(x)[0], 3])`, dropout of an input of unknown batch) is one more
input of the node (see `random_kernels.make_op`); the draws are those of the eager op.

Devices. Numbers are drawn on the host and copied to the op's device: the same seed gives
identical numbers on CPU and GPU (a GPU pays one host-to-device copy per draw).

Gradients. The random ops have none; `mean`, `stddev`, `minval`, `maxval`, gamma's `beta`
and dropout's scaling are applied with engine ops, so gradients flow through them.

Stateless ops (same seed, same numbers, always) are in `stateless_random_ops`, the
`Generator` in `random_generator`; this module re-exports both.
"""

from __future__ import annotations

import numbers
import operator
import random as _pyrandom
import threading
import types

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, TracingError
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops import random_kernels as _k
from engine.ops import stateless_random_ops as _sl
from engine.ops import static_args as _sa
from engine.ops.random_generator import (
    Algorithm,
    Generator,
    create_rng_state,
    get_global_generator,
    set_global_generator,
)
from engine.ops.select_ops import where
from engine.ops.shape_tensors import is_symbolic, known_int
from engine.ops.stateless_random_ops import (
    stateless_categorical,
    stateless_fold_in,
    stateless_gamma,
    stateless_normal,
    stateless_poisson,
    stateless_split,
    stateless_truncated_normal,
    stateless_uniform,
)
from engine.registry import FLOAT

__all__ = [
    "set_seed", "normal", "uniform", "truncated_normal", "categorical", "shuffle", "gamma",
    "poisson", "stateless_normal", "stateless_uniform", "stateless_truncated_normal",
    "stateless_categorical", "stateless_gamma", "stateless_poisson", "Algorithm",
    "Generator", "create_rng_state", "get_global_generator", "set_global_generator",
    "experimental", "dropout",
]

_ST = _k.STATEFUL
_NORMAL = _k.make_op(_ST, _k.NORMAL, "random_normal", "RandomStandardNormal",
                     "Standard normal numbers.")
_UNIFORM = _k.make_op(_ST, _k.UNIFORM, "random_uniform", "RandomUniform",
                      "Uniform numbers in [0, 1).")
_UNIFORM_INT = _k.make_op(_ST, _k.UNIFORM_INT, "random_uniform_int", "RandomUniformInt",
                          "Uniform integers in [minval, maxval).")
_TRUNCATED = _k.make_op(_ST, _k.TRUNCATED_NORMAL, "truncated_normal", "TruncatedNormal",
                        "Standard normal numbers within 2 of 0 (others re-drawn).")
_MULTINOMIAL = _k.make_op(_ST, _k.MULTINOMIAL, "multinomial", "Multinomial",
                          "Class indices drawn from unnormalized log-probabilities.")
_SHUFFLE = _k.make_op(_ST, _k.SHUFFLE, "random_shuffle", "RandomShuffle",
                      "Shuffles a tensor along its first axis.")
_GAMMA = _k.make_op(_ST, _k.GAMMA, "random_gamma", "RandomGamma", "Gamma(alpha, 1) numbers.")
_POISSON = _k.make_op(_ST, _k.POISSON, "random_poisson", "RandomPoissonV2",
                      "Poisson(rate) counts.")


# --- seeds ----------------------------------------------------------------------------------
DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
# The op seed of unseeded eager ops under a global seed: never a truncated user seed.
_EAGER_OP_SEED = 2**31


class _Seeds:
    def __init__(self):
        self.lock = threading.Lock()
        self.global_seed: int | None = None
        self.op_seeds = _pyrandom.Random()


_SEEDS = _Seeds()


def set_seed(seed) -> None:
    """Sets the global random seed and restarts every seeded random sequence.

    Args:
        seed: an int, or None to unset the global seed.

    Raises:
        TypeError: if `seed` is not an integer.

    Example:
        >>> engine.random.set_seed(1234)
        >>> a = engine.random.uniform([2])
        >>> engine.random.set_seed(1234)
        >>> bool(engine.reduce_all(a == engine.random.uniform([2])))
        True
    """
    if seed is not None:
        try:
            seed = operator.index(seed)
        except TypeError:
            raise TypeError(f"set_seed: got {seed!r}; expected an int or None.") from None
    with _SEEDS.lock:
        _SEEDS.global_seed = seed
        _SEEDS.op_seeds = _pyrandom.Random(seed)
        _k.STREAMS.reset()


def get_seed(op_seed) -> tuple:
    """The `(seed, seed2)` attrs of a stateful random op, by TensorFlow's four rules.

    Args:
        op_seed: the op's `seed` argument (an int or None).

    Returns:
        Two ints; `(0, 0)` when neither seed is set (the op then draws from OS entropy).

    Example:
        >>> engine.random.set_seed(1)
        >>> engine.ops.random_ops.get_seed(5)
        (1, 5)
    """
    global_seed = _SEEDS.global_seed
    if op_seed is not None:
        op_seed = operator.index(op_seed) % _MAXINT32
    if global_seed is not None:
        if op_seed is None:
            if context.executing_eagerly():
                op_seed = _EAGER_OP_SEED
            else:
                with _SEEDS.lock:
                    op_seed = _SEEDS.op_seeds.randrange(_MAXINT32)
        seeds = (global_seed % _MAXINT32, op_seed)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed)
    else:
        return 0, 0
    # (0, 0) would mean "unseeded" to the kernels.
    return (0, _MAXINT32) if seeds == (0, 0) else seeds


def _attrs(seed, **attrs) -> dict:
    attrs["seed"], attrs["seed2"] = get_seed(seed)
    return attrs


# --- distributions --------------------------------------------------------------------------
def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Normal numbers with `mean` and `stddev`.

    Args:
        shape: the output shape (list of ints or 1-D int tensor).
        mean, stddev: numbers or tensors broadcastable to `shape` (gradients flow to them).
        dtype: a floating dtype.
        seed: the op seed (see the module docstring), or None.
        name: ignored in eager mode.

    Returns:
        A tensor of `shape` and `dtype`.

    Raises:
        DTypeError: for a non-floating dtype.
        ShapeError: for a negative dimension.

    Example:
        >>> engine.random.normal([2, 3], seed=1).shape
        TensorShape([2, 3])
    """
    shape, sizes = _sl.shape_inputs(shape, "normal")
    attrs = _attrs(seed, shape=shape, dtype=_k.check_dtype("normal", dtype, FLOAT))
    return _sl.scale_and_shift(dispatch(_NORMAL, sizes, attrs), stddev, mean)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Normal numbers within 2 `stddev` of `mean`; values beyond are re-drawn.

    The result has exactly the truncated distribution (its stddev is about 0.88 `stddev`).

    Args:
        shape: the output shape (list of ints or 1-D int tensor).
        mean, stddev: numbers or tensors broadcastable to `shape` (gradients flow to them).
        dtype: a floating dtype.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A tensor of `shape` and `dtype`.

    Raises:
        DTypeError: for a non-floating dtype.
        ShapeError: for a negative dimension.

    Example:
        >>> x = engine.random.truncated_normal([1000], seed=1)
        >>> bool(engine.reduce_max(engine.abs(x)) <= 2.0)
        True
    """
    shape, sizes = _sl.shape_inputs(shape, "truncated_normal")
    attrs = _attrs(seed, shape=shape, dtype=_k.check_dtype("truncated_normal", dtype, FLOAT))
    return _sl.scale_and_shift(dispatch(_TRUNCATED, sizes, attrs), stddev, mean)


def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """Uniform numbers in [minval, maxval).

    Args:
        shape: the output shape.
        minval: the lower bound (included), a number or tensor.
        maxval: the upper bound (excluded); 1 by default for floats, required for integers.
        dtype: a floating or integer dtype.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A tensor of `shape` and `dtype`.

    Raises:
        ValueError: for an integer dtype without `maxval`.
        InvalidArgumentError: for integers with minval >= maxval.

    Example:
        >>> engine.random.uniform([4], maxval=10, dtype=engine.int32, seed=1).dtype
        engine.int32
    """
    dtype, maxval = _sl.check_uniform("uniform", dtype, minval, maxval, False)
    shape, sizes = _sl.shape_inputs(shape, "uniform")
    if dtype.is_integer:
        bounds = (_sl.as_input(minval, dtype), _sl.as_input(maxval, dtype))
        return dispatch(_UNIFORM_INT, bounds + sizes, _attrs(seed, shape=shape))
    rnd = dispatch(_UNIFORM, sizes, _attrs(seed, shape=shape, dtype=dtype))
    return _sl.to_range(rnd, minval, maxval)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Class indices drawn from unnormalized log-probabilities, `num_samples` per row.

    Row i draws class j with probability softmax(logits[i])[j]; -inf (or any non-finite)
    logits are never drawn.

    Args:
        logits: a (batch, num_classes) floating tensor.
        num_samples: the number of draws per row.
        dtype: int64 (default) or int32.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A (batch, num_samples) tensor of class indices.

    Raises:
        ShapeError: if `logits` is not 2-D.

    Example:
        >>> engine.random.categorical([[0.0, -float("inf")]], 3, seed=1).numpy()
        array([[0, 0, 0]])
    """
    dtype = _k.check_dtype("categorical", dtype or _dt.int64, _k.INDEX_DTYPES)
    count, sizes = _sl.count_inputs(num_samples, "categorical", "num_samples")
    attrs = _attrs(seed, num_samples=count, output_dtype=dtype)
    return dispatch(_MULTINOMIAL, (logits,) + sizes, attrs)


def shuffle(value, seed=None, name=None):
    """`value` with its first axis randomly permuted.

    Args:
        value: a tensor of rank >= 1.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A tensor of `value`'s shape and dtype (no gradient).

    Example:
        >>> sorted(engine.random.shuffle(engine.constant([0, 1, 2, 3])).numpy().tolist())
        [0, 1, 2, 3]
    """
    return dispatch(_SHUFFLE, (value,), _attrs(seed))


def gamma(shape, alpha, beta=None, dtype=_dt.float32, seed=None, name=None):
    """Gamma(alpha, beta) numbers (`beta` is a rate; mean alpha / beta).

    Args:
        shape: the sample shape; the result has shape `shape + broadcast(alpha, beta)`.
        alpha: the concentration (> 0), a number or tensor.
        beta: the rate (default 1); gradients flow to it.
        dtype: a floating dtype.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A tensor of `dtype`. There is no gradient with respect to `alpha`.

    Example:
        >>> engine.random.gamma([5], alpha=[1.0, 2.0], seed=1).shape
        TensorShape([5, 2])
    """
    alpha, beta = _sl.gamma_params("gamma", alpha, beta, dtype)
    shape, sizes = _sl.shape_inputs(shape, "gamma")
    sample = dispatch(_GAMMA, (alpha,) + sizes, _attrs(seed, shape=shape))
    return _sl.gamma_scale(sample, beta)


def poisson(shape, lam, dtype=_dt.float32, seed=None, name=None):
    """Poisson(lam) counts; the result has shape `shape + lam.shape`.

    Args:
        shape: the sample shape (list of ints or 1-D int tensor).
        lam: the rate (>= 0), a number or tensor.
        dtype: a floating dtype, int32 or int64.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A tensor of `dtype` and shape `shape + lam.shape` (no gradient).

    Raises:
        DTypeError: for another dtype.

    Example:
        >>> engine.random.poisson([3], lam=2.0, dtype=engine.int32, seed=1).dtype
        engine.int32
    """
    dtype = _k.check_dtype("poisson", dtype, _k.POISSON_DTYPES)
    shape, sizes = _sl.shape_inputs(shape, "poisson")
    attrs = _attrs(seed, shape=shape, dtype=dtype)
    return dispatch(_POISSON, (convert_to_tensor(lam),) + sizes, attrs)


# --- dropout --------------------------------------------------------------------------------
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).

    The expected value of each element is unchanged. The gradient uses the same mask.

    Args:
        x: a floating tensor.
        rate: the probability of dropping an element, in [0, 1) (number or scalar tensor).
        noise_shape: the shape of the keep/drop mask, broadcast against `x` (e.g.
            `[batch, 1, features]` drops whole features); None entries take x's size.
        seed: the op seed, or None.
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Raises:
        ValueError: for a rate outside [0, 1).
        DTypeError: for a non-floating `x`.
        ShapeError: for a noise_shape that does not broadcast to x's shape.

    Example:
        >>> y = engine.nn.dropout(engine.ones([4]), rate=0.5, seed=1)
        >>> sorted(set(y.numpy().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    def mask(shape, dtype):
        return uniform(shape, dtype=dtype, seed=seed)

    return _dropout("dropout", x, rate, noise_shape, mask)


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """`dropout` whose mask depends only on `seed` (two integers): repeatable.

    Args:
        x: a floating tensor.
        rate: the probability of dropping an element, in [0, 1).
        seed: a shape-[2] integer tensor or pair of ints.
        rng_alg: 'philox', 'auto_select' (both Philox) or an `engine.random.Algorithm`.
        noise_shape: the shape of the keep/drop mask, broadcast against `x`.
        name: ignored in eager mode.

    Returns:
        A tensor like `x`.

    Raises:
        ValueError: for a rate outside [0, 1).
        DTypeError: for a non-floating `x`.

    Example:
        >>> a = engine.nn.experimental.stateless_dropout(engine.ones([8]), 0.5, seed=[1, 2])
        >>> b = engine.nn.experimental.stateless_dropout(engine.ones([8]), 0.5, seed=[1, 2])
        >>> bool(engine.reduce_all(a == b))
        True
    """
    def mask(shape, dtype):
        return stateless_uniform(shape, seed, dtype=dtype, alg=rng_alg or "auto_select")

    return _dropout("stateless_dropout", x, rate, noise_shape, mask)


def _dropout(op: str, x, rate, noise_shape, mask):
    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise DTypeError(f"{op}: x has dtype {x.dtype.name}; expected a floating tensor (the "
                         f"kept values are scaled by 1 / (1 - rate)). Cast it first, e.g. "
                         f"engine.cast(x, engine.float32).")
    if isinstance(rate, numbers.Real):
        if not 0 <= rate < 1:
            raise ValueError(f"{op}: rate={rate!r}; expected a float in [0, 1): the "
                             "probability of dropping each element (rate=1 would drop "
                             "everything). Use keep probability p as rate=1 - p.")
        if rate == 0:
            return x
        kept = _m.multiply(x, 1.0 / (1.0 - float(rate)))
    else:
        rate = _m.cast(convert_to_tensor(rate), x.dtype)
        if rate.shape.rank != 0:
            raise ShapeError(f"{op}: rate must be a scalar; got shape {rate.shape}.")
        if context.executing_eagerly() and not 0 <= float(rate) < 1:
            raise InvalidArgumentError(f"{op}: rate={float(rate)}; expected a value in [0, 1).")
        kept = _m.divide(x, _m.subtract(1.0, rate))
    keep = _m.greater_equal(mask(_noise_shape(op, x, noise_shape), x.dtype), rate)
    return where(keep, kept, 0.0)


def _noise_shape(op: str, x, noise_shape):
    """The mask's shape: a tuple of ints, or (traced, with sizes known only when the graph
    runs) a shape argument holding tensors, which `uniform` takes as its shape input."""
    x_shape = x._value.shape  # None entries (or None) while tracing unknown sizes
    if noise_shape is None:
        if x_shape is not None and None not in x_shape:
            return tuple(x_shape)
        return _a.shape(x)  # the known sizes stay static in the mask's shape
    if is_symbolic(noise_shape):
        return noise_shape  # checked when the graph runs, where the mask broadcasts
    dims = list(noise_shape.as_list() if hasattr(noise_shape, "as_list") else noise_shape)
    if x_shape is not None and len(dims) == len(x_shape):
        dims = [_size(x, k) if d is None else d for k, d in enumerate(dims)]
    try:
        dims = list(_sa.static_shape(dims, op))
        known = dims
    except TracingError:
        known = [known_int(d) if is_symbolic(d) else int(d) for d in dims]
    x_known = [None] * len(known) if x_shape is None else list(x_shape)
    fits = len(known) <= len(x_known) and all(
        d is None or x_d is None or d in (1, x_d)
        for d, x_d in zip(reversed(known), reversed(x_known)))
    if not fits:
        raise ShapeError(f"{op}: noise_shape {known} does not broadcast to x's shape "
                         f"{x_known}; expected each size to be 1 or x's size, e.g. "
                         f"{[1] * (len(x_known) - 1) + x_known[-1:]}.")
    return tuple(dims) if known is dims else dims


def _size(x, axis: int):
    """x's size along `axis`: an int, or a scalar tensor when known only at run time."""
    size = x._value.shape[axis]
    return _a.shape(x)[axis] if size is None else size


experimental = types.SimpleNamespace(
    Algorithm=Algorithm, Generator=Generator, create_rng_state=create_rng_state,
    get_global_generator=get_global_generator, set_global_generator=set_global_generator,
    stateless_split=stateless_split, stateless_fold_in=stateless_fold_in)
