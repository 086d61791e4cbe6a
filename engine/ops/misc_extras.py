"""TensorFlow 2 functions that fit no other family: partitions, NumPy callbacks, checkpointing.

- `dynamic_partition` / `dynamic_stitch`: split rows by partition ids, and merge them back;
- `numpy_function`: a Python function on NumPy arrays, also run by graphs;
- `recompute_grad`: gradient checkpointing (the backward pass recomputes the forward);
- `no_gradient`: marks a registered op as not differentiable;
- `log_sigmoid`, `cumulative_logsumexp`, `polyval` (`engine.math`) and
  `local_response_normalization` (`engine.nn`).

All but `cumulative_logsumexp` (one registered op, for a stable scan) are composites.
TensorFlow 2's initializer classes (`engine.zeros_initializer`, ...) live in `init_aliases.py`
and are re-exported here.
"""

from __future__ import annotations

import functools

import numpy as np

from engine import dtypes as _dt
from engine import nest, registry
from engine.convert import tensor_or_variable
from engine.custom_grad import custom_gradient
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import unary_ops as _u
from engine.ops.assert_ops import assert_less, assert_non_negative
from engine.ops.fill_ops import ones_like, zeros_like
from engine.ops.gather_ops import gather, gather_nd
from engine.ops.init_aliases import (
    constant_initializer,
    ones_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    zeros_initializer,
)
from engine.ops.join_ops import concat
from engine.ops.pad_ops import pad
from engine.ops.reduce_ops import reduce_max
from engine.ops.segment_ops import unsorted_segment_max
from engine.ops.select_ops import where
from engine.ops.sequence_ops import range as _range
from engine.ops.static_args import static_int
from engine.registry import FLOAT, OpDef, register
from engine.tape import GradientTape
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape

__all__ = [
    "dynamic_partition", "dynamic_stitch", "numpy_function", "recompute_grad", "no_gradient",
    "log_sigmoid", "cumulative_logsumexp", "polyval", "local_response_normalization",
    "zeros_initializer", "ones_initializer", "constant_initializer",
    "random_normal_initializer", "random_uniform_initializer",
]

_IDS = frozenset((_dt.int32, _dt.int64))




# --- dynamic_partition / dynamic_stitch ------------------------------------------------------
def dynamic_partition(data, partitions, num_partitions, name=None):
    """Splits `data` into `num_partitions` tensors by the partition id of each slice.

    `partitions` covers the leading dimensions of `data`; `outputs[i]` holds, in order, the
    slices whose id is `i`. Sizes are known only when run (unknown while tracing).

    Args:
        data: a tensor.
        partitions: int32 or int64 ids in `[0, num_partitions)`, shape `data.shape[:k]`.
        num_partitions: the number of outputs (a Python int >= 1).
        name: ignored.

    Returns:
        A list of `num_partitions` tensors, `outputs[i].shape = [n_i] + data.shape[k:]`.

    Raises:
        InvalidArgumentError: if an id is out of range.
        ShapeError: if `partitions` does not match the leading dimensions of `data`.

    Example:
        >>> parts = engine.dynamic_partition([10, 20, 30, 40], [0, 1, 1, 0], 2)
        >>> [p.numpy().tolist() for p in parts]
        [[10, 40], [20, 30]]
    """
    n = static_int(num_partitions, "dynamic_partition num_partitions")
    if n < 1:
        raise ValueError(f"dynamic_partition: num_partitions is {n}; expected >= 1.")
    data, partitions = tensor_or_variable(data), tensor_or_variable(partitions)
    _inf.check_dtype("dynamic_partition", partitions, _IDS, "partitions")
    k = partitions.shape.rank
    if k is None:
        raise ShapeError("dynamic_partition: partitions has an unknown rank; give it a known "
                         "rank (an input_signature with one).")
    if data.shape.rank is not None and (data.shape.rank < k or not data.shape[:k]
                                        .is_compatible_with(partitions.shape)):
        raise ShapeError(f"dynamic_partition: data of shape {data.shape} does not start with "
                         f"the shape of partitions {partitions.shape}.")
    message = f"dynamic_partition: partitions must be in [0, {n})."
    assert_non_negative(partitions, message=message)
    assert_less(partitions, n, message=message)
    return [gather_nd(data, where(_m.equal(partitions, i))) for i in range(n)]


def _flat_rows(d, k: int, tail: list):
    """`d` reshaped to (rows, *tail): the `k` leading (index) dimensions become one."""
    if all(t is not None for t in tail):
        return _a.reshape(d, [-1, *tail])
    return _a.reshape(d, concat([[-1], _a.shape(d)[k:]], 0))


def dynamic_stitch(indices, data, name=None):
    """Merges slices into one tensor: `merged[indices[m][i...]] = data[m][i...]`.

    The inverse of `dynamic_partition` given the positions. Later entries win where an
    index repeats (their gradient is then zero for the overwritten ones); rows no index
    names are zeros. `merged.shape = [max(indices) + 1] + data[0].shape[k0:]`.

    Args:
        indices: a list of int32 or int64 tensors of non-negative indices.
        data: a list of tensors of one dtype, `data[m].shape = indices[m].shape + tail`.
        name: ignored.

    Returns:
        The merged tensor.

    Raises:
        InvalidArgumentError: if an index is negative.
        ShapeError: if a data tensor does not start with its indices' shape, or the tails
            differ.

    Example:
        >>> engine.dynamic_stitch([[0, 3], [1, 2]], [[1.0, 4.0], [2.0, 3.0]]).numpy()
        array([1., 2., 3., 4.], dtype=float32)
    """
    indices, data = [tensor_or_variable(i) for i in indices], [tensor_or_variable(d) for d in data]
    if not indices or len(indices) != len(data):
        raise ValueError(f"dynamic_stitch: got {len(indices)} index tensors and {len(data)} "
                         "data tensors; expected the same number, at least one.")
    tail = None
    for m, (i, d) in enumerate(zip(indices, data)):
        _inf.check_dtype("dynamic_stitch", i, _IDS, f"indices[{m}]")
        k = i.shape.rank
        if k is None or d.shape.rank is None or d.shape.rank < k or not d.shape[:k] \
                .is_compatible_with(i.shape):
            raise ShapeError(f"dynamic_stitch: data[{m}] of shape {d.shape} must start with "
                             f"the shape of indices[{m}], {i.shape} (both of known rank).")
        rest = d.shape.as_list()[k:]
        if tail is not None and not TensorShape(tail).is_compatible_with(rest):
            raise ShapeError(f"dynamic_stitch: data[{m}] has trailing shape {rest}; "
                             f"data[0..{m - 1}] have {tail}. Every data[m] must be "
                             "indices[m].shape + one common tail.")
        tail = rest if tail is None else tail
    ids = concat([_a.reshape(_m.cast(i, _dt.int32), [-1]) for i in indices], 0)
    rows = concat([_flat_rows(d, i.shape.rank, tail) for i, d in zip(indices, data)], 0)
    assert_non_negative(ids, message="dynamic_stitch: indices must be >= 0.")
    count = _m.add(reduce_max(concat([[-1], ids], 0)), 1)
    last = unsorted_segment_max(_range(_a.size(ids)), ids, count)  # -2**31 where unnamed
    picked = gather(rows, _m.maximum(last, 0))
    named = _m.greater_equal(last, 0)
    for _ in tail:
        named = _a.expand_dims(named, -1)
    return where(named, picked, zeros_like(picked))


# --- Python and gradient plumbing ------------------------------------------------------------
def numpy_function(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's name
    """Calls `func` on NumPy arrays and returns its NumPy results as tensors.

    Built on `engine.py_function`: eagerly a plain call; inside `engine.function` a node
    that calls `func` each time the graph runs, in program order. It has no gradient.

    Args:
        func: a Python callable taking and returning NumPy arrays (or numbers).
        inp: a list of tensors (or values convertible to tensors).
        Tout: an output dtype, or a list of dtypes (then a list is returned); None or []
            for no output.
        stateful: accepted for TensorFlow parity: the node always runs, in program order.
        name: ignored.

    Returns:
        A tensor, a list of tensors, or None, as `Tout` says.

    Raises:
        InvalidArgumentError: if `func` returns an array whose dtype is not the declared one.

    Example:
        >>> engine.numpy_function(np.sort, [engine.constant([3.0, 1.0, 2.0])], engine.float32)
        <engine.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>
    """
    from engine.graph.runtime_ops import py_function  # noqa: PLC0415 - graph sits above ops

    touts = [_dt.as_dtype(d) for d in (Tout if isinstance(Tout, (list, tuple)) else
                                       ([] if Tout is None else [Tout]))]

    @functools.wraps(func)
    def on_arrays(*tensors):
        result = func(*[t.numpy() for t in tensors])
        values = result if isinstance(result, (list, tuple)) else [result]
        for k, (value, dtype) in enumerate(zip(values, touts)):
            if isinstance(value, (np.ndarray, np.generic)) and value.dtype != dtype._np:
                raise InvalidArgumentError(
                    f"numpy_function: {getattr(func, '__name__', func)!r} returned a "
                    f"{value.dtype} array as output {k}; Tout says {dtype.name}. Return "
                    f"value.astype(np.{dtype._np.name}) or change Tout.")
        return result

    outs = py_function(on_arrays, inp, Tout)
    # No gradient, as in TF (a graph's py_function node is differentiable: cut it here)
    if isinstance(outs, list):
        return [_a.stop_gradient(t) for t in outs]
    return outs if outs is None else _a.stop_gradient(outs)


def recompute_grad(f):
    """Gradient checkpointing: `f`'s activations are not kept; the backward recomputes them.

    The forward pass runs `f` without recording it on tapes; the gradient runs `f` again
    under a tape and differentiates that, so memory falls by the activations of `f` and
    time rises by one forward of `f`. Gradients flow to the tensor arguments and to the
    trainable variables `f` reads. `f` should be deterministic (no dropout draws).

    Args:
        f: a function of tensors returning a tensor or a structure of tensors.

    Returns:
        A function with `f`'s signature and results.

    Example:
        >>> block = engine.recompute_grad(lambda x: engine.tanh(x) * x)
        >>> x = engine.constant([0.5, 1.0])
        >>> with engine.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = engine.reduce_sum(block(x))
        >>> np.round(tape.gradient(y, x).numpy(), 4)
        array([0.8553, 1.1816], dtype=float32)
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        @custom_gradient
        def checkpointed(*args, **kwargs):
            sources = [a for a in nest.flatten((args, kwargs))
                       if isinstance(a, Tensor) or hasattr(a, "_read")]

            def grad_fn(*upstream, variables=None):
                with GradientTape() as tape:
                    tape.watch(sources)
                    outputs = f(*args, **kwargs)
                targets = [t for t in nest.flatten(outputs) if isinstance(t, Tensor)]
                grads = tape.gradient(targets, sources + list(variables or []),
                                      output_gradients=list(upstream))
                n = len(sources)
                return (grads[:n], grads[n:]) if variables else grads[:n]

            return f(*args, **kwargs), grad_fn

        return checkpointed(*args, **kwargs)

    return wrapper


def no_gradient(op_type: str) -> None:
    """Marks the registered op `op_type` as not differentiable, like `tf.no_gradient`.

    Its outputs then get no gradient: tapes do not record it, so gradients through it are
    None (or zeros with `unconnected_gradients="zero"`), as for any op without a `vjp`.
    Unlike TensorFlow, which refuses an op that already has a gradient, this replaces it.

    Args:
        op_type: the op's TensorFlow (raw-op) or engine name, e.g. "MyOp".

    Raises:
        TypeError: if `op_type` is not a string.
        KeyError: if no op has that name (the message suggests close names).

    Example:
        >>> engine.no_gradient("StopGradient")  # already has none: nothing changes
    """
    if not isinstance(op_type, str):
        raise TypeError(f"no_gradient: op_type must be an op name (str); got "
                        f"{type(op_type).__name__}.")
    registry.get(op_type).vjp = None


# --- math and nn -----------------------------------------------------------------------------
def log_sigmoid(x, name=None):
    """`log(sigmoid(x))`, computed stably as `-softplus(-x)`.

    Args:
        x: a floating tensor.
        name: ignored.

    Returns:
        A tensor like `x`.

    Example:
        >>> engine.math.log_sigmoid(engine.constant([0.0, -100.0])).numpy()
        array([  -0.6931472, -100.       ], dtype=float32)
    """
    return _u.negative(_u.softplus(_u.negative(x)))


def _lse_infer(x, axis=0, exclusive=False, reverse=False):
    _inf.check_dtype("cumulative_logsumexp", x, FLOAT, "x")
    if x.shape.rank == 0:
        raise ShapeError("cumulative_logsumexp: got a scalar; expected a tensor of rank >= 1.")
    _inf.normalize_axis("cumulative_logsumexp", axis, x.shape.rank)
    return x


def _lse_kernel(xp, x, axis=0, exclusive=False, reverse=False):
    dtype = x.dtype
    y = xp.moveaxis(x.astype(np.float32) if dtype.itemsize < 4 else x, axis, -1)  # as TF
    y = y[..., ::-1] if reverse else y
    if xp is np:
        out = np.logaddexp.accumulate(y, axis=-1)
    else:  # a Hillis-Steele scan: log2(n) vectorized passes
        out, step = y, 1
        while step < y.shape[-1]:
            out = xp.concatenate([out[..., :step], xp.logaddexp(out[..., step:],
                                                                 out[..., :-step])], axis=-1)
            step *= 2
    if exclusive:
        start = xp.full(out.shape[:-1] + (1,), -np.inf, dtype=out.dtype)
        out = xp.concatenate([start, out[..., :-1]], axis=-1)
    out = out[..., ::-1] if reverse else out
    return xp.ascontiguousarray(xp.moveaxis(out, -1, axis)).astype(dtype, copy=False)


def _lse_vjp(ctx, g):
    # d y_i / d x_j = exp(x_j - y_i) over the j that y_i sums, so the gradient is a scan in
    # the other direction: exp(x_j + logsumexp_i(log g_i - y_i)), split by the sign of g.
    x, y = ctx.inputs[0], ctx.outputs[0]
    back = dict(ctx.attrs, reverse=not ctx.attrs["reverse"])
    grads = []
    for positive in (_m.greater(g, 0), _m.less(g, 0)):
        magnitude = where(positive, _u.abs(g), ones_like(g))
        log_g = where(positive, _m.subtract(_u.log(magnitude), y),
                      _m.add(zeros_like(g), -np.inf))
        grads.append(_u.exp(_m.add(dispatch(_LSE, (log_g,), back), x)))
    return (_m.subtract(grads[0], grads[1]),)


_LSE = register(OpDef(
    "cumulative_logsumexp", "CumulativeLogsumexp", ("x",), _lse_infer, _lse_kernel,
    vjp=_lse_vjp, attrs={"axis": 0, "exclusive": False, "reverse": False},
    dtypes=FLOAT, doc="The log of the cumulative sum of exp(x) along an axis."))


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """`log(cumsum(exp(x)))` along `axis`, computed without overflow or underflow.

    Args:
        x: a floating tensor of rank >= 1 (16-bit floats are summed in float32).
        axis: the axis to scan (an int).
        exclusive: leave each entry out of its own sum (the first becomes -inf).
        reverse: scan from the end.
        name: ignored.

    Returns:
        A tensor like `x`.

    Example:
        >>> x = engine.constant([0.0, 1000.0, 1000.0])
        >>> engine.math.cumulative_logsumexp(x).numpy()
        array([   0.    , 1000.    , 1000.6932], dtype=float32)
    """
    axis = static_int(axis, "cumulative_logsumexp axis")
    return dispatch(_LSE, (x,), {"axis": axis, "exclusive": bool(exclusive),
                                 "reverse": bool(reverse)})


def polyval(coeffs, x, name=None):
    """The polynomial `coeffs[0] * x**(n-1) + ... + coeffs[n-1]`, by Horner's rule.

    Args:
        coeffs: a list of tensors or numbers, the highest power first.
        x: a tensor.
        name: ignored.

    Returns:
        A tensor (broadcast of `x` and the coefficients); zeros like `x` for no coefficients.

    Example:
        >>> engine.math.polyval([1.0, 0.0, -2.0], engine.constant([2.0, 3.0])).numpy()
        array([2., 7.], dtype=float32)
    """
    if not isinstance(coeffs, (list, tuple)):
        raise TypeError(f"polyval: coeffs must be a list of coefficients; got "
                        f"{type(coeffs).__name__}.")
    x = tensor_or_variable(x)
    if not coeffs:
        return zeros_like(x)
    total = _m.add(zeros_like(x), coeffs[0])
    for c in coeffs[1:]:
        total = _m.add(_m.multiply(total, x), c)
    return total


def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5,  # noqa: A002
                                 name=None):
    """Normalizes each channel by its neighbours: `x / (bias + alpha * sum(x**2))**beta`.

    The sum runs over channels `d - depth_radius .. d + depth_radius` of the last axis.

    Args:
        input: a float tensor of rank 4, channels last.
        depth_radius: the half-width of the channel window (an int >= 0).
        bias: an offset (usually positive, to avoid dividing by zero).
        alpha: the scale of the sum.
        beta: the exponent.
        name: ignored.

    Returns:
        A tensor like `input`.

    Example:
        >>> x = engine.constant(np.ones((1, 1, 1, 3), np.float32))
        >>> engine.nn.local_response_normalization(x, depth_radius=1).numpy().ravel()
        array([0.57735026, 0.5       , 0.57735026], dtype=float32)
    """
    x = tensor_or_variable(input)
    r = static_int(depth_radius, "local_response_normalization depth_radius")
    if x.shape.rank not in (None, 4) or r < 0:
        raise ShapeError(f"local_response_normalization: got input of shape {x.shape} and "
                         f"depth_radius={r}; expected a rank-4 (NHWC) input and radius >= 0.")
    padded = pad(_u.square(x), [[0, 0], [0, 0], [0, 0], [r, r]])
    window = padded[..., 0:-2 * r or None]
    for k in range(1, 2 * r + 1):
        window = _m.add(window, padded[..., k:(k - 2 * r) or None])
    scale = _m.add(bias, _m.multiply(alpha, window))
    return _m.multiply(x, _m.pow(scale, -beta))
