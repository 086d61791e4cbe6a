"""Input checks shared by the merging layers: a list of input shapes, and ANDed masks.

Every merging layer takes a list of tensors; these helpers turn what `build` and `call`
receive into a list of `TensorShape`s (with errors that name the layer), and combine the
input masks where a position is kept only if every input keeps it.
"""

from __future__ import annotations

import functools

import engine
from engine.tensor_shape import TensorShape


def _describe(shapes) -> str:
    return ", ".join(str(s) for s in shapes)


def _as_shape_list(layer, input_shape, count=None) -> list:
    """The input shapes as a list of TensorShapes; the inputs must be a list of tensors."""
    if isinstance(input_shape, TensorShape) or not isinstance(input_shape, (list, tuple)) or (
            input_shape and not isinstance(input_shape[0], (TensorShape, list, tuple))):
        raise ValueError(f"{layer.name} ({type(layer).__name__}): call the layer on a list of "
                         f"tensors, e.g. layer([a, b]); got one input of shape {input_shape}.")
    shapes = [TensorShape(s) for s in input_shape]
    if count is not None and len(shapes) != count:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expected exactly {count} "
                         f"inputs; got {len(shapes)} (shapes {_describe(shapes)}).")
    if not shapes:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): called on an empty list; "
                         "pass at least one tensor.")
    return shapes


def _input_shapes(layer, inputs, count=None) -> list:
    """The shapes of a list of input tensors (checked as `_as_shape_list` does)."""
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"{layer.name} ({type(layer).__name__}): call the layer on a list of "
                         f"tensors, e.g. layer([a, b]); got {type(inputs).__name__}.")
    return _as_shape_list(layer, [x.shape for x in inputs], count)


def _and_masks(masks):
    """The logical AND of the masks that are not None (None if all are)."""
    present = [m for m in masks if m is not None]
    return functools.reduce(engine.logical_and, present) if present else None
