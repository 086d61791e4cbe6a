"""`engine.keras.optimizers`: SGD, Adam and friends, with Keras 2.11+ semantics.

Optimizers apply gradients to variables: `optimizer.apply_gradients(zip(grads, vars))`
(or `optimizer.minimize(loss_fn, vars)`). The same optimizer works eagerly and inside
`engine.function`; its learning rate (a number, a schedule from `schedules`, or a
callable) may change between steps without retracing. See `Optimizer` for the steps of
an update and for writing your own.

`legacy` holds the same optimizers under Keras 2.11+'s `tf.keras.optimizers.legacy`
names, also accepting the legacy `lr` and `decay` arguments.

`get` accepts a name (`"adam"`), a config dict (`{"class_name": "SGD", "config": {...}}`)
or an optimizer; `serialize` and `deserialize` convert to and from config dicts.
"""

from __future__ import annotations

from engine.keras import serialization
from engine.keras.optimizers import legacy, schedules  # engine.keras.optimizers.legacy, ...
from engine.keras.optimizers.adam import Adam, Adamax, AdamW, Nadam
from engine.keras.optimizers.base import Optimizer
from engine.keras.optimizers.ftrl import Ftrl
from engine.keras.optimizers.rmsprop import Adadelta, Adagrad, RMSprop
from engine.keras.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad",
           "Adadelta", "Ftrl", "get", "serialize", "deserialize", "schedules", "legacy"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (
    SGD, Adam, AdamW, Adamax, Nadam, RMSprop, Adagrad, Adadelta, Ftrl)}


def serialize(optimizer) -> dict:
    """`{"class_name", "config"}` for an optimizer (hyperparameters, not variable values).

    Args:
        optimizer: an `Optimizer`.

    Returns:
        A JSON-able dict.

    Raises:
        TypeError: for anything but an optimizer.

    Example:
        >>> config = engine.keras.optimizers.serialize(engine.keras.optimizers.SGD(0.5))
        >>> config["class_name"], config["config"]["learning_rate"]
        ('SGD', 0.5)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer; got {optimizer!r}.")
    return serialization.serialize_object(optimizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """The optimizer described by a `{"class_name", "config"}` dict.

    Class names match case-insensitively for the built-in optimizers (`"adam"`, `"Adam"`).

    Args:
        config: the dict, as made by `serialize`.
        custom_objects: `{name: class}` for custom optimizers and learning rate schedules.

    Returns:
        A new optimizer.

    Raises:
        ValueError: for an unknown class name (the message lists the known ones).

    Example:
        >>> opt = engine.keras.optimizers.deserialize(
        ...     {"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.9}})
        >>> type(opt).__name__, opt.momentum
        ('SGD', 0.9)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name' and "
                         f"'config' keys (from optimizers.serialize); got {config!r}.")
    cls = serialization.resolve(config["class_name"], _OPTIMIZERS, "optimizer", custom_objects,
                                instantiate=False)
    inner = dict(config.get("config") or {})
    if isinstance(cls, type) and issubclass(cls, Optimizer):
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def get(identifier) -> Optimizer:
    """An optimizer from a name, a config dict, a class or an optimizer (returned as is).

    Args:
        identifier: e.g. `"adam"`, `"SGD"`, `{"class_name": "RMSprop", "config": {...}}`,
            `engine.keras.optimizers.Adam`, or an optimizer instance.

    Returns:
        An optimizer; a name gives one with the default hyperparameters.

    Raises:
        ValueError: for an unknown name or a value that is not an optimizer.

    Example:
        >>> type(engine.keras.optimizers.get("adam")).__name__
        'Adam'
        >>> engine.keras.optimizers.get("rmsprop").get_config()["rho"]
        0.9
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Pass a name "
                     f"(one of {sorted(_OPTIMIZERS)}), a config dict, or an optimizer "
                     "instance such as engine.keras.optimizers.Adam(learning_rate=1e-3).")
