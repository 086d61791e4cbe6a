"""Turning Keras objects into plain data and back, and resolving identifiers.

Every configurable Keras object (layers, losses, metrics, optimizers, schedules,
initializers, regularizers, constraints, activations) serializes to
`{"class_name": name, "config": {...}}` with JSON-able values, as in Keras 2.
`resolve(identifier, table, kind)` turns a string, such a dict, a class, an instance or a
callable into the object, with an error that lists the known names when it cannot.

Custom classes register with `register_keras_serializable` so that `from_config` paths
find them by name.
"""

from __future__ import annotations

import difflib
import inspect

from engine.keras.custom_objects import scoped_objects

__all__ = ["register_keras_serializable", "get_registered_object", "serialize_object",
           "resolve", "snake_case"]

_CUSTOM: dict[str, object] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Registers a custom class or function under `package>name` for deserialization.

    Args:
        package: a namespace for the name.
        name: the registered name (default: the class or function name).

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Example:
        >>> @engine.keras.utils.register_keras_serializable(package="demo")
        ... def double(x):
        ...     return x * 2
        >>> engine.keras.utils.get_registered_object("demo>double") is double
        True
    """
    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _CUSTOM and _CUSTOM[key] is not obj:
            raise ValueError(f"register_keras_serializable: {key!r} is already registered to "
                             f"{_CUSTOM[key]!r}.")
        _CUSTOM[key] = obj
        obj._keras_registered_name = key
        return obj

    return decorator


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects=None):
    """The object registered (or given in `custom_objects`) under `name`, or None.

    Args:
        name: a registered name (`"package>name"`) or a plain name.
        custom_objects: extra `{name: object}` to search first, then the open
            `custom_object_scope`s and `get_custom_objects()`.
        module_objects: a further `{name: object}` table.

    Returns:
        The object, or None.

    Example:
        >>> engine.keras.utils.get_registered_object("nothing-here") is None
        True
    """
    for table in (custom_objects or {}, scoped_objects(), _CUSTOM, module_objects or {}):
        if name in table:
            return table[name]
    for key, obj in _CUSTOM.items():
        if key.split(">", 1)[-1] == name:
            return obj
    return None


def serialize_object(obj) -> dict | str:
    """`{"class_name", "config"}` for an object with `get_config`, or a function's name."""
    if obj is None:
        return None
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        name = getattr(type(obj), "_keras_registered_name", type(obj).__name__)
        return {"class_name": name, "config": obj.get_config()}
    name = getattr(obj, "_keras_registered_name", None) or getattr(obj, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {obj!r}: it has neither get_config nor a name.")
    return name


def _takes_custom_objects(from_config) -> bool:
    try:
        return "custom_objects" in inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        return False


def resolve(identifier, table: dict, kind: str, custom_objects: dict | None = None,
            instantiate: bool = True):
    """Resolves a string, config dict, class, instance or callable into a `kind` object.

    Args:
        identifier: what the user passed.
        table: `{name: class or function}` of the built-in objects of this kind; keys are
            matched as given and in snake_case.
        kind: a word for error messages ("loss", "optimizer", ...).
        custom_objects: extra names to accept.
        instantiate: call classes found by name (without arguments).

    Returns:
        The object (an instance or function), or None for None.

    Raises:
        ValueError: for an unknown name, listing the known ones and close matches.
        TypeError: for a value of the wrong type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(f"Cannot build a {kind} from {identifier!r}: a config dict needs "
                             "'class_name' and 'config' keys.")
        cls = _lookup(identifier["class_name"], table, kind, custom_objects)
        config = identifier.get("config", {}) or {}
        if hasattr(cls, "from_config"):
            if custom_objects and _takes_custom_objects(cls.from_config):
                # wrappers (RNN, Bidirectional, Lambda...) resolve nested objects with them
                return cls.from_config(config, custom_objects=custom_objects)
            return cls.from_config(config)
        return cls(**config) if inspect.isclass(cls) else cls
    if isinstance(identifier, str):
        obj = _lookup(identifier, table, kind, custom_objects)
        return obj() if instantiate and inspect.isclass(obj) else obj
    if inspect.isclass(identifier):
        return identifier() if instantiate else identifier
    if callable(identifier) or hasattr(identifier, "get_config"):
        return identifier
    article = "an" if kind[:1] in "aeiou" else "a"
    raise TypeError(f"Cannot interpret {identifier!r} ({type(identifier).__name__}) as "
                    f"{article} {kind}; pass a name (e.g. {sorted(table)[:3]}), an "
                    "instance, a class or a config dict.")


def _lookup(name: str, table: dict, kind: str, custom_objects):
    found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    for key in (name, snake_case(name), name.lower()):
        if key in table:
            return table[key]
    close = difflib.get_close_matches(name, list(table), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"Unknown {kind} {name!r}.{hint} Known: {', '.join(sorted(table))}. "
                     "Custom ones can be passed as objects, in custom_objects, or registered "
                     "with engine.keras.utils.register_keras_serializable.")


def snake_case(name: str) -> str:
    """`CamelCase` to `camel_case`, as Keras names layers and metrics by their class.

    An underscore goes before a capital that follows a lower-case letter, or that starts
    a word (a capital followed by a lower-case letter or digit): `"MeanSquaredError"` ->
    `"mean_squared_error"`, `"GRUCell"` -> `"gru_cell"`, `"Conv2D"` -> `"conv2d"`,
    `"Conv2DTranspose"` -> `"conv2d_transpose"`.
    """
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and (name[i - 1].islower() or (
                i + 1 < len(name) and (name[i + 1].islower() or name[i + 1].isdigit()))):
            out.append("_")
        out.append(c.lower())
    return "".join(out)
