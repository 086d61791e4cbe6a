"""`StepDebugger`: run `train_step` one batch at a time and look at every layer and weight.

    debugger = StepDebugger(model, (x, y), batch_size=32, break_on_nan=True)
    debugger.run(100)                   # steps until a breakpoint fires (or 100 steps)
    debugger.last_step["dense_1"]       # shapes, statistics, the output tensor itself
    debugger.locate_nan()               # the first layer and op that went non-finite

Each `step()` calls the model's own `train_step` (a custom one too) eagerly, outside
`engine.function` and with `engine.config.run_functions_eagerly(True)` for its duration,
exactly as `fit` does with `run_eagerly=True`; the weights after n steps equal those of n
eager train steps. While the step runs:
- every sublayer's `call` is wrapped (an instance attribute, removed after the step), so
  each layer's inputs and outputs are recorded, whatever the model kind;
- the optimizer's `apply_gradients` is wrapped the same way, to record the gradients it
  receives: those are the gradients the step applies (after any clipping `train_step`
  does itself, before the optimizer's own `clipnorm`/`clipvalue`). A `train_step` that
  never calls `apply_gradients` shows no gradients.
- the model's metrics are reset first, so the logs are this batch's, not an epoch's mean.

Statistics (mean, std, min, max) are over the finite values; NaN and Inf are counted
apart. The update ratio of a weight is |w_after - w_before| / |w_before| (L2 norms).

`locate_nan(batch)` replays a batch (by default the last step's, from the weights that
step started with): `train_step` runs again with updates suppressed, the first layer
whose output holds NaN/Inf is found, and that layer's `call` is replayed once more under a
`GradientTape` that records each op with its inputs, to name the first op whose output
went non-finite and give its inputs' statistics. Weights are put back afterwards. Random
ops (dropout) draw new numbers in a replay.

`widgets.debugger_view` draws it in a notebook (Step button, tables, histogram); outside
a notebook, or with `EAGERLAB_WIDGETS=static`, it shows as text (`table()`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from engine import nest
from engine.keras.models.data_adapter import DataHandler, unpack_x_y_sample_weight
from widgets.debug_capture import (
    Capture,
    EagerFunctions,
    GradientCapture,
    NanReport,
    StepRecord,
    _floats,
    _pack,
    replay,
    tensor_stats,
    weight_entries,
)
from widgets.environment import choose_mode

__all__ = ["StepDebugger", "StepRecord", "Breakpoint", "NanReport", "tensor_stats"]


@dataclasses.dataclass
class Breakpoint:
    """A breakpoint that fired: which kind, at which step, and where.

    Attributes:
        kind: "nan", "grad_norm" or "step".
        step: the step (counting from 1) after which it fired.
        where: the layer, weight or "loss" concerned ("" for a step breakpoint).
        message: a sentence saying what happened.

    Example:
        >>> Breakpoint("step", 3, "", "reached step 3")
        Breakpoint(kind='step', step=3, where='', message='reached step 3')
    """

    kind: str
    step: int
    where: str
    message: str


class StepDebugger:
    """Runs a model's `train_step` eagerly, one batch per `step()`, recording everything.

    See the module docstring for how layers and gradients are captured.

    Args:
        model: a compiled Keras model (Sequential, functional or subclassed; a custom
            `train_step` is used as is).
        data: `(x, y)` or `(x, y, sample_weight)` arrays, `x` alone, or a batched
            `engine.data.Dataset`; it is cycled through, epoch after epoch.
        batch_size: samples per batch for arrays (default 32).
        break_on_nan: stop when the loss, a layer's output, a gradient or a weight holds
            NaN or Inf.
        grad_norm_threshold: stop when a weight's gradient norm exceeds it (None: off).
        break_at_step: stop after this step (counting from 1; None: off).
        mode: "widgets", "static" or "auto" (as for `TrainingDashboard`).

    Raises:
        RuntimeError: if the model is not compiled.
        ValueError: for bad breakpoint settings.

    Example:
        >>> engine.random.set_seed(0)
        >>> model = engine.keras.Sequential([engine.keras.layers.Dense(2, name="hidden")],
        ...                                 name="demo")
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
        >>> debugger = StepDebugger(model, (x, y), batch_size=2, mode="static")
        >>> record = debugger.step()
        >>> record["hidden"]["output_shape"], record["hidden"]["nan_count"]
        ((2, 2), 0)
        >>> debugger
        StepDebugger(model=demo, steps=1, breakpoint=None)
    """

    def __init__(self, model, data, batch_size: int | None = None, break_on_nan: bool = True,
                 grad_norm_threshold: float | None = None, break_at_step: int | None = None,
                 mode: str | None = None):
        if not getattr(model, "_is_compiled", False):
            raise RuntimeError(f"StepDebugger: the model {model.name!r} is not compiled; call "
                               "model.compile(optimizer=..., loss=...) first.")
        if grad_norm_threshold is not None and not grad_norm_threshold > 0:
            raise ValueError(f"StepDebugger: grad_norm_threshold must be a positive number or "
                             f"None; got {grad_norm_threshold!r}.")
        if break_at_step is not None and (not isinstance(break_at_step, int) or
                                          break_at_step < 1):
            raise ValueError(f"StepDebugger: break_at_step must be a step number >= 1 or "
                             f"None; got {break_at_step!r}.")
        self.model = model
        self.break_on_nan = break_on_nan
        self.grad_norm_threshold = grad_norm_threshold
        self.break_at_step = break_at_step
        self.mode = choose_mode(mode)
        self.steps = 0
        self.last_step: StepRecord | None = None
        self.breakpoint: Breakpoint | None = None
        self._handler = _make_handler(data, batch_size)
        self._batches = None
        self._before: dict = {}  # id(variable) -> value when the last step began
        self._view = None

    # --- stepping -------------------------------------------------------------------------
    def step(self) -> StepRecord:
        """Runs `train_step` on the next batch and records it (also `last_step`).

        Returns:
            The `StepRecord`; its `breakpoint` says which breakpoint fired, if one did.

        Example:
            >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> debugger = StepDebugger(model, (np.ones((2, 2)), np.ones((2, 1))))
            >>> debugger.step().step
            1
        """
        batch = self._next_batch()
        model = self.model
        before = {id(v): v.numpy().copy() for v in model.variables}
        record = StepRecord(self.steps + 1)
        record.batch = batch
        grads = {}
        model.reset_metrics()
        with Capture(model, record), GradientCapture(model.optimizer, grads, apply=True), \
                EagerFunctions():
            logs = model.train_step(_pack(batch))
        self.steps += 1
        record.logs = _floats(logs)
        loss = record.logs.get("loss")
        record.loss = loss if isinstance(loss, float) else None
        record.weights = weight_entries(model, before, grads)
        self._before = before
        self.last_step = record
        record.breakpoint = self.breakpoint = self._check(record)
        if self._view is not None:
            self._view.render()
        return record

    def run(self, max_steps: int = 1000) -> Breakpoint | None:
        """Steps until a breakpoint fires, at most `max_steps` times.

        Args:
            max_steps: the most steps to run.

        Returns:
            The `Breakpoint` that fired (also `breakpoint`), or None if none did.

        Example:
            >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> debugger = StepDebugger(model, (np.ones((4, 2)), np.ones((4, 1))),
            ...                         batch_size=2, break_at_step=3)
            >>> debugger.run(10)
            Breakpoint(kind='step', step=3, where='', message='reached step 3 (break_at_step)')
        """
        for _ in range(int(max_steps)):
            if self.step().breakpoint is not None:
                return self.breakpoint
        return None

    def _next_batch(self):
        for _ in range(2):
            if self._batches is None:
                self._batches = iter(self._handler.epoch())
            try:
                return next(self._batches)
            except StopIteration:
                self._batches = None  # the epoch ended: start the next one
        raise ValueError("StepDebugger: the data yielded no batches; give arrays, or a "
                         "dataset that is not empty.")

    def _check(self, record: StepRecord) -> Breakpoint | None:
        step = record.step
        if self.break_on_nan:
            where = _first_non_finite(record)
            if where is not None:
                return Breakpoint("nan", step, where[0], where[1])
        if self.grad_norm_threshold is not None:
            for name, entry in record.weights.items():
                norm = entry["grad_norm"]
                if norm is not None and norm > self.grad_norm_threshold:
                    return Breakpoint("grad_norm", step, name,
                                      f"the gradient norm of {name} is {norm:.6g} > "
                                      f"{self.grad_norm_threshold:g}")
        if self.break_at_step is not None and step == self.break_at_step:
            return Breakpoint("step", step, "", f"reached step {step} (break_at_step)")
        return None

    # --- NaN localisation -----------------------------------------------------------------
    def locate_nan(self, batch=None) -> NanReport:
        """Replays a batch and names the first layer and op whose output went non-finite.

        Args:
            batch: `(x, y[, sample_weight])` to replay with the current weights; None
                replays the last step's batch from the weights that step started with.

        Returns:
            A `NanReport` (`found` is False when everything stayed finite).

        Raises:
            ValueError: for batch=None before any step.

        Example:
            >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1, name="out")])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> debugger = StepDebugger(model, (np.ones((2, 2)), np.ones((2, 1))))
            >>> _ = debugger.step()
            >>> _ = model.layers[0].kernel.assign(np.full((2, 1), np.inf))
            >>> report = debugger.locate_nan((np.ones((2, 2)), np.ones((2, 1))))
            >>> report.layer, report.op
            ('out', 'MatMul')
        """
        model = self.model
        if batch is None:
            if self.last_step is None:
                raise ValueError("StepDebugger.locate_nan: no step has run yet; give the "
                                 "batch to replay, e.g. locate_nan((x, y)).")
            data, start = self.last_step.batch, self._before
        else:
            data, start = _as_batch(batch), {}
        saved = {id(v): v.numpy().copy() for v in model.variables}
        try:
            for v in model.variables:
                if id(v) in start:
                    v.assign(start[id(v)])
            with np.errstate(all="ignore"):  # NaN and Inf are expected here
                return replay(model, data)
        finally:
            for v in model.variables:
                v.assign(saved[id(v)])

    # --- showing ----------------------------------------------------------------------------
    def table(self) -> str:
        """The last step as text: the loss and logs, then one row per layer and weight.

        Returns:
            The text (a note when no step has run yet).

        Example:
            >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1, name="d")])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> debugger = StepDebugger(model, (np.ones((2, 2)), np.ones((2, 1))))
            >>> debugger.table()
            'no step yet: call step()'
            >>> _ = debugger.step()
            >>> print(debugger.table().splitlines()[2])  # doctest: +ELLIPSIS
            layer  class  input   output  mean  ...
        """
        record = self.last_step
        if record is None:
            return "no step yet: call step()"
        logs = ", ".join(f"{k}: {_num(v)}" for k, v in record.logs.items())
        head = [f"step {record.step} - {logs}"]
        if record.breakpoint is not None:
            head.append(f"breakpoint: {record.breakpoint.message}")
        else:
            head.append("")
        columns = ["layer", "class", "input", "output", "mean", "std", "min", "max",
                   "zeros", "nan", "inf"]
        rows = [[name, e["class"], _shape(e["input_shape"]), _shape(e["output_shape"]),
                 _num(e["mean"]), _num(e["std"]), _num(e["min"]), _num(e["max"]),
                 f"{e['zero_fraction']:.2f}", str(e["nan_count"]), str(e["inf_count"])]
                for name, e in record.layers.items()]
        weight_columns = ["weight", "shape", "norm", "grad norm", "update ratio"]
        weight_rows = [[name, _shape(e["shape"]), _num(e["value_norm"]),
                        _num(e["grad_norm"]), _num(e["update_ratio"])]
                       for name, e in record.weights.items()]
        return "\n".join(head + _aligned(columns, rows) + [""] +
                         _aligned(weight_columns, weight_rows))

    @property
    def view(self):
        """The `DebuggerView` (widgets mode, once displayed or asked for), else None."""
        return self._view

    def widget(self):
        """The notebook view, made on first use: Step button, tables and histogram.

        Returns:
            A `widgets.debugger_view.DebuggerView`.

        Raises:
            ImportError: without ipywidgets, plotly or anywidget.
        """
        if self._view is None:
            from widgets.debugger_view import DebuggerView  # noqa: PLC0415

            self._view = DebuggerView(self)
        return self._view

    def __repr__(self) -> str:
        fired = None if self.breakpoint is None else self.breakpoint.kind
        return f"StepDebugger(model={self.model.name}, steps={self.steps}, breakpoint={fired})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.mode != "widgets":
            return {"text/plain": f"{self!r}\n{self.table()}"}
        return self.widget().box._repr_mimebundle_(include=include, exclude=exclude)


def _first_non_finite(record: StepRecord):
    for name in record._finished:  # in data-flow order: the first culprit first
        e = record.layers[name]
        if e["nan_count"] or e["inf_count"]:
            return name, (f"the output of layer {name} has {e['nan_count']} NaN and "
                          f"{e['inf_count']} Inf values at step {record.step}")
    if record.loss is not None and not np.isfinite(record.loss):
        return "loss", f"the loss is {record.loss} at step {record.step}"
    for name, e in record.weights.items():
        if e["grad_norm"] is not None and not np.isfinite(e["grad_norm"]):
            return name, f"the gradient of {name} is not finite at step {record.step}"
        if not e["finite"]:
            return name, f"weight {name} is not finite after step {record.step}"
    return None



# --- small helpers ----------------------------------------------------------------------------
def _make_handler(data, batch_size):
    from engine import data as _data  # noqa: PLC0415

    if isinstance(data, _data.Dataset) or hasattr(data, "__next__"):
        return DataHandler(data, batch_size=batch_size)
    if isinstance(data, (tuple, list)) and 1 <= len(data) <= 3:
        x, y, sw = unpack_x_y_sample_weight(tuple(data))
        return DataHandler(x, y, sw, batch_size=batch_size)
    return DataHandler(data, batch_size=batch_size)



def _as_batch(batch):
    x, y, sw = unpack_x_y_sample_weight(tuple(batch) if isinstance(batch, list) else batch)
    size = int(np.shape(nest.flatten(x)[0])[0])
    return next(iter(DataHandler(x, y, sw, batch_size=size).epoch()))



def _shape(shape) -> str:
    if isinstance(shape, list):
        return " ".join(_shape(s) for s in shape)
    return "(" + ",".join(str(d) for d in shape) + ")"



def _num(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)



def _aligned(columns: list, rows: list) -> list:
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            for row in [columns] + rows]
