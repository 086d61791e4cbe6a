"""Elementwise fusion: chains and DAGs of elementwise ops become one `Fused` node.

A group is a set of elementwise nodes (the ops in `engine.graph.fused.ELEMENTWISE`:
unary math, the broadcasting arithmetic, Relu, Sigmoid, ReluGrad, a channels-last
BiasAdd) on one device, of one floating dtype, connected through their inputs. It runs
as one generated kernel in place of its members (`engine.graph.fused`), so an Adam
update is one call with two or three allocations instead of a dozen calls and
allocations, and the executor may let it write into input buffers that die with it.

How groups grow, in graph order: an elementwise node joins the groups of the producers of
its inputs (merging them) while those groups are open; a group closes as soon as a node
outside it reads one of its results. The fused node runs where its last member ran, so
every outside input is ready there, and a result that is read outside the group is read
only after it. Results read outside, or returned by the graph, become the fused node's
outputs; the rest never leave the kernel. Scalar float constants are folded into the
kernel's code. Groups of one node stay as they are.

The switch is `elementwise_fusion` (TensorFlow's `remapping`).
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.graph.fused import ELEMENTWISE
from engine.graph.ir import Node, SymbolicTensor
from engine.graph.passes.rewrite import readers
from engine.tensor_shape import TensorSpec

__all__ = ["run", "fusable", "fused_node"]

_FLOATS = frozenset(np.dtype(d) for d in ("float16", "float32", "float64"))


class _Group:
    __slots__ = ("members", "device", "open", "merged_into")

    def __init__(self, device):
        self.members: list[Node] = []
        self.device = device
        self.open = True
        self.merged_into = None


def run(graph) -> list[str]:
    """Fuses groups of elementwise nodes of `graph` in place; returns what it fused.

    Args:
        graph: a `Graph` (its nodes in execution order).

    Returns:
        One line per fused node: its name and its members.
    """
    ordered_by = {id(n): k for k, n in enumerate(graph.nodes)}
    ordering_targets = {id(c) for n in graph.nodes for c in n.control_inputs}
    group_of: dict[int, _Group] = {}
    groups: list[_Group] = []
    for node in graph.nodes:
        group = None
        if id(node) not in ordering_targets and fusable(node):
            group = _join(node, group_of, groups)
        for t in node.inputs:
            source = _find(group_of.get(id(t._node)))
            if source is not None and source is not group:
                source.open = False  # read outside: the group may not grow past this node
    consumers = readers(graph)
    replaced: dict[int, SymbolicTensor] = {}
    fused_at: dict[int, Node] = {}
    dropped: set[int] = set()
    inlined: set[int] = set()
    changes = []
    for group in groups:
        if group.merged_into is not None or len(group.members) < 2:
            continue
        members = sorted(group.members, key=lambda n: ordered_by[id(n)])
        fused = fused_node(graph, members, consumers, replaced, inlined)
        fused_at[id(members[-1])] = fused
        dropped.update(id(n) for n in members)
        changes.append(f"{fused.name}: {len(members)} nodes "
                       f"({', '.join(n.name for n in members)})")
    if not changes:
        return changes
    nodes = []
    for node in graph.nodes:
        if id(node) in fused_at:
            nodes.append(fused_at[id(node)])
        elif id(node) not in dropped:
            nodes.append(node)
    for node in nodes:
        node.inputs = [replaced.get(id(t), t) for t in node.inputs]
    graph.outputs = [replaced.get(id(t), t) if isinstance(t, SymbolicTensor) else t
                     for t in graph.outputs]
    graph.nodes = _without_unused_constants(graph, nodes, inlined)
    return changes


def fusable(node: Node) -> bool:
    """Whether `node` may be a member of a fused kernel (see the module doc)."""
    if node.type not in ELEMENTWISE or node.op is None or node.stateful or node.control_inputs:
        return False
    if len(node.outputs) != 1 or node.outputs[0]._value.shape is None:
        return False
    if node.type == "BiasAdd" and str(node.attrs.get("data_format", "NHWC")).startswith("NC"):
        return False  # a channels-first bias is reshaped first: not a plain broadcast
    dtype = node.outputs[0]._value.dtype
    if dtype not in _FLOATS or any(t._value.dtype != dtype for t in node.inputs):
        return False
    # CUDA's half-precision math differs from NumPy's: fuse float16 on the CPU only.
    return node.device.device_type != "GPU" or dtype != np.float16


def _find(group: _Group | None) -> _Group | None:
    while group is not None and group.merged_into is not None:
        group = group.merged_into
    return group


def _join(node: Node, group_of: dict, groups: list) -> _Group:
    """Adds `node` to the open groups of its inputs' producers (merged), or a new group."""
    candidates = []
    for t in node.inputs:
        group = _find(group_of.get(id(t._node)))
        if (group is not None and group.open and group.device is node.device
                and group not in candidates):
            candidates.append(group)
    if candidates:
        group = candidates[0]
        for other in candidates[1:]:
            group.members.extend(other.members)
            other.members = []
            other.merged_into = group
    else:
        group = _Group(node.device)
        groups.append(group)
    group.members.append(node)
    group_of[id(node)] = group
    return group


def _scalar_constant(graph, t: SymbolicTensor, dtype: np.dtype):
    """The value of a scalar float `Const` of `dtype` as a Python float, else None."""
    node = t._node
    if node.type != "Const" or t._value.shape != () or t._value.dtype != dtype:
        return None
    value = float(graph.arrays[node.attrs["array"]])
    return value if np.isfinite(value) else None


def fused_node(graph, members: list, consumers: dict, replaced: dict, inlined: set) -> Node:
    """The `Fused` node computing `members` (in order); records the tensors it replaces.

    Args:
        graph: the graph the members are in.
        members: the elementwise nodes, in graph order.
        consumers: tensor id -> the nodes reading it (None for a graph output).
        replaced: filled with id(member output) -> the fused node's output that replaces it.
        inlined: filled with the ids of scalar `Const` nodes folded into the kernel.

    Returns:
        The new node (not yet in `graph.nodes`).
    """
    index = {id(n): j for j, n in enumerate(members)}
    inputs: list[SymbolicTensor] = []
    input_index: dict[int, int] = {}
    records = []
    for node in members:
        dtype = node.outputs[0]._value.dtype
        refs = []
        for t in node.inputs:
            if id(t._node) in index:
                refs.append(["member", index[id(t._node)]])
                continue
            value = _scalar_constant(graph, t, dtype)
            if value is not None:
                refs.append(["const", value])
                inlined.add(id(t._node))
                continue
            if id(t) not in input_index:
                input_index[id(t)] = len(inputs)
                inputs.append(t)
            refs.append(["input", input_index[id(t)]])
        shape = node.outputs[0]._value.shape
        records.append({"type": node.type, "inputs": refs, "shape": list(shape),
                        "dtype": dtype.name})
    exported = [j for j, node in enumerate(members)
                if any(r is None or id(r) not in index for r in consumers.get(id(node.outputs[0]),
                                                                               ()))]
    last = members[-1]
    scope = members[0].scope
    name = graph.unique_name(f"{scope}/Fused" if scope else "Fused")
    fused = Node(graph, "Fused", None, name, inputs, {"members": records, "outputs": exported},
                 last.device, last.source, scope, False)
    fused.outputs = [SymbolicTensor(fused, k, TensorSpec(
        members[j].outputs[0]._value.shape, _dt.from_numpy(members[j].outputs[0]._value.dtype)),
        last.device) for k, j in enumerate(exported)]
    fused.info = {"members": [n.name for n in members],
                  "sources": [list(n.source) if n.source else None for n in members]}
    for k, j in enumerate(exported):
        replaced[id(members[j].outputs[0])] = fused.outputs[k]
    return fused


def _without_unused_constants(graph, nodes: list, inlined: set) -> list:
    """`nodes` without the constants that were folded into kernels and have no reader left."""
    read = {id(t._node) for node in nodes for t in node.inputs}
    read.update(id(t._node) for t in graph.outputs if isinstance(t, SymbolicTensor))
    return [n for n in nodes if id(n) not in inlined or id(n) in read]
