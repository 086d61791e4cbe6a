"""Losses from logits: fused softmax cross-entropies, sigmoid cross-entropy, l2_loss, ….

The two softmax cross-entropies mirror TensorFlow's fused raw ops: one pass computes the
per-example loss and `backprop`, the loss's gradient with respect to the logits
(`softmax - labels`). The gradient rule is then `upstream[..., None] * backprop`. A
second-order gradient arrives as a gradient for the `backprop` output and goes through
the softmax Jacobian (as in TF), so both losses can be differentiated twice.

All kernels subtract the row maximum before exponentiating, so logits of any size give
finite losses. Re-exported by `nn_ops` into `engine.nn`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.backend import cupy_backend
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import math_ops as _m
from engine.ops import reduce_ops as _r
from engine.ops import unary_ops as _u
from engine.ops.activation_ops import log_softmax, softmax
from engine.ops.fill_ops import zeros_like
from engine.ops.select_ops import where
from engine.ops.widening import computes_in_float32
from engine.registry import FLOAT, OpDef, register
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = [
    "sparse_softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits", "l2_loss",
    "log_poisson_loss", "compute_average_loss",
]

_SPARSE = "sparse_softmax_cross_entropy_with_logits"
_DENSE = "softmax_cross_entropy_with_logits"
_SIGMOID = "sigmoid_cross_entropy_with_logits"


def _nonzero(g) -> bool:
    """False for a gradient that is known to be zero (the tape's filler for unused outputs)."""
    if g is None:
        return False
    node = getattr(g, "_node", None)
    if node is not None:  # symbolic (tracing): the tape's filler is a ZerosLike node
        return node.type != "ZerosLike"
    value = getattr(g, "_value", None)
    return value is None or bool(value.any())


def _softmax_jvp_term(logits, gg):
    """`J_softmax(logits)^T gg` along the last axis: the gradient through `backprop`."""
    sm = softmax(logits)
    inner = _r.reduce_sum(_m.multiply(gg, sm), -1, keepdims=True)
    return _m.multiply(_m.subtract(gg, inner), sm)


def _softmax_parts(xp, features):
    """`(shifted, exp(shifted), sum)` along the last axis, with the row maximum removed."""
    shifted = features - features.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return shifted, e, e.sum(axis=-1, keepdims=True)


# --- sparse labels --------------------------------------------------------------------------
def _check_labels_dtype(labels) -> None:
    if labels.dtype not in (_dt.int32, _dt.int64):
        raise DTypeError(f"{_SPARSE}: got labels of dtype {labels.dtype.name}; expected int32 or "
                         "int64 class indices. Cast them with engine.cast(labels, engine.int32), "
                         f"or use {_DENSE} for one-hot or probability labels.")


def _sparse_infer(features, labels):
    _inf.check_dtype(_SPARSE, features, FLOAT, "logits")
    _check_labels_dtype(labels)
    shape = features.shape
    if shape.rank == 0:
        raise ShapeError(f"{_SPARSE}: got scalar logits; expected rank >= 1 (classes last).")
    if shape.rank is None:
        return TensorSpec(labels.shape, features.dtype), TensorSpec(None, features.dtype)
    if not labels.shape.is_compatible_with(shape[:-1]):
        raise ShapeError(
            f"{_SPARSE}: got logits of shape {shape} and labels of shape {labels.shape}; "
            f"expected labels of shape {shape[:-1]} (logits.shape[:-1]), one class index per "
            f"example. Squeeze a trailing axis of size 1; for one-hot labels use {_DENSE}.")
    loss_shape = labels.shape.merge_with(shape[:-1])
    return (TensorSpec(loss_shape, features.dtype),
            TensorSpec(loss_shape.concatenate([shape[-1]]), features.dtype))


def _check_label_range(xp, labels, classes: int) -> None:
    if not labels.size or cupy_backend._capturing:  # a capture cannot read labels back
        return
    low, high = int(labels.min()), int(labels.max())
    if low >= 0 and high < classes:
        return
    flat = labels.reshape(-1)
    bad = flat[(flat < 0) | (flat >= classes)]
    shown = " ".join(str(int(v)) for v in bad[:5]) + (" ..." if bad.size > 5 else "")
    raise InvalidArgumentError(
        f"{_SPARSE}: received a label value of {int(bad[0])} which is outside the valid range "
        f"of [0, {classes}); {bad.size} of {labels.size} labels are out of range: {shown}. "
        "Labels are class indices: check the number of classes (the logits' last axis) or "
        "remap the labels.", op="SparseSoftmaxCrossEntropyWithLogits")


@computes_in_float32  # bfloat16 sums stall past 256 terms
def _sparse_kernel(xp, features, labels):
    if (features.ndim == 0 or labels.shape != features.shape[:-1]
            or labels.dtype.kind != "i" or labels.dtype.itemsize not in (4, 8)):
        raise ValueError(f"{_SPARSE}: shapes or dtypes do not fit")  # infer explains
    classes = features.shape[-1]
    _check_label_range(xp, labels, classes)
    if features.size == 0:
        return xp.zeros(labels.shape, features.dtype), features.copy()
    shifted, e, total = _softmax_parts(xp, features.reshape(-1, classes))
    rows = xp.arange(shifted.shape[0])
    index = labels.reshape(-1)
    loss = xp.log(total[:, 0])
    loss -= shifted[rows, index]
    e /= total  # now the softmax
    e[rows, index] -= 1
    return loss.reshape(labels.shape), e.reshape(features.shape)


def _sparse_vjp(ctx, g_loss, g_backprop):
    grad = _m.multiply(_a.expand_dims(g_loss, -1), ctx.outputs[1])
    if _nonzero(g_backprop):
        grad = _m.add(grad, _softmax_jvp_term(ctx.inputs[0], g_backprop))
    return grad, None


_SPARSE_XENT = register(OpDef(
    _SPARSE, "SparseSoftmaxCrossEntropyWithLogits", ("features", "labels"), _sparse_infer,
    _sparse_kernel, vjp=_sparse_vjp, num_outputs=2, dtypes=FLOAT, same_dtype=(0,),
    doc="Per-example softmax cross-entropy with class-index labels, and its gradient."))


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Softmax cross-entropy of `logits` against class indices `labels`, per example.

    `loss[i] = logsumexp(logits[i]) - logits[i, labels[i]]`, computed without overflow by
    the fused raw op `SparseSoftmaxCrossEntropyWithLogits` (which also returns the
    gradient, so the backward pass is one multiply).

    Args:
        labels: int32 or int64 class indices of shape `logits.shape[:-1]`, each in
            `[0, num_classes)`.
        logits: float scores `(..., num_classes)`, unnormalized.
        name: ignored in eager mode.

    Returns:
        The per-example losses, shaped like `labels`, in the logits' dtype.

    Raises:
        InvalidArgumentError: for a label outside `[0, num_classes)`.
        ShapeError: when `labels.shape != logits.shape[:-1]`.
        DTypeError: for labels that are not int32/int64.

    Example:
        >>> logits = engine.constant([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
        >>> engine.nn.sparse_softmax_cross_entropy_with_logits([0, 1], logits).numpy()
        array([0.41703   , 0.22004955], dtype=float32)
    """
    return dispatch(_SPARSE_XENT, (logits, labels))[0]


# --- dense (probability) labels ---------------------------------------------------------------
def _dense_infer(features, labels):
    dtype = _inf.same_dtype(_DENSE, features, labels)
    _inf.check_dtype(_DENSE, features, FLOAT, "logits")
    shape = _inf.broadcast_shapes(_DENSE, features.shape, labels.shape)
    if shape.rank == 0 or features.shape.rank == 0:
        raise ShapeError(f"{_DENSE}: got logits of shape {features.shape}; expected rank >= 1 "
                         "(classes last).")
    if shape.rank is None:
        return TensorSpec(None, dtype), TensorSpec(None, dtype)
    return TensorSpec(shape[:-1], dtype), TensorSpec(shape, dtype)


@computes_in_float32
def _dense_kernel(xp, features, labels):
    if features.ndim == 0:
        raise ValueError(f"{_DENSE}: scalar logits")  # infer explains
    if features.shape != labels.shape and labels.ndim and (
            features.shape[-1] != labels.shape[-1]):
        # Logits broadcast along the classes: as TF's kernel, softmax over the broadcast ones.
        classes = np.broadcast_shapes(features.shape[-1:], labels.shape[-1:])
        features = xp.broadcast_to(features, features.shape[:-1] + classes)
    if features.size == 0:
        shape = np.broadcast_shapes(features.shape, labels.shape)
        return xp.zeros(shape[:-1], features.dtype), xp.zeros(shape, features.dtype)
    shifted, e, total = _softmax_parts(xp, features)
    shifted -= xp.log(total)  # now log_softmax
    loss = xp.asarray((labels * shifted).sum(axis=-1))  # 0-d for rank-1 logits
    xp.negative(loss, out=loss)
    e /= total
    return loss, e - labels


def _classes_broadcast(features, backprop):
    """`features` broadcast to `backprop`'s shape when its class axis may be broadcast (size
    1 against more classes, or not known while tracing); else `features` itself."""
    mine, full = features._value.shape, backprop._value.shape
    if mine is not None and full is not None and mine[-1] is not None and mine[-1] == full[-1]:
        return features
    return _m.add(features, zeros_like(backprop))


def _dense_vjp(ctx, g_loss, g_backprop):
    # The softmax runs over the broadcast logits (the kernel's), so the labels' gradient
    # and the second-order term must too; the logits' gradient is summed back centrally.
    features = _classes_broadcast(ctx.inputs[0], ctx.outputs[1])
    g = _a.expand_dims(g_loss, -1)
    grad_features = _m.multiply(g, ctx.outputs[1])
    grad_labels = _m.multiply(g, _u.negative(log_softmax(features)))
    if _nonzero(g_backprop):  # second order: backprop = softmax(features) - labels
        grad_features = _m.add(grad_features, _softmax_jvp_term(features, g_backprop))
        grad_labels = _m.subtract(grad_labels, g_backprop)
    return grad_features, grad_labels


_DENSE_XENT = register(OpDef(
    _DENSE, "SoftmaxCrossEntropyWithLogits", ("features", "labels"), _dense_infer,
    _dense_kernel, vjp=_dense_vjp, num_outputs=2, dtypes=FLOAT, broadcasts=True,
    doc="Per-example softmax cross-entropy with probability labels, and its gradient."))


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Softmax cross-entropy of `logits` against probability distributions `labels`.

    `loss = -sum(labels * log_softmax(logits), axis)`, computed without overflow by the
    fused raw op `SoftmaxCrossEntropyWithLogits`. Gradients flow into both `labels` and
    `logits` (TF 2 semantics). As in TF, the logits' gradient is `softmax - labels`,
    which assumes each row of `labels` sums to 1.

    Args:
        labels: probabilities (e.g. one-hot), the same dtype as `logits` and a shape that
            broadcasts against it. As in TF's kernel, logits broadcast along the class axis
            (a size-1 class axis against more classes) are broadcast before the softmax.
        logits: float scores, unnormalized.
        axis: the class axis (default -1).
        name: ignored in eager mode.

    Returns:
        The per-example losses: the broadcast shape without `axis`.

    Raises:
        ShapeError: for scalar logits or shapes that do not broadcast.

    Example:
        >>> logits = engine.constant([[4.0, 2.0, 1.0], [0.0, 5.0, 1.0]])
        >>> labels = engine.constant([[1.0, 0.0, 0.0], [0.0, 0.8, 0.2]])
        >>> engine.nn.softmax_cross_entropy_with_logits(labels, logits).numpy()
        array([0.16984603, 0.82474494], dtype=float32)
    """
    axis = int(_r.axis_attr(axis)[0])
    if axis != -1:
        rank = len(getattr(logits, "shape", np.shape(logits)))
        axis = _inf.normalize_axis(_DENSE, axis, rank)
        if axis != rank - 1:
            perm = tuple(i for i in range(rank) if i != axis) + (axis,)
            logits = _a.transpose(logits, perm)
            labels = _a.transpose(labels, perm)
    return dispatch(_DENSE_XENT, (logits, labels))[0]


# --- sigmoid cross-entropy ---------------------------------------------------------------------
def _sigmoid_infer(labels, logits):
    dtype = _inf.same_dtype(_SIGMOID, labels, logits)
    _inf.check_dtype(_SIGMOID, logits, FLOAT, "logits")
    if not labels.shape.is_compatible_with(logits.shape):
        raise ShapeError(f"{_SIGMOID}: got labels of shape {labels.shape} and logits of shape "
                         f"{logits.shape}; expected the same shape.")
    return TensorSpec(labels.shape.merge_with(logits.shape), dtype)


@computes_in_float32  # `x * z` of bfloat16 is float32 in NumPy
def _sigmoid_kernel(xp, z, x):
    if z.shape != x.shape:
        raise ValueError(f"{_SIGMOID}: shapes differ")  # infer explains
    if x.ndim == 0:  # ufuncs return scalars for 0-d arrays, which out= does not accept
        return _sigmoid_kernel(xp, z.reshape(1), x.reshape(1)).reshape(())
    # max(x, 0) - x z + log(1 + exp(-|x|)): exp never overflows.
    out = xp.negative(xp.abs(x))
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += xp.maximum(x, 0)
    out -= x * z
    return out


def _sigmoid_vjp(ctx, g):
    z, x = ctx.inputs
    return (_m.multiply(g, _u.negative(x)),
            _m.multiply(g, _m.subtract(_u.sigmoid(x), z)))


_SIGMOID_XENT = register(OpDef(
    _SIGMOID, "SigmoidCrossEntropyWithLogits", ("labels", "logits"), _sigmoid_infer,
    _sigmoid_kernel, vjp=_sigmoid_vjp, dtypes=FLOAT,
    doc="Elementwise logistic loss from logits (eagerlab op; TF composes it in Python)."))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise logistic loss `-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x))`.

    Computed as `max(x, 0) - x * z + log1p(exp(-|x|))`, finite for any logits.

    Args:
        labels: targets `z` in [0, 1], the same shape and dtype as `logits`.
        logits: float scores `x`.
        name: ignored in eager mode.

    Returns:
        The elementwise losses, shaped like `logits`.

    Raises:
        ShapeError: when the shapes differ.

    Example:
        >>> engine.nn.sigmoid_cross_entropy_with_logits(
        ...     labels=engine.constant([1.0, 0.0]), logits=engine.constant([0.0, 0.0])).numpy()
        array([0.6931472, 0.6931472], dtype=float32)
    """
    if labels is None or logits is None:
        raise ValueError(f"{_SIGMOID}: both labels and logits must be given.")
    return dispatch(_SIGMOID_XENT, (labels, logits))


def _is_tensor_like(x) -> bool:
    return isinstance(x, Tensor) or getattr(x, "_is_variable", False)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Sigmoid cross-entropy with the positive term weighted by `pos_weight`.

    `(1 - z) x + (1 + (q - 1) z) (log1p(exp(-|x|)) + max(-x, 0))`, as TF computes it
    (composed of engine ops).

    Args:
        labels: targets `z`, shaped like `logits`.
        logits: float scores `x`.
        pos_weight: `q`, a number or a tensor that broadcasts against `logits`.
        name: ignored in eager mode.

    Returns:
        The elementwise losses.

    Example:
        >>> engine.nn.weighted_cross_entropy_with_logits(
        ...     engine.constant([1.0]), engine.constant([0.0]), 2.0).numpy()
        array([1.3862944], dtype=float32)
    """
    logits = logits if _is_tensor_like(logits) else convert_to_tensor(logits)
    dtype = logits.dtype
    if not _is_tensor_like(labels):
        labels = convert_to_tensor(labels, dtype)
    if not _is_tensor_like(pos_weight):
        pos_weight = convert_to_tensor(pos_weight, dtype)
    log_weight = _m.add(_m.multiply(_m.subtract(pos_weight, 1), labels), 1)
    softplus_neg = _m.add(_u.log1p(_u.exp(_u.negative(_u.abs(logits)))),
                          _m.maximum(_u.negative(logits), 0))
    return _m.add(_m.multiply(_m.subtract(1, labels), logits),
                  _m.multiply(log_weight, softplus_neg))


# --- l2_loss and friends -----------------------------------------------------------------------
@computes_in_float32
def _l2_kernel(xp, t):
    flat = t.reshape(-1)
    return xp.asarray(xp.dot(flat, flat) / 2)


_L2_LOSS = register(OpDef(
    "l2_loss", "L2Loss", ("t",), lambda t: (_inf.check_dtype("l2_loss", t, FLOAT, "t"),
                                            TensorSpec([], t.dtype))[1],
    _l2_kernel, vjp=lambda ctx, g: (_m.multiply(g, ctx.inputs[0]),), dtypes=FLOAT,
    doc="sum(t ** 2) / 2."))


def l2_loss(t, name=None):
    """`sum(t ** 2) / 2`, a scalar; raw op `L2Loss`.

    Args:
        t: a float tensor of any shape.
        name: ignored in eager mode.

    Returns:
        A scalar tensor of `t`'s dtype.

    Example:
        >>> float(engine.nn.l2_loss(engine.constant([1.0, 2.0])))
        2.5
    """
    return dispatch(_L2_LOSS, (t,))


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """Poisson negative log-likelihood from `log_input = log(rate)`: `exp(c) - z c`.

    Args:
        targets: observed counts `z`, same dtype as `log_input`.
        log_input: the log of the predicted rate, `c`.
        compute_full_loss: add Stirling's approximation of `log(z!)`,
            `z log z - z + 0.5 log(2 pi z)`, for targets above 1 (as TF does).
        name: ignored in eager mode.

    Returns:
        The elementwise losses.

    Example:
        >>> engine.nn.log_poisson_loss(engine.constant([1.0]), engine.constant([0.0])).numpy()
        array([1.], dtype=float32)
    """
    log_input = log_input if _is_tensor_like(log_input) else convert_to_tensor(log_input)
    if not _is_tensor_like(targets):
        targets = convert_to_tensor(targets, log_input.dtype)
    result = _m.subtract(_u.exp(log_input), _m.multiply(log_input, targets))
    if not compute_full_loss:
        return result
    stirling = _m.add(_m.subtract(_m.multiply(targets, _u.log(targets)), targets),
                      _m.multiply(_u.log(_m.multiply(targets, 2 * np.pi)), 0.5))
    small = _m.logical_and(_m.greater_equal(targets, 0), _m.less_equal(targets, 1))
    return _m.add(result, where(small, zeros_like(targets), stirling))


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """`sum(per_example_loss * sample_weight) / global_batch_size` (one replica).

    Args:
        per_example_loss: the losses, batch first.
        sample_weight: optional weights that broadcast against the losses.
        global_batch_size: the divisor; defaults to the first dimension of the losses.

    Returns:
        A scalar in the losses' dtype.

    Example:
        >>> float(engine.nn.compute_average_loss(engine.constant([1.0, 3.0])))
        2.0
    """
    loss = per_example_loss
    if not _is_tensor_like(loss):
        loss = convert_to_tensor(loss)
    if sample_weight is not None:
        if not _is_tensor_like(sample_weight):
            sample_weight = convert_to_tensor(sample_weight, loss.dtype)
        loss = _m.multiply(loss, sample_weight)
    if global_batch_size is None:
        shape = loss.shape.as_list()
        global_batch_size = shape[0] if shape else 1
    total = _r.reduce_sum(loss)
    return _m.divide(total, np.asarray(global_batch_size, loss.dtype.as_numpy_dtype))
