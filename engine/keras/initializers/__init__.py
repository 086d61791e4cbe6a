"""`engine.keras.initializers`: the starting values of weights (Keras 2 semantics).

An initializer is called with a shape and an optional dtype (default
`engine.keras.backend.floatx()`) and returns an engine tensor:

    init = engine.keras.initializers.GlorotUniform(seed=1)
    kernel = engine.Variable(init((784, 128)))

Seeds, as in Keras 2.11 and later. Random initializers draw with stateless ops, so one
initializer instance returns the same values on every call for a given shape and dtype:
- `seed=<int>`: the values depend only on the seed (and shape and dtype).
- `seed=None`: on its first call the instance draws a seed of its own from
  `engine.random` (fixed by `engine.random.set_seed`, fresh OS entropy otherwise) and
  keeps it, so a second call warns (as Keras does) and returns the same values again.
  Pass a name such as "glorot_uniform", or `clone()` the instance, to give each weight a
  new initializer and so different values.

Fans. `fan_in` and `fan_out` are a weight's input and output sizes: a dense kernel of shape
`(in, out)` has fans `in` and `out`; a convolution kernel `(*window, in, out)` multiplies
both by the window size (the receptive field), as in Keras.
"""

from __future__ import annotations

from engine.keras import serialization as _ser
from engine.keras.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from engine.keras.initializers.initializer import Initializer
from engine.keras.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
           "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "get",
           "serialize", "deserialize",
           # Keras 2's snake_case aliases of the classes
           "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
           "lecun_uniform", "lecun_normal", "orthogonal", "identity"]

# Keras 2 also names the classes in snake_case: `initializers.glorot_uniform(seed=1)`.
zeros, ones, constant, identity, orthogonal = Zeros, Ones, Constant, Identity, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, glorot_uniform, glorot_normal = VarianceScaling, GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


_CLASSES = (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
            LecunNormal, Orthogonal, Identity)
_TABLE = {_ser.snake_case(cls.__name__): cls for cls in _CLASSES}
# Keras 2's short aliases.
_TABLE.update(zero=Zeros, one=Ones, normal=RandomNormal, uniform=RandomUniform)


def get(identifier):
    """Resolves an initializer: None, a name, a config dict, a class or an instance.

    Args:
        identifier: None, a name such as "glorot_uniform" or "GlorotUniform" (a new
            instance each time), `serialize()`'s output, a class, or a callable
            `(shape, dtype=None) -> tensor` (returned as it is).

    Returns:
        An initializer, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for a value that is neither of these.

    Example:
        >>> engine.keras.initializers.get("he_normal")
        HeNormal(seed=None)
    """
    return _ser.resolve(identifier, _TABLE, "initializer")


def serialize(initializer) -> dict:
    """The plain-data form of an initializer: `{"class_name", "config"}`.

    Args:
        initializer: an initializer instance.

    Returns:
        A JSON-able dict.

    Example:
        >>> engine.keras.initializers.serialize(engine.keras.initializers.Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    return _ser.serialize_object(initializer)


def deserialize(config, custom_objects=None):
    """An initializer from `serialize()`'s output or a name (the inverse of `serialize`).

    Args:
        config: a `{"class_name", "config"}` dict or a name.
        custom_objects: extra `{name: class}` to look names up in.

    Returns:
        A new initializer.

    Raises:
        ValueError: for an unknown class name.

    Example:
        >>> engine.keras.initializers.deserialize(
        ...     {"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0}})
        RandomUniform(minval=0.0, maxval=1.0, seed=None)
    """
    if not isinstance(config, (str, dict)):
        raise TypeError(f"initializers.deserialize: got {config!r}; expected a name or a "
                        "{'class_name': ..., 'config': ...} dict.")
    return _ser.resolve(config, _TABLE, "initializer", custom_objects)
