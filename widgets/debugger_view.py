"""`DebuggerView`: a `StepDebugger` as ipywidgets and one plotly histogram.

Top to bottom: the Step and Run buttons; a status line (step, loss and logs, the
breakpoint that fired); the layer table and the weight table (HTML tables); a layer
picker with an activations/gradients toggle, and the histogram of the picked layer's
output values or of its weights' gradients.

CSS classes for browser tests: `eagerlab-debugger`, `eagerlab-debugger-step`,
`eagerlab-debugger-run`, `eagerlab-debugger-status`, `eagerlab-debugger-layers`,
`eagerlab-debugger-weights`, `eagerlab-debugger-histogram`. The box's plain-text repr is
the debugger's repr, e.g. `StepDebugger(model=sequential, steps=2, breakpoint=None)`.
"""

from __future__ import annotations

import html

import ipywidgets
import numpy as np

from widgets.view import DashboardBox

__all__ = ["DebuggerView"]

_LAYER_COLUMNS = ("layer", "class", "input", "output", "mean", "std", "min", "max", "zeros",
                  "nan", "inf")
_WEIGHT_COLUMNS = ("weight", "layer", "shape", "norm", "grad norm", "update ratio")


class DebuggerView:
    """The debugger's notebook view, redrawn in place after every step.

    Args:
        debugger: the `StepDebugger` to show and drive.
        run_steps: how many steps the Run button runs at most (it stops at a breakpoint).

    Example:
        >>> from widgets.debugger import StepDebugger
        >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1, name="d")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> debugger = StepDebugger(model, (np.ones((2, 2)), np.ones((2, 1))))
        >>> view = DebuggerView(debugger)
        >>> view.step_button.click()
        >>> debugger.steps, view.picker.options
        (1, ('d',))
    """

    def __init__(self, debugger, run_steps: int = 100):
        import plotly.graph_objects as go  # noqa: PLC0415 - only when a view is made

        self.debugger = debugger
        self.run_steps = run_steps
        debugger._view = self
        self.step_button = ipywidgets.Button(description="Step", icon="step-forward",
                                             tooltip="run train_step on the next batch")
        self.run_button = ipywidgets.Button(description=f"Run ({run_steps})", icon="play",
                                            tooltip="step until a breakpoint fires")
        self.status = ipywidgets.HTML()
        self.layer_table = ipywidgets.HTML()
        self.weight_table = ipywidgets.HTML()
        self.picker = ipywidgets.Dropdown(description="layer", options=())
        self.source = ipywidgets.ToggleButtons(options=["activations", "gradients"],
                                               value="activations")
        self.figure = go.FigureWidget(data=[go.Histogram(x=[], nbinsx=50)],
                                      layout={"height": 260, "margin": {"t": 30, "b": 30},
                                              "title": {"text": ""}})
        self.step_button.on_click(lambda _: self.debugger.step())
        self.run_button.on_click(lambda _: self.debugger.run(self.run_steps))
        self.picker.observe(lambda _: self._render_histogram(), names="value")
        self.source.observe(lambda _: self._render_histogram(), names="value")
        self.box = DashboardBox(debugger, children=[
            ipywidgets.HBox([self.step_button, self.run_button]), self.status,
            self.layer_table, self.weight_table, ipywidgets.HBox([self.picker, self.source]),
            self.figure])
        for widget, name in ((self.box, "debugger"), (self.step_button, "debugger-step"),
                             (self.run_button, "debugger-run"),
                             (self.status, "debugger-status"),
                             (self.layer_table, "debugger-layers"),
                             (self.weight_table, "debugger-weights"),
                             (self.figure, "debugger-histogram")):
            widget.add_class(f"eagerlab-{name}")
        self.render()

    def render(self) -> None:
        """Shows the debugger's last step: status, tables, layer choices and histogram."""
        record = self.debugger.last_step
        if record is None:
            self.status.value = "<i>no step yet: press Step</i>"
            return
        logs = ", ".join(f"{k}: {_cell(v)}" for k, v in record.logs.items())
        status = f"<b>step {record.step}</b> - {html.escape(logs)}"
        if record.breakpoint is not None:
            status += (f" - <b style='color: #c00'>breakpoint ({record.breakpoint.kind}): "
                       f"{html.escape(record.breakpoint.message)}</b>")
        self.status.value = status
        self.layer_table.value = _html_table(_LAYER_COLUMNS, [
            (name, e["class"], e["input_shape"], e["output_shape"], e["mean"], e["std"],
             e["min"], e["max"], e["zero_fraction"], e["nan_count"], e["inf_count"])
            for name, e in record.layers.items() if "output" in e])
        self.weight_table.value = _html_table(_WEIGHT_COLUMNS, [
            (name, e["layer"], e["shape"], e["value_norm"], e["grad_norm"], e["update_ratio"])
            for name, e in record.weights.items()])
        names = tuple(name for name, e in record.layers.items() if "output" in e)
        if names != self.picker.options:
            current = self.picker.value
            self.picker.options = names
            if current in names:
                self.picker.value = current
        self._render_histogram()

    def histogram_values(self) -> np.ndarray:
        """The values the histogram shows: the picked layer's outputs or its gradients.

        Returns:
            A flat float64 array of finite values (empty when there is nothing to show).
        """
        record, name = self.debugger.last_step, self.picker.value
        if record is None or name is None or name not in record.layers:
            return np.zeros(0)
        if self.source.value == "activations":
            parts = [record[name]["output"]]
        else:
            parts = [e["gradient"] for e in record.weights.values()
                     if e["layer"] == name and e["gradient"] is not None]
        from engine import nest  # noqa: PLC0415

        arrays = [np.asarray(t.numpy(), np.float64).ravel() for p in parts
                  for t in nest.flatten(p) if hasattr(t, "numpy")]
        flat = np.concatenate(arrays) if arrays else np.zeros(0)
        return flat[np.isfinite(flat)]

    def _render_histogram(self) -> None:
        values = self.histogram_values()
        with self.figure.batch_update():
            self.figure.data[0].x = values
            self.figure.layout.title.text = (f"{self.picker.value}: {self.source.value}"
                                             if self.picker.value else "")


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "(" + ",".join(str(d) for d in value) + ")"
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    return str(value)


def _html_table(columns, rows) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) +
                   "</tr>" for row in rows)
    return (f"<table style='font-family: monospace; font-size: 12px'><thead><tr>{head}"
            f"</tr></thead><tbody>{body}</tbody></table>")
