"""`InputSpec`: what a layer accepts, and the check `Layer.__call__` runs against it."""

from __future__ import annotations

from engine import dtypes as _dt
from engine import nest
from engine.errors import ShapeError
from engine.tensor import Tensor

__all__ = ["InputSpec", "check_input_spec"]


class InputSpec:
    """What a layer accepts: dtype, rank bounds, and fixed sizes of some axes.

    Args:
        dtype: the expected dtype, or None.
        shape: the full expected shape (None entries are free), or None.
        ndim, max_ndim, min_ndim: the rank (exact, at most, at least).
        axes: `{axis: size}` for axes whose size is fixed once built.
        allow_last_axis_squeeze: accepted for Keras compatibility.
        name: the input's name.

    Example:
        >>> engine.keras.layers.InputSpec(min_ndim=2, axes={-1: 784})
        InputSpec(min_ndim=2, axes={-1: 784})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        self.dtype = None if dtype is None else _dt.as_dtype(dtype)
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in (
            ("dtype", self.dtype and self.dtype.name), ("shape", self.shape),
            ("ndim", self.ndim), ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
            ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(parts)})"


def check_input_spec(layer, inputs) -> None:
    """Raises a `ShapeError` naming the layer when inputs do not fit its `input_spec`."""
    specs = layer.input_spec
    flat_specs = specs if isinstance(specs, (list, tuple)) else [specs]
    flat_inputs = nest.flatten(inputs)
    for k, (spec, x) in enumerate(zip(flat_specs, flat_inputs)):
        if spec is None or not isinstance(x, Tensor):
            continue
        dims = x._value.shape
        if (dims is not None and spec.ndim is None and spec.max_ndim is None
                and spec.shape is None and spec.dtype is None
                and (spec.min_ndim is None or len(dims) >= spec.min_ndim)
                and all(size is None or (-len(dims) <= axis < len(dims) and dims[axis] in
                                         (size, None)) for axis, size in spec.axes.items())):
            continue  # the common case, checked on the raw shape tuple
        shape = x.shape
        rank = shape.rank
        where = f"input {k} of layer {layer.name!r} ({type(layer).__name__})"
        if rank is None:
            continue
        if spec.ndim is not None and rank != spec.ndim:
            raise ShapeError(f"{where}: expected rank {spec.ndim}, got shape {shape}.")
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ShapeError(f"{where}: expected rank >= {spec.min_ndim}, got shape {shape}.")
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ShapeError(f"{where}: expected rank <= {spec.max_ndim}, got shape {shape}.")
        for axis, size in spec.axes.items():
            dim = shape[axis] if -rank <= axis < rank else None
            if size is not None and dim is not None and dim != size:
                raise ShapeError(
                    f"{where}: expected axis {axis} of size {size} (the layer was built for "
                    f"it), got shape {shape}. Pass inputs of that size, or create a new layer.")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape.as_list()):
                if want is not None and got is not None and want != got:
                    raise ShapeError(f"{where}: expected shape {spec.shape}, got {shape}.")
