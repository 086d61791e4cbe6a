"""`Normalization` (feature-wise standardization learned by `adapt`) and `Rescaling`.

`Normalization.adapt` merges per-batch means and variances with the parallel algorithm
of Chan, Golub and LeVeque (1979): for running `(n_a, mean_a, M2_a)` and a batch
`(n_b, mean_b, M2_b)`, with `delta = mean_b - mean_a` and `n = n_a + n_b`,
`mean = mean_a + delta * n_b / n` and `M2 = M2_a + M2_b + delta**2 * n_a * n_b / n`
(`M2` is the sum of squared deviations; the variance is `M2 / n`). It is exact for any
batching and stable in float64 on the host, where the merge runs. The results go into
the non-trainable weights `mean`, `variance` and `count`, which traced functions read
when they run and which `save_weights`/`get_weights` carry.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine.convert import convert_to_tensor
from engine.keras.layers.preprocessing.host import host_array
from engine.keras.layers.preprocessing.preprocessing_layer import (
    PreprocessingLayer,
    ValuesInputLayer,
)
from engine.ops import array_ops, math_ops, unary_ops
from engine.tensor_shape import TensorShape

__all__ = ["Normalization", "Rescaling"]

_THREAD = context.THREAD


class Normalization(PreprocessingLayer):
    """Standardizes features: `(x - mean) / sqrt(variance)`, statistics from `adapt`.

    Args:
        axis: the axis or axes that keep separate statistics (default -1: one mean and
            variance per feature of the last axis); None for one scalar mean and variance.
            The other axes are reduced over by `adapt`.
        mean, variance: fixed statistics (broadcast to the kept axes' shape) instead of
            `adapt`; give both or neither.
        invert: apply the inverse, `mean + x * sqrt(variance)`.

    Calling the layer eagerly before `adapt` (or `set_weights`/`load_weights`) raises an
    error; traced functions read the statistics each time they run, so a function traced
    before `adapt` uses the adapted values afterwards.

    Example:
        >>> layer = engine.keras.layers.Normalization(axis=-1)
        >>> layer.adapt(np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]]))
        >>> layer(np.array([[0., 7., 4.]])).numpy()
        array([[-1., -1., -1.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(
                isinstance(a, (int, np.integer)) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"Normalization: axis must be an int, a tuple of ints or None; got "
                            f"{axis!r}.")
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: give both mean and variance, or neither (to "
                             f"adapt them); got mean={mean!r} and variance={variance!r}.")
        if not self._dtype.is_floating:
            raise TypeError(f"Normalization: dtype must be floating; got {self.dtype}.")
        self.axis = axis
        self.input_mean = _listify(mean)
        self.input_variance = _listify(variance)
        self.invert = bool(invert)
        self._ready = mean is not None
        self._running = None

    def build(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        ndim = len(dims)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.name}: axis={self.axis} is out of range for inputs of "
                             f"rank {ndim} (shape {tuple(dims)}); each axis must be in "
                             f"[{-ndim}, {ndim}).")
        keep = sorted({a % ndim for a in self.axis})
        unknown = [d for d in keep if dims[d] is None]
        if unknown:
            raise ValueError(f"{self.name}: the kept axes {self.axis} must have known sizes; "
                             f"got input shape {tuple(dims)} (axis {unknown[0]} is unknown). "
                             "Use axis=-1 for per-feature statistics of (batch, features).")
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = [dims[d] if d in keep else 1 for d in range(ndim)]
        self._stat_shape = tuple(dims[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", shape=self._stat_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", shape=self._stat_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight("count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:
            stats = []
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                try:
                    stats.append(np.broadcast_to(np.asarray(value, self._np_dtype),
                                                 self._stat_shape).reshape(
                                                     self._broadcast_shape))
                except ValueError:
                    raise ValueError(f"{self.name}: {name} of shape {np.shape(value)} cannot "
                                     f"broadcast to the kept axes' shape {self._stat_shape} "
                                     f"(inputs {tuple(dims)}, axis={self.axis}).") from None
            self._fixed_mean, self._fixed_variance = stats
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.dtype is self._dtype else math_ops.cast(inputs, self._dtype)
        if self.input_mean is not None:
            mean, variance = self._fixed_mean, self._fixed_variance
        else:
            if not self._ready and _THREAD.graph is None:
                self._check_adapted()
            mean = array_ops.reshape(self.adapt_mean, self._broadcast_shape)
            variance = array_ops.reshape(self.adapt_variance, self._broadcast_shape)
        from engine.keras import backend  # noqa: PLC0415

        std = math_ops.maximum(unary_ops.sqrt(variance), backend.epsilon())
        if self.invert:
            return mean + x * std
        return (x - mean) / std

    @property
    def mean(self):
        """The mean that `call` subtracts, shaped to broadcast against the inputs (e.g.
        `(1, features)` for `axis=-1`); None before the layer is built."""
        return self._statistic(0)

    @property
    def variance(self):
        """The variance that `call` divides by (its square root), shaped like `mean`; None
        before the layer is built."""
        return self._statistic(1)

    def _statistic(self, which: int):
        if not self.built:
            return None
        if self.input_mean is not None:
            return convert_to_tensor((self._fixed_mean, self._fixed_variance)[which])
        weight = (self.adapt_mean, self.adapt_variance)[which]
        return array_ops.reshape(weight, self._broadcast_shape)

    def _check_adapted(self) -> None:
        if int(self.count.numpy()) > 0:
            self._ready = True
            return
        raise RuntimeError(f"{self.name}: the layer has no statistics yet. Call "
                           "adapt(data) first, pass mean= and variance=, or restore adapted "
                           "weights with set_weights/load_weights.")

    # --- adapt --------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forgets the statistics gathered by `update_state` so far."""
        self._running = None
        if self.built and self.input_mean is None:
            zeros = np.zeros(self._stat_shape)
            self._running = (0, zeros, zeros.copy())

    def update_state(self, data) -> None:
        """Merges the mean and variance of one batch into the running statistics.

        Args:
            data: a batch of inputs (array or tensor).
        """
        if self.input_mean is not None:
            raise ValueError(f"{self.name}: cannot adapt a Normalization layer created with "
                             "fixed mean and variance; create it without them to adapt.")
        array = host_array(data)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: adapt needs numeric data; got values of dtype "
                            f"{array.dtype}.")
        if not self.built:
            self._maybe_build(data)
        if not self._keep_axis:  # axis=None: one mean over every value, whatever the rank
            array = array.reshape((-1,) + (1,) * (len(self._broadcast_shape) - 1))
        if array.ndim != len(self._broadcast_shape) or any(
                array.shape[d] != self._broadcast_shape[d] for d in self._keep_axis):
            raise ValueError(f"{self.name}: adapt got a batch of shape {array.shape}; the layer "
                             f"was built for shape {tuple(self._broadcast_shape)} on the "
                             f"kept axes {self._keep_axis}.")
        array = array.astype(np.float64)
        n_b = int(np.prod([array.shape[d] for d in self._reduce_axis], dtype=np.int64))
        if n_b == 0:
            return
        mean_b = array.mean(axis=self._reduce_axis)
        m2_b = ((array - mean_b.reshape(self._broadcast_shape)) ** 2).sum(axis=self._reduce_axis)
        if self._running is None:
            count = int(self.count.numpy())
            mean = np.asarray(self.adapt_mean.numpy(), np.float64)
            self._running = (count, mean, np.asarray(self.adapt_variance.numpy()) * count)
        n_a, mean_a, m2_a = self._running
        n = n_a + n_b
        delta = mean_b - mean_a
        self._running = (n, mean_a + delta * (n_b / n), m2_a + m2_b + delta ** 2 * (n_a * n_b / n))

    def finalize_state(self) -> None:
        """Writes the merged statistics into the `mean`, `variance` and `count` weights."""
        if self.input_mean is not None or self._running is None:
            return
        n, mean, m2 = self._running
        if n == 0:
            raise ValueError(f"{self.name}: adapt got no data (every batch was empty).")
        self.adapt_mean.assign(mean.astype(self._np_dtype))
        self.adapt_variance.assign((m2 / n).astype(self._np_dtype))
        self.count.assign(np.int64(n))
        self._running = None
        self._ready = True

    def set_weights(self, weights) -> None:
        """Sets `mean`, `variance` and `count` from arrays (as `get_weights` returns)."""
        super().set_weights(weights)
        self._ready = self.input_mean is not None

    def get_config(self) -> dict:
        """The layer's arguments (fixed statistics included; adapted ones are weights)."""
        config = super().get_config()
        config.update({"axis": list(self.axis) if len(self.axis) != 1 else self.axis[0],
                       "invert": self.invert, "mean": self.input_mean,
                       "variance": self.input_variance})
        if not self.axis:
            config["axis"] = None
        return config


def _listify(value):
    """A NumPy array or tensor as nested lists (so configs stay JSON-able)."""
    if value is None or isinstance(value, (int, float)):
        return value
    return np.asarray(host_array(value), dtype=np.float64).tolist()


class Rescaling(ValuesInputLayer):
    """Multiplies the inputs by `scale` and adds `offset`: `x * scale + offset`.

    Args:
        scale: a number (or a list broadcast against the inputs).
        offset: a number (or a list), default 0.

    Example:
        >>> engine.keras.layers.Rescaling(1 / 127.5, offset=-1)(np.array([0., 255.])).numpy()
        array([-1.,  1.], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _listify(scale)
        self.offset = _listify(offset)
        for name, value in (("scale", self.scale), ("offset", self.offset)):
            if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
                raise ValueError(f"Rescaling: {name} must be finite numbers; got {value!r}.")
        self._scale = np.asarray(self.scale, self._np_dtype)
        self._offset = np.asarray(self.offset, self._np_dtype)

    def call(self, inputs):
        x = inputs if inputs.dtype is self._dtype else math_ops.cast(inputs, self._dtype)
        return x * self._scale + self._offset

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config
