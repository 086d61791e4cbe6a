"""`engine.control_dependencies`: nodes built in a block run after the given ones.

Inside `engine.function`, every node created in `with engine.control_dependencies(ops):`
gets the nodes of `ops` as control inputs, as in TensorFlow's graphs. Stateful nodes
(assignments, prints, assertions) already run in program order here, so the block matters
for graph inspection and export, and for pure values computed after a check. Eagerly each op
runs at once, so the block does nothing (as in TF 2). `None` entries are skipped (the
assertions return None), and `control_dependencies(None)` clears the enclosing blocks'
dependencies for its own block.
"""

from __future__ import annotations

import contextlib

from engine import context

__all__ = ["control_dependencies"]


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """Makes the ops built in the block run after `control_inputs` (inside graphs).

    Args:
        control_inputs: a list of tensors or graph nodes (None entries are skipped), or
            None to clear the dependencies of enclosing blocks.

    Yields:
        None.

    Raises:
        TypeError: for something that is neither a tensor of the graph being traced nor
            one of its nodes.

    Example:
        >>> @engine.function
        ... def checked(x):
        ...     engine.debugging.assert_positive(x)
        ...     with engine.control_dependencies([x]):
        ...         return engine.sqrt(x)
        >>> checked(engine.constant([4.0])).numpy()
        array([2.], dtype=float32)
    """
    graph = context.THREAD.graph
    if graph is None:  # eager: every op has run already
        yield
        return
    if control_inputs is None:
        saved, graph.control_stack = graph.control_stack, []
        try:
            yield
        finally:
            graph.control_stack = saved
        return
    nodes = []
    for item in control_inputs:
        if item is None:
            continue
        node = getattr(item, "_node", None)
        if node is None and hasattr(item, "control_inputs") and hasattr(item, "graph"):
            node = item  # a graph node given directly
        if node is None or node.graph is not graph:
            raise TypeError(
                f"control_dependencies: got {type(item).__name__} {item!r:.60}; expected "
                "tensors or nodes of the function being traced (a value computed outside it "
                "has already been computed: leave it out).")
        nodes.append(node)
    graph.control_stack.append(nodes)
    try:
        yield
    finally:
        graph.control_stack.pop()
