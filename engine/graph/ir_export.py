"""Graphs as text, drawing data and JSON: the `Graph` methods that export and rebuild it.

`GraphExport` is a mixin of `engine.graph.ir.Graph`: `as_text()` prints one line per
node, `as_graph_data()` gives nodes and edges for drawing (widgets use it), `as_dict()`
gives JSON-able data plus the constants' arrays, and `Graph.from_dict` rebuilds the graph
from that. Attrs are JSON-able by construction; tuples and dtypes are tagged
(`{"__tuple__": [...]}`, `{"__dtype__": "float32"}`) so they read back as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine import dtypes as _dt
from engine.backend import devices as _devices
from engine.tensor_shape import TensorSpec

if TYPE_CHECKING:
    from engine.graph.ir import Graph

__all__ = ["GraphExport"]


class GraphExport:
    """The export methods of `engine.graph.ir.Graph` (text, drawing data, JSON).

    The methods import the IR's classes when they run: `ir` imports this module to build
    `Graph` on it.
    """

    # --- inspection ---------------------------------------------------------------------
    def as_text(self) -> str:
        """One line per node: `name = Type(inputs, attrs) -> shape dtype  # source`."""
        from engine.graph.ir import VARIABLE_WRITES, SymbolicTensor  # noqa: PLC0415

        lines = [f"graph {self.name}({', '.join(t.name for t in self.inputs)}):"]
        for node in self.nodes:
            outs = ", ".join(f"{_shape_text(t)} {t.dtype.name}" for t in node.outputs)
            args = [t.name for t in node.inputs]
            args += [f"{k}={_attr_text(v)}" for k, v in node.attrs.items()]
            if node.type in ("ReadVariableOp",) or node.type in VARIABLE_WRITES:
                args.append(f"var={self.variables[node.attrs['variable']].name}")
            line = f"  {node.name} = {node.type}({', '.join(args)})"
            if outs:
                line += f" -> {outs}"
            if node.info.get("members"):
                line += f"  [fused: {', '.join(node.info['members'])}]"
            lines.append(line)
        outs = ", ".join(t.name if isinstance(t, SymbolicTensor) else repr(t)
                         for t in self.outputs)
        lines.append(f"  return {outs}")
        return "\n".join(lines)

    def as_graph_data(self) -> dict:
        """Nodes and edges as plain data for drawing (widgets use this).

        Returns:
            `{"nodes": [{"id", "type", "scope", "shapes", "dtypes", "fused"}...],
            "edges": [{"source", "target", "tensor", "control"}...]}`.
        """
        nodes = [{"id": n.name, "type": n.type, "scope": n.scope,
                  "shapes": [_shape_list(t) for t in n.outputs],
                  "dtypes": [t.dtype.name for t in n.outputs],
                  "fused": list(n.info.get("members", ()))} for n in self.nodes]
        edges = []
        for n in self.nodes:
            for t in n.inputs:
                edges.append({"source": t._node.name, "target": n.name, "tensor": t.name,
                              "control": False})
            for c in n.control_inputs:
                edges.append({"source": c.name, "target": n.name, "tensor": None,
                              "control": True})
        return {"nodes": nodes, "edges": edges}

    # --- serialization ------------------------------------------------------------------
    def as_dict(self) -> tuple[dict, dict]:
        """The graph as `(data, arrays)`: JSON-able data and the constants' arrays.

        Variables appear by name, shape and dtype; `from_dict` binds them again.
        """
        from engine.graph.ir import SymbolicTensor  # noqa: PLC0415

        nodes = []
        for n in self.nodes:
            nodes.append({
                "name": n.name, "type": n.type, "attrs": _jsonable(n.attrs),
                "inputs": [t.name for t in n.inputs],
                "outputs": [{"shape": _shape_list(t), "dtype": t.dtype.name}
                            for t in n.outputs],
                "control_inputs": [c.name for c in n.control_inputs],
                "device": n.device.name, "scope": n.scope, "stateful": n.stateful,
                "source": list(n.source) if n.source else None, "info": _jsonable(n.info)})
        data = {
            "name": self.name, "nodes": nodes,
            "inputs": [t.name for t in self.inputs],
            "outputs": [t.name if isinstance(t, SymbolicTensor) else None
                        for t in self.outputs],
            "variables": [{"name": v.name, "shape": v.shape.dims, "dtype": v.dtype.name}
                          for v in self.variables],
            "functions": {k: g.as_dict()[0] for k, g in self.functions.items()},
        }
        arrays = dict(self.arrays)
        for key, g in self.functions.items():
            arrays.update({f"{key}/{k}": v for k, v in g.as_dict()[1].items()})
        return data, arrays

    @classmethod
    def from_dict(cls, data: dict, arrays: dict, variables: list | dict | None = None) -> Graph:
        """Rebuilds a graph from `as_dict()`'s output.

        Args:
            data, arrays: what `as_dict` returned.
            variables: the variables to bind, as a list in the graph's order or a dict by
                name (default: none; a graph that reads variables then needs them).
        """
        from engine.graph.ir import GRAPH_NODE_TYPES, Node, SymbolicTensor  # noqa: PLC0415
        from engine.registry import get  # noqa: PLC0415

        graph = cls(data["name"])
        if variables is not None:
            if isinstance(variables, dict):
                missing = [v["name"] for v in data["variables"] if v["name"] not in variables]
                if missing:
                    raise KeyError(f"Graph.from_dict: no variable given for {missing}.")
                variables = [variables[v["name"]] for v in data["variables"]]
            for v in variables:
                graph.capture_variable(v)
        graph.arrays = {k: v for k, v in arrays.items() if "/" not in k.removeprefix("array/")}
        for key, sub in data.get("functions", {}).items():
            prefix = f"{key}/"
            sub_arrays = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            graph.functions[key] = cls.from_dict(sub, sub_arrays)
        tensors: dict[str, SymbolicTensor] = {}
        by_name: dict[str, Node] = {}
        for nd in data["nodes"]:
            op = None
            if nd["type"] not in GRAPH_NODE_TYPES:
                op = get(nd["type"])
            node = Node(graph, nd["type"], op, nd["name"], [tensors[t] for t in nd["inputs"]],
                        _from_jsonable(nd["attrs"]), _devices.get(nd["device"]),
                        tuple(nd["source"]) if nd["source"] else None, nd["scope"],
                        nd["stateful"])
            node.info = nd.get("info") or {}
            node.control_inputs = [by_name[c] for c in nd["control_inputs"]]
            node.outputs = [SymbolicTensor(node, k, TensorSpec(o["shape"], o["dtype"]),
                                           node.device) for k, o in enumerate(nd["outputs"])]
            for t in node.outputs:
                tensors[t.name] = t
            by_name[node.name] = node
            graph._names[node.name] = 1
            graph.nodes.append(node)
            if node.stateful:
                graph._last_stateful = node
        graph.inputs = [tensors[t] for t in data["inputs"]]
        graph.outputs = [tensors[t] if t is not None else None for t in data["outputs"]]
        return graph


def _shape_list(t) -> list | None:
    shape = t._value.shape
    return None if shape is None else list(shape)


def _shape_text(t) -> str:
    shape = t._value.shape
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _attr_text(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {"__tuple__": [_jsonable(v) for v in value]} if isinstance(value, tuple) \
            else [_jsonable(v) for v in value]
    if isinstance(value, _dt.DType):
        return {"__dtype__": value.name}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"Graph attr value {value!r} ({type(value).__name__}) is not "
                    "serializable; attrs must be JSON-able.")


def _from_jsonable(value):
    if isinstance(value, dict):
        if "__tuple__" in value and len(value) == 1:
            return tuple(_from_jsonable(v) for v in value["__tuple__"])
        if "__dtype__" in value and len(value) == 1:
            return _dt.as_dtype(value["__dtype__"])
        return {k: _from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    return value
