"""`Model.summary()` and `Model.layer_graph()`: the model's layers as text and as data.

Both come from the same rows: for each layer its name, class, output shape, parameter
count and, in a functional model, the layers it is connected to. Shapes of layers that
have not run yet are found by tracing the model once on symbolic inputs.
"""

from __future__ import annotations

import numpy as np

from engine import nest

__all__ = ["summary_rows", "summary_text", "layer_graph"]


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, (list, tuple)) and shape and not isinstance(shape[0], (int,
                                                                               type(None))):
        return ", ".join(_shape_text(s) for s in shape)
    dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ")"


def _params(layer) -> tuple[int, int]:
    trainable = sum(int(np.prod(w.shape.as_list())) for w in layer.trainable_weights)
    total = sum(int(np.prod(w.shape.as_list())) for w in layer.weights)
    return total, trainable


def summary_rows(model) -> list[dict]:
    """One dict per layer: name, class, output_shape, params, trainable_params, inbound."""
    from engine.keras.models.functional import Functional  # noqa: PLC0415
    from engine.keras.models.sequential import Sequential  # noqa: PLC0415

    rows = []
    if isinstance(model, Functional):
        producers = {}
        for layer in model._input_layers:
            producers[id(layer.output)] = layer.name
            rows.append(_row(layer, layer.output.shape, []))
        seen = {}
        for kind, node, what in model._plan:
            name = what.layer.name if kind == "layer" else node.name
            for t in node.outputs:
                producers[id(t)] = name
            # In call order (as Keras shows them), each layer once.
            inbound = list(dict.fromkeys(producers[id(t)] for t in node.inputs
                                         if id(t) in producers and t._node.type != "Const"))
            shapes = [t.shape for t in node.outputs[:len(nest.flatten(what.outputs))]] \
                if kind == "layer" else [t.shape for t in node.outputs]
            shape = shapes[0] if len(shapes) == 1 else shapes
            if kind == "const":
                continue
            if kind != "layer":
                rows.append({"name": name, "class_name": node.type, "output_shape": shape,
                             "params": 0, "trainable_params": 0, "inbound": inbound})
                continue
            if name in seen:  # a shared layer: one row, all its inbound layers
                row = rows[seen[name]]
                row["inbound"] = list(dict.fromkeys(row["inbound"] + inbound))
                continue
            seen[name] = len(rows)
            rows.append(_row(what.layer, shape, inbound))
        return rows
    shapes = _sequential_shapes(model) if isinstance(model, Sequential) else {}
    previous = []
    for layer in model.layers:
        rows.append(_row(layer, shapes.get(id(layer)), previous))
        previous = [layer.name] if isinstance(model, Sequential) else []
    return rows


def _row(layer, shape, inbound) -> dict:
    total, trainable = _params(layer) if layer.built else (0, 0)
    return {"name": layer.name, "class_name": type(layer).__name__, "output_shape": shape,
            "params": total, "trainable_params": trainable, "inbound": list(inbound)}


def _sequential_shapes(model) -> dict:
    shape = model.input_shape
    out = {}
    if shape is None:
        return out
    for layer in model.layers:
        try:
            shape = layer.compute_output_shape(shape)
        except Exception:  # noqa: BLE001 - a layer that cannot say: show "?"
            return out
        out[id(layer)] = shape
    return out


def summary_text(model, line_length: int = 90) -> str:
    """The summary as Keras prints it: a table of layers and the parameter totals."""
    rows = summary_rows(model)
    functional = any(r["inbound"] for r in rows) and type(model).__name__ == "Functional"
    widths = [0.36, 0.26, 0.14] if not functional else [0.3, 0.22, 0.12]
    cols = [int(line_length * w) for w in widths]
    if functional:  # "Connected to" takes the rest of the line
        cols.append(max(line_length - sum(cols) - len(cols), 12))
    title = f'Model: "{model.name}"'
    rule = "_" * line_length
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional
                                                            else [])
    lines = [title, rule, _format(header, cols), "=" * line_length]
    # A subclassed model's layers have no recorded output shape: Keras 2 prints "multiple".
    unknown = "multiple" if _is_subclassed(model) else "?"
    for r in rows:
        shape = r["output_shape"]
        cells = [f'{r["name"]} ({r["class_name"]})',
                 unknown if shape is None else _shape_text(shape), f'{r["params"]:,}']
        if functional:
            cells.append(", ".join(r["inbound"]))
        lines.append(_format(cells, cols))
    total, trainable = _params(model) if model.built else (0, 0)
    lines += ["=" * line_length, f"Total params: {total:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", rule]
    return "\n".join(lines)


def _is_subclassed(model) -> bool:
    from engine.keras.models.functional import Functional  # noqa: PLC0415
    from engine.keras.models.sequential import Sequential  # noqa: PLC0415

    return not isinstance(model, (Functional, Sequential))


def _format(cells, cols) -> str:
    """One table row; a cell longer than its column wraps onto the following lines (as
    Keras does), so the columns stay aligned."""
    wrapped = [_wrap(str(cell), width) for cell, width in zip(cells, cols)]
    lines = []
    for k in range(max(len(w) for w in wrapped)):
        parts = [(w[k] if k < len(w) else "").ljust(width) for w, width in zip(wrapped, cols)]
        lines.append(" ".join(parts).rstrip())
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken after ", " or " " outside
    parentheses where it can (between shapes, between names), else anywhere."""
    if len(text) <= width:
        return [text]
    lines, line = [], ""
    for piece in _pieces(text):
        if line and len(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        while len(piece.rstrip()) > width:  # one piece longer than the column: cut it
            lines.append(piece[:width])
            piece = piece[width:]
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _pieces(text: str) -> list[str]:
    """`text` split after each space outside parentheses (the space stays with the piece)."""
    pieces, start, depth = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([") - (char in ")]")
        if char == " " and depth == 0:
            pieces.append(text[start:i + 1])
            start = i + 1
    pieces.append(text[start:])
    return [p for p in pieces if p]


def layer_graph(model) -> dict:
    """The layers as plain data for drawing.

    Returns:
        `{"name", "nodes": [{"id", "class_name", "output_shape", "params",
        "trainable_params", "config"}], "edges": [{"source", "target"}]}`; nested models
        carry their own graph under `"subgraph"`.
    """
    rows = summary_rows(model)
    nodes, edges = [], []
    layers = {layer.name: layer for layer in model._flatten_layers(include_self=False,
                                                                   recursive=False)}
    for r in rows:
        layer = layers.get(r["name"])
        node = {"id": r["name"], "class_name": r["class_name"],
                "output_shape": _plain_shape(r["output_shape"]), "params": r["params"],
                "trainable_params": r["trainable_params"], "config": _safe_config(layer)}
        if layer is not None and hasattr(layer, "layer_graph") and layer is not model:
            node["subgraph"] = layer_graph(layer)
        nodes.append(node)
        edges.extend({"source": src, "target": r["name"]} for src in r["inbound"])
    return {"name": model.name, "nodes": nodes, "edges": edges}


def _plain_shape(shape):
    if shape is None:
        return None
    if isinstance(shape, list) and shape and hasattr(shape[0], "as_list"):
        return [s.as_list() for s in shape]
    return shape.as_list() if hasattr(shape, "as_list") else list(shape)


def _safe_config(layer) -> dict:
    if layer is None:
        return {}
    try:
        return layer.get_config()
    except NotImplementedError:
        return {}
