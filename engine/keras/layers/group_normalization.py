"""`GroupNormalization` and `UnitNormalization`: per-example normalization layers.

`GroupNormalization` splits the channels into `groups` groups and normalizes each example
within each group (over the group's channels and every spatial position), so its
statistics never mix examples: it behaves the same for any batch size, in training and
inference. `groups=1` gives layer normalization over all non-batch axes with per-channel
`gamma`/`beta`; `groups=channels` (or -1) gives instance normalization.

`UnitNormalization` scales each example to unit L2 norm along `axis`.

Like the other normalization layers (normalization.py), half-precision inputs are
normalized in float32 and cast back, and the weights are kept in float32.
"""

from __future__ import annotations

import numbers

import engine
from engine.errors import ShapeError
from engine.keras.layers.base import InputSpec, Layer
from engine.keras.layers.normalization import _as_dtype, _Normalization, _to_compute

__all__ = ["GroupNormalization", "UnitNormalization"]


def _static_or_dynamic(dims: list):
    """A reshape target from `dims` (ints and None for `x`'s unknown sizes)."""
    if dims.count(None) <= 1:
        return [-1 if d is None else d for d in dims]
    return None  # two or more unknown sizes: the caller builds the shape from engine.shape


class GroupNormalization(_Normalization):
    """Normalizes each example over groups of channels, then scales and shifts per channel.

    For `(batch, ..., channels)` inputs and `groups=G`, the channels are split into `G`
    groups of `channels / G`; each example's values in a group (all positions, the group's
    channels) are normalized to mean 0 and variance 1, then `gamma * x + beta` with one
    `gamma` and `beta` per channel. The same computation in training and inference.

    Args:
        groups: the number of groups; must divide the number of channels. -1 means one
            group per channel (instance normalization).
        axis: the channel axis (an int; not the batch axis 0).
        epsilon: added to the variance to keep the division finite.
        center: learn an offset `beta`.
        scale: learn a multiplier `gamma`.
        beta_initializer, gamma_initializer: initializers of beta and gamma.
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.
        **kwargs: base layer arguments (name, dtype, trainable, input_shape, ...).

    Example:
        >>> layer = engine.keras.layers.GroupNormalization(groups=2, epsilon=0.0)
        >>> layer(engine.constant([[1.0, 3.0, 0.0, 10.0]])).numpy()
        array([[-1.,  1., -1.,  1.]], dtype=float32)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"GroupNormalization: axis must be one int (the channel axis); "
                            f"got axis={axis!r}.")
        if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or not (
                groups >= 1 or groups == -1):
            raise ValueError(f"GroupNormalization: groups must be a positive int (or -1 for "
                             f"one group per channel); got groups={groups!r}.")
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        self.groups = int(groups)

    def build(self, input_shape):
        rank = input_shape.rank
        if rank is None or not -rank <= self.axis < rank:
            raise ValueError(f"{self.name} (GroupNormalization): axis {self.axis} is out of "
                             f"range for inputs of shape {input_shape}; pass an axis in "
                             f"[{-(rank or 0)}, {rank}).")
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"{self.name} (GroupNormalization): axis={self.axis} is the batch "
                             "axis; pass the channel axis (-1 for channels_last, 1 for "
                             "channels_first).")
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"{self.name} (GroupNormalization): the channel axis {axis} must "
                             f"have a known size; got shape {input_shape}.")
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ShapeError(f"{self.name} (GroupNormalization): groups={groups} must divide "
                             f"the {channels} channels (axis {axis} of shape {input_shape}); "
                             f"pass a divisor of {channels} as groups.")
        self._axis, self._groups, self._channels = axis, groups, channels
        self._add_gamma_beta([channels])
        self._param_shape = [channels if i == axis else 1 for i in range(rank)]
        self.input_spec = InputSpec(ndim=rank, axes={axis: channels})
        self.built = True

    def _reshape_into_groups(self, x):
        """`x` with its channel axis split in two: `(..., groups, channels / groups, ...)`."""
        axis, groups = self._axis, self._groups
        dims = x.shape.as_list()
        grouped = dims[:axis] + [groups, self._channels // groups] + dims[axis + 1:]
        target = _static_or_dynamic(grouped)
        if target is None:
            shape = engine.shape(x)
            target = engine.concat([shape[:axis], [groups, self._channels // groups],
                                    shape[axis + 1:]], 0)
        return engine.reshape(x, target)

    def call(self, inputs):
        x = _to_compute(inputs)
        grouped = self._reshape_into_groups(x)
        # Statistics per example and group: over every axis but the batch and group axes.
        axes = [i for i in range(1, grouped.shape.rank) if i != self._axis]
        mean, variance = engine.nn.moments(grouped, axes, keepdims=True)
        normalized = (grouped - mean) * engine.math.rsqrt(variance + self.epsilon)
        back = _static_or_dynamic(x.shape.as_list())
        out = engine.reshape(normalized, back if back is not None else engine.shape(x))
        if self.gamma is not None:
            out = out * engine.reshape(_as_dtype(self.gamma, x.dtype), self._param_shape)
        if self.beta is not None:
            out = out + engine.reshape(_as_dtype(self.beta, x.dtype), self._param_shape)
        return _as_dtype(out, inputs.dtype)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["groups"] = self.groups
        return config


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm along `axis`: `x / sqrt(sum(x ** 2, axis))`.

    The squared norm is bounded below by 1e-12, so all-zero inputs stay zero.

    Args:
        axis: the axis, or list of axes, to normalize over (default the last).
        **kwargs: base layer arguments (name, dtype, input_shape, ...).

    Example:
        >>> engine.keras.layers.UnitNormalization()(engine.constant([[3.0, 4.0]])).numpy()
        array([[0.6, 0.8]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        ints = isinstance(axis, (list, tuple)) and axis and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis)
        if not (ints or isinstance(axis, numbers.Integral) and not isinstance(axis, bool)):
            raise TypeError(f"UnitNormalization: axis must be an int or a non-empty list of "
                            f"ints; got axis={axis!r}.")
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else [int(a) for a in axis]

    def build(self, input_shape):
        rank = input_shape.rank
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if rank is not None and not -rank <= a < rank:
                raise ValueError(f"{self.name} (UnitNormalization): axis {a} is out of range "
                                 f"for inputs of shape {input_shape}; pass an axis in "
                                 f"[{-rank}, {rank}).")
        self.built = True

    def call(self, inputs):
        x = _to_compute(inputs)
        return _as_dtype(engine.math.l2_normalize(x, axis=self.axis), inputs.dtype)

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config["axis"] = self.axis
        return config
