"""`Loss`, the base class of Keras losses, and `LossFunctionWrapper` for function losses.

A loss object is called as `loss(y_true, y_pred, sample_weight=None)`. Its `call`
computes one value per sample; `__call__` then weights and reduces them (see
`reduction.py`). Subclass `Loss` and override `call` for a custom loss: weighting,
reduction, `get_config`/`from_config` and use inside `engine.function` come with it.
"""

from __future__ import annotations

import engine
from engine.keras.losses.inputs import as_tensor, match_ranks, shape_text
from engine.keras.losses.reduction import Reduction, compute_weighted_loss
from engine.keras.serialization import serialize_object

__all__ = ["Loss", "LossFunctionWrapper"]


class Loss:
    """Base class of losses: `call` gives per-sample losses, `__call__` weights and reduces.

    Args:
        reduction: "auto" (the same as "sum_over_batch_size": the weighted sum divided by
            the number of losses), "sum", "sum_over_batch_size" or "none" (the weighted
            per-sample losses).
        name: the loss's name (used for name scopes and messages).

    Example:
        >>> class MeanCubed(engine.keras.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return engine.reduce_mean(engine.math.abs(y_pred - y_true) ** 3, axis=-1)
        >>> loss = MeanCubed(name="mean_cubed")
        >>> float(loss([[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [1.0, 0.0]]))
        2.5
        >>> loss.get_config()
        {'reduction': 'auto', 'name': 'mean_cubed'}
    """

    def __init__(self, reduction: str = Reduction.AUTO, name: str | None = None):
        self.reduction = Reduction.validate(reduction, name or type(self).__name__)
        self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The weighted, reduced loss of predictions `y_pred` against labels `y_true`.

        Args:
            y_true: the labels.
            y_pred: the predictions.
            sample_weight: None, a scalar, one weight per sample (`(batch,)` or
                `(batch, 1)`), or weights shaped like the per-sample losses.

        Returns:
            A scalar tensor, or the weighted per-sample losses for reduction "none".

        Raises:
            ValueError: when labels, predictions or weights do not fit together.
        """
        who = self.name or type(self).__name__
        with engine.name_scope(who.replace(" ", "_")):
            y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
            losses, mask = self._losses_and_mask(y_true, y_pred)
            context = (f" (y_true of shape {shape_text(y_true.shape)}, y_pred of shape "
                       f"{shape_text(y_pred.shape)})")
            return compute_weighted_loss(losses, sample_weight, self._reduction(), mask, who,
                                         context)

    def call(self, y_true, y_pred):
        """The per-sample losses; subclasses implement this.

        Args:
            y_true: the labels, a tensor.
            y_pred: the predictions, a tensor.

        Returns:
            A tensor of losses, usually `(batch,)` or `(batch, time)`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement call(y_true, y_pred). Override call "
            "to return per-sample losses, or wrap a function with LossFunctionWrapper.")

    def _losses_and_mask(self, y_true, y_pred):
        """`(losses, mask)`: a mask marks entries left out of the reduction (or None)."""
        return self.call(y_true, y_pred), None

    def _reduction(self) -> str:
        return Reduction.SUM_OVER_BATCH_SIZE if self.reduction == Reduction.AUTO else \
            self.reduction

    def get_config(self) -> dict:
        """The constructor arguments that recreate this loss.

        Returns:
            A JSON-able dict.
        """
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        """Creates a loss from `get_config()`'s output.

        Args:
            config: the dict.

        Returns:
            A new loss.
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A `Loss` that calls `fn(y_true, y_pred, **kwargs)` for the per-sample losses.

    Before calling `fn` it drops a trailing size-1 axis of `y_true` or `y_pred` when the
    other lacks it, so `(batch,)` labels meet `(batch, 1)` predictions without
    broadcasting to `(batch, batch)`.

    Args:
        fn: the loss function, returning one loss per sample.
        reduction: see `Loss`.
        name: the loss's name.
        **kwargs: keyword arguments passed to `fn` (and saved by `get_config`).

    Example:
        >>> loss = engine.keras.losses.LossFunctionWrapper(
        ...     engine.keras.losses.huber, name="huber", delta=0.5)
        >>> float(loss([[0.0]], [[2.0]]))
        0.875
    """

    def __init__(self, fn, reduction: str = Reduction.AUTO, name: str | None = None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: got fn={fn!r}; expected a function "
                            "fn(y_true, y_pred, **kwargs) returning per-sample losses.")
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        """`fn(y_true, y_pred, **kwargs)` after lining up the ranks.

        Args:
            y_true: the labels, a tensor.
            y_pred: the predictions, a tensor.

        Returns:
            The per-sample losses.
        """
        y_true, y_pred = match_ranks(as_tensor(y_true), as_tensor(y_pred))
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        """The constructor arguments, including `fn`'s keyword arguments.

        Returns:
            A JSON-able dict; a plain `LossFunctionWrapper` also saves `fn` by name.
        """
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = serialize_object(self.fn)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Creates the loss from `get_config()`'s output.

        Args:
            config: the dict.

        Returns:
            A new loss.
        """
        config = dict(config)
        if cls is LossFunctionWrapper:
            from engine.keras.losses import get  # noqa: PLC0415 - the package imports this

            return cls(get(config.pop("fn")), **config)
        return cls(**config)
