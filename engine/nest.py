"""Nested structures of lists, tuples, namedtuples and dicts, with ``tf.nest`` semantics.

Containers are lists, tuples (namedtuples, recognised by ``_fields``, included) and
``collections.abc.Mapping``s, subclasses included. Everything else is a leaf: ``None``,
numbers, strings, bytes, sets, arrays, tensors, dataclasses.

Ordering rules, which decide where each leaf goes in ``flatten`` and ``pack_sequence_as``:

- Leaves are listed depth first, left to right; namedtuples in field order.
- Mapping values come in *sorted key order*, ``OrderedDict`` included. A packed mapping
  keeps the insertion order of the mapping given as the structure.
- Keys that cannot be sorted together (say ``1`` and ``"a"``; TensorFlow raises) are
  grouped by type, groups ordered by the type's ``module.qualname``; each group is
  sorted if its keys compare, else kept in insertion order. Two mappings are always
  matched up by key, so insertion order never pairs the wrong values.

Two structures match when they nest the same way: equal lengths, equal mapping keys and,
with ``check_types=True``, the same container types (any two mappings match, any two
lists match, namedtuples match by name and fields). Unlike TensorFlow, mapping keys are
compared even with ``check_types=False``: pairing values of different keys is a bug.
Paths hold list and tuple indices, mapping keys and namedtuple field names.
``expand_composites`` exists for TensorFlow compatibility and has no effect.

The flatten and pack core (``is_nested``, ``flatten``, ``flatten_with_paths``,
``pack_sequence_as``) lives in ``engine/nest_flatten.py``; this module re-exports it and
adds matching and mapping (``assert_same_structure``, ``map_structure*``,
``flatten_up_to``).

Example:
    >>> engine.nest.flatten({"b": [1, 2], "a": None})
    [None, 1, 2]
    >>> engine.nest.pack_sequence_as({"b": [0, 0], "a": 0}, [7, 8, 9])
    {'b': [8, 9], 'a': 7}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.nest_flatten import (
    _LEAF,
    _MAPPING,
    _NAMEDTUPLE,
    _NOTHING,
    _SEQUENCE,
    _kind,
    _labeled_children,
    _short_repr,
    _sorted_keys,
    flatten,
    flatten_with_paths,
    is_nested,
    pack_sequence_as,
)

__all__ = ["assert_same_structure", "flatten", "flatten_up_to", "flatten_with_paths",
           "is_nested", "map_structure", "map_structure_up_to", "map_structure_with_paths",
           "pack_sequence_as"]


def _describe(value: Any, kind: int) -> str:
    name = type(value).__name__
    if kind == _LEAF:
        return f"leaf of type {name}"
    if kind == _MAPPING:
        return f"{name} with keys {_short_repr(_sorted_keys(value))}"
    prefix = "namedtuple " if kind == _NAMEDTUPLE else ""
    return f"{prefix}{name} of length {len(value)}"


def _format_path(path: tuple) -> str:
    """Formats ``((kind, entry), ...)`` as ``[1]['b'].field``."""
    formats = {_NAMEDTUPLE: ".{}", _MAPPING: "[{!r}]", _SEQUENCE: "[{}]"}
    return "".join(formats[kind].format(entry) for kind, entry in path) or "the top level"


def _same_container_type(a: Any, kind_a: int, b: Any, kind_b: int) -> bool:
    if type(a) is type(b) or (kind_a == _MAPPING and kind_b == _MAPPING):
        return True
    if kind_a == _NAMEDTUPLE and kind_b == _NAMEDTUPLE:
        return type(a).__name__ == type(b).__name__ and a._fields == b._fields
    return isinstance(a, list) and isinstance(b, list)


def _check(a: Any, b: Any, check_types: bool, shallow: bool, caller: str, path: tuple) -> None:
    """Raises unless ``b`` has the structure of ``a`` (or, if ``shallow``, contains it)."""
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a == _LEAF and (shallow or kind_b == _LEAF):
        return

    def fail(error: type, detail: str, hint: str) -> None:
        given_a, given_b = _describe(a, kind_a), _describe(b, kind_b)
        given = (f"shallow_tree has {given_a} but input_tree has {given_b}" if shallow
                 else f"{given_a} vs {given_b}")
        raise error(f"{caller}: the structures differ at {_format_path(path)}: "
                    f"{given}{detail}. {hint}")

    if kind_a == _LEAF or kind_b == _LEAF:
        if shallow:
            fail(TypeError, "", "Expected input_tree to hold a container wherever "
                 "shallow_tree does; make shallow_tree a prefix of input_tree.")
        fail(ValueError, "", "Expected both to nest lists, tuples and dicts the same way.")
    if check_types and not _same_container_type(a, kind_a, b, kind_b):
        fail(TypeError, "", "Expected the same container types; convert one of them, or "
             "pass check_types=False to compare only the nesting.")
    if kind_a == _MAPPING and kind_b == _MAPPING:
        keys_a, keys_b = set(a), set(b)
        if keys_a != keys_b:
            only_a = _sorted_keys(dict.fromkeys(keys_a - keys_b))
            only_b = _sorted_keys(dict.fromkeys(keys_b - keys_a))
            fail(ValueError, f" (only in the first: {_short_repr(only_a)}; only in the "
                 f"second: {_short_repr(only_b)})", "Expected the same keys in both mappings.")
        pairs = [(key, a[key], b[key]) for key in _sorted_keys(a)]
    else:
        if len(a) != len(b):
            fail(ValueError, "", "Expected the same number of items in both containers.")
        pairs = [(entry, child_a, child_b) for (entry, child_a), (_, child_b)
                 in zip(_labeled_children(a, kind_a), _labeled_children(b, kind_b))]
    for entry, child_a, child_b in pairs:
        _check(child_a, child_b, check_types, shallow, caller, path + ((kind_a, entry),))


def _collect_up_to(shallow: Any, value: Any, out: list) -> list:
    """Appends the parts of ``value`` at the leaves of ``shallow`` to ``out``; no checks."""
    kind = _kind(shallow)
    if kind == _LEAF:
        out.append(value)
    elif kind == _MAPPING and _kind(value) == _MAPPING:
        for key in _sorted_keys(shallow):
            _collect_up_to(shallow[key], value[key], out)
    else:
        children = _labeled_children(value, _kind(value))
        for (_, child), (_, value_child) in zip(_labeled_children(shallow, kind), children):
            _collect_up_to(child, value_child, out)
    return out


def _map(caller: str, func: Callable, structures: tuple, check_types: bool,
         shallow: Any = _NOTHING, with_paths: bool = False) -> Any:
    """Maps ``func`` over the parts at the leaves of ``shallow`` (default: the first one)."""
    up_to = shallow is not _NOTHING
    usage = "shallow_tree, func, input, ..." if up_to else "func, structure, ..."
    if not callable(func):
        raise TypeError(f"{caller}: func must be callable; got {type(func).__name__} "
                        f"{_short_repr(func)}. Call it as {caller}({usage}).")
    if not structures:
        raise TypeError(f"{caller}: got no structures to map over. Call {caller}({usage}).")
    if not up_to:
        shallow = structures[0]
    for value in structures:
        if value is not shallow:
            _check(shallow, value, check_types, up_to, caller, ())
    columns = [flatten(value) if value is shallow else _collect_up_to(shallow, value, [])
               for value in structures]
    if with_paths:
        columns.insert(0, [path for path, _ in flatten_with_paths(shallow)])
    return pack_sequence_as(shallow, [func(*args) for args in zip(*columns)])


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True,
                          expand_composites: bool = False) -> None:
    """Raises unless ``nest1`` and ``nest2`` nest the same way; leaves may differ.

    Args:
        nest1: A leaf or a nest of lists, tuples and mappings.
        nest2: Another one.
        check_types: Whether container types must match; if False, ``[1]`` and ``(1,)``
            match. Mapping keys are compared either way.
        expand_composites: Accepted for TensorFlow compatibility; has no effect.

    Raises:
        ValueError: If the nesting, a length or the keys of a mapping differ. The message
            names the first path where they differ, e.g. ``at [1]['b']``.
        TypeError: If ``check_types`` and two containers at the same path differ in type.

    Example:
        >>> engine.nest.assert_same_structure([1, {"a": 2}], ["x", {"a": "y"}])
        >>> engine.nest.assert_same_structure([1, 2], [1, [2]])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: assert_same_structure: the structures differ at [1]: leaf of type ...
    """
    _check(nest1, nest2, check_types, False, "assert_same_structure", ())


def map_structure(func: Callable, *structure: Any, check_types: bool = True,
                  expand_composites: bool = False) -> Any:
    """Applies ``func`` to the leaves of one or more structures that match.

    ``func`` is called once per leaf position, in flatten order, with the leaf of every
    structure at that position. Mapping values are matched by key.

    Args:
        func: A callable taking one argument per structure.
        *structure: One or more structures that match (see ``assert_same_structure``).
        check_types: Whether container types must match.
        expand_composites: Accepted for TensorFlow compatibility; has no effect.

    Returns:
        A new structure like the first one, holding the results of ``func``.

    Raises:
        TypeError: If ``func`` is not callable, no structure is given, or container types
            differ while ``check_types`` is True.
        ValueError: If the structures do not match.

    Example:
        >>> engine.nest.map_structure(lambda x, y: x + y,
        ...                           {"a": 1, "b": [2]}, {"b": [20], "a": 10})
        {'a': 11, 'b': [22]}
    """
    return _map("map_structure", func, structure, check_types)


def map_structure_with_paths(func: Callable, *structure: Any, check_types: bool = True) -> Any:
    """Like ``map_structure``, but calls ``func(path, *leaves)``.

    ``path`` is the leaf's path in the first structure, as in ``flatten_with_paths``.

    Args:
        func: A callable taking a path and one leaf per structure.
        *structure: One or more structures that match (see ``assert_same_structure``).
        check_types: Whether container types must match.

    Returns:
        A new structure like the first one, holding the results of ``func``.

    Example:
        >>> engine.nest.map_structure_with_paths(lambda path, x: (path, x), {"a": [5]})
        {'a': [(('a', 0), 5)]}
    """
    return _map("map_structure_with_paths", func, structure, check_types, with_paths=True)


def flatten_up_to(shallow_tree: Any, input_tree: Any, check_types: bool = True,
                  expand_composites: bool = False) -> list:
    """Flattens ``input_tree`` only as deep as ``shallow_tree`` goes.

    ``shallow_tree`` must be a prefix of ``input_tree``: wherever it has a container,
    ``input_tree`` has a matching one. Where it has a leaf, the whole subtree of
    ``input_tree`` there becomes one item of the result.

    Args:
        shallow_tree: A structure that is a prefix of ``input_tree``.
        input_tree: The structure to flatten.
        check_types: Whether container types must match.
        expand_composites: Accepted for TensorFlow compatibility; has no effect.

    Returns:
        One item per leaf of ``shallow_tree``, in flatten order.

    Raises:
        TypeError: If ``input_tree`` has a leaf where ``shallow_tree`` has a container, or
            container types differ while ``check_types`` is True.
        ValueError: If lengths or mapping keys differ.

    Example:
        >>> engine.nest.flatten_up_to([0, {"a": 0}], [[1, 2], {"a": (3, 4)}])
        [[1, 2], (3, 4)]
    """
    _check(shallow_tree, input_tree, check_types, True, "flatten_up_to", ())
    return _collect_up_to(shallow_tree, input_tree, [])


def map_structure_up_to(shallow_tree: Any, func: Callable, *inputs: Any,
                        check_types: bool = True) -> Any:
    """Applies ``func`` to the subtrees of ``inputs`` at the leaves of ``shallow_tree``.

    Args:
        shallow_tree: A structure that is a prefix of every input.
        func: A callable taking one argument per input.
        *inputs: One or more structures that contain ``shallow_tree``.
        check_types: Whether container types must match.

    Returns:
        A new structure like ``shallow_tree``, holding the results of ``func``.

    Raises:
        TypeError, ValueError: As ``flatten_up_to`` does, or if ``func`` is not callable.

    Example:
        >>> engine.nest.map_structure_up_to({"a": 0, "b": 0}, len,
        ...                                 {"a": [1, 2], "b": (3,)})
        {'a': 2, 'b': 1}
    """
    return _map("map_structure_up_to", func, inputs, check_types, shallow=shallow_tree)
