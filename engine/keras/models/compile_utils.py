"""What `compile` builds: the loss and metric containers that `train_step` uses.

`LossesContainer` applies one loss per output (one loss for all, a list in output order,
or a dict by output name), weights them, adds the model's regularization losses, and
tracks the mean loss (and each output's loss when there are several). `MetricsContainer`
does the same for metrics, resolving `"accuracy"`/`"crossentropy"` from the loss and the
output shape as Keras does, on the first batch.
"""

from __future__ import annotations

from engine import nest
from engine.ops import math_ops

__all__ = ["LossesContainer", "MetricsContainer", "match_outputs"]


def match_outputs(spec, output_names: list, what: str) -> list:
    """`spec` (one item, a list in output order, or a dict by name) as one entry per output.

    Raises:
        ValueError: for a list of the wrong length or unknown names in a dict.
    """
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(output_names))
        if unknown:
            raise ValueError(f"compile({what}=...): keys {unknown} are not output names; the "
                             f"model's outputs are {output_names}.")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what != "metrics":
        if len(spec) != n:
            raise ValueError(f"compile({what}=...): got {len(spec)} entries for a model with "
                             f"{n} outputs {output_names}; give one per output or a dict.")
        return list(spec)
    return [spec] * n


class LossesContainer:
    """The compiled loss: per-output losses, weights and regularization, with tracking."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        from engine.keras import losses, metrics  # noqa: PLC0415

        self._spec = loss
        self._weights_spec = loss_weights
        self._output_names = None
        self._losses = None
        self._weights = None
        self.loss_metric = metrics.Mean(name="loss")
        self.output_metrics = []
        self._losses_module = losses
        if output_names is not None:
            self.build(output_names)

    def build(self, output_names: list) -> None:
        """Resolves the losses for the model's outputs."""
        from engine.keras import metrics  # noqa: PLC0415

        self._output_names = list(output_names)
        specs = match_outputs(self._spec, self._output_names, "loss")
        self._losses = [None if s is None else _as_loss(self._losses_module.get(s))
                        for s in specs]
        if self._weights_spec is None:
            self._weights = [1.0] * len(specs)
        else:
            self._weights = [1.0 if w is None else float(w) for w in match_outputs(
                self._weights_spec, self._output_names, "loss_weights")]
        if len(self._output_names) > 1:
            self.output_metrics = [metrics.Mean(name=f"{name}_loss") if fn is not None
                                   else None for name, fn in zip(self._output_names,
                                                                 self._losses)]

    @property
    def built(self) -> bool:
        """Whether the losses are resolved for the outputs."""
        return self._losses is not None

    @property
    def losses(self) -> list:
        """The resolved loss objects, one per output (None where an output has none)."""
        return list(self._losses or [])

    @property
    def metrics(self) -> list:
        """The loss trackers: the total, then one per output when there are several
        (none before the first batch builds the container, as in Keras 2)."""
        if not self.built:
            return []
        return [self.loss_metric] + [m for m in self.output_metrics if m is not None]

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        if self._losses is None:  # a custom `train_step` calls it before `fit` builds it
            self.build(default_output_names(y_pred))
        flat_pred = nest.flatten(y_pred)
        flat_true = _per_output(y_true, len(flat_pred), self._output_names, "y")
        flat_sw = _per_output(sample_weight, len(flat_pred), self._output_names,
                              "sample_weight")
        total = None
        batch = None
        for k, (fn, weight, yt, yp, sw) in enumerate(zip(
                self._losses, self._weights, flat_true, flat_pred, flat_sw)):
            if fn is None or yt is None:
                continue
            # Keras 2 lines up (batch,) targets with (batch, k) outputs for losses too, so
            # a per-sample weight meets per-sample losses rather than one batch mean.
            value = fn(_match_rank(yt, yp), yp, sample_weight=sw)
            if batch is None:
                batch = _batch_size(yp)
            if self.output_metrics and self.output_metrics[k] is not None:
                self.output_metrics[k].update_state(value, sample_weight=batch)
            if weight != 1.0:
                value = value * weight
            total = value if total is None else total + value
        if regularization_losses:
            reg = regularization_losses[0]
            for r in regularization_losses[1:]:
                reg = reg + r
            reg = math_ops.cast(reg, total.dtype) if total is not None else reg
            total = reg if total is None else total + reg
        if total is None:
            raise ValueError("The model has no loss to minimize: compile(loss=...) names none "
                             "for the outputs given targets, and no add_loss() was made.")
        self.loss_metric.update_state(total, sample_weight=batch if batch is not None else 1)
        return total

    def reset_state(self) -> None:
        """Resets the loss trackers."""
        for m in self.metrics:
            m.reset_state()


class MetricsContainer:
    """The compiled metrics, per output; strings resolve on the first batch."""

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None, losses=None):
        self._spec = metrics
        self._weighted_spec = weighted_metrics
        self._output_names = output_names
        self._loss_fns = losses
        self._metrics = None
        self._weighted = None

    def _build(self, y_pred) -> None:
        flat_pred = nest.flatten(y_pred)
        names = self._output_names or [f"output_{i + 1}" for i in range(len(flat_pred))]
        shapes = [t.shape for t in flat_pred]
        self._metrics = [[self._resolve(item, k, shapes) for item in _items(spec)]
                         for k, spec in enumerate(_metric_specs(self._spec, names))]
        self._weighted = [[self._resolve(item, k, shapes) for item in _items(spec)]
                          for k, spec in enumerate(_metric_specs(self._weighted_spec, names))]
        _set_metric_names(names, self._metrics, self._weighted)

    def _resolve(self, item, k: int, shapes: list):
        """The metric object for `item` on output `k`. As in Keras 2, a metric given by a
        string is named by that string ("mae" stays "mae"), unless the string names a
        metric class ("AUC"), whose instance keeps its own name."""
        from engine.keras import metrics as metrics_module  # noqa: PLC0415

        if isinstance(item, str) and item in _BY_LOSS:
            loss = self._loss_fns[k] if self._loss_fns else None
            resolve = getattr(metrics_module, _BY_LOSS[item])
            return _renamed(resolve(loss, shapes[k]), item)
        metric = metrics_module.get(item)
        if hasattr(metric, "update_state"):
            return metric
        name = item if isinstance(item, str) else getattr(metric, "__name__", "metric")
        return metrics_module.MeanMetricWrapper(metric, name=name)

    @property
    def metrics(self) -> list:
        """The metric objects (empty until the first batch resolves them)."""
        if self._metrics is None:
            return []
        # Keras 2's order: each output's metrics, then its weighted metrics.
        return [m for plain, weighted in zip(self._metrics, self._weighted)
                for m in plain + weighted]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Updates every metric with one batch."""
        if self._metrics is None:
            self._build(y_pred)
        flat_pred = nest.flatten(y_pred)
        flat_true = _per_output(y_true, len(flat_pred), self._output_names, "y")
        flat_sw = _per_output(sample_weight, len(flat_pred), self._output_names,
                              "sample_weight")
        for k, (yt, yp, sw) in enumerate(zip(flat_true, flat_pred, flat_sw)):
            if yt is None:
                continue
            yt = _match_rank(yt, yp)
            for metric in self._metrics[k]:
                metric.update_state(yt, yp)
            for metric in self._weighted[k]:
                metric.update_state(yt, yp, sample_weight=sw)

    def reset_state(self) -> None:
        """Resets every metric."""
        for m in self.metrics:
            m.reset_state()


def default_output_names(y_pred) -> list:
    """Output names for a model that has none: the keys of a dict of outputs, else
    `output` for one output or `output_1`, `output_2`, ... for several."""
    if isinstance(y_pred, dict):
        return sorted(y_pred)
    count = len(nest.flatten(y_pred))
    return ["output"] if count == 1 else [f"output_{i + 1}" for i in range(count)]


def _match_rank(y_true, y_pred):
    """Sparse targets of shape (batch,) against predictions of shape (batch, k) become
    (batch, 1) before they reach the losses and metrics, as in Keras 2, so that a custom metric
    comparing them elementwise does not broadcast to (batch, batch)."""
    if len(getattr(y_true, "shape", ())) == 1 and len(getattr(y_pred, "shape", ())) == 2:
        from engine.ops.array_ops import expand_dims  # noqa: PLC0415 - above math_ops

        return expand_dims(y_true, -1)
    return y_true


def _metric_specs(spec, names: list) -> list:
    if spec is None:
        return [None] * len(names)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ValueError(f"compile(metrics=...): keys {unknown} are not output names; the "
                             f"model's outputs are {names}.")
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)) and spec and all(
            isinstance(s, (list, tuple)) for s in spec):
        if len(spec) != len(names):
            raise ValueError(f"compile(metrics=...): got {len(spec)} lists for {len(names)} "
                             "outputs.")
        return list(spec)
    return [spec] * len(names)


_BY_LOSS = {"accuracy": "resolve_accuracy", "acc": "resolve_accuracy",
            "crossentropy": "resolve_crossentropy", "ce": "resolve_crossentropy"}


def _items(spec) -> list:
    if spec is None:
        return []
    items = spec if isinstance(spec, (list, tuple)) else [spec]
    return [item for item in items if item is not None]


def _set_metric_names(output_names: list, metrics: list, weighted: list) -> None:
    """Names the metrics as Keras 2 does: with several outputs, the output's name first
    (`o1_mae`); a weighted metric whose name is taken gets `weighted_` (`weighted_mae`,
    `o1_weighted_mae`).

    Raises:
        ValueError: if two metrics end up with the same name.
    """
    multi = len(output_names) > 1
    taken = set()
    for output, plain_metrics, weighted_metrics in zip(output_names, metrics, weighted):
        for metric in plain_metrics:
            if multi:
                _renamed(metric, f"{output}_{metric.name}")
            _claim(metric.name, taken)
        for metric in weighted_metrics:
            if multi:
                prefix = f"{output}_weighted_" if f"{output}_{metric.name}" in taken else \
                    f"{output}_"
                _renamed(metric, prefix + metric.name)
            elif metric.name in taken:
                _renamed(metric, f"weighted_{metric.name}")
            _claim(metric.name, taken)


def _claim(name: str, taken: set) -> None:
    if name in taken:
        raise ValueError(f"compile(metrics=...): two metrics are named {name!r}; metric names "
                         "must be unique. Give each metric once per output, or pass Metric "
                         "objects with distinct names (name=...).")
    taken.add(name)


def _renamed(metric, name: str):
    metric._name = name
    return metric


def _as_loss(fn):
    from engine.keras import losses  # noqa: PLC0415

    if isinstance(fn, losses.Loss):
        return fn
    return losses.LossFunctionWrapper(fn, name=getattr(fn, "__name__", "loss"))


def _per_output(value, n: int, names, what: str) -> list:
    if value is None:
        return [None] * n
    if isinstance(value, dict) and names is not None:
        return [value.get(name) for name in names]
    if n == 1:
        return [value]
    flat = list(value) if isinstance(value, (list, tuple)) else nest.flatten(value)
    if len(flat) != n:
        raise ValueError(f"The model has {n} outputs but {what} holds {len(flat)} arrays; "
                         "give one per output (a list, or a dict by output name).")
    return flat


def _batch_size(y):
    from engine.ops import array_ops  # noqa: PLC0415

    return math_ops.cast(array_ops.shape(y)[0], y.dtype if y.dtype.is_floating else "float32")
