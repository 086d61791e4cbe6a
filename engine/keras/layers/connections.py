"""A layer's functional-API connections: `layer.input`, `.output` and their shapes.

Each call of a layer on Keras tensors (`engine.keras.Input(...)` and what follows)
records an inbound node (see `functional.py`). As in Keras 2, `layer.input` and
`layer.output` are the Keras tensors of the layer's only node, and `input_shape` and
`output_shape` their shapes (also when several nodes agree on them). A layer called on
symbolic inputs several times names a node explicitly: `get_output_at(node_index)`.
"""

from __future__ import annotations

from engine import nest

__all__ = ["LayerConnections"]


class LayerConnections:
    """The `input`/`output` properties of `Layer` (Keras 2's node API)."""

    @property
    def input(self):
        """The Keras tensor(s) the layer was called on, in the functional API.

        Raises:
            AttributeError: if the layer was never called on symbolic inputs, or was called
                on them more than once (then use `get_input_at(node_index)`).
        """
        return self.get_input_at(self._only_node_index("input", "get_input_at"))

    @property
    def output(self):
        """The Keras tensor(s) the layer produced in the functional API.

        Raises:
            AttributeError: if the layer was never called on symbolic inputs, or was called
                on them more than once (then use `get_output_at(node_index)`).
        """
        return self.get_output_at(self._only_node_index("output", "get_output_at"))

    @property
    def input_shape(self):
        """The shape of `input` (batch dimension included), as a `TensorShape` (or a
        structure of them); also when several inbound nodes share it.

        Raises:
            AttributeError: if the layer was never called on symbolic inputs, or was called
                on inputs of different shapes.
        """
        return self._shared_shape("input_shape", self.get_input_shape_at)

    @property
    def output_shape(self):
        """The shape of `output` (batch dimension included), as a `TensorShape` (or a
        structure of them); also when several inbound nodes share it.

        Raises:
            AttributeError: if the layer was never called on symbolic inputs, or its calls
                gave outputs of different shapes.
        """
        return self._shared_shape("output_shape", self.get_output_shape_at)

    def get_input_at(self, node_index: int):
        """The Keras tensor(s) of the layer's `node_index`-th call on symbolic inputs.

        Args:
            node_index: which call (0 for the first).

        Returns:
            The call's first argument: a Keras tensor or a structure of them.

        Raises:
            AttributeError: if there is no such call.
        """
        from engine.keras.layers.functional import node_inputs  # noqa: PLC0415

        return node_inputs(self._node_at(node_index, "get_input_at"))

    def get_output_at(self, node_index: int):
        """The Keras tensor(s) the layer's `node_index`-th call on symbolic inputs made.

        Args:
            node_index: which call (0 for the first).

        Returns:
            A Keras tensor or a structure of them.

        Raises:
            AttributeError: if there is no such call.
        """
        from engine.keras.layers.functional import node_outputs  # noqa: PLC0415

        return node_outputs(self._node_at(node_index, "get_output_at"))

    def get_input_shape_at(self, node_index: int):
        """The shape(s) of `get_input_at(node_index)`.

        Args:
            node_index: which call (0 for the first).

        Returns:
            A `TensorShape` or a structure of them.
        """
        return _shapes(self.get_input_at(node_index))

    def get_output_shape_at(self, node_index: int):
        """The shape(s) of `get_output_at(node_index)`.

        Args:
            node_index: which call (0 for the first).

        Returns:
            A `TensorShape` or a structure of them.
        """
        return _shapes(self.get_output_at(node_index))

    # --- helpers ------------------------------------------------------------------------
    def _nodes(self) -> list:
        return self.__dict__.get("_inbound_nodes", [])

    def _not_connected(self, what: str) -> AttributeError:
        return AttributeError(
            f"{self.name}.{what}: the layer is not connected: it was never called on "
            f"symbolic inputs (engine.keras.Input tensors), so {what} is not defined. Call "
            "it on the output of engine.keras.Input(...), or "
            "give its Sequential model an input first (engine.keras.Input(shape=...) as the "
            "first layer, input_shape= on the first layer, or model.build(input_shape)).")

    def _only_node_index(self, what: str, method: str) -> int:
        nodes = self._nodes()
        if not nodes:
            raise self._not_connected(what)
        if len(nodes) > 1:
            raise AttributeError(
                f"{self.name}.{what}: the layer was called on symbolic inputs "
                f"{len(nodes)} times (it has {len(nodes)} inbound nodes), so its {what} is "
                f"ambiguous; use layer.{method}(node_index) with node_index in "
                f"0..{len(nodes) - 1}.")
        return 0

    def _node_at(self, node_index: int, method: str):
        nodes = self._nodes()
        if not nodes:
            raise self._not_connected(method)
        if not -len(nodes) <= node_index < len(nodes):
            raise AttributeError(f"{self.name}.{method}({node_index}): the layer has "
                                 f"{len(nodes)} inbound node(s); give node_index in "
                                 f"0..{len(nodes) - 1}.")
        return nodes[node_index]

    def _shared_shape(self, what: str, shape_at):
        nodes = self._nodes()
        if not nodes:
            raise self._not_connected(what)
        shapes = [shape_at(i) for i in range(len(nodes))]
        texts = [str(_plain(s)) for s in shapes]
        if len(set(texts)) > 1:
            raise AttributeError(
                f"{self.name}.{what}: the layer's {len(nodes)} calls on symbolic inputs have "
                f"different shapes ({', '.join(texts)}), so its {what} is ambiguous; use "
                f"layer.get_{what}_at(node_index).")
        return shapes[0]


def _shapes(structure):
    return nest.map_structure(lambda t: t.shape, structure)


def _plain(shapes):
    return nest.map_structure(lambda s: tuple(s.as_list()) if s.rank is not None else None,
                              shapes)
