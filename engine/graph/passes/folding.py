"""Constant folding: nodes whose inputs are all constants are computed once, at compile time.

A plain node (see `rewrite.is_plain`: a side-effect-free registry op) whose inputs are all
`Const` nodes runs its CPU kernel once, here, and is replaced by one `Const` node per
output. Nodes that only look at their input's shape (`ZerosLike`, `OnesLike`) fold too
when that shape is fully known, whatever the input is. Folding goes in node order, so a
whole constant subexpression (`2.0 * 3.0 + 1.0`, the `1 / batch` seed of a mean's
gradient) collapses in one sweep. The folded-away inputs, and unused nodes (not folded), are
left for dead-code elimination.

What is not folded, and why:
- random ops, stateful or stateless: their CPU kernel need not give the values the
  device's kernel gives, and a stateful draw must differ on every call;
- results with more than `MAX_FOLDED_ELEMENTS` elements in one output (1M, i.e. 4 MiB of
  float32): a constant stays in memory for the life of the graph, while computing it
  each call may be nearly free (a broadcast);
- results that the graph could not use as they are: a kernel that fails or warns
  (division by zero, overflow, invalid value) is left to run, and to fail or warn, when
  the graph runs; so is a result holding NaN or Inf (`check_numerics` checks node outputs
  when the graph runs, and a constant would hide the node that made them), and a result
  whose dtype or shape differs from what tracing promised.

Constants are host arrays: a folded node that ran on a GPU becomes a `Const` on that GPU,
and the executor copies its array there once, when it compiles the graph.

Example:
    >>> @engine.function
    ... def f(x):
    ...     return x * (engine.constant(2.0) * 3.0)
    >>> c = f.get_concrete_function(engine.TensorSpec([2]))
    >>> [n.type for n in c.graph.nodes]
    ['Placeholder', 'Const', 'Mul']
    >>> c.pass_report[0]["changes"]
    ['folded Mul (Mul)']
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.graph.passes.rewrite import Substitution, const_node, is_plain

__all__ = ["run", "evaluate", "MAX_FOLDED_ELEMENTS"]

MAX_FOLDED_ELEMENTS = 1 << 20

# Ops whose result depends only on the input's shape and dtype, not on its values.
SHAPE_ONLY = frozenset({"ZerosLike", "OnesLike"})


def run(graph) -> list[str]:
    """Folds constant subexpressions of `graph` in place.

    Args:
        graph: the graph to optimize.

    Returns:
        One line per folded node, e.g. `"folded Mul_1 (Mul)"`.
    """
    changes: list[str] = []
    sub = Substitution()
    nodes: list = []
    used = {id(t) for node in graph.nodes for t in node.inputs}
    used.update(id(t) for t in graph.outputs)
    for node in graph.nodes:
        sub.apply_to_node(node)
        results = None
        if is_plain(node) and any(id(t) in used for t in node.outputs):
            results = _fold(graph, node)
        if results is None:
            nodes.append(node)
            continue
        for out, array in zip(node.outputs, results):
            const = const_node(graph, array, out._device, f"{node.name}/folded",
                               scope=node.scope, source=node.source,
                               info={"folded_from": node.name})
            nodes.append(const)
            sub.replace(out, const.outputs[0])
        changes.append(f"folded {node.name} ({node.type})")
    if changes:
        graph.nodes = nodes
        sub.apply_to_outputs(graph)
    return changes


def _fold(graph, node) -> list | None:
    """The node's outputs as host arrays, or None if it should not be folded."""
    if "Random" in node.type or not _small(node):
        return None
    if node.type in SHAPE_ONLY:
        arrays = _shape_stand_ins(node)
    else:
        arrays = _const_inputs(graph, node)
    if arrays is None:
        return None
    try:
        with np.errstate(divide="raise", over="raise", invalid="raise"):
            results = evaluate(node, arrays)
    except Exception:  # noqa: BLE001 - left for the graph run, which names the node
        return None
    if len(results) != len(node.outputs):
        return None
    folded = []
    for out, value in zip(node.outputs, results):
        array = _as_constant(value, out)
        if array is None:
            return None
        folded.append(array)
    return folded


def evaluate(node, arrays: list) -> list:
    """Runs `node`'s CPU kernel on host arrays, now; returns its results, one per output.

    The evaluator of this pass, shared with variable lifting (`engine.graph.lifting`),
    which evaluates a variable's initial value computed while tracing.

    Args:
        node: a graph node with a registry op (`node.op`).
        arrays: one host array per input of `node`.

    Returns:
        A list of the kernel's results (arrays, or NumPy scalars for 0-d results).

    Raises:
        Whatever the kernel raises for these arrays.
    """
    result = node.op.cpu_kernel(*arrays, **node.attrs)
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _small(node) -> bool:
    """Whether every output is known (or may turn out) to fit under the size limit."""
    for out in node.outputs:
        size = out._value.size
        if size is not None and size > MAX_FOLDED_ELEMENTS:
            return False
    return True


def _const_inputs(graph, node) -> list | None:
    arrays = []
    for t in node.inputs:
        producer = t._node
        if producer.type != "Const":
            return None
        arrays.append(graph.arrays[producer.attrs["array"]])
    return arrays


def _shape_stand_ins(node) -> list | None:
    """Zero-copy arrays with the inputs' shapes and dtypes, for shape-only kernels."""
    arrays = []
    for t in node.inputs:
        shape = t._value.shape
        if shape is None or None in shape:
            return None
        arrays.append(np.broadcast_to(np.zeros((), t._value.dtype), shape))
    return arrays


def _as_constant(value, out) -> np.ndarray | None:
    """`value` as an array that can stand for `out`, or None if it cannot."""
    array = np.asarray(value)
    want = out._value.shape
    if array.dtype != out._value.dtype or array.size > MAX_FOLDED_ELEMENTS:
        return None
    if want is not None and (array.ndim != len(want) or any(
            w is not None and w != s for w, s in zip(want, array.shape))):
        return None
    if array.dtype in _dt.INEXACT_NUMPY and not np.isfinite(array).all():
        return None
    if array.base is not None:
        # A view (of an input, or a broadcast) becomes a compact array of its own.
        array = np.array(array, copy=True)
    return array
