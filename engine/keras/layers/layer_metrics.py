"""A layer's own metrics: `add_metric` and `metrics`, the `LayerMetrics` mixin of `Layer`.

Keras 2 lets a layer or model report a value from inside `call`:
`self.add_metric(engine.reduce_mean(x), name="mean_activation")`. The first such call
creates a `Mean` metric of that name (its state in variables, created outside any traced
graph, as a compiled metric's is); later calls find it by name and update it. A value
that is the result of calling a `Metric` object (`self.add_metric(self.acc(y, p))`) adds
that metric itself, under its own name, without updating it twice (Keras 2's rule).

`layer.metrics` lists the metrics of the layer and its sublayers; `Model.metrics` lists
them after the compiled ones, so `fit`/`evaluate` log them, with `val_` in validation, and
reset them each epoch. A layer keeps its metrics in `_metrics`, made on first use, and a
module counter lets `Model.metrics` skip the walk over sublayers while no layer has one.
"""

from __future__ import annotations

__all__ = ["LayerMetrics", "layer_metrics"]

# How many metrics `add_metric` has created in this process. While 0, no layer has any, and
# `Model.metrics` (read at every eager step) skips looking for them.
_CREATED = [0]


class LayerMetrics:
    """The `add_metric` bookkeeping of `Layer` (see the module docstring)."""

    @property
    def metrics(self) -> list:
        """The metrics added with `add_metric` by this layer and its sublayers.

        Example:
            >>> class ActivityMean(engine.keras.layers.Layer):
            ...     def call(self, x):
            ...         self.add_metric(engine.reduce_mean(x), name="activity_mean")
            ...         return x
            >>> layer = ActivityMean()
            >>> _ = layer(engine.ones([2, 3]))
            >>> [m.name for m in layer.metrics], float(layer.metrics[0].result())
            (['activity_mean'], 1.0)
        """
        return layer_metrics(self)

    def add_metric(self, value, name: str | None = None, aggregation: str | None = None):
        """Reports `value` as a metric; call it inside `call` (Keras 2's `add_metric`).

        The metric is a `Mean` named `name`, created on the first call and updated at each
        one (the mean over all calls and elements since the last reset). When `value` is
        what calling a `Metric` object returned, that metric is tracked instead, under its
        own name, and not updated again.

        Args:
            value: a tensor (any shape) computed in `call`.
            name: the metric's name in the logs (needed unless `value` comes from a
                `Metric`).
            aggregation: None or "mean" (both mean over calls, as in Keras 2).

        Raises:
            ValueError: without a name, outside `call`, or for another aggregation.
        """
        from engine.keras.layers import base  # noqa: PLC0415 - base imports this mixin
        from engine.keras.metrics.base import metric_of_result  # noqa: PLC0415

        if aggregation not in (None, "mean"):
            raise ValueError(f"{self.name}.add_metric: got aggregation={aggregation!r}; "
                             "expected None or 'mean' (the metric is a Mean over calls). "
                             "Reduce the value yourself before passing it.")
        source = metric_of_result(value)
        if name is None and source is None:
            raise ValueError(f"{self.name}.add_metric: got no name; each metric needs one, "
                             "by which later calls find it. Give it, e.g. "
                             "self.add_metric(engine.reduce_mean(x), name='mean_activation').")
        if not base.in_layer_call():
            what = "a symbolic (functional API) tensor" if _is_symbolic(value) else \
                f"{type(value).__name__} {value!r:.60}"
            raise ValueError(f"{self.name}.add_metric: got {what} outside of a layer's call; "
                             "expected it inside `call`, where each batch updates the metric. "
                             "Move it into the call() of a layer (or of a subclassed model) "
                             "that computes the value, or update a Metric object yourself.")
        if source is not None:
            name = source.name
        own = self.__dict__.setdefault("_metrics", [])
        metric = next((m for m in own if m.name == name), None)
        if metric is None:
            metric = source if source is not None else _new_mean(name, value)
            own.append(metric)
            _CREATED[0] += 1
        if source is None:
            metric.update_state(value)


def layer_metrics(layer, exclude=()) -> list:
    """The `add_metric` metrics of `layer` and its sublayers, each once, leaving out those
    in `exclude` (e.g. a model's compiled metrics)."""
    if not _CREATED[0]:
        return []
    out: list = []
    for sublayer in layer._flatten_layers():
        for metric in sublayer.__dict__.get("_metrics", ()):
            if not any(metric is m for m in out) and not any(metric is m for m in exclude):
                out.append(metric)
    return out


def _new_mean(name: str, value):
    """A `Mean` in the value's float dtype, its variables made outside any traced graph."""
    from engine.graph.trace import init_scope  # noqa: PLC0415
    from engine.keras.metrics import Mean  # noqa: PLC0415

    dtype = getattr(value, "dtype", None)
    dtype = dtype if dtype is not None and getattr(dtype, "is_floating", False) else None
    with init_scope():
        return Mean(name=name, dtype=dtype)


def _is_symbolic(value) -> bool:
    from engine.keras.layers.functional import is_keras_tensor_structure  # noqa: PLC0415

    return is_keras_tensor_structure(value)
