"""Turning a loss's `y_true` and `y_pred` into tensors of matching dtype and shape.

Labels take the predictions' dtype (integer predictions become `floatx()` first, so that
losses are always floating point). Shape checks are static: they run while tracing too,
and raise before any kernel with a message that names the loss and both shapes.
"""

from __future__ import annotations

import engine
from engine.keras.backend import floatx


def as_tensor(x):
    """`x` as a tensor: tensors pass through, variables are read, arrays are converted."""
    if isinstance(x, engine.Tensor):
        return x
    return engine.convert_to_tensor(x)


def shape_text(shape) -> str:
    """A static shape as a tuple-like string, e.g. `(4, None)`."""
    return str(shape) if shape.rank is not None else "(unknown rank)"


def match_ranks(y_true, y_pred):
    """Drops a trailing size-1 axis of whichever of labels or predictions has one more axis.

    Args:
        y_true: labels.
        y_pred: predictions.

    Returns:
        `(y_true, y_pred)`, at most one of them squeezed.
    """
    true_rank, pred_rank = y_true.shape.rank, y_pred.shape.rank
    if true_rank is None or pred_rank is None:
        return y_true, y_pred
    if pred_rank - true_rank == 1 and y_pred.shape[-1] == 1:
        y_pred = engine.squeeze(y_pred, -1)
    elif true_rank - pred_rank == 1 and y_true.shape[-1] == 1:
        y_true = engine.squeeze(y_true, -1)
    return y_true, y_pred


def prepare(who: str, y_true, y_pred):
    """`(y_true, y_pred)` as tensors, labels in the predictions' floating dtype.

    Args:
        who: the loss's name, for error messages.
        y_true: labels (anything `engine.convert_to_tensor` takes).
        y_pred: predictions.

    Returns:
        `(y_true, y_pred)`, both tensors of one floating dtype.

    Raises:
        ValueError: when the shapes do not broadcast against each other.
    """
    y_pred = as_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = engine.cast(y_pred, floatx())
    y_true = as_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = engine.cast(y_true, y_pred.dtype)
    check_broadcastable(who, y_true, y_pred)
    return y_true, y_pred


def check_broadcastable(who: str, y_true, y_pred) -> None:
    """Raises a ValueError naming `who` when the static shapes cannot broadcast."""
    a, b = y_true.shape, y_pred.shape
    if a.rank is None or b.rank is None:
        return
    for x, y in zip(reversed(a.as_list()), reversed(b.as_list())):
        if x is not None and y is not None and x != y and 1 not in (x, y):
            raise ValueError(
                f"{who}: got y_true of shape {shape_text(a)} and y_pred of shape "
                f"{shape_text(b)}, which do not broadcast together; expected labels shaped "
                "like the predictions. Check the model's output size and the labels "
                "(e.g. one-hot versus integer labels).")
