"""Weights files (safetensors), JSON configs and model cloning.

`save_weights(path)` writes every weight of the model in the safetensors format (an
8-byte little-endian header length, a JSON header of names, dtypes, shapes and byte
offsets, then the raw little-endian data), written to a temporary file and moved into
place, so an interrupted save never leaves a broken file. Names are
`layer_path/weight_index` (`dense_1/0`), and the metadata keeps their order.
`load_weights` matches them by order (the default, as Keras does for its HDF5 files, so a
model rebuilt from the same code loads whatever its auto-generated names) or, with
`by_name=True`, by layer names; a missing or extra weight or a shape mismatch is an error
naming the layer.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

from engine.ops.io_ops import atomic_write

__all__ = ["save_weights", "load_weights", "read_safetensors", "write_safetensors",
           "model_to_json", "model_from_json", "clone_model"]

_DTYPES = {"float16": "F16", "float32": "F32", "float64": "F64", "int8": "I8",
           "int16": "I16", "int32": "I32", "int64": "I64", "uint8": "U8", "uint16": "U16",
           "uint32": "U32", "uint64": "U64", "bool": "BOOL", "bfloat16": "BF16"}
_FROM_CODE = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path: str, tensors: dict, metadata: dict | None = None) -> None:
    """Writes `{name: array}` to `path` in the safetensors format, atomically."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        array = np.ascontiguousarray(array).reshape(np.shape(array))  # keeps 0-d shapes
        code = _DTYPES.get(array.dtype.name)
        if code is None:
            raise TypeError(f"save_weights: weight {name!r} has dtype {array.dtype}, which "
                            "safetensors cannot store.")
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    atomic_write(path, [struct.pack("<Q", len(text)), text, *blobs], "save_weights")


def read_safetensors(path: str) -> tuple[dict, dict]:
    """`({name: array}, metadata)` from a safetensors file.

    Raises:
        ValueError: for a file that is not valid safetensors.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"load_weights: {path} is not a safetensors file (too short).")
    (size,) = struct.unpack("<Q", raw[:8])
    try:
        header = json.loads(raw[8:8 + size])
    except ValueError:
        raise ValueError(f"load_weights: {path} is not a safetensors file (bad header)."
                         ) from None
    metadata = header.pop("__metadata__", {})
    base = 8 + size
    out = {}
    for name, info in header.items():
        start, stop = info["data_offsets"]
        dtype = np.dtype(_dtype_name(info["dtype"])).newbyteorder("<")
        array = np.frombuffer(raw[base + start:base + stop], dtype=dtype)
        out[name] = array.reshape(info["shape"]).astype(dtype.newbyteorder("="))
    return out, metadata


def _dtype_name(code: str) -> str:
    name = _FROM_CODE[code]
    if name == "bfloat16":
        import ml_dtypes  # noqa: PLC0415

        return ml_dtypes.bfloat16
    return name


def _weight_table(model) -> dict:
    """`{"layer/i": variable}` for every layer with weights, in a stable order."""
    table = {}
    for path, layer in _layers_with_paths(model):
        own = layer._trainable_weights + layer._non_trainable_weights
        for i, w in enumerate(own):
            table[f"{path}/{i}"] = w
    return table


def _layers_with_paths(model, prefix=""):
    for layer in model._flatten_layers(include_self=False, recursive=False):
        path = f"{prefix}{layer.name}"
        yield path, layer
        yield from _layers_with_paths(layer, path + "/")


def save_weights(model, filepath: str, overwrite: bool = True) -> None:
    """Saves the model's weights to `filepath` (safetensors; see the module docstring)."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath} exists; pass overwrite=True.")
    if not model.built:
        raise ValueError(f"{model.name}.save_weights: the model has no weights yet; build it "
                         "(call it on data) first.")
    table = _weight_table(model)
    own = model._trainable_weights + model._non_trainable_weights
    table.update({f"{model.name}:own/{i}": w for i, w in enumerate(own)})
    # As Keras 2 (TF-format weights): missing parent folders are created.
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    write_safetensors(filepath, {name: np.asarray(w.numpy()) for name, w in table.items()},
                      {"format": "eagerlab-keras-weights", "model": model.name,
                       "order": json.dumps(list(table))})


def load_weights(model, filepath: str, by_name: bool = False,
                 skip_mismatch: bool = False) -> None:
    """Loads weights saved by `save_weights` into a model with the same layer structure.

    Raises:
        ValueError: naming the missing, unexpected or mismatched weights.
    """
    arrays, metadata = read_safetensors(filepath)
    own = model._trainable_weights + model._non_trainable_weights
    saved_own = {k.split(":own/", 1)[1]: v for k, v in arrays.items() if ":own/" in k}
    arrays = {k: v for k, v in arrays.items() if ":own/" not in k}
    table = _weight_table(model)
    if not by_name:
        order = [k for k in json.loads(metadata.get("order", "[]")) if ":own/" not in k]
        if len(order) != len(table):
            raise ValueError(f"{model.name}.load_weights({filepath!r}): the file holds "
                             f"{len(order)} layer weights, the model has {len(table)}. Build "
                             "the same architecture, or load with by_name=True.")
        arrays = {mine: arrays[theirs] for mine, theirs in zip(table, order)}
    missing = sorted(set(table) - set(arrays))
    extra = sorted(set(arrays) - set(table))
    if (missing or extra) and not skip_mismatch:
        raise ValueError(f"{model.name}.load_weights({filepath!r}): the file does not match "
                         f"the model's layers. Missing in the file: {missing[:10]}; in the file "
                         f"but not in the model: {extra[:10]}. Build the same architecture "
                         "(same layer names) or pass skip_mismatch=True.")
    problems = []
    for name, variable in table.items():
        if name not in arrays:
            continue
        value = arrays[name]
        if tuple(value.shape) != tuple(variable.shape.as_list()):
            problems.append(f"{name} ({variable.name}): file {value.shape}, model "
                            f"{tuple(variable.shape.as_list())}")
    if problems and not skip_mismatch:
        raise ValueError(f"{model.name}.load_weights: shape mismatch for {problems}.")
    for name, variable in table.items():
        if name in arrays and tuple(arrays[name].shape) == tuple(variable.shape.as_list()):
            variable.assign(arrays[name].astype(variable.dtype.as_numpy_dtype, copy=False))
    for i, variable in enumerate(own):
        if str(i) in saved_own:
            variable.assign(saved_own[str(i)])


def model_to_json(model, **kwargs) -> str:
    """The model's architecture as JSON (`{"class_name", "config"}`)."""
    from engine.keras.serialization import serialize_object  # noqa: PLC0415

    return json.dumps(serialize_object(model), **kwargs)


def model_from_json(json_string: str, custom_objects=None):
    """A new model (fresh weights) from `model.to_json()`.

    Args:
        json_string: the JSON text.
        custom_objects: `{name: class}` for custom layers.

    Returns:
        The model.

    Example:
        >>> model = engine.keras.Sequential([engine.keras.Input(shape=(2,)),
        ...                                  engine.keras.layers.Dense(3)])
        >>> clone = engine.keras.models.model_from_json(model.to_json())
        >>> clone.output_shape
        TensorShape([None, 3])
    """
    from engine.keras import layers  # noqa: PLC0415

    return layers.deserialize(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialized weights.

    Args:
        model: a Sequential or functional model.
        input_tensors: not supported (an error if given).
        clone_function: `f(layer) -> new layer` (default: rebuild from the layer's config).

    Returns:
        The clone (weights not copied; use `clone.set_weights(model.get_weights())`).

    Example:
        >>> model = engine.keras.Sequential([engine.keras.Input(shape=(2,)),
        ...                                  engine.keras.layers.Dense(3)])
        >>> engine.keras.models.clone_model(model).count_params()
        9
    """
    from engine.keras.models.sequential import Sequential  # noqa: PLC0415

    if input_tensors is not None:
        raise ValueError("clone_model: input_tensors is not supported; clone, then wire the "
                         "clone with the functional API.")
    if clone_function is not None and isinstance(model, Sequential):
        clone = Sequential(name=model.name)
        if model.input_shape is not None:
            from engine.keras.layers.functional import Input  # noqa: PLC0415

            clone.add(Input(batch_shape=model.input_shape.as_list(),
                            dtype=model.inputs[0].dtype if model.inputs else None))
        for layer in model.layers:
            clone.add(clone_function(layer))
        return clone
    from engine.keras.models.functional import Functional  # noqa: PLC0415

    if clone_function is not None and isinstance(model, Functional):
        from engine.keras.models.serialization import functional_from_config  # noqa: PLC0415

        by_name = {layer.name: layer for layer in model.layers}
        return functional_from_config(model.get_config(),
                                      make_layer=lambda entry: clone_function(
                                          by_name[entry["name"]]))
    return type(model).from_config(model.get_config())
