"""`engine.keras.constraints`: projections applied to weights after each update (Keras 2).

A constraint maps a weight's value to the value it is allowed to have; layers take them as
`kernel_constraint=MaxNorm(3)` (or "max_norm"), the weight is created with
`engine.Variable(..., constraint=c)`, and the optimizers assign `c(var)` after each update.
Constraints are built from engine ops, so they run eagerly and inside traced train steps.

Norms are taken along `axis` (default 0): for a Dense kernel `(input_dim, units)` that is
the norm of each unit's incoming weights; for a Conv2D kernel `(rows, cols, in, out)` in
"channels_last" use `axis=[0, 1, 2]`. `epsilon()` from `engine.keras.backend` (read at call
time) keeps the divisions finite.
"""

from __future__ import annotations

import engine
from engine.keras import backend as _backend
from engine.keras import serialization as _ser

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


def _axis_config(axis):
    return list(axis) if isinstance(axis, tuple) else axis


def _norms(w, axis):
    return engine.sqrt(engine.reduce_sum(engine.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class of weight constraints: `__call__(w)` returns the constrained value.

    Subclasses implement `__call__` and, when they take arguments, `get_config`.

    Example:
        >>> class Clip(engine.keras.constraints.Constraint):
        ...     def __call__(self, w):
        ...         return engine.clip_by_value(w, -1.0, 1.0)
        >>> Clip()(engine.constant([-3.0, 0.5])).numpy()
        array([-1. ,  0.5], dtype=float32)
    """

    def __call__(self, w):
        """The constrained value of `w`: `w` itself for the base class."""
        return w

    def get_config(self) -> dict:
        """The constructor arguments, as JSON-able values."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """Builds a constraint from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along `axis` exceeds `max_value` down to it.

    Args:
        max_value: the largest norm allowed.
        axis: the axis or axes the norm is taken over (0: each column of a Dense kernel).

    Example:
        >>> w = engine.constant([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
        >>> engine.keras.constraints.MaxNorm(1.0)(w).numpy().round(4)
        array([[0.6, 0.3],
               [0.8, 0.4]], dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = engine.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = engine.clip_by_value(norms, engine.cast(0, w.dtype),
                                       engine.cast(self.max_value, w.dtype))
        return w * (desired / (_backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": _axis_config(self.axis)}


class NonNeg(Constraint):
    """Sets negative weights to zero.

    Example:
        >>> engine.keras.constraints.NonNeg()(engine.constant([-1.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    def __call__(self, w):
        return engine.nn.relu(w)  # max(w, 0): Keras' `w * (w >= 0)` without its -0.0


class UnitNorm(Constraint):
    """Scales slices along `axis` to unit L2 norm.

    Args:
        axis: the axis or axes the norm is taken over (0: each column of a Dense kernel).

    Example:
        >>> w = engine.constant([[3.0], [4.0]])
        >>> engine.keras.constraints.UnitNorm()(w).numpy().round(4)
        array([[0.6],
               [0.8]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = engine.convert_to_tensor(w)
        return w / (_backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": _axis_config(self.axis)}


class MinMaxNorm(Constraint):
    """Moves each slice's L2 norm along `axis` into `[min_value, max_value]`.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`:
    `rate=1` enforces the bounds at once, smaller rates move towards them gradually.

    Args:
        min_value: the smallest norm allowed.
        max_value: the largest norm allowed.
        rate: how far to move towards the bounds per call, in [0, 1].
        axis: the axis or axes the norm is taken over (0: each column of a Dense kernel).

    Example:
        >>> w = engine.constant([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
        >>> c = engine.keras.constraints.MinMaxNorm(min_value=1.0, max_value=2.0)
        >>> c(w).numpy().round(4)
        array([[1.2, 0.6],
               [1.6, 0.8]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if min_value > max_value:
            raise ValueError(f"MinMaxNorm: got min_value={min_value!r} > "
                             f"max_value={max_value!r}; expected min_value <= max_value.")
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = engine.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        clipped = engine.clip_by_value(norms, engine.cast(self.min_value, w.dtype),
                                       engine.cast(self.max_value, w.dtype))
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (_backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": _axis_config(self.axis)}


# Keras 2's function-style aliases (the legacy `maxnorm`, ... are accepted as names too).
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_TABLE = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
          "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm, "nonneg": NonNeg,
          "unitnorm": UnitNorm}


def get(identifier):
    """Resolves a constraint: None, a name, a config dict, a class or a callable.

    Args:
        identifier: None, a name ("max_norm", "non_neg", "unit_norm", "min_max_norm", or
            the class names; built with default arguments), `serialize()`'s output, or a
            callable `w -> w'` (returned as it is).

    Returns:
        A constraint, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for a value that is neither of these.

    Example:
        >>> engine.keras.constraints.get("non_neg")
        NonNeg()
    """
    return _ser.resolve(identifier, _TABLE, "constraint")


def serialize(constraint) -> dict:
    """The plain-data form of a constraint: `{"class_name", "config"}`.

    Args:
        constraint: a constraint instance.

    Returns:
        A JSON-able dict.

    Example:
        >>> engine.keras.constraints.serialize(engine.keras.constraints.MaxNorm(3))
        {'class_name': 'MaxNorm', 'config': {'max_value': 3, 'axis': 0}}
    """
    return _ser.serialize_object(constraint)


def deserialize(config, custom_objects=None):
    """A constraint from `serialize()`'s output or a name (the inverse of `serialize`).

    Args:
        config: a `{"class_name", "config"}` dict or a name.
        custom_objects: extra `{name: class}` to look names up in.

    Returns:
        A constraint.

    Raises:
        ValueError: for an unknown class name.

    Example:
        >>> engine.keras.constraints.deserialize(
        ...     {"class_name": "UnitNorm", "config": {"axis": [0, 1]}})
        UnitNorm(axis=[0, 1])
    """
    if not isinstance(config, (str, dict)):
        raise TypeError(f"constraints.deserialize: got {config!r}; expected a name or a "
                        "{'class_name': ..., 'config': ...} dict.")
    return _ser.resolve(config, _TABLE, "constraint", custom_objects)
