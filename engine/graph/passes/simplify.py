"""Algebraic simplification (TensorFlow's `arithmetic_optimization`): no-op nodes go away.

One rule per op type, in `RULES`. A rule looks at a plain node (see `rewrite.is_plain`)
and its inputs' producers and either
- returns a tensor that already holds the node's value: the node is dropped and its uses
  read that tensor (only if it has the node's dtype, device and a shape at least as
  specific, see `rewrite.refines`);
- rewires the node in place to skip a producer (`Transpose(Transpose(x))` becomes one
  `Transpose` of `x`); the skipped producer is left for dead-code elimination;
- or changes nothing.

The rules:
- `Identity(x)` -> `x` (not across devices: there the identity is a copy);
- `x * 1`, `1 * x`, `x + 0`, `0 + x`, `x - 0`, `x / 1` -> `x`, when the constant is all
  ones (zeros) of x's dtype and broadcasting it leaves x's shape unchanged; when it would
  broadcast x to a larger shape (scalar `x * ones([3])`) the node stays. `x + 0` turns
  `-0.0` into `0.0`; the two compare equal, and TensorFlow makes the same trade;
- `Transpose(Transpose(x, p), q)` -> `Transpose(x, p[q])`, and a transpose by the
  identity permutation -> `x`;
- `Reshape(Reshape(x))` -> `Reshape(x)`; `Reshape(x)` to x's own, fully known shape -> `x`;
- `Cast(x)` to x's dtype -> `x`; `Cast(Cast(x, T1), T2)` -> `Cast(x, T2)` when every value
  of x's dtype is exact in `T1` (so the inner cast changed nothing), and -> `x` when `T2`
  is x's dtype;
- `Neg(Neg(x))` -> `x`;
- `Squeeze(ExpandDims(x, a), [a])` -> `x`.

Rules see the graph as already simplified up to the node, so chains collapse in one sweep.

Example:
    >>> @engine.function
    ... def f(x):
    ...     return engine.transpose(engine.transpose(engine.identity(x))) * 1.0
    >>> c = f.get_concrete_function(engine.TensorSpec([2, 3]))
    >>> [n.type for n in c.graph.nodes]
    ['Placeholder']
"""

from __future__ import annotations

import numpy as np

from engine.graph.ir import SymbolicTensor
from engine.graph.passes.rewrite import Substitution, const_value, is_plain, refines

__all__ = ["run", "RULES", "lossless_cast"]


def run(graph) -> list[str]:
    """Simplifies `graph` in place with the rules in `RULES`.

    Args:
        graph: the graph to optimize.

    Returns:
        One line per rewrite, e.g. `"removed Mul_2 (x * 1)"`.
    """
    changes: list[str] = []
    sub = Substitution()
    nodes: list = []
    for node in graph.nodes:
        sub.apply_to_node(node)
        rule = RULES.get(node.type)
        result = rule(graph, node) if rule is not None and is_plain(node) else None
        if result is not None:
            tensor, why = result
            if tensor is None:
                changes.append(f"rewired {node.name} ({why})")
            elif refines(tensor, node.outputs[0]):
                sub.replace(node.outputs[0], tensor)
                changes.append(f"removed {node.name} ({why})")
                continue
        nodes.append(node)
    if len(nodes) != len(graph.nodes):
        graph.nodes = nodes
        sub.apply_to_outputs(graph)
    return changes


# --- rules: rule(graph, node) -> None | (tensor, why) | (None, why) after rewiring -----------
def _identity(graph, node):
    return node.inputs[0], "identity"


def _neutral(value, sides: tuple, text: str):
    """A rule for a binary op with a neutral element on the given sides (0: left)."""
    def rule(graph, node):
        for side in sides:
            constant, other = node.inputs[side], node.inputs[1 - side]
            array = const_value(graph, constant)
            if (array is not None and array.dtype == other._value.dtype
                    and _broadcasts_into(array.shape, other._value.shape)
                    and bool(np.all(array == value))):
                return other, text
        return None

    return rule


def _broadcasts_into(small: tuple, shape: tuple | None) -> bool:
    """Whether broadcasting an array of shape `small` against `shape` keeps `shape`."""
    if shape is None or len(small) > len(shape):
        return False
    return all(s == 1 or s == d for s, d in zip(reversed(small), reversed(shape)))


def _permutation(node, rank_source: SymbolicTensor) -> tuple | None:
    perm = node.attrs.get("perm")
    if perm is not None:
        return tuple(int(p) for p in perm)
    rank = rank_source._value.ndim
    return None if rank is None else tuple(reversed(range(rank)))


def _transpose(graph, node):
    x = node.inputs[0]
    perm = _permutation(node, x)
    if perm is None:
        return None
    inner = x._node
    why = "identity permutation"
    if inner.type == "Transpose" and is_plain(inner):
        inner_perm = _permutation(inner, inner.inputs[0])
        if inner_perm is None or len(inner_perm) != len(perm):
            return None
        perm = tuple(inner_perm[p] for p in perm)
        x = inner.inputs[0]
        why = f"transpose of transpose {inner.name}"
        if perm != tuple(range(len(perm))):
            node.inputs = [x]
            node.attrs = {**node.attrs, "perm": perm}
            return None, f"{why}: one transpose, perm {list(perm)}"
    if perm == tuple(range(len(perm))):
        return x, why
    return None


def _reshape(graph, node):
    x = node.inputs[0]
    rewired = None
    inner = x._node
    if inner.type == "Reshape" and is_plain(inner):
        x = inner.inputs[0]
        node.inputs = [x] + node.inputs[1:]  # keeps a shape known only when the graph runs
        rewired = (None, f"reshape of reshape {inner.name}")
    shape = x._value.shape
    out = node.outputs[0]
    if (shape is not None and None not in shape and shape == out._value.shape
            and refines(x, out)):
        return x, "reshape to the same shape"
    return rewired


def _cast(graph, node):
    x = node.inputs[0]
    target = node.outputs[0]._value.dtype
    if x._value.dtype == target:
        return x, "cast to the same dtype"
    inner = x._node
    if inner.type == "Cast" and is_plain(inner):
        source = inner.inputs[0]
        if lossless_cast(source._value.dtype, x._value.dtype):
            if source._value.dtype == target:
                return source, f"lossless round trip through {inner.name}"
            node.inputs = [source]
            return None, f"skipped lossless {inner.name}"
    return None


def _squeeze(graph, node):
    """`Squeeze(ExpandDims(x, a), [a])` -> `x` (Keras gives sparse labels a trailing axis
    that the losses and metrics then squeeze away)."""
    inner = node.inputs[0]._node
    axes = node.attrs.get("axis")
    if inner.type != "ExpandDims" or not is_plain(inner) or len(inner.inputs) != 1:
        return None
    rank = node.inputs[0]._value.shape
    rank = None if rank is None else len(rank)
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    if rank is None or not isinstance(axes, (tuple, list)) or len(axes) != 1:
        return None
    added = inner.attrs.get("axis")
    if isinstance(added, (int, np.integer)) and int(added) % rank == int(axes[0]) % rank:
        return inner.inputs[0], f"squeeze of expand_dims {inner.name}"
    return None


def _neg(graph, node):
    inner = node.inputs[0]._node
    if inner.type == "Neg" and is_plain(inner):
        return inner.inputs[0], f"negation of negation {inner.name}"
    return None


RULES = {
    "Identity": _identity,
    "Mul": _neutral(1, (1, 0), "x * 1"),
    "AddV2": _neutral(0, (1, 0), "x + 0"),
    "Sub": _neutral(0, (1,), "x - 0"),
    "RealDiv": _neutral(1, (1,), "x / 1"),
    "Transpose": _transpose,
    "Reshape": _reshape,
    "Cast": _cast,
    "Neg": _neg,
    "Squeeze": _squeeze,
}


# --- which casts lose nothing ---------------------------------------------------------------
# Floating types: (significand bits including the implicit one, exponent bits).
_FLOAT_BITS = {"float16": (11, 5), "bfloat16": (8, 8), "float32": (24, 8), "float64": (53, 11)}
_COMPLEX_PART = {"complex64": "float32", "complex128": "float64"}


def lossless_cast(source: np.dtype, target: np.dtype) -> bool:
    """Whether casting from `source` to `target` keeps every value exactly.

    Args:
        source: the NumPy dtype cast from.
        target: the NumPy dtype cast to.

    Returns:
        True if every value of `source` is exactly representable in `target`.

    Example:
        >>> from engine.graph.passes.simplify import lossless_cast
        >>> lossless_cast(np.dtype("int16"), np.dtype("float32"))
        True
        >>> lossless_cast(np.dtype("int64"), np.dtype("float64"))
        False
    """
    source, target = np.dtype(source), np.dtype(target)
    if source == target:
        return True
    src, dst = source.name, target.name
    if src == "bool":
        return target.kind in "iuf" or dst in _FLOAT_BITS or dst in _COMPLEX_PART
    if source.kind in "iu":
        magnitude = source.itemsize * 8 - (source.kind == "i")
        if target.kind in "iu":
            signed = target.kind == "i"
            return target.itemsize * 8 - signed >= magnitude and (signed or source.kind == "u")
        part = _COMPLEX_PART.get(dst, dst)
        return part in _FLOAT_BITS and _FLOAT_BITS[part][0] >= magnitude
    if src in _FLOAT_BITS or src in _COMPLEX_PART:
        if src in _COMPLEX_PART and dst not in _COMPLEX_PART:
            return False
        have = _FLOAT_BITS[_COMPLEX_PART.get(src, src)]
        part = _COMPLEX_PART.get(dst, dst)
        want = _FLOAT_BITS.get(part)
        return want is not None and want[0] >= have[0] and want[1] >= have[1]
    return False
