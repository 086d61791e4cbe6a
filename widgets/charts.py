"""The dashboard's plotly charts: one panel per metric, plus learning rate and step time.

Each panel draws a metric per batch (the running result of the epoch, as Keras reports
it), per epoch, and its `val_` twin, on one x axis: the global batch number, with epoch
results placed at their epoch's last batch. `chart_panels` decides the panels from what a
`TrainingController` has recorded; `build_figure` draws them as a `go.Figure` (static) or
a `go.FigureWidget` (live, one widget for all panels, so one plotly.js view and one
message per update); `add_traces` adds traces that appear later (validation results
after the first epoch) to the same figure, and `update_figure` refreshes a live one in a
single `batch_update`.

plotly's JavaScript is not embedded per figure: `FigureWidget` is an anywidget whose
code the frontend loads once. Notebooks should be saved without widget state (see
`widgets.dashboard`), which would otherwise embed it in every saved output.
"""

from __future__ import annotations

from dataclasses import dataclass

from widgets.controller import TrainingController

__all__ = ["TraceSpec", "Panel", "chart_panels", "build_figure", "add_traces", "update_figure"]

_LEARNING_RATE_KEYS = ("lr", "learning_rate")
_BATCH_COLOR, _VALIDATION_COLOR = "#1f77b4", "#ff7f0e"
_RATE_COLOR, _STEP_COLOR = "#2ca02c", "#9467bd"
PANEL_HEIGHT = 260


@dataclass(frozen=True)
class TraceSpec:
    """One line of a panel: where its points come from and how it looks.

    Attributes:
        name: the legend entry ("train (batch)", "validation", ...).
        source: "batch", "epoch", "learning_rate" or "step_time".
        key: the metric's name in the source (None for learning_rate and step_time).
        color: a CSS color.
        mode: plotly's scatter mode ("lines" or "lines+markers").
        scale: a factor applied to y (1000 shows seconds as milliseconds).

    Example:
        >>> TraceSpec("validation", "epoch", "val_loss", "#ff7f0e", "lines+markers").key
        'val_loss'
    """

    name: str
    source: str
    key: str | None
    color: str
    mode: str
    scale: float = 1.0

    def points(self, controller: TrainingController):
        """The trace's (x, y) arrays from a controller's history.

        Args:
            controller: the `TrainingController` holding the history.

        Returns:
            `(x, y)` NumPy arrays (empty while nothing was recorded).

        Example:
            >>> controller = TrainingController(clock=lambda: 0.0)
            >>> controller.train_begin(epochs=1, steps=1)
            >>> controller.batch_end(0, {"loss": 0.5})
            >>> TraceSpec("train", "batch", "loss", "blue", "lines").points(controller)
            (array([1.]), array([0.5]))
        """
        series = _series(controller, self.source, self.key)
        x, y = series.points()
        return x, (y * self.scale if self.scale != 1.0 else y)


@dataclass(frozen=True)
class Panel:
    """One subplot: a title and its traces.

    Attributes:
        title: the subplot's title (the metric's name).
        traces: its `TraceSpec`s.

    Example:
        >>> Panel("loss", ()).title
        'loss'
    """

    title: str
    traces: tuple


def chart_panels(controller: TrainingController) -> list[Panel]:
    """The panels for what a controller has recorded: each metric, learning rate, step time.

    `loss` comes first; `val_x` joins `x`'s panel; learning rate and step time come last.

    Args:
        controller: a `TrainingController`.

    Returns:
        A list of `Panel`s (empty before the first batch).

    Example:
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> controller.train_begin(epochs=1, steps=1)
        >>> controller.batch_begin(0)
        >>> controller.batch_end(0, {"loss": 0.5, "accuracy": 0.8}, learning_rate=0.01)
        >>> controller.epoch_end(0, {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6})
        >>> [(p.title, [t.name for t in p.traces]) for p in chart_panels(controller)]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('loss', ['train (batch)', 'train (epoch)', 'validation']),
         ('accuracy', ['train (batch)', 'train (epoch)']),
         ('learning rate', ['per batch']), ('step time (ms)', ['per batch'])]
    """
    families = []
    for key in list(controller.batch_metrics) + list(controller.epoch_metrics):
        family = key[4:] if key.startswith("val_") else key
        if family not in families and family not in _LEARNING_RATE_KEYS:
            families.append(family)
    if "loss" in families:
        families.remove("loss")
        families.insert(0, "loss")
    panels = []
    for family in families:
        traces = []
        if family in controller.batch_metrics:
            traces.append(TraceSpec("train (batch)", "batch", family, _BATCH_COLOR, "lines"))
        if family in controller.epoch_metrics:
            traces.append(TraceSpec("train (epoch)", "epoch", family, _BATCH_COLOR,
                                    "lines+markers"))
        if f"val_{family}" in controller.epoch_metrics:
            traces.append(TraceSpec("validation", "epoch", f"val_{family}", _VALIDATION_COLOR,
                                    "lines+markers"))
        panels.append(Panel(family, tuple(traces)))
    rate = []
    if controller.learning_rate.count:
        rate.append(TraceSpec("per batch", "learning_rate", None, _RATE_COLOR, "lines"))
    rate += [TraceSpec(f"per epoch ({key})", "epoch", key, _RATE_COLOR, "lines+markers")
             for key in _LEARNING_RATE_KEYS if key in controller.epoch_metrics]
    if rate:
        panels.append(Panel("learning rate", tuple(rate)))
    if controller.step_time.count:
        panels.append(Panel("step time (ms)", (TraceSpec(
            "per batch", "step_time", None, _STEP_COLOR, "lines", scale=1e3),)))
    return panels


def build_figure(controller: TrainingController, live: bool = False):
    """Draws the controller's history: a static `go.Figure` or a live `go.FigureWidget`.

    Args:
        controller: a `TrainingController`.
        live: return a `FigureWidget` (needs anywidget) that `update_figure` refreshes.

    Returns:
        `(figure, panels, specs)`: the figure, the `Panel`s it draws, and one `TraceSpec`
        per trace of `figure.data`, in order.

    Example:
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> controller.train_begin(epochs=1, steps=1)
        >>> controller.batch_end(0, {"loss": 0.5})
        >>> figure, panels, specs = build_figure(controller)
        >>> [trace.name for trace in figure.data]
        ['train (batch)']
    """
    import plotly.graph_objects as go  # noqa: PLC0415 - an optional dependency
    from plotly.subplots import make_subplots  # noqa: PLC0415

    panels = chart_panels(controller)
    rows = max((len(panels) + 1) // 2, 1)
    cols = 2 if len(panels) > 1 else 1
    figure = make_subplots(rows=rows, cols=cols, subplot_titles=[p.title for p in panels],
                           horizontal_spacing=0.08, vertical_spacing=0.3 / rows)
    for i, panel in enumerate(panels):
        figure.update_xaxes(title_text="batch" if i >= len(panels) - cols else None,
                            row=i // cols + 1, col=i % cols + 1)
        if panel.title in ("learning rate", "step time (ms)"):
            # From zero up: a constant learning rate would otherwise sit in the middle of
            # a -1..1 axis and read as 0.
            figure.update_yaxes(rangemode="tozero", exponentformat="e",
                                row=i // cols + 1, col=i % cols + 1)
    figure.update_layout(height=PANEL_HEIGHT * rows, margin={"l": 50, "r": 20, "t": 40, "b": 80},
                         template="plotly_white",
                         legend={"orientation": "h", "yanchor": "top", "y": -0.25 / rows},
                         uirevision="eagerlab")  # keeps the user's zoom across updates
    if live:
        # One FigureWidget per dashboard: each one sends plotly's JavaScript bundle (about
        # 5 MB) to the browser when created, so later traces are added, not redrawn.
        figure = go.FigureWidget(figure)
    specs = add_traces(figure, panels, [], controller)
    return figure, panels, specs


def add_traces(figure, panels: list[Panel], specs: list, controller: TrainingController
               ) -> list:
    """Adds to `figure` the traces of `panels` that `specs` lacks (validation, say).

    Args:
        figure: a figure from `build_figure` with the same panels.
        panels: the panels, as `chart_panels` returns them now.
        specs: the `TraceSpec`s already drawn, in trace order.
        controller: the `TrainingController` with the data.

    Returns:
        The specs of all traces, in trace order.

    Example:
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> controller.train_begin(epochs=1, steps=1)
        >>> controller.batch_end(0, {"loss": 0.5})
        >>> figure, panels, specs = build_figure(controller)
        >>> controller.epoch_end(0, {"loss": 0.5, "val_loss": 0.7})
        >>> specs = add_traces(figure, chart_panels(controller), specs, controller)
        >>> [trace.name for trace in figure.data]
        ['train (batch)', 'train (epoch)', 'validation']
    """
    import plotly.graph_objects as go  # noqa: PLC0415

    specs = list(specs)
    cols = 2 if len(panels) > 1 else 1
    legend = {spec.name for spec in specs}
    for i, panel in enumerate(panels):
        for spec in panel.traces:
            if spec in specs:
                continue
            x, y = spec.points(controller)
            group = spec.name if spec.source in ("batch", "epoch") else panel.title
            figure.add_trace(go.Scatter(
                x=x, y=y, name=spec.name, mode=spec.mode, legendgroup=group,
                showlegend=group not in legend and spec.source in ("batch", "epoch"),
                line={"color": spec.color, "width": 1 if spec.mode == "lines" else 2},
                opacity=0.6 if spec.mode == "lines" and spec.source == "batch" else 1.0,
                marker={"size": 5}), row=i // cols + 1, col=i % cols + 1)
            legend.add(group)
            specs.append(spec)
    return specs


def update_figure(figure, specs: list, controller: TrainingController) -> None:
    """Sets every trace of a live figure from the controller's history, in one message.

    Args:
        figure: a `FigureWidget` from `build_figure(..., live=True)`.
        specs: its traces' `TraceSpec`s, in order.
        controller: the `TrainingController`.

    Example:
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> controller.train_begin(epochs=1, steps=2)
        >>> controller.batch_end(0, {"loss": 0.5})
        >>> figure, panels, specs = build_figure(controller)
        >>> controller.batch_end(1, {"loss": 0.25})
        >>> update_figure(figure, specs, controller)
        >>> figure.data[0].y.tolist()
        [0.5, 0.25]
    """
    with figure.batch_update():
        for trace, spec in zip(figure.data, specs):
            trace.x, trace.y = spec.points(controller)


def _series(controller: TrainingController, source: str, key: str | None):
    if source == "batch":
        return controller.batch_metrics[key]
    if source == "epoch":
        return controller.epoch_metrics[key]
    return getattr(controller, source)
