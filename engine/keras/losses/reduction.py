"""How per-sample losses and sample weights become one number, with Keras 2's rules.

A loss computes one value per sample (or per time step): `mean_squared_error` of
`(batch, d)` predictions gives `(batch,)` losses. `compute_weighted_loss` then

1. lines up `sample_weight` with the losses: a weight with one axis more and a trailing
   size-1 axis, such as `(batch, 1)`, loses that axis; one with one axis fewer gains a
   trailing axis, so `(batch,)` weights scale `(batch, time)` losses row by row;
2. multiplies, after checking statically that the weights broadcast to the losses'
   shape (a batch of 3 weights for 4 samples is an error that names the loss);
3. reduces: `"none"` keeps the weighted losses, `"sum"` adds them up, and
   `"sum_over_batch_size"` (what `"auto"` means) divides that sum by the number of
   losses, not by the sum of the weights, exactly as Keras 2 does.

`match_ranks` is the labels-versus-predictions half of Keras'
`squeeze_or_expand_dimensions`: `(batch,)` labels against `(batch, 1)` predictions drop
the trailing axis instead of broadcasting to `(batch, batch)` (see `inputs.py`). Metrics
reuse all of it.
"""

from __future__ import annotations

import engine
from engine.keras.backend import floatx
from engine.keras.losses.inputs import as_tensor, shape_text
from engine.ops.math_extras import divide_no_nan  # noqa: F401 - the metrics import it here

__all__ = ["Reduction"]


class Reduction:
    """The names of the ways a loss reduces its per-sample values to a result.

    `AUTO` means `SUM_OVER_BATCH_SIZE`: the sum of the weighted losses divided by their
    number. `SUM` is the plain sum; `NONE` returns the weighted per-sample losses.

    Example:
        >>> loss = engine.keras.losses.MeanAbsoluteError(
        ...     reduction=engine.keras.losses.Reduction.SUM)
        >>> float(loss([[0.0], [0.0]], [[1.0], [2.0]]))
        3.0
    """

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls) -> tuple:
        """Every valid reduction name.

        Returns:
            A tuple of strings.

        Example:
            >>> "sum" in engine.keras.losses.Reduction.all()
            True
        """
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key, who: str = "Loss") -> str:
        """Returns `key` if it names a reduction, else raises a ValueError naming `who`.

        Args:
            key: the reduction given by the user.
            who: the loss's name, for the message.

        Returns:
            `key`.

        Raises:
            ValueError: for an unknown reduction.

        Example:
            >>> engine.keras.losses.Reduction.validate("sum")
            'sum'
        """
        if key not in cls.all():
            raise ValueError(f"{who}: got reduction={key!r}; expected one of "
                             f"{', '.join(repr(k) for k in cls.all())}. 'auto' means "
                             "'sum_over_batch_size' (the mean over all loss values).")
        return key




def match_weight_rank(values, sample_weight):
    """Lines `sample_weight` up with `values`: squeezes `(b, 1)` or expands `(b,)` by one axis.

    Args:
        values: the per-sample losses or metric values.
        sample_weight: a tensor of weights.

    Returns:
        The weights, with a rank that differs from `values`' by at most what broadcasting
        handles.
    """
    weight_rank, rank = sample_weight.shape.rank, values.shape.rank
    if weight_rank is None or rank is None or weight_rank == 0:
        return sample_weight
    if weight_rank - rank == 1 and sample_weight.shape[-1] == 1:
        return engine.squeeze(sample_weight, -1)
    if rank - weight_rank == 1:
        return engine.expand_dims(sample_weight, -1)
    return sample_weight


def broadcasts_to(src, dst) -> bool:
    """Whether a static shape `src` broadcasts to `dst` without growing it."""
    if src.rank is None or dst.rank is None:
        return True
    if src.rank > dst.rank:
        return False
    for s, d in zip(reversed(src.as_list()), reversed(dst.as_list())):
        if s is not None and d is not None and s != 1 and s != d:
            return False
    return True


def check_sample_weight(who: str, sample_weight, losses, context: str = "") -> None:
    """Raises a ValueError naming `who` unless the weights broadcast to the losses' shape."""
    if broadcasts_to(sample_weight.shape, losses.shape):
        return
    shape = losses.shape.as_list() if losses.shape.rank is not None else []
    batch = shape[0] if shape else None
    per_sample = f"({batch},) or ({batch}, 1)" if shape else "a scalar"
    raise ValueError(
        f"{who}: got sample_weight of shape {shape_text(sample_weight.shape)} for losses of "
        f"shape {shape_text(losses.shape)}{context}; expected one weight per sample, shape "
        f"{per_sample}, a scalar, or the losses' shape {shape_text(losses.shape)}. Check that "
        "sample_weight has one entry per sample of the batch.")


def compute_weighted_loss(losses, sample_weight=None, reduction: str = "sum_over_batch_size",
                          mask=None, who: str = "loss", context: str = ""):
    """Weights per-sample `losses` and reduces them as Keras 2 does.

    Args:
        losses: per-sample (or per-step) losses.
        sample_weight: None, a scalar, or weights that line up with `losses` (see the
            module docstring).
        reduction: "auto", "none", "sum" or "sum_over_batch_size".
        mask: optional 0/1 validity of each loss (e.g. `ignore_class`); masked entries
            count neither in the sum nor in the "sum_over_batch_size" denominator.
        who: the loss's name, for error messages.
        context: extra words for the sample_weight error (the shapes of y_true, y_pred).

    Returns:
        The reduced loss in the losses' dtype (a scalar unless reduction is "none").
    """
    losses = as_tensor(losses)
    input_dtype = losses.dtype
    if not input_dtype.is_floating:
        losses = engine.cast(losses, floatx())
    weights = None
    if sample_weight is not None:
        weights = as_tensor(sample_weight)
        if weights.dtype != losses.dtype:
            weights = engine.cast(weights, losses.dtype)
        weights = match_weight_rank(losses, weights)
        check_sample_weight(who, weights, losses, context)
    if mask is not None:
        mask = engine.cast(mask, losses.dtype)
        weights = mask if weights is None else weights * mask
    weighted = losses if weights is None else losses * weights
    if reduction == Reduction.NONE:
        result = weighted
    elif reduction == Reduction.SUM:
        result = engine.reduce_sum(weighted)
    else:
        total = engine.reduce_sum(weighted)
        if mask is not None:
            count = engine.reduce_sum(mask * engine.ones_like(weighted))
        elif weighted.shape.is_fully_defined():
            count = engine.constant(float(weighted.shape.num_elements()), weighted.dtype)
        else:
            count = engine.cast(engine.size(weighted), weighted.dtype)
        result = divide_no_nan(total, count)
    if result.dtype != input_dtype and input_dtype.is_floating:
        result = engine.cast(result, input_dtype)
    return result
