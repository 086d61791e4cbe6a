"""Running the string side of preprocessing layers as NumPy code on the host.

String tensors hold NumPy object arrays of `bytes` (see `engine/dtypes.py`), and the
engine has no string ops: splitting text, looking up tokens and hashing run as Python
and NumPy code on the CPU. `on_host(func, inputs, dtype, shape)` runs such a function
on the inputs' arrays:
- eagerly, at once;
- inside `engine.function` (also in `engine.data` map functions and Keras' traced train
  steps), as an `engine.py_function` node that calls it each time the graph runs. The
  node's outputs would have unknown shapes; `on_host` records the static shape the
  function guarantees (what TensorFlow's `Tensor.set_shape` does), so the layers after it
  can build, and strict mode checks each run against it.

Numeric layers use engine ops instead, so they trace into ordinary graph nodes and run
on any device.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.graph.ir import SymbolicTensor, SymbolicValue
from engine.graph.runtime_ops import py_function

__all__ = ["on_host", "host_array", "strings_array", "values_array"]

_THREAD = context.THREAD


def on_host(func, inputs: list, dtype, shape):
    """`func(*arrays)` on the host, eagerly or as a graph node; returns one tensor.

    Args:
        func: takes NumPy arrays, returns one array-like of `dtype`.
        inputs: tensors.
        dtype: the output dtype.
        shape: the output's static shape (a list with None for unknown dimensions), or
            None if even the rank is unknown.

    Returns:
        A tensor (symbolic inside a traced function).
    """
    dtype = _dt.as_dtype(dtype)
    if _THREAD.graph is None:
        return convert_to_tensor(func(*[host_array(t) for t in inputs]), dtype=dtype)

    def run(*tensors):
        return np.asarray(func(*[host_array(t) for t in tensors]),
                          dtype=dtype.as_numpy_dtype if dtype is not _dt.string else object)

    out = py_function(run, list(inputs), dtype)
    if shape is not None and isinstance(out, SymbolicTensor):
        out._value = SymbolicValue(tuple(shape), out._value.dtype)
    return out


def host_array(value) -> np.ndarray:
    """A tensor's (or array-like's) values as a NumPy array on the host."""
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(value)


def strings_array(values, encoding: str = "utf-8") -> np.ndarray:
    """`values` (str, bytes, lists or arrays of them) as an object array of `bytes`.

    Raises:
        TypeError: if a value is not a string.
    """
    if isinstance(values, (list, tuple)):
        array = np.asarray(values, dtype=object)  # NumPy's "S" dtype would drop trailing NULs
    else:
        array = host_array(values)
    if array.dtype == object:
        items = array.reshape(-1).tolist()
        if all(type(v) is bytes for v in items):
            return array
        bad = next((v for v in items if not isinstance(v, (str, bytes))), None)
        if bad is not None:
            raise TypeError(f"expected strings; got {type(bad).__name__} {bad!r}.")
    elif array.dtype.kind not in "US":
        raise TypeError(f"expected strings; got values of dtype {array.dtype}.")
    else:
        items = array.reshape(-1).tolist()
    out = np.empty(array.shape, dtype=object)
    out.reshape(-1)[:] = [v if isinstance(v, bytes) else v.encode(encoding) for v in items]
    return out


def values_array(values) -> np.ndarray:
    """Python data (nested lists of numbers or strings) as an array; strings become an
    object array of `bytes`, the form of engine string tensors."""
    array = np.asarray(values)
    if array.dtype.kind in "US":
        return strings_array(values)
    return array
