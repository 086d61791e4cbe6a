"""`Metric`, the stateful base class, and the reducing metrics `Sum`, `Mean`, `MeanMetricWrapper`.

A metric accumulates statistics over batches in non-trainable `engine.Variable`s:
`update_state` adds a batch, `result` computes the value from what was accumulated, and
`reset_state` zeroes it (Keras calls it at the start of each epoch). The variables are
created by `add_weight` in the constructor, as Keras does, so a metric built outside
`engine.function` is used inside it without creating variables while tracing, and the
same code runs eagerly or traced: updates are `assign_add`s, kept in program order.

Subclass `Metric` for a custom metric: create state with `add_weight` in `__init__`,
update it in `update_state` with engine ops only (no `.numpy()`, no Python `if` on
tensor values), and compute the value in `result`.
"""

from __future__ import annotations

import numpy as np

import engine
from engine.keras.backend import floatx
from engine.keras.losses.inputs import as_tensor, match_ranks, shape_text
from engine.keras.losses.reduction import divide_no_nan, match_weight_rank
from engine.keras.serialization import serialize_object, snake_case

__all__ = ["Metric", "Sum", "Mean", "MeanMetricWrapper", "metric_of_result"]

# The last few `(result, metric)` pairs that calling a metric returned, so that
# `Layer.add_metric(metric(y, p))` tracks that metric (Keras 2 marks the result tensor; an
# engine tensor has no room for the mark). Holding the results keeps their ids unique.
_RECENT_RESULTS: list = []
_RECENT_LIMIT = 16


def metric_of_result(value):
    """The `Metric` whose call returned `value` just now (among the last 16 calls), or None.

    Example:
        >>> from engine.keras.metrics.base import metric_of_result
        >>> m = engine.keras.metrics.Mean(name="m")
        >>> metric_of_result(m([1.0, 2.0])) is m
        True
    """
    for result, metric in reversed(_RECENT_RESULTS):
        if result is value:
            return metric
    return None


class Metric:
    """Base class of stateful metrics: accumulate with `update_state`, read with `result`.

    Args:
        name: the metric's name (default: the class name in snake_case).
        dtype: the dtype of the metric's state and result (default `floatx()`, float32).

    Example:
        >>> class CountPositives(engine.keras.metrics.Metric):
        ...     def __init__(self, name="count_positives", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.count = self.add_weight("count")
        ...     def update_state(self, values, sample_weight=None):
        ...         positive = engine.cast(engine.greater(values, 0.0), self.dtype)
        ...         self.count.assign_add(engine.reduce_sum(positive))
        ...     def result(self):
        ...         return engine.identity(self.count)
        >>> m = CountPositives()
        >>> m.update_state([1.0, -5.0])
        >>> m.update_state([3.0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name: str | None = None, dtype=None):
        self._name = name or snake_case(type(self).__name__)
        self._dtype = engine.as_dtype(dtype or floatx())
        self._variables: list = []

    @property
    def name(self) -> str:
        """The metric's name."""
        return self._name

    @property
    def dtype(self) -> str:
        """The name of the dtype of the metric's state, e.g. "float32"."""
        return self._dtype.name

    @property
    def variables(self) -> list:
        """The state variables, in creation order."""
        return list(self._variables)

    weights = non_trainable_weights = variables

    @property
    def trainable_weights(self) -> list:
        """Always empty: a metric's state is never trained."""
        return []

    def add_weight(self, name: str, shape=(), initializer="zeros", dtype=None,
                   aggregation=None, synchronization=None):
        """Creates a non-trainable state variable (call it in `__init__`).

        Args:
            name: the variable's name.
            shape: its shape.
            initializer: "zeros", "ones", a number, or a callable `(shape, dtype)` returning
                the initial value. `reset_state` sets every variable to zeros.
            dtype: its dtype (default: the metric's).
            aggregation: accepted for Keras compatibility (distribution); ignored.
            synchronization: accepted for Keras compatibility; ignored.

        Returns:
            The `engine.Variable`.

        Example:
            >>> m = engine.keras.metrics.Metric(name="counter")
            >>> m.add_weight("count").name
            'count:0'
        """
        dtype = engine.as_dtype(dtype or self._dtype)
        shape = tuple(shape)
        if callable(initializer):
            initial = initializer(shape, dtype)
        elif initializer == "zeros":
            initial = np.zeros(shape, dtype.as_numpy_dtype)
        elif initializer == "ones":
            initial = np.ones(shape, dtype.as_numpy_dtype)
        elif isinstance(initializer, (int, float)):
            initial = np.full(shape, initializer, dtype.as_numpy_dtype)
        else:
            raise ValueError(f"{self.name}.add_weight({name!r}): got initializer="
                             f"{initializer!r}; expected 'zeros', 'ones', a number or a "
                             "callable (shape, dtype) -> initial value.")
        variable = engine.Variable(initial, trainable=False, name=name, dtype=dtype)
        self._variables.append(variable)
        return variable

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch; subclasses implement this.

        Args:
            *args: usually `y_true, y_pred`, or `values` for reducing metrics.
            **kwargs: usually `sample_weight`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state.")

    def result(self):
        """The metric's value from the accumulated state; subclasses implement this.

        Returns:
            A tensor.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement result.")

    def reset_state(self) -> None:
        """Sets every state variable to zeros (Keras calls this at the start of each epoch).

        Example:
            >>> m = engine.keras.metrics.Mean()
            >>> m.update_state([1.0, 3.0])
            >>> m.reset_state()
            >>> float(m.result())
            0.0
        """
        for variable in self._variables:
            variable.assign(np.zeros(variable.shape.as_list(), variable.dtype.as_numpy_dtype))

    reset_states = reset_state  # Keras 2's older name

    def __call__(self, *args, **kwargs):
        """Updates the state with one batch and returns the new result.

        Args:
            *args: passed to `update_state`.
            **kwargs: passed to `update_state`.

        Returns:
            `result()` after the update.
        """
        self.update_state(*args, **kwargs)
        result = self.result()
        _RECENT_RESULTS.append((result, self))
        del _RECENT_RESULTS[:-_RECENT_LIMIT]
        return result

    def get_config(self) -> dict:
        """The constructor arguments that recreate this metric (without its state).

        Returns:
            A JSON-able dict.
        """
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        """Creates a metric from `get_config()`'s output.

        Args:
            config: the dict.

        Returns:
            A new metric with fresh state.
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class _Reduce(Metric):
    """Accumulates a weighted sum (and, for means, the total weight) of values."""

    def __init__(self, with_count: bool, name: str | None, dtype):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_weight("total")
        self.count = self.add_weight("count") if with_count else None

    def update_state(self, values, sample_weight=None) -> None:
        """Adds `values` (weighted by `sample_weight`) to the running total.

        Args:
            values: a tensor of values of any shape.
            sample_weight: None, a scalar, or weights that broadcast to `values` (one per
                sample, `(batch,)`, scales each sample's values).
        """
        values = as_tensor(values)
        if values.dtype != self._dtype:
            values = engine.cast(values, self._dtype)
        if sample_weight is None:
            self.total.assign_add(engine.reduce_sum(values))
            if self.count is not None:
                self.count.assign_add(_count(values, self._dtype))
            return
        values, weights = weigh(self.name, values, sample_weight, mean=self.count is not None)
        self.total.assign_add(engine.reduce_sum(values * weights))
        if self.count is not None:
            self.count.assign_add(engine.reduce_sum(weights * engine.ones_like(values)))


def _count(values, dtype):
    if values.shape.is_fully_defined():
        return engine.constant(float(values.shape.num_elements()), dtype)
    return engine.cast(engine.size(values), dtype)


def weigh(who: str, values, sample_weight, mean: bool = True):
    """`(values, weights)` lined up for `values * weights`, as Keras' reducing metrics do.

    Weights one axis shorter or longer (a trailing 1) are adjusted; weights of lower rank
    whose shape starts `values`' shape (per-sample weights for per-element values) get
    `values` averaged (`mean`) or summed over the extra trailing axes.
    """
    weights = as_tensor(sample_weight)
    if weights.dtype != values.dtype:
        weights = engine.cast(weights, values.dtype)
    weights = match_weight_rank(values, weights)
    w, v = weights.shape, values.shape
    if w.rank is None or v.rank is None or w.rank == 0:
        return values, weights
    dims_fit = all(a is None or b is None or a in (1, b) for a, b in zip(w.as_list(),
                                                                        v.as_list()))
    if w.rank == v.rank and dims_fit:
        return values, weights
    if w.rank < v.rank and dims_fit:
        axes = list(range(w.rank, v.rank))
        reduce = engine.reduce_mean if mean else engine.reduce_sum
        return reduce(values, axis=axes), weights
    raise ValueError(
        f"{who}: got sample_weight of shape {shape_text(w)} for values of shape "
        f"{shape_text(v)}; expected one weight per sample (shape ({v[0] if v.rank else ''},) "
        f"or ({v[0] if v.rank else ''}, 1)), a scalar, or weights shaped like the values. "
        "Check that sample_weight has one entry per sample of the batch.")


class Sum(_Reduce):
    """The (weighted) sum of all values seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0])
        >>> float(m.result())
        16.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(with_count=False, name=name, dtype=dtype)

    def result(self):
        """The accumulated sum.

        Returns:
            A scalar tensor.
        """
        return engine.identity(self.total)


class Mean(_Reduce):
    """The (weighted) mean of all values seen: `sum(w * v) / sum(w)`.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:
        >>> m = engine.keras.metrics.Mean()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(with_count=True, name=name, dtype=dtype)

    def result(self):
        """The accumulated mean (0 before any update).

        Returns:
            A scalar tensor.
        """
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The weighted mean of `fn(y_true, y_pred, **kwargs)` over all samples seen.

    `y_true` and `y_pred` are cast to the metric's dtype and a trailing size-1 axis is
    dropped where the other lacks it, before `fn` runs.

    Args:
        fn: a function `fn(y_true, y_pred, **kwargs)` returning per-sample values.
        name: the metric's name (default: `fn`'s name).
        dtype: the dtype of the state and result.
        **kwargs: keyword arguments passed to `fn`.

    Example:
        >>> m = engine.keras.metrics.MeanMetricWrapper(
        ...     engine.keras.metrics.binary_accuracy, threshold=0.7)
        >>> float(m([[1.0], [0.0]], [[0.6], [0.2]]))
        0.5
        >>> m.name
        'binary_accuracy'
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: got fn={fn!r}; expected a function "
                            "fn(y_true, y_pred, **kwargs) returning per-sample values.")
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds `fn(y_true, y_pred)` of one batch to the running mean.

        Args:
            y_true: the labels.
            y_pred: the predictions.
            sample_weight: None, a scalar, or one weight per sample.
        """
        y_true, y_pred = self._cast(y_true), self._cast(y_pred)
        y_true, y_pred = match_ranks(y_true, y_pred)
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def _cast(self, x):
        x = as_tensor(x)
        return x if x.dtype == self._dtype else engine.cast(x, self._dtype)

    def get_config(self) -> dict:
        """The constructor arguments, including `fn`'s keyword arguments.

        Returns:
            A JSON-able dict; a plain `MeanMetricWrapper` also saves `fn` by name.
        """
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = serialize_object(self._fn)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Creates the metric from `get_config()`'s output.

        Args:
            config: the dict.

        Returns:
            A new metric with fresh state.
        """
        config = dict(config)
        if cls is MeanMetricWrapper:
            from engine.keras.metrics import get  # noqa: PLC0415 - the package imports this

            return cls(get(config.pop("fn")), **config)
        return cls(**config)
