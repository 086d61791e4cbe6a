"""Random initializers: normal, uniform, truncated, variance scaling and orthogonal.

They draw with stateless random ops, seeded as the package docstring says.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

import engine
from engine.keras.initializers.initializer import Initializer, compute_fans, dtype_of, shape_of

__all__ = ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
           "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
           "LecunNormal", "Orthogonal"]

# The stddev of a standard normal truncated to [-2, 2]: VarianceScaling divides by it so
# that the truncated values have the requested variance.
_TRUNCATED_STDDEV = 0.87962566103423978
_MAX_SEED = 2**31 - 1


class _Seeded(Initializer):
    """Holds the seed and gives the stateless ops their `[seed, seed2]` pair."""

    def __init__(self, seed=None):
        if seed is not None:
            try:
                seed = operator.index(seed)
            except TypeError:
                raise TypeError(f"{type(self).__name__}: got seed={seed!r}; expected an int "
                                "or None.") from None
        self.seed = seed
        self._drawn_seed = None
        self._calls = 0

    def _seed_pair(self) -> list:
        self._calls += 1
        if self.seed is not None:
            return [self.seed, 0]
        if self._calls == 2:
            warnings.warn(f"The initializer {type(self).__name__} is unseeded and is being "
                          "called again: it returns the same values as before (Keras 2.11+ "
                          "behaviour). Pass a seed, use a new instance per weight (a name "
                          "such as 'glorot_uniform', or init.clone()).", stacklevel=3)
        if self._drawn_seed is None:
            with engine.init_scope():  # a Python int even while tracing
                drawn = engine.random.uniform([2], maxval=_MAX_SEED, dtype=engine.int64)
                self._drawn_seed = [int(s) for s in drawn.numpy()]
        return self._drawn_seed

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_Seeded):
    """Samples a normal distribution.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> init = engine.keras.initializers.RandomNormal(stddev=1.0, seed=1)
        >>> bool(engine.reduce_all(init((3,)) == init((3,))))
        True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return engine.random.stateless_normal(
            shape_of(shape, "RandomNormal"), self._seed_pair(), self.mean, self.stddev,
            dtype=dtype_of(dtype, "RandomNormal", floating=True))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """Samples a uniform distribution in `[minval, maxval)`.

    Args:
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> x = engine.keras.initializers.RandomUniform(-1.0, 1.0, seed=1)((1000,))
        >>> bool(engine.reduce_all(engine.abs(x) <= 1.0))
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        dtype = dtype_of(dtype, "RandomUniform", floating=True, integer_ok=True)
        minval, maxval = self.minval, self.maxval
        if dtype.is_integer:
            minval, maxval = int(math.ceil(minval)), int(math.ceil(maxval))
        return engine.random.stateless_uniform(
            shape_of(shape, "RandomUniform"), self._seed_pair(), minval, maxval, dtype=dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Seeded):
    """Samples a normal distribution, re-drawing values more than 2 stddev from the mean.

    Args:
        mean: the mean.
        stddev: the standard deviation before truncation.
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> x = engine.keras.initializers.TruncatedNormal(stddev=1.0, seed=1)((1000,))
        >>> bool(engine.reduce_max(engine.abs(x)) <= 2.0)
        True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return engine.random.stateless_truncated_normal(
            shape_of(shape, "TruncatedNormal"), self._seed_pair(), self.mean, self.stddev,
            dtype=dtype_of(dtype, "TruncatedNormal", floating=True))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_Seeded):
    """Scales its samples' variance to the weight's size: `scale / n`.

    `n` is `fan_in`, `fan_out` or their mean (`mode`). With "truncated_normal" the
    samples' stddev after truncation is `sqrt(scale / n)`; with "untruncated_normal"
    likewise without truncation; with "uniform" they lie in `[-limit, limit]`,
    `limit = sqrt(3 * scale / n)`.

    Args:
        scale: a positive scaling factor.
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal" (also "normal"), "untruncated_normal" or
            "uniform".
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> init = engine.keras.initializers.VarianceScaling(2.0, "fan_in", "uniform", seed=1)
        >>> x = init((50, 10))  # limit sqrt(3 * 2 / 50) ~ 0.346
        >>> bool(engine.reduce_max(engine.abs(x)) <= 0.3465)
        True
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        who = type(self).__name__
        if not scale > 0:
            raise ValueError(f"{who}: got scale={scale!r}; expected a positive number.")
        if mode not in _MODES:
            raise ValueError(f"{who}: got mode={mode!r}; expected one of {list(_MODES)}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"{who}: got distribution={distribution!r}; expected one of "
                             f"{list(_DISTRIBUTIONS)}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        who = type(self).__name__
        shape = shape_of(shape, who)
        dtype = dtype_of(dtype, who, floating=True)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        seed = self._seed_pair()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return engine.random.stateless_truncated_normal(shape, seed, 0.0, stddev, dtype)
        if self.distribution == "untruncated_normal":
            return engine.random.stateless_normal(shape, seed, 0.0, math.sqrt(variance), dtype)
        limit = math.sqrt(3.0 * variance)
        return engine.random.stateless_uniform(shape, seed, -limit, limit, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Preset(VarianceScaling):
    """A `VarianceScaling` with fixed arguments: its constructor takes only `seed`."""

    _ARGS = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        super().__init__(*self._ARGS, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """Glorot (Xavier) uniform: samples within `sqrt(6 / (fan_in + fan_out))` of 0.

    `VarianceScaling(scale=1.0, mode="fan_avg", distribution="uniform")`.

    Args:
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> engine.keras.initializers.GlorotUniform(seed=1)((3, 4)).shape
        TensorShape([3, 4])
    """

    _ARGS = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Glorot (Xavier) normal: truncated, stddev `sqrt(2 / (fan_in + fan_out))`.

    `VarianceScaling(scale=1.0, mode="fan_avg", distribution="truncated_normal")`.

    Args:
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> engine.keras.initializers.GlorotNormal(seed=1)((3, 4)).shape
        TensorShape([3, 4])
    """

    _ARGS = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_Preset):
    """He uniform: samples within `sqrt(6 / fan_in)` of 0.

    `VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")`.

    Args:
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> engine.keras.initializers.HeUniform(seed=1)((3, 4)).shape
        TensorShape([3, 4])
    """

    _ARGS = (2.0, "fan_in", "uniform")


class HeNormal(_Preset):
    """He normal: truncated, stddev `sqrt(2 / fan_in)` (for ReLU layers).

    `VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal")`.

    Args:
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> engine.keras.initializers.HeNormal(seed=1)((3, 4)).shape
        TensorShape([3, 4])
    """

    _ARGS = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """LeCun uniform: samples within `sqrt(3 / fan_in)` of 0.

    `VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform")`.

    Args:
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> engine.keras.initializers.LecunUniform(seed=1)((3, 4)).shape
        TensorShape([3, 4])
    """

    _ARGS = (1.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """LeCun normal: truncated, stddev `sqrt(1 / fan_in)` (for SELU layers).

    `VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal")`.

    Args:
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> engine.keras.initializers.LecunNormal(seed=1)((3, 4)).shape
        TensorShape([3, 4])
    """

    _ARGS = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_Seeded):
    """A random orthogonal matrix times `gain` (rows or columns orthonormal).

    A weight of shape `(..., n)` is treated as a matrix of `prod(shape[:-1])` rows and
    `n` columns: the QR decomposition of a normal sample, with signs fixed so the
    distribution is uniform over orthogonal matrices.

    Args:
        gain: a factor applied to the matrix.
        seed: an int for fixed values, or None (see the module docstring).

    Example:
        >>> q = engine.keras.initializers.Orthogonal(seed=1)((3, 3))
        >>> np.allclose(q.numpy() @ q.numpy().T, np.eye(3), atol=1e-6)
        True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = shape_of(shape, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: got shape {shape}; expected a shape of rank >= 2 "
                             "(use RandomNormal for vectors).")
        dtype = dtype_of(dtype, "Orthogonal", floating=True)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        seed = self._seed_pair()
        # The decomposition has no engine op; it depends only on the seed and shape, so it
        # runs eagerly even while tracing and enters a graph as a constant.
        with engine.init_scope():
            sample = engine.random.stateless_normal((max(rows, cols), min(rows, cols)), seed,
                                                    dtype=engine.float64).numpy()
        q, r = np.linalg.qr(sample)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return engine.constant(self.gain * q.reshape(shape), dtype=dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}
