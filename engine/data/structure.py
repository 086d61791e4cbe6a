"""Dataset elements: nested tuples and dicts of host tensors, and the specs that describe them.

An element is a leaf tensor or a nest of tuples (namedtuples included) and dicts. As in
`tf.data`, a Python *list* is not a structure but a value: `[1, 2]` becomes one tensor of
shape (2,). So `from_tensor_slices(([1, 2], [3, 4]))` has two components, while
`from_tensor_slices([[1, 2], [3, 4]])` has one.

Dataset tensors live on the host (`/CPU:0`), as `tf.data`'s do: the training loop moves
batches to an accelerator. Specs are `engine.TensorSpec`s nested like the element, or
`DatasetSpec`s where an element holds datasets (the windows of `Dataset.window`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine import nest
from engine.backend import devices as _devices
from engine.convert import convert_to_tensor, to_array
from engine.errors import ShapeError
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["DatasetSpec"]

_CPU0 = _devices.CPU0


class DatasetSpec:
    """Describes a dataset held inside an element, such as one window of `Dataset.window`.

    Args:
        element_spec: the nested `TensorSpec`s of the inner dataset's elements.
        dataset_shape: accepted for TensorFlow compatibility (always a scalar shape).

    Example:
        >>> windows = engine.data.Dataset.range(5).window(2)
        >>> windows.element_spec
        DatasetSpec(TensorSpec(shape=(), dtype=engine.int64, name=None), TensorShape([]))
    """

    __slots__ = ("element_spec", "dataset_shape")

    def __init__(self, element_spec, dataset_shape=()):
        self.element_spec = element_spec
        self.dataset_shape = TensorShape(dataset_shape)

    def __eq__(self, other) -> bool:
        return (isinstance(other, DatasetSpec) and other.element_spec == self.element_spec
                and other.dataset_shape == self.dataset_shape)

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"DatasetSpec({self.element_spec!r}, {self.dataset_shape!r})"


# --- values to elements -------------------------------------------------------------------
def path_name(path: tuple) -> str:
    """A component's path as text: `[0]`, `['image']`, or `the element` for a leaf."""
    if not path:
        return "the element"
    return "".join(f"[{entry!r}]" if isinstance(entry, str) else f"[{entry}]"
                   for entry in path)


def host_array(tensor: Tensor) -> np.ndarray:
    """The NumPy array of a tensor, copied to the host if it lives on a device."""
    value = tensor._value
    if type(value) is np.ndarray:
        return value
    return tensor._device.backend.to_host(value)


def to_host_tensor(value, what: str, path: tuple = ()) -> Tensor:
    """Converts one leaf (tensor, variable, array, number, string or list) to a host tensor.

    NumPy arrays are copied, so later changes to the caller's array do not reach the data.
    """
    if isinstance(value, Tensor):
        return value if value._device is _CPU0 else wrap(host_array(value))
    if value is None:
        raise TypeError(f"{what}: got None at {path_name(path)}; expected a tensor, array, "
                        "number or string. Remove the None or replace it with a value.")
    if hasattr(value, "_as_tensor") or _holds_tensors(value):
        return to_host_tensor(convert_to_tensor(value), what, path)
    try:
        array = to_array(value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{what}: cannot convert {type(value).__name__} at {path_name(path)} "
                        f"to a tensor: {err}") from None
    if array.dtype.kind in "USO":
        array = _bytes_array(array, what, path)
    elif array is value:
        array = array.copy()
    return wrap(array)


def _bytes_array(array: np.ndarray, what: str, path: tuple) -> np.ndarray:
    """A copy of a text array as an object array of bytes (engine.string's storage)."""
    out = np.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for i, item in enumerate(array.reshape(-1).tolist()):
        if isinstance(item, str):
            item = item.encode("utf-8")
        elif isinstance(item, bytes):
            item = bytes(item)  # np.bytes_ to bytes: elements yield plain bytes, as TF's do
        else:
            raise TypeError(f"{what}: the object array at {path_name(path)} holds a "
                            f"{type(item).__name__}; only str and bytes objects can be "
                            "tensors (as engine.string).")
        flat[i] = item
    return out


def _holds_tensors(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_holds_tensors(v) for v in value)
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


def normalize(value, what: str, path: tuple = ()):
    """A user's value as an element: tuples and dicts kept, every other value a tensor."""
    if isinstance(value, tuple):
        children = [normalize(v, what, path + (i,)) for i, v in enumerate(value)]
        return type(value)(*children) if hasattr(value, "_fields") else tuple(children)
    if isinstance(value, Mapping):
        return {key: normalize(v, what, path + (key,)) for key, v in value.items()}
    return to_host_tensor(value, what, path)


def spec_of(element):
    """The nested `TensorSpec`s of an element (`DatasetSpec`s for datasets inside it)."""
    def leaf_spec(leaf):
        if isinstance(leaf, Tensor):
            return TensorSpec(leaf.shape, leaf.dtype)
        return DatasetSpec(leaf.element_spec)
    return nest.map_structure(leaf_spec, element)


def flat_specs(spec) -> list:
    """The leaves of a nested spec, in flatten order."""
    return nest.flatten(spec)


def leaf_paths(spec) -> list[str]:
    """Each component's path as text, in flatten order (for error messages)."""
    return [path_name(path) for path, _ in nest.flatten_with_paths(spec)]


def packer(spec):
    """A fast function `flat list -> element` for elements described by `spec`."""
    if not nest.is_nested(spec):
        return _first
    if type(spec) is tuple and not any(nest.is_nested(s) for s in spec):
        return tuple
    return lambda flat: nest.pack_sequence_as(spec, flat)


def flattener(spec):
    """A fast function `element -> flat list` for elements described by `spec`."""
    if not nest.is_nested(spec):
        return _single
    if type(spec) is tuple and not any(nest.is_nested(s) for s in spec):
        return list
    return nest.flatten


def _first(flat):
    return flat[0]


def _single(leaf):
    return [leaf]


def has_datasets(spec) -> bool:
    """True if an element described by `spec` holds datasets (windows)."""
    return any(isinstance(s, DatasetSpec) for s in nest.flatten(spec))


# --- specs ------------------------------------------------------------------------------
def relax(spec_a, spec_b, what: str):
    """The most specific spec that both specs fit; raises if structures or dtypes differ."""
    try:
        nest.assert_same_structure(spec_a, spec_b, check_types=False)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: the element structures differ: {spec_a} vs {spec_b}. "
                        "Expected the same nesting of tuples and dicts in both.") from None

    def pair(a, b):
        if isinstance(a, DatasetSpec) or isinstance(b, DatasetSpec):
            if a != b:
                raise TypeError(f"{what}: cannot combine {a} and {b}.")
            return a
        if a.dtype != b.dtype:
            raise TypeError(f"{what}: the dtypes differ: {a.dtype.name} vs {b.dtype.name} "
                            f"({a} vs {b}). Cast one side with map(lambda x: engine.cast(...)).")
        return TensorSpec(a.shape.most_specific_compatible_shape(b.shape), a.dtype)
    return nest.map_structure(pair, spec_a, spec_b, check_types=False)


def batched_spec(spec, batch_size):
    """`spec` with a leading dimension of `batch_size` (None for unknown)."""
    return nest.map_structure(
        lambda s: TensorSpec(TensorShape([batch_size]).concatenate(s.shape), s.dtype), spec)


def unbatched_spec(spec, what: str):
    """`spec` without its leading dimension; raises for scalars."""
    def drop(s):
        if s.shape.rank == 0:
            raise ShapeError(f"{what}: cannot unbatch a scalar component ({s}); every "
                             "component needs a leading (batch) dimension.")
        dims = None if s.shape.rank is None else s.shape.as_list()[1:]
        return TensorSpec(dims, s.dtype)
    return nest.map_structure(drop, spec)


def leading_dim(spec):
    """The leading dimension shared by all components, or None if unknown or different."""
    dims = {s.shape[0] if s.shape.rank else None for s in nest.flatten(spec)}
    return dims.pop() if len(dims) == 1 else None


# --- stacking -----------------------------------------------------------------------------
def stack(column: list, what: str, name: str) -> Tensor:
    """Stacks the tensors of one component into a batch (a new leading dimension)."""
    arrays = [host_array(t) for t in column]
    try:
        return wrap(np.stack(arrays))
    except ValueError:
        first = arrays[0].shape
        index = next(i for i, a in enumerate(arrays) if a.shape != first)
        raise ShapeError(
            f"{what}: cannot batch tensors of different shapes in component {name}: element 0 "
            f"has shape {first} and element {index} has shape {arrays[index].shape}. Use "
            "padded_batch to pad them to a common shape, or map them to one shape first."
        ) from None


def unstack(tensor: Tensor) -> list:
    """The rows of a tensor as tensors (views of its array)."""
    array = host_array(tensor)
    return [wrap(array[i, ...]) for i in range(array.shape[0])]
