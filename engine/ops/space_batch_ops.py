"""TensorFlow's `space_to_batch_nd` / `space_to_batch` / `batch_to_space`.

Composites of `pad`, `reshape`, `transpose` and slicing, following TensorFlow's definition:
`space_to_batch_nd` pads the M block dimensions, splits each into (size / block, block),
moves the block offsets in front of the batch and merges them into it (batch index
`(i_1 * b_2 + i_2 ...) * batch + b`); `batch_to_space` undoes that and crops. Gradients,
tracing and devices come from the ops they are made of.
"""

from __future__ import annotations

import numpy as np

from engine.convert import convert_to_tensor
from engine.errors import InvalidArgumentError, ShapeError
from engine.ops import array_ops as _a
from engine.ops.array_extras import get_static_value
from engine.ops.pad_ops import pad

__all__ = ["space_to_batch_nd", "space_to_batch", "batch_to_space"]


def _block_args(op: str, x, block_shape, pairs, what: str):
    """Static block sizes and [M, 2] pad/crop amounts, checked against `x`'s shape."""
    blocks = get_static_value(block_shape)
    amounts = get_static_value(pairs)
    if blocks is None or amounts is None:
        raise InvalidArgumentError(f"{op}: block_shape and {what} must be known when the "
                                   "function is traced; got tensors computed at run time. "
                                   "Pass Python lists or constants.")
    blocks = [int(b) for b in np.asarray(blocks).reshape(-1)]
    amounts = np.asarray(amounts, dtype=np.int64).reshape(-1, 2) if len(blocks) else np.zeros(
        (0, 2), np.int64)
    if any(b < 1 for b in blocks):
        raise InvalidArgumentError(f"{op}: got block_shape={blocks}; expected integers >= 1.")
    if amounts.shape != (len(blocks), 2) or (amounts < 0).any():
        raise InvalidArgumentError(f"{op}: got {what}={amounts.tolist()}; expected "
                                   f"{len(blocks)} pairs [before, after] of non-negative "
                                   "integers, one per block dimension.")
    rank = x.shape.rank
    if rank is None or rank < 1 + len(blocks):
        raise ShapeError(f"{op}: got an input of shape {x.shape}; expected rank >= "
                         f"{1 + len(blocks)} (batch, then {len(blocks)} block dimensions).")
    return blocks, amounts


def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002
    """Pads the spatial dimensions, then moves `block_shape` blocks of them into the batch.

    Input `(batch, *spatial, *rest)` becomes `(batch * prod(block_shape), *[(s + pads) / b],
    *rest)`; the gradient is `batch_to_space_nd`'s move back.

    Args:
        input: a tensor of rank >= 1 + len(block_shape), spatial dims known.
        block_shape: M integers >= 1.
        paddings: M pairs `[before, after]`; each padded dimension must divide by its block.
        name: ignored in eager mode.

    Returns:
        A tensor of `input`'s dtype.

    Raises:
        InvalidArgumentError: for bad `block_shape` / `paddings`, or a padded size that the
            block does not divide.

    Example:
        >>> engine.space_to_batch(engine.reshape(engine.range(4), [1, 2, 2, 1]), [2, 2],
        ...                       [[0, 0], [0, 0]]).numpy().ravel()
        array([0, 1, 2, 3], dtype=int32)
    """
    x = convert_to_tensor(input)
    blocks, amounts = _block_args("space_to_batch_nd", x, block_shape, paddings, "paddings")
    m = len(blocks)
    dims = x.shape.as_list()
    spatial = [d + int(a.sum()) if d is not None else None for d, a in zip(dims[1:1 + m], amounts)]
    for i, (size, b) in enumerate(zip(spatial, blocks)):
        if size is None or size % b:
            raise InvalidArgumentError(
                f"space_to_batch_nd: spatial dimension {i + 1} padded to {size} is not a "
                f"multiple of its block size {b}; expected (size + pad_before + pad_after) % "
                "block == 0. Adjust paddings.")
    rest = dims[1 + m:]
    if None in rest:
        raise ShapeError(f"space_to_batch_nd: got shape {x.shape}; the dimensions after the "
                         "block dimensions must be known.")
    padded = pad(x, [[0, 0]] + amounts.tolist() + [[0, 0]] * len(rest))
    split = [-1]
    for size, b in zip(spatial, blocks):
        split += [size // b, b]
    moved = _a.reshape(padded, split + rest)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    perm += list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    moved = _a.transpose(moved, perm)
    return _a.reshape(moved, [-1] + [s // b for s, b in zip(spatial, blocks)] + rest)


space_to_batch = space_to_batch_nd


def batch_to_space(input, block_shape, crops, name=None):  # noqa: A002
    """The inverse of `space_to_batch_nd`: moves batch blocks back into space, then crops.

    Input `(batch, *spatial, *rest)` with batch divisible by prod(block_shape) becomes
    `(batch / prod(block_shape), *[s * b - crops], *rest)`.

    Args:
        input: a tensor of rank >= 1 + len(block_shape), all but the batch known.
        block_shape: M integers >= 1.
        crops: M pairs `[before, after]` to remove after the move.
        name: ignored in eager mode.

    Returns:
        A tensor of `input`'s dtype.

    Raises:
        InvalidArgumentError: for bad arguments or a batch that prod(block_shape) does not
            divide.

    Example:
        >>> x = engine.reshape(engine.range(4), [4, 1, 1, 1])
        >>> engine.batch_to_space(x, [2, 2], [[0, 0], [0, 0]]).numpy().ravel()
        array([0, 1, 2, 3], dtype=int32)
    """
    x = convert_to_tensor(input)
    blocks, amounts = _block_args("batch_to_space", x, block_shape, crops, "crops")
    m = len(blocks)
    dims = x.shape.as_list()
    total = int(np.prod(blocks)) if blocks else 1
    if dims[0] is not None and dims[0] % total:
        raise InvalidArgumentError(f"batch_to_space: batch size {dims[0]} is not a multiple of "
                                   f"prod(block_shape) = {total}; expected a batch that "
                                   "space_to_batch_nd with this block_shape produced.")
    spatial, rest = dims[1:1 + m], dims[1 + m:]
    if None in spatial or None in rest:
        raise ShapeError(f"batch_to_space: got shape {x.shape}; the dimensions after the "
                         "batch must be known.")
    for i, (s, b, (before, after)) in enumerate(zip(spatial, blocks, amounts.tolist())):
        if before + after > s * b:
            raise InvalidArgumentError(f"batch_to_space: crops {[before, after]} of dimension "
                                       f"{i + 1} exceed its size {s * b}; expected crops "
                                       "summing to at most the un-blocked size.")
    moved = _a.reshape(x, blocks + [-1] + spatial + rest)
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    moved = _a.transpose(moved, perm)
    full = [s * b for s, b in zip(spatial, blocks)]
    moved = _a.reshape(moved, [-1] + full + rest)
    index = [slice(None)] + [slice(int(b), size - int(a)) for (b, a), size in
                             zip(amounts.tolist(), full)]
    return moved[tuple(index)]
