"""`get_source_inputs`: the `Input` tensors a functional-API tensor was computed from."""

from __future__ import annotations

__all__ = ["get_source_inputs"]


def get_source_inputs(tensor, layer=None, node_index=None) -> list:
    """The `engine.keras.Input` tensors that `tensor` depends on, in discovery order.

    Walks the Keras graph back from `tensor` through layer calls and ops, as Keras 2's
    `tf.keras.utils.get_source_inputs` does; an `Input` tensor is its own source.

    Args:
        tensor: a Keras tensor (from `Input` or a layer called on Keras tensors), or a
            list of them.
        layer: accepted for Keras 2 compatibility; unused.
        node_index: accepted for Keras 2 compatibility; unused.

    Returns:
        A list of Keras tensors.

    Raises:
        TypeError: for a value that is not a Keras tensor.

    Example:
        >>> inp = engine.keras.Input((3,))
        >>> out = engine.keras.layers.Dense(2)(inp * 2.0)
        >>> engine.keras.utils.get_source_inputs(out)[0] is inp
        True
    """
    from engine import nest  # noqa: PLC0415
    from engine.keras.layers.functional import is_keras_tensor  # noqa: PLC0415

    del layer, node_index
    pending = list(reversed(nest.flatten(tensor)))
    for item in pending:
        if not is_keras_tensor(item):
            raise TypeError(f"get_source_inputs: got {item!r}; expected Keras tensors, "
                            "i.e. engine.keras.Input(...) or a layer's output on them.")
    sources, seen = [], set()
    while pending:
        current = pending.pop()
        node = current._node
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.type == "Placeholder":  # an Input; constants have no inputs either
            sources.append(current)
            continue
        pending.extend(reversed(node.inputs))
    return sources
