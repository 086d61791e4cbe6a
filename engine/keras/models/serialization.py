"""Functional models as data: `get_config` and `from_config`.

The config lists, in wiring order, every layer with its own config and the calls made to
it (`inbound_nodes`). A call is stored as its arguments with each Keras tensor written
`{"__tensor__": [producer, call index, output index]}`, so calls with lists, dicts and
keyword arguments round-trip. Engine ops applied to Keras tensors are entries of class
`EngineOp` (the raw op and its attrs), and constants of class `Constant`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine import nest
from engine.dispatch import dispatch
from engine.keras.layers import functional as keras_functional
from engine.registry import get as get_op

__all__ = ["functional_config", "functional_from_config"]


def functional_config(model) -> dict:
    """The config of a functional model (see the module docstring)."""
    from engine.keras.serialization import serialize_object  # noqa: PLC0415

    where: dict[int, list] = {}  # id(tensor) -> [producer, call index, output index]
    entries: dict[str, dict] = {}
    order: list[str] = []
    for layer in model._input_layers:
        entry = {"class_name": "InputLayer", "config": layer.get_config(), "name": layer.name,
                 "inbound_nodes": []}
        entries[layer.name] = entry
        order.append(layer.name)
        where[id(layer.output)] = [layer.name, 0, 0]
    for kind, node, what in model._plan:
        if kind == "layer":
            layer = what.layer
            name = layer.name
            if name not in entries:
                item = serialize_object(layer)
                entries[name] = {"class_name": item["class_name"], "config": item["config"],
                                 "name": name, "inbound_nodes": []}
                order.append(name)
            refs = [where[id(t)] for t in node.inputs]

            def encode(x, refs=refs):
                if isinstance(x, keras_functional._Slot):
                    return {"__tensor__": refs[x.index]}
                return x

            call = {"args": nest.map_structure(encode, list(what.args)),
                    "kwargs": {k: nest.map_structure(encode, v) for k, v in what.kwargs.items()}}
        elif kind == "const":
            name = node.name
            entries[name] = {"class_name": "Constant", "name": name, "inbound_nodes": [],
                             "config": {"value": np.asarray(what).tolist(),
                                        "dtype": node.outputs[0].dtype.name}}
            order.append(name)
            call = {"args": [], "kwargs": {}}
        elif kind == "op":
            name = node.name
            entries[name] = {"class_name": "EngineOp", "name": name, "inbound_nodes": [],
                             "config": {"op": node.type, "attrs": _jsonable(node.attrs)}}
            order.append(name)
            call = {"args": [{"__tensor__": where[id(t)]} for t in node.inputs], "kwargs": {}}
        else:
            raise ValueError(f"{model.name}.get_config: the model reads variable "
                             f"{what.name!r} directly; only layers, engine ops and constants "
                             "can be serialized. Wrap the variable in a layer.")
        index = len(entries[name]["inbound_nodes"])
        entries[name]["inbound_nodes"].append(call)
        for k, t in enumerate(node.outputs):
            where[id(t)] = [name, index, k]
    return {
        "name": model.name, "layers": [entries[n] for n in order],
        "input_layers": nest.map_structure(lambda t: where[id(t)], model._nested_inputs),
        "output_layers": nest.map_structure(lambda t: where[id(t)], model._nested_outputs),
    }


def functional_from_config(config: dict, custom_objects=None, make_layer=None):
    """A new functional model (new layers and weights) from `functional_config` data.

    `make_layer(entry)`, when given, makes each layer from its config entry (a dict with
    "name", "class_name" and "config") instead of deserializing it (`clone_model` uses
    it for `clone_function`)."""
    from engine.keras import layers as layers_module  # noqa: PLC0415
    from engine.keras.models.functional import Functional  # noqa: PLC0415

    produced: dict[tuple, object] = {}

    def tensor(ref):
        key = (ref[0], ref[1], ref[2])
        if key not in produced:
            raise ValueError(f"from_config: tensor {ref} is used before it is produced; the "
                             "config's layers must be in wiring order.")
        return produced[key]

    def decode(x):
        if isinstance(x, dict) and set(x) == {"__tensor__"}:
            return tensor(x["__tensor__"])
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    for entry in config["layers"]:
        name, kind = entry["name"], entry["class_name"]
        if kind == "InputLayer":
            cfg = entry["config"]
            t = keras_functional.Input(batch_shape=cfg["batch_input_shape"], name=cfg["name"],
                                       dtype=cfg.get("dtype"))
            produced[(name, 0, 0)] = t
            continue
        if kind == "Constant":
            value = np.asarray(entry["config"]["value"],
                               _dt.as_dtype(entry["config"]["dtype"]).as_numpy_dtype)
            graph = keras_functional.keras_graph()
            from engine.convert import convert_to_tensor  # noqa: PLC0415

            produced[(name, 0, 0)] = graph.constant(convert_to_tensor(value))
            continue
        if kind == "EngineOp":
            op = get_op(entry["config"]["op"])
            attrs = _from_jsonable(entry["config"]["attrs"])
            for index, call in enumerate(entry["inbound_nodes"]):
                out = dispatch(op, tuple(decode(a) for a in call["args"]), attrs)
                for k, t in enumerate(out if isinstance(out, tuple) else (out,)):
                    produced[(name, index, k)] = t
            continue
        layer = make_layer(entry) if make_layer is not None else layers_module.deserialize(
            {"class_name": kind, "config": entry["config"]}, custom_objects=custom_objects)
        for index, call in enumerate(entry["inbound_nodes"]):
            args = decode(call["args"])
            kwargs = {k: decode(v) for k, v in call["kwargs"].items()}
            out = layer(*args, **kwargs)
            for k, t in enumerate(nest.flatten(out)):
                produced[(name, index, k)] = t
    inputs = _refs(config["input_layers"], tensor)
    outputs = _refs(config["output_layers"], tensor)
    return Functional(inputs=inputs, outputs=outputs, name=config.get("name"))


def _refs(structure, tensor):
    """Resolves a nest of `[name, node, index]` references (lists of three are leaves)."""
    if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
        return tensor(structure)
    if isinstance(structure, dict):
        return {k: _refs(v, tensor) for k, v in structure.items()}
    return [_refs(v, tensor) for v in structure]


def _jsonable(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, _dt.DType):
            out[k] = {"__dtype__": v.name}
        elif isinstance(v, tuple):
            out[k] = {"__tuple__": list(v)}
        else:
            out[k] = v
    return out


def _from_jsonable(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, dict) and "__dtype__" in v:
            out[k] = _dt.as_dtype(v["__dtype__"])
        elif isinstance(v, dict) and "__tuple__" in v:
            out[k] = tuple(v["__tuple__"])
        else:
            out[k] = v
    return out
