"""Flattening and packing of nested structures: container kinds, leaf order, rebuilding.

The core of ``engine.nest``, which re-exports these functions and documents the rules: which
values are containers, the order leaves come in (mapping values by sorted key), and how
``pack_sequence_as`` rebuilds each container type. Matching and mapping structures
(``assert_same_structure``, ``map_structure``, ...) build on this in ``engine/nest.py``.
Like ``engine.nest``, this module imports only the standard library.

Example:
    >>> engine.nest.pack_sequence_as({"b": [0], "a": 0}, engine.nest.flatten({"b": [2], "a": 1}))
    {'b': [2], 'a': 1}
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["flatten", "flatten_with_paths", "is_nested", "pack_sequence_as"]

# Kinds of values, cached per type so that hot paths do one dict lookup per value. (So a
# class registered as a Mapping after its first use here stays a leaf.)
_LEAF, _SEQUENCE, _NAMEDTUPLE, _MAPPING = range(4)
_KIND_BY_TYPE: dict[type, int] = {}
_KIND_CACHE_LIMIT = 4096  # Types made on the fly (namedtuple factories) must not leak.
_NOTHING = object()


def _classify(cls: type) -> int:
    """Returns the kind of values of type ``cls`` and caches it."""
    if issubclass(cls, tuple):
        fields = getattr(cls, "_fields", None)
        is_named = isinstance(fields, (list, tuple)) and all(isinstance(f, str) for f in fields)
        kind = _NAMEDTUPLE if is_named else _SEQUENCE
    elif issubclass(cls, list):
        kind = _SEQUENCE
    else:
        kind = _MAPPING if issubclass(cls, Mapping) else _LEAF
    if len(_KIND_BY_TYPE) >= _KIND_CACHE_LIMIT:
        _KIND_BY_TYPE.clear()
    _KIND_BY_TYPE[cls] = kind
    return kind


for _cls in (int, float, complex, bool, str, bytes, type(None), list, tuple, dict,
             collections.OrderedDict, collections.defaultdict):
    _classify(_cls)
del _cls


def _kind(value: Any) -> int:
    kind = _KIND_BY_TYPE.get(type(value))
    return kind if kind is not None else _classify(type(value))


def _is_flat(structure: Any) -> bool:
    """Returns True for a plain list or tuple of leaves of already seen types."""
    cls = type(structure)
    if cls is not list and cls is not tuple:
        return False
    get_kind = _KIND_BY_TYPE.get
    for item in structure:
        if get_kind(type(item)) != _LEAF:
            return False
    return True


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _sorted_keys(mapping: Mapping) -> list:
    """Returns the keys of ``mapping`` in flatten order (see the module docstring)."""
    try:
        return sorted(mapping)
    except TypeError:
        pass
    groups: dict[str, list] = {}
    for key in mapping:
        groups.setdefault(_type_name(type(key)), []).append(key)
    ordered = []
    for name in sorted(groups):
        try:
            ordered.extend(sorted(groups[name]))
        except TypeError:  # Not comparable within the type either: keep insertion order.
            ordered.extend(groups[name])
    return ordered


def _labeled_children(value: Any, kind: int) -> list[tuple[Any, Any]]:
    """Returns the ``(path entry, child)`` pairs of a container, in flatten order."""
    if kind == _MAPPING:
        return [(key, value[key]) for key in _sorted_keys(value)]
    if kind == _NAMEDTUPLE:
        return list(zip(value._fields, value))
    return list(enumerate(value))


def is_nested(seq: Any) -> bool:
    """Returns True if ``seq`` is a container that nest functions descend into.

    Args:
        seq: Any value.

    Returns:
        True for lists, tuples (namedtuples included) and mappings, subclasses included;
        False for everything else, strings, bytes and ``None`` included.

    Example:
        >>> [engine.nest.is_nested(x) for x in ([1, 2], {"a": 1}, "ab", None)]
        [True, True, False, False]
    """
    return _kind(seq) != _LEAF


def flatten(structure: Any, expand_composites: bool = False) -> list:
    """Returns the leaves of ``structure`` as a new flat list, depth first.

    Mapping values come in sorted key order. A leaf flattens to a one-item list; an
    empty container flattens to ``[]``.

    Args:
        structure: A leaf or a nest of lists, tuples and mappings.
        expand_composites: Accepted for TensorFlow compatibility; has no effect.

    Returns:
        The leaves, in flatten order.

    Example:
        >>> engine.nest.flatten([1, (2, {"y": 4, "x": 3}), None])
        [1, 2, 3, 4, None]
        >>> engine.nest.flatten("abc")
        ['abc']
    """
    if _KIND_BY_TYPE.get(type(structure)) == _LEAF:  # Fast paths for the common cases.
        return [structure]
    if _is_flat(structure):
        return list(structure)
    out: list = []
    _flatten_into(structure, out)
    return out


def _flatten_into(structure: Any, out: list) -> None:
    kind = _kind(structure)
    if kind == _LEAF:
        out.append(structure)
    elif kind == _MAPPING:
        for key in _sorted_keys(structure):
            _flatten_into(structure[key], out)
    else:
        for item in structure:
            _flatten_into(item, out)


def flatten_with_paths(structure: Any) -> list[tuple[tuple, Any]]:
    """Returns ``(path, leaf)`` pairs for the leaves of ``structure``, in flatten order.

    A path has one entry per level: the index in a list or tuple, the key in a mapping or
    the field name in a namedtuple. A leaf at the top has the path ``()``.

    Args:
        structure: A leaf or a nest of lists, tuples and mappings.

    Returns:
        ``(path, leaf)`` tuples, in the order of ``flatten(structure)``.

    Example:
        >>> engine.nest.flatten_with_paths({"a": [10, 20], "b": None})
        [(('a', 0), 10), (('a', 1), 20), (('b',), None)]
    """
    out: list[tuple[tuple, Any]] = []
    _flatten_with_paths_into(structure, (), out)
    return out


def _flatten_with_paths_into(structure: Any, path: tuple, out: list) -> None:
    kind = _kind(structure)
    if kind == _LEAF:
        out.append((path, structure))
        return
    for entry, child in _labeled_children(structure, kind):
        _flatten_with_paths_into(child, path + (entry,), out)


def pack_sequence_as(structure: Any, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """Returns the items of ``flat_sequence`` packed into the nesting of ``structure``.

    The inverse of ``flatten``: ``pack_sequence_as(s, flatten(s))`` equals ``s``. The
    containers keep the types of ``structure`` (list and tuple subclasses, namedtuples,
    ``dict``, ``OrderedDict``, ``defaultdict`` with its default factory); mappings take
    values in sorted key order and keep the insertion order of ``structure``.

    Args:
        structure: A leaf or a nest of lists, tuples and mappings; its leaves are ignored.
        flat_sequence: A list or tuple with one item per leaf of ``structure``.
        expand_composites: Accepted for TensorFlow compatibility; has no effect.

    Returns:
        A new structure like ``structure`` that holds the items of ``flat_sequence``.

    Raises:
        TypeError: If ``flat_sequence`` is not a list or tuple, or a mapping type in
            ``structure`` cannot be rebuilt.
        ValueError: If the number of items is not the number of leaves.

    Example:
        >>> engine.nest.pack_sequence_as([0, {"b": 0, "a": 0}], ["x", "y", "z"])
        ['x', {'b': 'z', 'a': 'y'}]
    """
    flat_kind = _kind(flat_sequence)
    if flat_kind != _SEQUENCE and flat_kind != _NAMEDTUPLE:
        raise TypeError(f"pack_sequence_as: flat_sequence must be a list or tuple; got "
                        f"{type(flat_sequence).__name__} {_short_repr(flat_sequence)}. Pass "
                        f"the list that flatten() returns, or wrap a single leaf as [leaf].")
    if _is_flat(structure) and len(flat_sequence) == len(structure):
        return list(flat_sequence) if type(structure) is list else tuple(flat_sequence)
    items = iter(flat_sequence)
    try:
        result = _pack(structure, items)
    except StopIteration:
        result = _NOTHING  # Too few items; reported below, outside this except block.
    if result is _NOTHING or next(items, _NOTHING) is not _NOTHING:
        num_leaves, num_items = len(flatten(structure)), len(flat_sequence)
        raise ValueError(
            f"pack_sequence_as: the structure has {num_leaves} "
            f"{'leaf' if num_leaves == 1 else 'leaves'} but flat_sequence has {num_items} "
            f"{'item' if num_items == 1 else 'items'}. Pass exactly one item per leaf, in "
            f"the order that flatten(structure) returns them.")
    return result


def _pack(structure: Any, items: Any) -> Any:
    """Rebuilds ``structure`` with leaves taken from the iterator ``items``."""
    kind = _kind(structure)
    if kind == _LEAF:
        return next(items)
    if kind == _MAPPING:
        values = {key: _pack(structure[key], items) for key in _sorted_keys(structure)}
        return _mapping_like(structure, values)
    children = [_pack(item, items) for item in structure]
    cls = type(structure)
    if cls is list:
        return children
    if cls is tuple:
        return tuple(children)
    return cls(*children) if kind == _NAMEDTUPLE else cls(children)


def _mapping_like(instance: Mapping, values: dict) -> Mapping:
    """Returns a mapping of the type and key order of ``instance`` holding ``values``."""
    cls = type(instance)
    if cls is dict:
        return {key: values[key] for key in instance}
    try:
        if isinstance(instance, collections.defaultdict):
            result = cls(instance.default_factory)
        elif isinstance(instance, MutableMapping):
            result = cls()
        else:
            return cls((key, values[key]) for key in instance)
    except TypeError as err:
        raise TypeError(
            f"nest: cannot rebuild a mapping of type {_type_name(cls)}: {err}. Expected a "
            f"mutable mapping constructible as {cls.__name__}() or an immutable one "
            f"constructible from (key, value) pairs; use a dict or add such a constructor."
        ) from err
    for key in instance:
        result[key] = values[key]
    return result


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
