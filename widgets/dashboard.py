"""`TrainingDashboard`: watch and steer `fit` live in the notebook cell that runs it.

    model.fit(x, y, epochs=5, verbose=0, callbacks=[widgets.TrainingDashboard()])

shows progress bars for epochs and batches with ETA and throughput, plotly charts of every
loss and metric per batch and per epoch (train and validation on the same axes), the
learning rate and the step time, and four controls: Pause/Resume, Step (one batch while
paused), Stop (ends `fit` after the current batch, keeping weights and history) and a
run_eagerly toggle (graph or eager execution from the next batch on). `fit` still blocks
and returns its `History`.

How the controls reach a busy cell: a kernel handles widget events only between cells,
so the dashboard polls them between batches with `jupyter-ui-poll` (at most every
`poll_interval` seconds; while paused it polls in a loop with a short sleep). That is
verified with ipykernel 6 in JupyterLab 4 (and, in the tests, by sending a kernel the
comm messages a click produces); frontends on the same kernel work the same way. On
ipykernel 7 clicks wait until the cell ends: the buttons are disabled there, with a note
saying why. A `fit` on a background thread needs no polling (the kernel is idle).
Everything a button does is also a method (`pause()`, `step()`, `stop()`, `resume()`),
callable from other callbacks.

What it costs: each batch records a few floats into bounded min/max-bucketed series
(`widgets.history`: at most `max_points` points per series whatever the length of the
run; the full per-epoch record is Keras' `History`) and reads the clock. The view is
redrawn at most once per `update_interval` seconds (4 per second), in place: one widget
displayed once, no printing, no `clear_output`.

Saving notebooks: save them without widget state (JupyterLab: Settings > Save Widget
State Automatically, off; nbconvert: `--ExecutePreprocessor.store_widget_state=False`,
or strip `metadata.widgets`). With widget state, each plotly `FigureWidget` stores its
JavaScript in the file (megabytes); without it, a reopened notebook shows the dashboard's
text repr as of the end of `fit`, e.g. `TrainingDashboard(epochs=5/5, batches=80, state=finished)`.

Google Colab: enable third-party widgets once per session (one line), then use it as
anywhere else:

    from google.colab import output; output.enable_custom_widget_manager()

VS Code: its Jupyter extension renders ipywidgets and plotly's FigureWidget, and button
clicks travel the same comm channel to the kernel, so the same code path runs. Where a
front end cannot draw third-party widgets (no widget manager), the output shows the text
repr instead of the widget, and `EAGERLAB_WIDGETS=static` switches to the text view with
charts at the end. Neither Colab nor VS Code was tried from this project's CI: only
JupyterLab 4 is tested in a real browser (tests/browser).

Outside a notebook, or with `EAGERLAB_WIDGETS=static`, it prints text instead
(`widgets.static`): progress lines (unless `fit`'s own progress bar is on) and, at the
end, text charts; `figure()` draws the charts with plotly.
"""

from __future__ import annotations

import time
import warnings

from engine.keras.callbacks import Callback
from widgets.controller import TrainingController
from widgets.environment import NoEventPoller, choose_mode, in_kernel, make_poller
from widgets.throttle import Throttle

__all__ = ["TrainingDashboard"]


class TrainingDashboard(Callback):
    """A Keras callback that shows `fit` live in the notebook, with controls.

    See the module docstring for what it shows, how the controls work while the cell is
    busy, how to save notebooks, and the Colab setup line.

    Args:
        batch_size: samples per batch, for throughput in samples/s (default: taken from
            the model's loss tracker, which counts samples).
        mode: "widgets", "static" or "auto" (default: the `EAGERLAB_WIDGETS` environment
            variable, else "auto": widgets inside a Jupyter kernel, text elsewhere).
        update_interval: the least seconds between two redraws (0.25: 4 per second).
        max_points: the most points kept per chart series.
        poll_interval: the least seconds between two polls for clicks while training, and
            the sleep between polls while paused.
        clock: a function returning seconds (tests pass a fake clock).
        sleep: the function that sleeps while paused (tests pass a fake one).
        poller: what delivers clicks during `fit` (default: chosen by environment; tests
            pass one that clicks buttons).
        stream: where the text view writes (default `sys.stdout`).

    Raises:
        ValueError: for an unknown `mode` or a bad `max_points`.
        ImportError: for `mode="widgets"` without ipywidgets, plotly or anywidget.

    Example:
        >>> import io
        >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
        >>> out = io.StringIO()
        >>> dashboard = TrainingDashboard(mode="static", stream=out)
        >>> history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[dashboard])
        >>> dashboard
        TrainingDashboard(epochs=2/2, batches=4, state=finished)
        >>> out.getvalue().splitlines()[0]  # doctest: +ELLIPSIS
        'epoch 1/2 - 2/2 batches - ... - loss: ...'
    """

    def __init__(self, batch_size: int | None = None, mode: str | None = None,
                 update_interval: float = 0.25, max_points: int = 2000,
                 poll_interval: float = 0.05, clock=time.perf_counter, sleep=time.sleep,
                 poller=None, stream=None):
        super().__init__()
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"TrainingDashboard: batch_size must be a positive int or None; "
                             f"got batch_size={batch_size!r}.")
        self.mode = choose_mode(mode)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.controller = TrainingController(max_points=max_points, clock=clock)
        self._render_throttle = Throttle(update_interval, clock)
        self._poll_throttle = Throttle(poll_interval, clock)
        self._sleep = sleep
        self._given_poller = poller
        self._poller = NoEventPoller("")
        self._stream = stream
        self._view = None
        self._text = None
        self._rendered_revision = None
        self._displayed = False
        self._handle = None  # the display handle of the live view (updated at the end)
        self._warned_pause = False

    # --- the controls, in code ------------------------------------------------------------
    @property
    def state(self) -> str:
        """The controller's state: idle, running, paused, stepping, stopping, stopped or
        finished."""
        return self.controller.state

    def pause(self) -> bool:
        """Pauses after the current batch, like the Pause button.

        Returns:
            Whether it applied (only while running).

        Example:
            >>> TrainingDashboard(mode="static").pause()  # not training
            False
        """
        return self.controller.pause()

    def resume(self) -> bool:
        """Continues after a pause, like the Resume button.

        Returns:
            Whether it applied (only while paused).

        Example:
            >>> TrainingDashboard(mode="static").resume()
            False
        """
        return self.controller.resume()

    def step(self) -> bool:
        """Runs one batch while paused, like the Step button.

        Returns:
            Whether it applied (only while paused).

        Example:
            >>> TrainingDashboard(mode="static").step()
            False
        """
        return self.controller.step()

    def stop(self) -> bool:
        """Ends `fit` after the current batch, like the Stop button.

        Returns:
            Whether it applied (only while training).

        Example:
            >>> TrainingDashboard(mode="static").stop()
            False
        """
        return self.controller.stop()

    def figure(self):
        """The charts of the last `fit` as a static plotly `Figure` (for docs and reports).

        Returns:
            A `plotly.graph_objects.Figure`.

        Raises:
            ImportError: if plotly is not installed.

        Example:
            >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> import io
            >>> dashboard = TrainingDashboard(mode="static", stream=io.StringIO())
            >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), batch_size=2, verbose=0,
            ...               callbacks=[dashboard])
            >>> [trace.name for trace in dashboard.figure().data][:2]
            ['train (batch)', 'train (epoch)']
        """
        from widgets.charts import build_figure  # noqa: PLC0415

        return build_figure(self.controller, live=False)[0]

    @property
    def view(self):
        """The `WidgetView` (widgets mode, after the first `fit` or display), else None."""
        return self._view

    def __repr__(self) -> str:
        c = self.controller
        epochs = "?" if c.epochs is None else c.epochs
        return (f"TrainingDashboard(epochs={c.epochs_done}/{epochs}, batches={c.batches_done}, "
                f"state={c.state})")

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.mode != "widgets":
            return {"text/plain": repr(self)}
        view = self._ensure_view(fresh=False)
        self._displayed = True
        return view.box._repr_mimebundle_(include=include, exclude=exclude)

    # --- Keras hooks ----------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        """Starts following `fit`: shows the dashboard and starts polling for clicks."""
        c = self.controller
        c.train_begin(self.params.get("epochs"), self.params.get("steps"),
                      run_eagerly=_run_eagerly(self.model))
        c.samples_per_batch = self.batch_size or self.params.get("batch_size")
        self._rendered_revision = None
        self._render_throttle.reset()
        self._poll_throttle.reset()
        self._poller = self._given_poller or make_poller(self.mode)
        if self.mode == "widgets":
            view = self._ensure_view(fresh=True)
            view.set_events(self._poller.live, self._poller.reason)
            self._display(view)
        else:
            verbose = self.params.get("verbose", 0)
            from widgets.static import TextView  # noqa: PLC0415

            self._text = TextView(self._stream, show_progress=not verbose,
                                  clock=self.controller.clock)
            self._text.train_begin(c.progress())
        try:
            self._poller.open()
        except Exception as error:  # noqa: BLE001 - a broken poller must not break fit
            self._poller = NoEventPoller(f"polling for clicks failed ({error}); the controls "
                                         "act after the cell")
            if self._view is not None:
                self._view.set_events(False, self._poller.reason)
        self._render()

    def on_epoch_begin(self, epoch, logs=None):
        """Notes the epoch."""
        self.controller.epoch_begin(epoch)
        if self._text is not None:
            self._text.epoch_begin(self.controller.progress())

    def on_train_batch_begin(self, batch, logs=None):
        """Starts the batch's timer and notes its execution mode."""
        self.controller.batch_begin(batch, run_eagerly=_run_eagerly(self.model))

    def on_train_batch_end(self, batch, logs=None):
        """Records the batch, redraws if due, handles clicks (and waits while paused)."""
        self.controller.batch_end(batch, logs, learning_rate=self._learning_rate())
        self._between_batches()

    def on_epoch_end(self, epoch, logs=None):
        """Records the epoch's results (validation included)."""
        self.controller.epoch_end(epoch, logs)
        if self._text is not None:
            self._text.epoch_end(self.controller.progress())
        elif self._render_throttle.due():
            self._render()

    def on_train_end(self, logs=None):
        """Shows the final state, stops polling, and (text view) prints the report."""
        self.controller.train_end()
        self._poller.close()
        if self._text is not None:
            self._text.train_end(self.controller, repr(self))
        else:
            self._render()
            self._show_final_text()

    def _show_final_text(self) -> None:
        """Re-sends the displayed output so that its text form (what a saved notebook, GitHub
        or nbval shows) is the final state, not the one from when `fit` began."""
        handle = getattr(self, "_handle", None)
        if handle is not None and self._view is not None:
            handle.update(self._view.box)

    # --- between batches ----------------------------------------------------------------
    def _between_batches(self) -> None:
        c = self.controller
        if c.revision != self._rendered_revision:
            self._render()  # a step just ended: show "paused" before the next click
        if self._poller.live and self._poll_throttle.due():
            self._poll()
        if self._render_throttle.due() or c.revision != self._rendered_revision:
            self._estimate_samples_per_batch()
            self._render()
        if c.waiting and not self._poller.live:
            self._cannot_pause()
        while c.waiting:
            self._sleep(self.poll_interval)
            self._poll()
            if c.revision != self._rendered_revision:
                self._render()
        if c.stop_requested and self.model is not None:
            self.model.stop_training = True
        request = c.take_run_eagerly_request()
        if request is not None and self.model is not None:
            self.model.run_eagerly = request

    def _poll(self) -> None:
        try:
            self._poller.poll()
        except Exception as error:  # noqa: BLE001 - keep training; say why controls stop
            self._poller.close()
            self._poller = NoEventPoller(f"polling for clicks failed ({error}); the controls "
                                         "act after the cell")
            if self._view is not None:
                self._view.set_events(False, self._poller.reason)

    def _cannot_pause(self) -> None:
        reason = self._poller.reason or "no widget events reach this process"
        if not self._warned_pause:
            warnings.warn(f"TrainingDashboard: cannot pause here ({reason}); training "
                          "continues.", stacklevel=4)
            self._warned_pause = True
        self.controller.resume()

    def _render(self) -> None:
        self._rendered_revision = self.controller.revision
        if self._view is not None and self.mode == "widgets":
            self._view.render()
        elif self._text is not None:
            self._text.update(self.controller.progress())

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None:
            return None
        try:
            return float(rate)
        except (TypeError, ValueError):
            return None

    def _estimate_samples_per_batch(self) -> None:
        """Samples per batch from the loss tracker (a `Mean` counting samples), if any.

        Read at redraws only, and only between train batches: `fit` resets the tracker
        at each epoch's start and for validation, so `count / batches` is this epoch's
        mean batch size.
        """
        c = self.controller
        if self.batch_size or self.params.get("batch_size") or not c.batch:
            return
        try:
            tracker = self.model.metrics[0]
            if tracker.name == "loss" and getattr(tracker, "count", None) is not None:
                c.samples_per_batch = float(tracker.count) / c.batch
        except (AttributeError, IndexError, TypeError, ValueError, RuntimeError):
            pass

    # --- the view -------------------------------------------------------------------------
    def _ensure_view(self, fresh: bool):
        """The widget view; with `fresh`, a new one unless the current one is unused."""
        if self._view is None or (fresh and self._view.used):
            from widgets.view import WidgetView  # noqa: PLC0415 - needs ipywidgets

            self._view = WidgetView(self, self.controller)
            self._displayed = False
        if fresh:
            self._view.used = True
        return self._view

    def _display(self, view) -> None:
        if self._displayed or not in_kernel():
            return
        from IPython.display import display  # noqa: PLC0415

        self._handle = display(view.box, display_id=True)
        self._displayed = True


def _run_eagerly(model) -> bool | None:
    value = getattr(model, "run_eagerly", None)
    return None if value is None else bool(value)
