"""Normalization layers: `BatchNormalization` and `LayerNormalization`.

Both compute their statistics in float32 or wider: float16 and bfloat16 inputs are cast up,
normalized, and cast back, and the layers keep their weights in float32 (as Keras 2 does
under mixed precision).

`BatchNormalization` updates its moving statistics with `Variable.assign_sub`, an ordinary
engine op: eagerly it runs at once; inside `engine.function` it becomes a stateful graph
node that keeps its place in program order, so a traced train step updates the statistics
exactly as an eager one does. The moving variance follows the biased batch variance
(`engine.nn.moments`), as Keras 3 and Keras 2's non-fused path do (Keras 2's fused CPU/GPU
kernels use the unbiased one; the difference is a factor n / (n - 1)).
"""

from __future__ import annotations

import numbers

import engine
from engine import dtypes as _dt
from engine.keras import constraints, initializers, regularizers
from engine.keras.layers.base import InputSpec, Layer

__all__ = ["BatchNormalization", "LayerNormalization"]

_HALF = ("float16", "bfloat16")


def _normalize_axes(layer, axis, input_shape) -> list:
    """`axis` (int or list) as sorted non-negative ints, checked against the input rank."""
    rank = input_shape.rank
    if rank is None:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): the input rank must be known "
                         f"to build the layer; got shape {input_shape}.")
    axes = [axis] if isinstance(axis, numbers.Integral) else list(axis)
    out = []
    for a in axes:
        if not -rank <= int(a) < rank:
            raise ValueError(f"{layer.name} ({type(layer).__name__}): axis {a} is out of range "
                             f"for inputs of rank {rank} (shape {input_shape}); pass an axis "
                             f"in [{-rank}, {rank}).")
        out.append(int(a) % rank)
    if len(set(out)) != len(out):
        raise ValueError(f"{layer.name} ({type(layer).__name__}): duplicate axes in "
                         f"axis={axis!r}.")
    for a in out:
        if input_shape[a] is None:
            raise ValueError(f"{layer.name} ({type(layer).__name__}): axis {a} of the inputs "
                             f"must have a known size; got shape {input_shape}.")
    return sorted(out)


def _check_axis_arg(cls_name: str, axis) -> None:
    ok = isinstance(axis, numbers.Integral) or (
        isinstance(axis, (list, tuple)) and axis and
        all(isinstance(a, numbers.Integral) for a in axis))
    if not ok:
        raise TypeError(f"{cls_name}: axis must be an int or a non-empty list of ints; got "
                        f"{axis!r}.")


def _param_dtype(layer):
    """Weights of half-precision layers are float32 (stats need the precision)."""
    return _dt.float32 if layer.dtype in _HALF else layer._dtype


def _to_compute(x):
    return engine.cast(x, _dt.float32) if x.dtype.name in _HALF else x


def _as_dtype(v, dtype):
    """`v` cast to `dtype` only when it differs (a variable stays a variable)."""
    return v if v.dtype == dtype else engine.cast(v, dtype)


class _Normalization(Layer):
    """Shared configuration of the normalization layers: beta/gamma and their options."""

    supports_masking = True

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        _check_axis_arg(type(self).__name__, axis)
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else list(axis)
        if not float(epsilon) >= 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be >= 0; got {epsilon!r}.")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def _add_gamma_beta(self, param_shape) -> None:
        dtype = _param_dtype(self)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape=param_shape, dtype=dtype,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape=param_shape, dtype=dtype,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint)})
        return config


class BatchNormalization(_Normalization):
    """Normalizes each feature with batch statistics while training, moving ones otherwise.

    `training=True`: `gamma * (x - mean) / sqrt(var + epsilon) + beta` with the mean and
    variance of this batch (over every axis but `axis`), and the moving statistics move
    toward them: `moving = moving * momentum + batch_value * (1 - momentum)`.
    `training=False` (the default, and always for a frozen layer, `trainable=False`, as in
    TF 2 Keras) normalizes with `moving_mean` and `moving_variance` instead.

    With a mask (e.g. after `Embedding(mask_zero=True)`), masked positions do not count
    toward the batch statistics.

    Args:
        axis: the feature axis (or list of axes) that keeps its own statistics.
        momentum: the decay of the moving statistics.
        epsilon: added to the variance to keep the division finite.
        center: learn an offset `beta`.
        scale: learn a multiplier `gamma`.
        beta_initializer, gamma_initializer: initializers of beta and gamma.
        moving_mean_initializer, moving_variance_initializer: initializers of the
            moving statistics.
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.
        synchronized, fused: accepted for Keras compatibility (one device, one
            implementation).
        **kwargs: base layer arguments (name, dtype, trainable, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.BatchNormalization(momentum=0.5)
        >>> x = engine.constant([[0.0], [2.0]])
        >>> layer(x, training=True).numpy()
        array([[-0.999...],
               [ 0.999...]], dtype=float32)
        >>> layer.moving_mean.numpy(), layer.moving_variance.numpy()
        (array([0.5], dtype=float32), array([1.], dtype=float32))
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, fused=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1]; got "
                             f"{momentum!r}.")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = bool(synchronized)

    def build(self, input_shape):
        axes = _normalize_axes(self, self.axis, input_shape)
        rank = input_shape.rank
        if len(axes) == 1:
            param_shape = [input_shape[axes[0]]]
        else:  # several axes: weights broadcast against the input directly (as Keras 2)
            param_shape = [input_shape[i] if i in axes else 1 for i in range(rank)]
        self._axes = axes
        self._reduction_axes = [i for i in range(rank) if i not in axes]
        # Single-axis weights need a reshape to broadcast unless the axis is the last one.
        self._broadcast_shape = None if len(axes) > 1 or axes[0] == rank - 1 else [
            input_shape[i] if i in axes else 1 for i in range(rank)]
        self._add_gamma_beta(param_shape)
        dtype = _param_dtype(self)
        self.moving_mean = self.add_weight("moving_mean", shape=param_shape, dtype=dtype,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape=param_shape,
                                               dtype=dtype,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})
        self.built = True

    def _broadcast(self, v, x):
        """A weight (or moving statistic) as `x`'s dtype, shaped to broadcast against it."""
        if v is None:
            return None
        v = _as_dtype(v, x.dtype)
        return v if self._broadcast_shape is None else engine.reshape(v, self._broadcast_shape)

    def _batch_moments(self, x, mask):
        """Mean and variance over the reduction axes, with kept (size 1) reduced axes."""
        axes = self._reduction_axes
        if mask is None:
            return engine.nn.moments(x, axes, keepdims=True)
        weights = engine.cast(mask, x.dtype)
        if weights.shape.rank == x.shape.rank - 1:
            weights = engine.expand_dims(weights, -1)
        weights = weights + engine.zeros_like(x)  # broadcast to x's shape
        # The weights are 0/1, so the count is 0 or >= 1: max(count, 1) only guards 0 / 0.
        count = engine.maximum(engine.reduce_sum(weights, axes, keepdims=True), 1.0)
        mean = engine.reduce_sum(weights * x, axes, keepdims=True) / count
        deviation = engine.squared_difference(x, engine.stop_gradient(mean))
        return mean, engine.reduce_sum(weights * deviation, axes, keepdims=True) / count

    def _update_moving(self, variable, value) -> None:
        if len(self._axes) == 1:
            value = engine.reshape(value, [-1])
        # A Python-number factor keeps its full precision in the variable's dtype.
        variable.assign_sub((variable - _as_dtype(value, variable.dtype)) * (1.0 - self.momentum))

    def call(self, inputs, training=None, mask=None):
        training = bool(training) and self.trainable  # a frozen layer runs in inference
        x = _to_compute(inputs)
        if training:
            mean, variance = self._batch_moments(x, mask)
            self._update_moving(self.moving_mean, mean)
            self._update_moving(self.moving_variance, variance)
        else:
            mean = self._broadcast(self.moving_mean, x)
            variance = self._broadcast(self.moving_variance, x)
        out = engine.nn.batch_normalization(x, mean, variance, self._broadcast(self.beta, x),
                                            self._broadcast(self.gamma, x), self.epsilon)
        return _as_dtype(out, inputs.dtype)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({
            "momentum": self.momentum,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "synchronized": self.synchronized})
        return config


class LayerNormalization(_Normalization):
    """Normalizes each example over `axis` (by default its features), then scales and shifts.

    `gamma * (x - mean) / sqrt(var + epsilon) + beta`, with the mean and variance of each
    example over `axis`; the same computation in training and inference.

    Args:
        axis: the axis (or list of axes) to normalize over; gamma and beta have their shape.
        epsilon: added to the variance to keep the division finite.
        center: learn an offset `beta`.
        scale: learn a multiplier `gamma`.
        beta_initializer, gamma_initializer: initializers of beta and gamma.
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.
        **kwargs: base layer arguments (name, dtype, trainable, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.LayerNormalization(epsilon=0.0)
        >>> layer(engine.constant([[1.0, 3.0], [0.0, 10.0]])).numpy()
        array([[-1.,  1.],
               [-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)

    def build(self, input_shape):
        axes = _normalize_axes(self, self.axis, input_shape)
        rank = input_shape.rank
        self._axes = axes
        self._add_gamma_beta([input_shape[a] for a in axes])
        trailing = axes == list(range(rank - len(axes), rank))
        self._broadcast_shape = None if trailing else [
            input_shape[i] if i in axes else 1 for i in range(rank)]
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})
        self.built = True

    def _broadcast(self, v, x):
        if v is None:
            return None
        v = _as_dtype(v, x.dtype)
        return v if self._broadcast_shape is None else engine.reshape(v, self._broadcast_shape)

    def call(self, inputs):
        x = _to_compute(inputs)
        mean, variance = engine.nn.moments(x, self._axes, keepdims=True)
        out = engine.nn.batch_normalization(x, mean, variance, self._broadcast(self.beta, x),
                                         self._broadcast(self.gamma, x), self.epsilon)
        return _as_dtype(out, inputs.dtype)
