"""`WidgetView`: the dashboard as ipywidgets and one plotly `FigureWidget`.

Layout, top to bottom: epoch and batch progress bars with counts; a status line (ETA,
throughput, step time, learning rate, graph or eager); the latest metric values; the
controls; a note when clicks cannot reach the running cell; the charts.

The whole view is one `DashboardBox` (a `VBox`) displayed once per `fit`. Its parts carry
CSS classes for browser tests: `eagerlab-dashboard`, `eagerlab-epoch-progress`,
`eagerlab-batch-progress`, `eagerlab-status`, `eagerlab-metrics`, `eagerlab-note`,
`eagerlab-charts` (plotly draws `svg.main-svg` inside), and the buttons `eagerlab-pause`,
`eagerlab-step`, `eagerlab-stop`, `eagerlab-run-eagerly`. `render`
changes widget values in place: ipywidgets sends only the traits that changed, and the
figure's traces change in one `batch_update`. The box's plain-text repr is the
dashboard's repr (`TrainingDashboard(epochs=0/3, batches=0, state=running)`), which is
what a notebook stores as the output's `text/plain` and what nbval compares.
"""

from __future__ import annotations

import contextlib
import html

import ipywidgets

from widgets.charts import add_traces, build_figure, chart_panels, update_figure
from widgets.controller import TrainingController
from widgets.controls import ControlBar
from widgets.formatting import metrics_line, status_line

__all__ = ["WidgetView", "DashboardBox"]


class DashboardBox(ipywidgets.VBox):
    """A `VBox` whose plain-text repr is its owner's (stable, for saved notebooks).

    Args:
        owner: the object whose `repr` the box shows as text.
        **kwargs: passed to `ipywidgets.VBox`.

    Example:
        >>> box = DashboardBox("a dashboard")
        >>> repr(box)
        "'a dashboard'"
    """

    def __init__(self, owner, **kwargs):
        super().__init__(**kwargs)
        self._owner = owner

    def __repr__(self) -> str:
        return repr(self._owner)


class WidgetView:
    """The live dashboard: progress bars, status, controls and charts, updated in place.

    Args:
        owner: the dashboard (its repr is the box's text).
        controller: the `TrainingController` to show and command.
        note: a line shown under the controls (e.g. why clicks wait for the cell's end).

    Example:
        >>> from widgets.controller import TrainingController
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> view = WidgetView("dashboard", controller)
        >>> controller.train_begin(epochs=2, steps=10)
        >>> controller.epoch_begin(0)
        >>> controller.batch_end(0, {"loss": 0.5})
        >>> view.render()
        >>> view.batch_bar.value, view.batch_bar.max, view.epoch_text.value
        (1, 10, '1/2')
    """

    def __init__(self, owner, controller: TrainingController, note: str = ""):
        self.controller = controller
        self.renders = 0
        self.used = False
        self.epoch_bar = ipywidgets.IntProgress(value=0, min=0, max=1, description="epoch",
                                                bar_style="info")
        self.epoch_text = ipywidgets.Label()
        self.batch_bar = ipywidgets.IntProgress(value=0, min=0, max=1, description="batch")
        self.batch_text = ipywidgets.Label()
        self.status = ipywidgets.Label()
        self.metrics = ipywidgets.HTML()  # wraps, unlike a Label, for many metrics
        self.note = ipywidgets.HTML(_note_html(note))
        self.controls = ControlBar(controller)
        self.figure = None
        self._titles = None
        self._specs = []
        bars = ipywidgets.HBox([self.epoch_bar, self.epoch_text, self.batch_bar,
                                self.batch_text])
        self._chart_slot = ipywidgets.Box(layout=ipywidgets.Layout(width="100%"))
        self.box = DashboardBox(owner, children=[bars, self.status, self.metrics,
                                                 self.controls.widget, self.note,
                                                 self._chart_slot])
        # CSS classes: stable hooks for browser tests (and user styles).
        for widget, name in ((self.box, "dashboard"), (self.epoch_bar, "epoch-progress"),
                             (self.batch_bar, "batch-progress"), (self.status, "status"),
                             (self.metrics, "metrics"), (self.note, "note"),
                             (self._chart_slot, "charts")):
            widget.add_class(f"eagerlab-{name}")

    def set_events(self, live: bool, note: str) -> None:
        """Says whether clicks reach the running `fit`; shows `note` under the controls.

        Args:
            live: False disables the controls (clicks would wait for the cell's end).
            note: why not ("" hides the note).
        """
        self.controls.live = live
        self.note.value = _note_html(note)
        self.controls.sync()

    def render(self) -> None:
        """Shows the controller's current progress, values, controls and charts.

        Each widget sends one message for all its changed values (`hold_sync`); values
        that did not change send nothing.
        """
        self.renders += 1
        widgets = (self.epoch_bar, self.epoch_text, self.batch_bar, self.batch_text,
                   self.status, self.metrics, self.controls.pause_button,
                   self.controls.step_button, self.controls.stop_button,
                   self.controls.eager_toggle)
        with contextlib.ExitStack() as held:
            for widget in widgets:
                held.enter_context(widget.hold_sync())
            self._render_values()
        self._render_charts()

    def _render_values(self) -> None:
        progress = self.controller.progress()
        epochs = progress.epochs or max(progress.epoch, 1)
        self.epoch_bar.max = max(epochs, 1)
        self.epoch_bar.value = min(progress.epochs_done, self.epoch_bar.max)
        self.epoch_text.value = f"{progress.epoch}/{progress.epochs or '?'}"
        steps = progress.steps or max(progress.batch, 1)
        self.batch_bar.max = max(steps, 1)
        self.batch_bar.value = min(progress.batch, self.batch_bar.max)
        self.batch_text.value = f"{progress.batch}/{progress.steps or '?'}"
        self.epoch_bar.bar_style = _bar_style(progress.state)
        self.status.value = f"{progress.state} - {status_line(progress)}"
        self.metrics.value = f"<span style='font-family: monospace'>" \
            f"{html.escape(metrics_line(progress))}</span>"
        self.controls.sync()

    def _render_charts(self) -> None:
        panels = chart_panels(self.controller)
        if self.figure is not None and [p.title for p in panels] == self._titles:
            self._specs = add_traces(self.figure, panels, self._specs, self.controller)
            update_figure(self.figure, self._specs, self.controller)
            return
        if not panels:
            return  # nothing to draw yet: no empty figure
        # A new panel (a metric seen for the first time): a new figure replaces the old.
        old = self.figure
        self.figure, _, self._specs = build_figure(self.controller, live=True)
        self._titles = [p.title for p in panels]
        self._chart_slot.children = [self.figure]
        if old is not None:
            old.close()


def _bar_style(state: str) -> str:
    return {"running": "info", "stepping": "info", "paused": "warning", "stopping": "danger",
            "stopped": "danger", "finished": "success"}.get(state, "")


def _note_html(note: str) -> str:
    return f"<small><i>{note}</i></small>" if note else ""
