"""Common-subexpression elimination: identical computations run once.

Two plain nodes (see `rewrite.is_plain`) are the same computation when they have the
same type, device, attributes and input tensors (the very same tensors, not equal
values). The later one is dropped and its uses read the earlier one's outputs. Going in
node order makes this transitive: once `a2` is merged into `a1`, `f(a2)` reads `a1` and
then matches `f(a1)`.

Two `Const` nodes are the same when their arrays have the same dtype, shape and bytes
(so `-0.0` and `0.0` stay apart, and a NaN matches only the same NaN), on the same
device. Only arrays up to `MAX_MERGED_CONST_BYTES` are compared, so large constants
cost no hashing.

Never merged: variable reads (two reads around an assignment see different values),
writes, prints, stateful random draws (two `engine.random.normal` calls differ), and
nodes that the executor builds itself. Stateless random ops with the same seed and
inputs give the same values and are merged like any other op.

Attribute values are compared exactly, by type and value: `1` and `1.0` and `True`
differ, floats compare by their bits (NaN-safe, and `-0.0 != 0.0`), and tuples differ
from lists.

Example:
    >>> @engine.function
    ... def f(x):
    ...     return engine.matmul(x, x) + engine.matmul(x, x)
    >>> c = f.get_concrete_function(engine.TensorSpec([2, 2]))
    >>> [n.type for n in c.graph.nodes]
    ['Placeholder', 'MatMul', 'AddV2']
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.graph.passes.rewrite import Substitution, is_plain, remove_nodes

__all__ = ["run", "MAX_MERGED_CONST_BYTES", "attrs_key"]

MAX_MERGED_CONST_BYTES = 1 << 16


def run(graph) -> list[str]:
    """Merges identical nodes of `graph` in place.

    Args:
        graph: the graph to optimize.

    Returns:
        One line per merged node, e.g. `"merged MatMul_3 into MatMul_1"`.
    """
    changes: list[str] = []
    sub = Substitution()
    seen: dict = {}
    doomed: set = set()
    for node in graph.nodes:
        sub.apply_to_node(node)
        key = _node_key(graph, node)
        if key is None:
            continue
        kept = seen.setdefault(key, node)
        if kept is node:
            continue
        for old, new in zip(node.outputs, kept.outputs):
            sub.replace(old, new)
        doomed.add(id(node))
        changes.append(f"merged {node.name} into {kept.name}")
    if doomed:
        remove_nodes(graph, doomed)
        sub.apply_to_outputs(graph)
    return changes


def _node_key(graph, node):
    """A hashable key equal for nodes that compute the same thing, or None."""
    if node.type == "Const":
        array = graph.arrays[node.attrs["array"]]
        if (not isinstance(array, np.ndarray) or array.dtype.hasobject
                or array.nbytes > MAX_MERGED_CONST_BYTES):
            return None
        return ("Const", id(node.device), array.dtype, array.shape, array.tobytes())
    if not node.outputs or not is_plain(node):
        return None
    attrs = attrs_key(node.attrs)
    if attrs is None:
        return None
    return (node.type, id(node.device), tuple(id(t) for t in node.inputs), attrs)


class _UnhashableError(Exception):
    """An attribute value that `attrs_key` does not know how to compare."""


def attrs_key(attrs: dict):
    """A hashable form of `attrs` that is equal only for attrs with the same effect.

    Args:
        attrs: a node's attributes.

    Returns:
        A tuple, or None if some value cannot be compared safely (the node is not merged).

    Example:
        >>> from engine.graph.passes.cse import attrs_key
        >>> attrs_key({"alpha": float("nan")}) == attrs_key({"alpha": float("nan")})
        True
        >>> attrs_key({"axis": (1,)}) == attrs_key({"axis": [1]})
        False
    """
    try:
        return tuple(sorted((str(k), _freeze(v)) for k, v in attrs.items()))
    except _UnhashableError:
        return None


def _freeze(value):
    # bool before int: True == 1 and hash(True) == hash(1), but they are different attrs.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, complex):
        return ("complex", value.real.hex(), value.imag.hex())
    if isinstance(value, tuple):
        return ("tuple", *(_freeze(v) for v in value))
    if isinstance(value, list):
        return ("list", *(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", *sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, _dt.DType):
        return ("dtype", value.name)
    if isinstance(value, np.generic):
        return ("numpy", value.dtype, value.tobytes())
    raise _UnhashableError(value)

