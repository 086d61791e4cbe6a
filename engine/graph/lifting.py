"""Lifting: a variable's initial value computed while tracing is evaluated now, eagerly.

In TensorFlow 2 a variable created inside `tf.function` (on the first call) may take an
initial value computed by graph ops, as long as those ops do not depend on the
function's inputs: `init_scope` lifts the initializer out of the graph and runs it once.
`Variable(engine.ones([x.shape[-1], 2]))` is the common case: `x.shape[-1]` is a static
int, so the `Fill` node has only constant inputs.

`lift(tensor)` walks the ancestry of a symbolic tensor. Liftable are constants, registry
ops without side effects, random draws (a random initializer draws once, here, as it
would eagerly) and shape-only ops (`ZerosLike`) of inputs whose shape is fully known.
Anything else (a function input, a variable read, an op with other side effects) makes
the value depend on the call: `blocker(tensor)` describes the first such dependency.
Each ancestor runs on the host through constant folding's evaluator
(`passes.folding.evaluate`), in graph order; the result goes to the tensor's device.

The lifted nodes stay in the graph: dead-code elimination removes them if nothing else
uses them. A lifted random draw is taken out of the chain of stateful nodes, so that
an unused draw is dead too rather than drawing again (uselessly) on every call.

Example:
    >>> @engine.function
    ... def f(x):
    ...     v = engine.Variable(engine.ones([x.shape[-1]]))  # lifted: x's shape is static
    ...     return x * v
"""

from __future__ import annotations

import numpy as np

from engine.backend import devices as _devices
from engine.graph.executor import NODE_BUILDERS
from engine.graph.ir import GRAPH_NODE_TYPES, SymbolicTensor
from engine.graph.passes import folding
from engine.tensor import Tensor, wrap

__all__ = ["blocker", "lift"]


def blocker(tensor: SymbolicTensor) -> str | None:
    """What keeps `tensor` from being computed before the call, or None if nothing does.

    Args:
        tensor: a symbolic tensor of the graph being traced.

    Returns:
        None when `lift(tensor)` can evaluate it; otherwise text such as
        `"the function's input 'x' (x -> StridedSlice -> AddV2)"`.
    """
    parents: dict[int, object] = {id(tensor._node): None}
    stack = [tensor._node]
    while stack:
        node = stack.pop()
        reason = _unliftable(node)
        if reason is not None:
            path = _path(node, parents)
            return reason if path == node.name else f"{reason} ({path})"
        for parent in _data_inputs(node):
            if id(parent) not in parents:
                parents[id(parent)] = node
                stack.append(parent)
    return None


def lift(tensor: SymbolicTensor) -> Tensor:
    """Evaluates the ops that compute `tensor` now, eagerly; returns its value.

    Call `blocker(tensor)` first: `lift` expects it to be None.

    Args:
        tensor: a symbolic tensor whose ancestry has no input, variable read or side
            effect other than random draws.

    Returns:
        An eager tensor with the value, on `tensor`'s device.
    """
    graph = tensor._node.graph
    wanted = _ancestors(tensor._node)
    values: dict[int, object] = {}
    for node in graph.nodes:
        if id(node) not in wanted:
            continue
        if node.type == "Const":
            results = [graph.arrays[node.attrs["array"]]]
        elif node.type in folding.SHAPE_ONLY:
            results = folding.evaluate(node, folding._shape_stand_ins(node))
        else:
            results = folding.evaluate(node, [values[id(t)] for t in node.inputs])
        if node.op is not None and node.op.stateful:
            _unchain(graph, node)
        for out, value in zip(node.outputs, results):
            values[id(out)] = np.asarray(value, dtype=out._value.dtype)
    array = values[id(tensor)]
    device = tensor._device
    if device is not _devices.CPU0:
        array = _devices.transfer(array, _devices.CPU0, device)
    return wrap(array, device)


def _unliftable(node) -> str | None:
    """Why `node` cannot run before the call, or None if it can."""
    if node.type == "Placeholder":
        return f"the function's input {node.name!r}"
    if node.type == "ReadVariableOp":
        variable = node.graph.variables[node.attrs["variable"]]
        return f"variable {variable.name!r}, read inside the function"
    if node.type == "Const" or _shape_known(node):
        return None
    if node.op is None or node.type in GRAPH_NODE_TYPES or node.type in NODE_BUILDERS:
        return f"node {node.name!r} ({node.type}), which runs only inside the graph"
    if (node.stateful or node.op.stateful) and not _is_random_draw(node):
        return f"node {node.name!r} ({node.type}), which reads or changes state"
    return None


def _is_random_draw(node) -> bool:
    """Stateful random ops (`RandomStandardNormal`, ...) carry TF's `seed`/`seed2` attrs;
    other stateful ops (generator state reads, prints) do not."""
    return "seed" in node.attrs and "seed2" in node.attrs


def _shape_known(node) -> bool:
    """A shape-only op (`ZerosLike`) whose inputs' shapes are fully known."""
    if node.type not in folding.SHAPE_ONLY:
        return False
    return all(t._value.shape is not None and None not in t._value.shape
               for t in node.inputs)


def _data_inputs(node) -> list:
    """The nodes whose values `node` reads (none for a shape-only op of known shapes)."""
    if _shape_known(node):
        return []
    return [t._node for t in node.inputs]


def _ancestors(root) -> set[int]:
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in _data_inputs(stack.pop()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return seen


def _path(node, parents: dict) -> str:
    """`x -> StridedSlice -> AddV2`: from `node` down to the tensor being lifted."""
    names = []
    while node is not None:
        names.append(node.name)
        node = parents[id(node)]
    return " -> ".join(names)


def _unchain(graph, node) -> None:
    """Takes a lifted random draw out of the program order of stateful nodes.

    Its effect (advancing the random stream) happened at lifting; left stateful it would
    stay live and draw again on every call. Later stateful nodes are ordered after its
    predecessors instead, so dropping it keeps their order.
    """
    node.stateful = False
    before = node.control_inputs
    for other in graph.nodes:
        if node in other.control_inputs:
            rest = [c for c in other.control_inputs if c is not node]
            other.control_inputs = rest + [c for c in before if c not in rest]
    if graph._last_stateful is node:
        graph._last_stateful = before[-1] if before else None
