"""While tracing: max pooling moves before the bias add and activation that made its input.

A per-channel bias and an activation that never decreases commute with a max over
positions: `max_pool(relu(bias_add(z, b)))` equals `relu(bias_add(max_pool(z), b))`, and
the second form runs the bias, the activation, their gradients and the bias gradient on
the pooled tensor (a quarter of the elements for the usual 2x2 pool). When
`engine.nn.max_pool2d` (NHWC) is traced on such an input, it builds the second form; the
first one's nodes are then dead, unless something else reads them, and dead-code
elimination drops them. Gradients follow from the new nodes, so the tape needs nothing.
Eagerly nothing changes (a value does not know the ops that made it); Keras' layers do the
same for their eager calls (`engine.keras.layers.pooling`).

The chain matched, from the pool's input back: optionally one activation among
`COMMUTING` (default arguments only where an argument could break monotonicity), then
optionally a `BiasAdd` in NHWC or an `AddV2` of a `(channels,)` vector. Ties: a window
whose maximum is held twice routes its gradient to the first one either way (the
activation is strictly increasing where its gradient is nonzero).
`engine.config.optimizer.set_experimental_options({"max_pool_reordering": False})` turns it
off for functions traced afterwards.
"""

from __future__ import annotations

from engine import context
from engine.dispatch import dispatch

__all__ = ["pool_first"]

# Activation op types that never decrease. LeakyRelu counts when its alpha is >= 0.
COMMUTING = frozenset({"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus",
                       "Softsign", "LeakyRelu"})
_THREAD = context.THREAD


def _producer(tensor, types):
    """The graph node of the traced `tensor` if its type is in `types`, else None."""
    node = getattr(tensor, "_node", None)
    if (node is None or node.type not in types or node.graph is not _THREAD.graph
            or node.outputs[0] is not tensor):
        return None
    return node


def _bias(node):
    """`(z, redo)` for a per-channel bias add node (`redo(pooled)` adds the bias again), or
    None."""
    if node.type == "BiasAdd":
        if node.attrs.get("data_format", "NHWC") != "NHWC":
            return None
        return node.inputs[0], lambda pooled: dispatch(node.op, (pooled, node.inputs[1]),
                                                       node.attrs)
    a, b = node.inputs
    if a.shape.rank != 4:
        a, b = b, a
    channels = a.shape[-1]
    if a.shape.rank != 4 or b.shape.rank != 1 or channels is None or b.shape[0] != channels:
        return None
    return a, lambda pooled: dispatch(node.op, (pooled, b), node.attrs)


def pool_first(pool_def, x, attrs):
    """`max_pool(x)` rebuilt as `activation(bias(max_pool(z)))` when `x` is a traced
    `activation(bias(z))` (either part optional); None when it is not, or eagerly."""
    if _THREAD.graph is None:
        return None
    from engine.graph import passes  # noqa: PLC0415 - the graph package sits above ops

    if not passes.get_experimental_options()["max_pool_reordering"]:
        return None
    act = _producer(x, COMMUTING)
    if act is not None and (len(act.inputs) != 1 or act.attrs.get("alpha", 0.0) < 0):
        return None
    source = act.inputs[0] if act is not None else x
    bias_node = _producer(source, ("BiasAdd", "AddV2"))
    bias = _bias(bias_node) if bias_node is not None else None
    if act is None and bias is None:
        return None
    z, redo = bias if bias is not None else (source, None)
    out = dispatch(pool_def, (z,), attrs)
    if redo is not None:
        out = redo(out)
    if act is not None:
        out = dispatch(act.op, (out,), act.attrs)
    return out
