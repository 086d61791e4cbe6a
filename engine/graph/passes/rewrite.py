"""Graph rewriting: the few edits that passes make, each done one way.

Passes walk `graph.nodes` once, in order, and edit as they go:
- `Substitution` records "tensor `old` now means tensor `new`". A pass applies it to each
  node's inputs when it reaches the node (`apply_to_node`) and to `graph.outputs` at the
  end (`apply_to_outputs`), so replacing a tensor never scans the graph. Because nodes
  come after their inputs, every use of `old` is reached after `old` was replaced.
- `const_node` makes a `Const` node for a host array without adding it to `graph.nodes`;
  the pass puts it where it belongs (in the place of the node it replaces).
- `remove_nodes` drops nodes and keeps the ordering their control edges carried.
- `is_plain` says whether a node is an ordinary, side-effect-free registry op, the only
  kind that passes may fold, merge or bypass; `readers` maps each tensor to its readers.
- `prune_arrays` forgets constant arrays that no node uses any more.

Example:
    >>> from engine.graph.passes import rewrite
    >>> g = engine.function(lambda x: engine.identity(x) + 1.0).get_concrete_function(
    ...     engine.TensorSpec([2])).graph
    >>> c = rewrite.const_node(g, np.ones(2, np.float32), g.inputs[0]._device, "one")
    >>> c.type, c.outputs[0].shape
    ('Const', TensorShape([2]))
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.graph.executor import NODE_BUILDERS
from engine.graph.ir import GRAPH_NODE_TYPES, Graph, Node, SymbolicTensor
from engine.tensor_shape import TensorSpec

__all__ = ["Substitution", "const_node", "const_value", "is_plain", "readers", "remove_nodes",
           "prune_arrays", "refines"]


class Substitution:
    """Tensor replacements, applied lazily as a pass walks the nodes in order.

    Example:
        >>> from engine.graph.passes.rewrite import Substitution
        >>> bool(Substitution())
        False
    """

    __slots__ = ("_new",)

    def __init__(self):
        # id(old) -> (old, new); holding `old` keeps its id from being reused meanwhile.
        self._new: dict[int, tuple] = {}

    def __bool__(self) -> bool:
        return bool(self._new)

    def replace(self, old: SymbolicTensor, new: SymbolicTensor) -> None:
        """From now on, uses of `old` read `new` instead.

        Args:
            old: the tensor to replace.
            new: its replacement, with the same dtype and a shape at least as specific.
        """
        self._new[id(old)] = (old, self.resolve(new))

    def resolve(self, tensor):
        """`tensor`'s current replacement (itself if none).

        Args:
            tensor: a symbolic tensor (or None, for a missing graph output).

        Returns:
            The tensor that uses of `tensor` should read.
        """
        hit = self._new.get(id(tensor))
        while hit is not None:
            tensor = hit[1]
            hit = self._new.get(id(tensor))
        return tensor

    def apply_to_node(self, node: Node) -> None:
        """Rewires `node`'s inputs to their replacements.

        Args:
            node: a node the pass has reached.
        """
        if not self._new:
            return
        new = self._new
        for i, t in enumerate(node.inputs):
            if id(t) in new:
                node.inputs[i] = self.resolve(t)

    def apply_to_outputs(self, graph: Graph) -> None:
        """Rewires `graph.outputs` to their replacements.

        Args:
            graph: the graph being rewritten.
        """
        if self._new:
            graph.outputs = [self.resolve(t) if isinstance(t, SymbolicTensor) else t
                             for t in graph.outputs]

    def apply(self, graph: Graph) -> None:
        """Rewires every node's inputs and the graph's outputs (a whole-graph sweep).

        Args:
            graph: the graph being rewritten.
        """
        for node in graph.nodes:
            self.apply_to_node(node)
        self.apply_to_outputs(graph)


def readers(graph: Graph) -> dict:
    """Tensor id -> the nodes reading it, in graph order (a graph output counts as a reader
    None).

    Args:
        graph: a graph.

    Returns:
        A dict.
    """
    found: dict = {}
    for node in graph.nodes:
        for t in node.inputs:
            found.setdefault(id(t), []).append(node)
    for t in graph.outputs:
        if isinstance(t, SymbolicTensor):
            found.setdefault(id(t), []).append(None)
    return found


def is_plain(node: Node) -> bool:
    """Whether `node` is a side-effect-free registry op run by its own kernel.

    Placeholders, constants, variable reads and writes, prints, random draws and nodes
    that the executor builds itself (control flow, fused kernels) are not plain.

    Args:
        node: a graph node.

    Returns:
        True when passes may fold, merge or bypass the node.
    """
    op = node.op
    return (op is not None and not node.stateful and not op.stateful
            and not node.control_inputs and node.type not in GRAPH_NODE_TYPES
            and node.type not in NODE_BUILDERS)


def const_value(graph: Graph, tensor: SymbolicTensor) -> np.ndarray | None:
    """The host array of `tensor` if a `Const` node makes it, else None.

    Args:
        graph: the graph holding the constant's array.
        tensor: a symbolic tensor.

    Returns:
        A NumPy array, or None.
    """
    node = tensor._node
    if node.type != "Const":
        return None
    return graph.arrays[node.attrs["array"]]


def const_node(graph: Graph, array: np.ndarray, device, name: str, *, scope: str = "",
               source=None, info: dict | None = None) -> Node:
    """A new `Const` node holding `array`, not yet placed in `graph.nodes`.

    Args:
        graph: the graph that will hold it (the array goes into `graph.arrays`).
        array: a host (NumPy) array; the executor copies it to `device` once, when it
            compiles the graph.
        device: the device the constant's consumers expect it on.
        name: the node's name (made unique in the graph).
        scope: the name scope to show for it.
        source: `(filename, line, function)` of the user code it stands for.
        info: JSON-able notes about it (e.g. which node it was folded from).

    Returns:
        The node; insert it into `graph.nodes` before its first consumer.
    """
    key = graph.add_array(array, name.rsplit("/", 1)[-1])
    node = Node(graph, "Const", None, graph.unique_name(name), [], {"array": key}, device,
                source, scope, False)
    spec = TensorSpec(array.shape, _dt.from_numpy(array.dtype))
    node.outputs = [SymbolicTensor(node, 0, spec, device)]
    if info:
        node.info.update(info)
    return node


def remove_nodes(graph: Graph, doomed: set) -> None:
    """Drops the nodes whose ids are in `doomed`; keeps the order their control edges set.

    A node that had a removed node as a control input inherits that node's own control
    inputs, so what had to run before still does.

    Args:
        graph: the graph to edit.
        doomed: `id(node)` of each node to remove. Nothing may still read their outputs.
    """
    if not doomed:
        return
    graph.nodes = [n for n in graph.nodes if id(n) not in doomed]
    for node in graph.nodes:
        if node.control_inputs and any(id(c) in doomed for c in node.control_inputs):
            node.control_inputs = _surviving(node.control_inputs, doomed)


def _surviving(controls: list, doomed: set) -> list:
    result: list = []
    for c in controls:
        kept = _surviving(c.control_inputs, doomed) if id(c) in doomed else [c]
        result.extend(k for k in kept if k not in result)
    return result


def prune_arrays(graph: Graph, keys: set) -> list[str]:
    """Forgets the arrays under `keys` that no `Const` node of `graph` refers to any more.

    Args:
        graph: the graph.
        keys: array keys that `Const` nodes referred to before the passes ran (arrays under
            other keys may belong to other node types and are left alone).

    Returns:
        The keys removed.
    """
    used = {n.attrs["array"] for n in graph.nodes if n.type == "Const"}
    gone = [k for k in keys if k not in used and k in graph.arrays]
    for k in gone:
        del graph.arrays[k]
    return gone


def refines(new: SymbolicTensor, old: SymbolicTensor) -> bool:
    """Whether `new` may stand in for `old`: same dtype and device, shape as specific.

    Args:
        new: the replacement.
        old: the tensor it replaces.

    Returns:
        True if every dimension `old` knows, `new` knows with the same size.
    """
    if new._value.dtype != old._value.dtype or new._device is not old._device:
        return False
    want, have = old._value.shape, new._value.shape
    if want is None:
        return True
    if have is None or len(have) != len(want):
        return False
    return all(w is None or w == h for w, h in zip(want, have))
