"""Keras 2 backend neural-network functions.

Activations, cross-entropies, convolution, pooling, dropout and random tensors.

Keras 2 rules kept here: the cross-entropies are element-wise (binary) or per-sample
(categorical) and, on probabilities, clip them to [epsilon, 1 - epsilon]; `relu` takes
`alpha`, `max_value` and `threshold`; `conv1d` accepts `padding="causal"`; random tensors
default to `floatx()`.
"""

from __future__ import annotations

import engine as _engine
from engine import convert_to_tensor
from engine import math as _math
from engine import nn as _nn
from engine import random as _random

__all__ = ["softmax", "relu", "elu", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "l2_normalize", "dropout", "bias_add",
           "conv1d", "conv2d", "pool2d", "random_normal", "random_uniform",
           "random_bernoulli", "truncated_normal"]


def _settings():
    from engine.keras import backend  # noqa: PLC0415 - backend re-exports this module

    return backend


def _float(x):
    x = convert_to_tensor(x)
    return x if x.dtype.is_floating else _engine.cast(x, _settings().floatx())


def softmax(x, axis=-1):
    """Softmax along `axis`: exp(x) normalized to sum to 1.

    Args:
        x: a float tensor.
        axis: the axis (default: last).

    Returns:
        A tensor of the same shape.

    Example:
        >>> engine.keras.backend.softmax([[0.0, 0.0]]).numpy().tolist()
        [[0.5, 0.5]]
    """
    return _nn.softmax(_float(x), axis=axis)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's generalized ReLU, with a slope below a threshold and a cap.

    The result is `x` above `threshold` and `alpha * (x - threshold)` below it, capped
    at `max_value`.

    Args:
        x: a tensor.
        alpha: the slope below the threshold.
        max_value: the cap (None: none).
        threshold: where the function changes slope.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.relu([-2.0, 1.0, 8.0], alpha=0.5, max_value=6.0).numpy()
        array([-1.,  1.,  6.], dtype=float32)
    """
    x = _float(x)
    if threshold:
        positive = x * _engine.cast(_math.greater(x, threshold), x.dtype)
    else:
        positive = _nn.relu(x)
    if max_value is not None:
        positive = _engine.clip_by_value(positive, _engine.cast(0.0, x.dtype),
                                          _engine.cast(max_value, x.dtype))
    if not alpha:
        return positive
    return positive - alpha * _nn.relu(threshold - x)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for x > 0, `alpha * (exp(x) - 1)` otherwise.

    Args:
        x: a tensor.
        alpha: the scale of the negative part.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.elu([0.0, 2.0], alpha=0.5).numpy().tolist()
        [0.0, 2.0]
    """
    x = _float(x)
    result = _nn.elu(x)
    return result if alpha == 1 else _engine.where(_math.greater(x, 0), result, alpha * result)


def _clipped(output):
    eps = _settings().epsilon()
    return _engine.clip_by_value(output, _engine.cast(eps, output.dtype),
                                  _engine.cast(1.0 - eps, output.dtype))


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy between targets and probabilities (or logits).

    Args:
        target: a tensor of 0/1 (or soft) targets.
        output: probabilities (clipped to [epsilon, 1 - epsilon]) or logits.
        from_logits: whether `output` holds logits.

    Returns:
        A tensor of `output`'s shape (not averaged).

    Example:
        >>> engine.keras.backend.binary_crossentropy([1.0], [0.5]).numpy().round(4)
        array([0.6931], dtype=float32)
    """
    output = _float(output)
    target = _engine.cast(target, output.dtype)
    if from_logits:
        return _nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _settings().epsilon()
    output = _clipped(output)
    return -(target * _math.log(output + eps) + (1.0 - target) * _math.log(1.0 - output + eps))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample categorical cross-entropy between one-hot targets and probabilities.

    Probabilities are renormalized to sum to 1 along `axis`, then clipped.

    Args:
        target: one-hot (or soft) targets.
        output: probabilities or logits, of `target`'s shape.
        from_logits: whether `output` holds logits.
        axis: the class axis.

    Returns:
        A tensor without the class axis.

    Example:
        >>> engine.keras.backend.categorical_crossentropy(
        ...     [[0.0, 1.0]], [[0.5, 0.5]]).numpy().round(4)
        array([0.6931], dtype=float32)
    """
    output = _float(output)
    target = _engine.cast(target, output.dtype)
    if from_logits:
        return _nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / _math.reduce_sum(output, axis=axis, keepdims=True)
    return -_math.reduce_sum(target * _math.log(_clipped(output)), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample categorical cross-entropy with integer class targets.

    Args:
        target: integer class indices, shaped like `output` without the class axis (a
            trailing axis of 1 is allowed).
        output: probabilities or logits.
        from_logits: whether `output` holds logits.
        axis: the class axis (must be the last).

    Returns:
        A tensor without the class axis.

    Raises:
        ValueError: for a class axis other than the last.

    Example:
        >>> engine.keras.backend.sparse_categorical_crossentropy(
        ...     [1], [[0.5, 0.5]]).numpy().round(4)
        array([0.6931], dtype=float32)
    """
    output = _float(output)
    rank = len(output.shape)
    if axis not in (-1, rank - 1):
        raise ValueError(f"sparse_categorical_crossentropy: axis={axis}; only the last axis "
                         "is supported. Move the class axis last with permute_dimensions.")
    target = convert_to_tensor(target)
    if len(target.shape) == rank:
        target = _engine.squeeze(target, [-1])
    logits = output if from_logits else _math.log(_clipped(output))
    return _nn.sparse_softmax_cross_entropy_with_logits(
        labels=_engine.cast(target, "int64"), logits=logits)


def l2_normalize(x, axis=None):
    """`x` divided by its L2 norm along `axis` (all axes for None).

    Args:
        x: a float tensor.
        axis: the axis or axes.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.l2_normalize([3.0, 4.0]).numpy().tolist()
        [0.6000000238418579, 0.800000011920929]
    """
    return _nn.l2_normalize(_float(x), axis=axis)


def dropout(x, level, noise_shape=None, seed=None):
    """Zeroes entries with probability `level` and scales the rest by 1 / (1 - level).

    Args:
        x: a tensor.
        level: the drop probability, in [0, 1).
        noise_shape: the shape of the keep mask (broadcast against `x`).
        seed: the random seed.

    Returns:
        A tensor.

    Example:
        >>> y = engine.keras.backend.dropout(np.ones((100,), "float32"), 0.5, seed=1)
        >>> sorted(set(y.numpy().tolist()))
        [0.0, 2.0]
    """
    return _nn.dropout(_float(x), rate=level, noise_shape=noise_shape, seed=seed)


def _channels_first(data_format) -> bool:
    data_format = data_format or _settings().image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format={data_format!r}; expected 'channels_last' or "
                         "'channels_first'.")
    return data_format == "channels_first"


def bias_add(x, bias, data_format=None):
    """Adds a per-channel bias to `x`.

    Args:
        x: a tensor `(batch, ..., channels)` (or channels first).
        bias: a 1-D bias of one value per channel, or a bias of rank `ndim(x) - 1`
            given channels last.
        data_format: "channels_last" or "channels_first" (default: the backend's).

    Returns:
        A tensor of `x`'s shape.

    Raises:
        ValueError: for a bias of another rank.

    Example:
        >>> engine.keras.backend.bias_add(np.zeros((1, 2, 3)), [1.0, 2.0, 3.0]).numpy()[0, 0]
        array([1., 2., 3.])
    """
    x = convert_to_tensor(x)
    bias = _engine.cast(bias, x.dtype)
    rank, bias_rank = len(x.shape), len(bias.shape)
    if bias_rank not in (1, rank - 1):
        raise ValueError(f"bias_add: got a bias of shape {bias.shape} for x of shape "
                         f"{x.shape}; expected a 1-D bias or one of rank {rank - 1}.")
    if not _channels_first(data_format):
        return x + bias
    if bias_rank == 1:
        return x + _engine.reshape(bias, [-1] + [1] * (rank - 2))
    return x + _engine.transpose(bias, [bias_rank - 1] + list(range(bias_rank - 1)))


def _tuple(value, n: int) -> list:
    return [int(value)] * n if isinstance(value, int) else [int(v) for v in value]


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution of `x` `(batch, steps, channels)` with `kernel` `(width, in, out)`.

    Args:
        x: the input.
        kernel: the filters.
        strides: the step between windows.
        padding: "valid", "same" or "causal" (left padding only, for sequence models).
        data_format: "channels_last" or "channels_first".
        dilation_rate: the spacing of kernel taps.

    Returns:
        A tensor `(batch, new_steps, out)`.

    Example:
        >>> out = engine.keras.backend.conv1d(np.ones((1, 5, 1), "float32"),
        ...                                   np.ones((3, 1, 1), "float32"), padding="causal")
        >>> out.numpy()[0, :, 0].tolist()
        [1.0, 2.0, 3.0, 3.0, 3.0]
    """
    first = _channels_first(data_format)
    x = _float(x)
    if padding == "causal":
        left = int(dilation_rate) * (int(convert_to_tensor(kernel).shape[0]) - 1)
        pads = [[0, 0], [0, 0], [left, 0]] if first else [[0, 0], [left, 0], [0, 0]]
        x, padding = _engine.pad(x, pads), "valid"
    return _nn.conv1d(x, kernel, stride=strides, padding=padding.upper(),
                      data_format="NCW" if first else "NWC", dilations=dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)):
    """2-D convolution of images `(batch, h, w, channels)` with `kernel` `(kh, kw, in, out)`.

    Args:
        x: the input.
        kernel: the filters.
        strides: the steps between windows, `(sh, sw)`.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first".
        dilation_rate: the spacing of kernel taps.

    Returns:
        A tensor.

    Example:
        >>> out = engine.keras.backend.conv2d(np.ones((1, 4, 4, 1), "float32"),
        ...                                   np.ones((2, 2, 1, 3), "float32"))
        >>> out.shape
        TensorShape([1, 3, 3, 3])
    """
    first = _channels_first(data_format)
    return _nn.conv2d(_float(x), kernel, strides=_tuple(strides, 2), padding=padding.upper(),
                      data_format="NCHW" if first else "NHWC",
                      dilations=_tuple(dilation_rate, 2))


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-D max or average pooling of images.

    Args:
        x: a tensor `(batch, h, w, channels)` (or channels first).
        pool_size: the window `(ph, pw)`.
        strides: the steps between windows.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first".
        pool_mode: "max" or "avg".

    Returns:
        A tensor.

    Raises:
        ValueError: for another `pool_mode`.

    Example:
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> engine.keras.backend.pool2d(x, (2, 2), (2, 2)).numpy()[0, :, :, 0].tolist()
        [[5.0, 7.0], [13.0, 15.0]]
    """
    pools = {"max": _nn.max_pool2d, "avg": _nn.avg_pool2d}
    if pool_mode not in pools:
        raise ValueError(f"pool2d: pool_mode={pool_mode!r}; expected 'max' or 'avg'.")
    first = _channels_first(data_format)
    return pools[pool_mode](_float(x), _tuple(pool_size, 2), _tuple(strides, 2),
                            padding.upper(), data_format="NCHW" if first else "NHWC")


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A tensor of normal samples.

    Args:
        shape: the shape.
        mean: the mean.
        stddev: the standard deviation.
        dtype: the dtype (default: `floatx()`).
        seed: the seed.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.random_normal((2, 3), seed=1).shape
        TensorShape([2, 3])
    """
    return _random.normal(shape, mean, stddev, dtype=dtype or _settings().floatx(), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """A tensor of samples uniform in [minval, maxval).

    Args:
        shape: the shape.
        minval: the lower bound.
        maxval: the upper bound.
        dtype: the dtype (default: `floatx()`).
        seed: the seed.

    Returns:
        A tensor.

    Example:
        >>> x = engine.keras.backend.random_uniform((100,), 2.0, 3.0, seed=1).numpy()
        >>> bool(x.min() >= 2.0 and x.max() < 3.0)
        True
    """
    return _random.uniform(shape, minval, maxval, dtype=dtype or _settings().floatx(),
                           seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """A tensor of 0s and 1s, each 1 with probability `p`.

    Args:
        shape: the shape.
        p: the probability of a 1.
        dtype: the dtype (default: `floatx()`).
        seed: the seed.

    Returns:
        A tensor.

    Example:
        >>> engine.keras.backend.random_bernoulli((3,), p=1.0).numpy().tolist()
        [1.0, 1.0, 1.0]
    """
    dtype = dtype or _settings().floatx()
    draws = _random.uniform(shape, 0.0, 1.0, dtype="float32", seed=seed)
    return _engine.cast(_math.less(draws, p), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn when more than two standard deviations from the mean.

    Args:
        shape: the shape.
        mean: the mean.
        stddev: the standard deviation (before truncation).
        dtype: the dtype (default: `floatx()`).
        seed: the seed.

    Returns:
        A tensor.

    Example:
        >>> x = engine.keras.backend.truncated_normal((1000,), seed=1).numpy()
        >>> bool(abs(x).max() <= 2.0)
        True
    """
    return _random.truncated_normal(shape, mean, stddev, dtype=dtype or _settings().floatx(),
                                    seed=seed)
