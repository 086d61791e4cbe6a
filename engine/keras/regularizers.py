"""`engine.keras.regularizers`: weight penalties added to the training loss (Keras 2).

A regularizer maps a weight to a scalar penalty; layers take them as
`kernel_regularizer=L2(1e-4)` (or "l2") and add the penalty to `model.losses` each step.
The penalties are built from engine ops, so they have gradients and trace into
`engine.function` graphs; the factors are Python floats fixed at construction.

Keras 2 names: `L1`, `L2`, `L1L2`, `OrthogonalRegularizer`; the lower-case `l1` and `l2`
are the same classes, and `l1_l2(l1=0.01, l2=0.01)` builds an `L1L2` (so do the names
"l1", "l2" and "l1_l2" with their defaults of 0.01).
"""

from __future__ import annotations

import numbers

import engine
from engine.keras import serialization as _ser

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


def _factor(value, who: str, arg: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{who}: got {arg}={value!r}; expected a non-negative number such "
                         "as 0.01.")
    return float(value)


class Regularizer:
    """Base class of regularizers: `__call__(weight)` returns a scalar penalty.

    Subclasses implement `__call__` and `get_config`.

    Example:
        >>> class SumOfSquares(engine.keras.regularizers.Regularizer):
        ...     def __call__(self, x):
        ...         return engine.reduce_sum(engine.square(x))
        >>> float(SumOfSquares()(engine.constant([1.0, 2.0])))
        5.0
    """

    def __call__(self, x):
        """The penalty of weight `x`: 0 for the base class."""
        return engine.zeros((), dtype=engine.convert_to_tensor(x).dtype)

    def get_config(self) -> dict:
        """The constructor arguments, as JSON-able values."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be "
                                  "serialized.")

    @classmethod
    def from_config(cls, config: dict):
        """Builds a regularizer from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """L1 penalty: `l1 * reduce_sum(abs(x))`.

    Args:
        l1: the factor (>= 0).

    Example:
        >>> float(engine.keras.regularizers.L1(0.5)(engine.constant([1.0, -3.0])))
        2.0
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "L1", "l1")

    def __call__(self, x):
        return self.l1 * engine.reduce_sum(engine.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty: `l2 * reduce_sum(square(x))` (no factor 1/2, as in Keras).

    Args:
        l2: the factor (>= 0).

    Example:
        >>> float(engine.keras.regularizers.L2(0.5)(engine.constant([1.0, -3.0])))
        5.0
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "L2", "l2")

    def __call__(self, x):
        return self.l2 * engine.reduce_sum(engine.square(x))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """L1 and L2 penalties: `l1 * reduce_sum(abs(x)) + l2 * reduce_sum(square(x))`.

    Args:
        l1: the L1 factor (>= 0).
        l2: the L2 factor (>= 0).

    Example:
        >>> reg = engine.keras.regularizers.L1L2(l1=1.0, l2=1.0)
        >>> float(reg(engine.constant([1.0, -3.0])))
        14.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "L1L2", "l1")
        self.l2 = _factor(l2, "L1L2", "l2")

    def __call__(self, x):
        x = engine.convert_to_tensor(x)
        penalty = engine.zeros((), dtype=x.dtype)
        if self.l1:
            penalty += self.l1 * engine.reduce_sum(engine.abs(x))
        if self.l2:
            penalty += self.l2 * engine.reduce_sum(engine.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards orthogonality.

    The rows are scaled to unit length, and the penalty is
    `factor * mean over pairs i < j of |<row_i, row_j>|` (Keras' formula), 0 for
    orthogonal rows.

    Args:
        factor: the weight of the penalty (>= 0).
        mode: "rows" or "columns".

    Example:
        >>> reg = engine.keras.regularizers.OrthogonalRegularizer(factor=1.0)
        >>> float(reg(engine.constant([[1.0, 0.0], [0.0, 2.0]])))
        0.0
        >>> float(reg(engine.constant([[1.0, 0.0], [1.0, 0.0]])))
        1.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "OrthogonalRegularizer", "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: got mode={mode!r}; expected 'rows' or "
                             "'columns'.")
        self.mode = mode

    def __call__(self, x):
        x = engine.convert_to_tensor(x)
        if x.shape.rank != 2:
            raise ValueError(f"OrthogonalRegularizer: got a weight of shape {x.shape}; it "
                             "applies to 2-D weights only (e.g. Dense kernels).")
        if self.mode == "rows":
            x = engine.math.l2_normalize(x, axis=1)
            product = engine.matmul(x, x, transpose_b=True)
            size = x.shape[0]
        else:
            x = engine.math.l2_normalize(x, axis=0)
            product = engine.matmul(x, x, transpose_a=True)
            size = x.shape[1]
        if size < 2:
            return engine.zeros((), dtype=x.dtype)
        off_diagonal = product * (1.0 - engine.eye(size, dtype=x.dtype))
        pairs = size * (size - 1) / 2
        # Each pair appears twice in the symmetric product: 0.5 counts it once.
        return self.factor * 0.5 * engine.reduce_sum(engine.abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer


def l1_l2(l1=0.01, l2=0.01):
    """An `L1L2` regularizer with both factors 0.01 by default.

    Args:
        l1: the L1 factor.
        l2: the L2 factor.

    Returns:
        An `L1L2` instance.

    Example:
        >>> engine.keras.regularizers.l1_l2()
        L1L2(l1=0.01, l2=0.01)
    """
    return L1L2(l1=l1, l2=l2)


_TABLE = {"l1": L1, "l2": L2, "L1L2": L1L2, "l1_l2": l1_l2,
          "orthogonal_regularizer": OrthogonalRegularizer}


def _resolve(identifier, custom_objects=None):
    found = _ser.resolve(identifier, _TABLE, "regularizer", custom_objects)
    if found is l1_l2:  # a function, not a class: build it with the config's factors
        config = identifier.get("config") or {} if isinstance(identifier, dict) else {}
        return l1_l2(**config)
    return found


def get(identifier):
    """Resolves a regularizer: None, a name, a config dict, or a callable.

    Args:
        identifier: None, a name ("l1", "l2", "l1_l2", "L1L2", "orthogonal_regularizer";
            built with their default factors), `serialize()`'s output, or a callable
            `weight -> scalar` (returned as it is).

    Returns:
        A regularizer, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for a value that is neither of these.

    Example:
        >>> engine.keras.regularizers.get("l2")
        L2(l2=0.01)
    """
    return _resolve(identifier)


def serialize(regularizer) -> dict:
    """The plain-data form of a regularizer: `{"class_name", "config"}`.

    Args:
        regularizer: a regularizer instance.

    Returns:
        A JSON-able dict.

    Example:
        >>> engine.keras.regularizers.serialize(engine.keras.regularizers.L1(0.5))
        {'class_name': 'L1', 'config': {'l1': 0.5}}
    """
    return _ser.serialize_object(regularizer)


def deserialize(config, custom_objects=None):
    """A regularizer from `serialize()`'s output or a name (the inverse of `serialize`).

    Args:
        config: a `{"class_name", "config"}` dict or a name.
        custom_objects: extra `{name: class}` to look names up in.

    Returns:
        A regularizer.

    Raises:
        ValueError: for an unknown class name.

    Example:
        >>> engine.keras.regularizers.deserialize({"class_name": "L2", "config": {"l2": 0.1}})
        L2(l2=0.1)
    """
    if not isinstance(config, (str, dict)):
        raise TypeError(f"regularizers.deserialize: got {config!r}; expected a name or a "
                        "{'class_name': ..., 'config': ...} dict.")
    return _resolve(config, custom_objects)
