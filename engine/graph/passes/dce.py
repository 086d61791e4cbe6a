"""Dead-code elimination: drops nodes whose outputs nothing uses.

A node is live if it has an effect (a variable write, a print, a random draw advances its
generator), feeds a graph output, or feeds a live node. An unused variable read is dead.
Placeholders stay (they are the graph's signature). Control inputs order nodes; they do
not keep them alive.
"""

from __future__ import annotations

__all__ = ["run"]


def run(graph) -> list[str]:
    """Removes dead nodes from `graph`; returns their names."""
    live: set[int] = set()
    for t in graph.outputs:
        if t is not None:
            live.add(id(t._node))
    for node in reversed(graph.nodes):
        if (node.stateful and node.type != "ReadVariableOp") or node.type == "Placeholder":
            live.add(id(node))
        if id(node) in live:
            for t in node.inputs:
                live.add(id(t._node))
    removed = [n.name for n in graph.nodes if id(n) not in live]
    if removed:
        graph.nodes = [n for n in graph.nodes if id(n) in live]
        for n in graph.nodes:
            if n.control_inputs:
                n.control_inputs = [c for c in n.control_inputs if id(c) in live]
    return removed
