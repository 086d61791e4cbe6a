"""Custom objects known by name while deserializing: the global table and scopes.

Keras 2 looks names up, in order, in the `custom_objects` argument of a call, the
innermost `custom_object_scope`, the global custom objects (`get_custom_objects()`, a dict
users may edit), and the classes registered with `register_keras_serializable`.
`engine.keras.serialization` consults this module for the middle two, so every
`from_config` path (layers, losses, models) sees objects made known here.

`serialize_keras_object` / `deserialize_keras_object` turn any configurable object into
`{"class_name", "config"}` and back (functions become their registered name).
"""

from __future__ import annotations

import inspect
import threading

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects",
           "get_registered_name", "serialize_keras_object", "deserialize_keras_object",
           "scoped_objects"]

_GLOBAL_CUSTOM_OBJECTS: dict[str, object] = {}
_SCOPES = threading.local()


def _stack() -> list:
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


def scoped_objects() -> dict:
    """The names made known by the open scopes and the global table, innermost first.

    Returns:
        A new dict `{name: object}` (inner scopes override outer ones and the globals).

    Example:
        >>> with engine.keras.utils.custom_object_scope({"f": len}):
        ...     engine.keras.custom_objects.scoped_objects()["f"] is len
        True
    """
    merged = dict(_GLOBAL_CUSTOM_OBJECTS)
    for table in _stack():
        merged.update(table)
    return merged


class CustomObjectScope:
    """A `with` block inside which deserialization also finds the given objects by name.

    Args:
        *args: dicts `{name: class or function}`; later ones override earlier ones.

    Raises:
        TypeError: if an argument is not a dict.

    Example:
        >>> class Twice(engine.keras.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> config = {"class_name": "Twice", "config": {"name": "t"}}
        >>> with engine.keras.utils.CustomObjectScope({"Twice": Twice}):
        ...     layer = engine.keras.layers.deserialize(config)
        >>> type(layer).__name__
        'Twice'
    """

    def __init__(self, *args):
        for table in args:
            if not isinstance(table, dict):
                raise TypeError(f"custom_object_scope: got {table!r} "
                                f"({type(table).__name__}); expected dicts of {{name: "
                                "object}}, e.g. custom_object_scope({'MyLayer': MyLayer}).")
        self.custom_objects: dict = {}
        for table in args:
            self.custom_objects.update(table)

    def __enter__(self):
        _stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _stack().pop()
        return False


def custom_object_scope(*args) -> CustomObjectScope:
    """A `CustomObjectScope` (Keras 2's function spelling of it).

    Args:
        *args: dicts `{name: class or function}`.

    Returns:
        The scope, to use in a `with` statement.

    Example:
        >>> def my_act(x):
        ...     return x
        >>> with engine.keras.utils.custom_object_scope({"my_act": my_act}):
        ...     engine.keras.activations.get("my_act") is my_act
        True
    """
    return CustomObjectScope(*args)


def get_custom_objects() -> dict:
    """The global `{name: object}` table, which deserialization always searches.

    Editing the returned dict changes the table (as in Keras 2).

    Returns:
        The dict itself.

    Example:
        >>> def my_loss(y_true, y_pred):
        ...     return y_pred
        >>> engine.keras.utils.get_custom_objects()["my_loss"] = my_loss
        >>> engine.keras.losses.get("my_loss") is my_loss
        True
        >>> del engine.keras.utils.get_custom_objects()["my_loss"]
    """
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    """The name `obj` is serialized under: `"package>name"` if registered, else its name.

    Args:
        obj: a class or function.

    Returns:
        The name.

    Example:
        >>> engine.keras.utils.get_registered_name(engine.keras.layers.Dense)
        'Dense'
    """
    registered = obj.__dict__.get("_keras_registered_name") if hasattr(obj, "__dict__") else None
    return registered or getattr(obj, "__name__", type(obj).__name__)


def serialize_keras_object(instance):
    """`{"class_name", "config"}` of an object with `get_config`, or a function's name.

    Args:
        instance: a layer, loss, metric, optimizer, initializer, ... or a function.

    Returns:
        A JSON-able dict, a string for functions, or None for None.

    Raises:
        ValueError: for an object with neither `get_config` nor a name.

    Example:
        >>> engine.keras.utils.serialize_keras_object(engine.keras.initializers.Zeros())
        {'class_name': 'Zeros', 'config': {}}
    """
    from engine.keras.serialization import serialize_object  # noqa: PLC0415 - cycle

    return serialize_object(instance)


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """The object described by `serialize_keras_object`'s output (or by a name).

    Args:
        identifier: a `{"class_name", "config"}` dict or a name.
        module_objects: `{name: class or function}` of the built-in objects to search.
        custom_objects: extra `{name: object}`, searched first.
        printable_module_name: the kind of object, for error messages.

    Returns:
        A new instance (for a dict), or the class or function found by name.

    Raises:
        ValueError: for a name found nowhere (the message lists the known ones).

    Example:
        >>> engine.keras.utils.deserialize_keras_object(
        ...     {"class_name": "Constant", "config": {"value": 2.0}},
        ...     module_objects={"Constant": engine.keras.initializers.Constant})
        Constant(value=2.0)
    """
    from engine.keras.serialization import resolve  # noqa: PLC0415 - cycle

    if identifier is None:
        return None
    if not isinstance(identifier, (str, dict)):
        if inspect.isclass(identifier) or callable(identifier):
            return identifier
        raise TypeError(f"deserialize_keras_object: got {identifier!r}; expected a name or "
                        "a {'class_name': ..., 'config': ...} dict.")
    return resolve(identifier, dict(module_objects or {}), printable_module_name,
                   custom_objects, instantiate=False)
