"""`ControlBar`: the dashboard's Pause/Resume, Step, Stop buttons and run_eagerly toggle.

The handlers only send commands to the `TrainingController`; they may run on
`jupyter-ui-poll`'s thread while the cell's thread waits for the poll, so they touch no
other widget. The dashboard redraws the bar (`sync`) on its own thread after each poll
that changed the controller.
"""

from __future__ import annotations

import ipywidgets

from widgets.controller import TrainingController

__all__ = ["ControlBar"]

_LIVE = ("running", "paused", "stepping")


class ControlBar:
    """Buttons that pause, step, stop and switch the execution mode of a running `fit`.

    - **Pause / Resume**: pauses after the current batch; Resume continues.
    - **Step** (while paused): runs exactly one batch, then pauses again.
    - **Stop**: ends `fit` after the current batch (`model.stop_training`), keeping the
      weights and the history.
    - **run_eagerly**: switches `model.run_eagerly` from the next batch on.

    Buttons are disabled when clicks cannot reach the running `fit` (`live=False`): on
    ipykernel 7, say, where the kernel handles them only after the cell.

    Args:
        controller: the `TrainingController` the buttons command.

    Example:
        >>> from widgets.controller import TrainingController
        >>> controller = TrainingController(clock=lambda: 0.0)
        >>> bar = ControlBar(controller)
        >>> controller.train_begin(epochs=1, steps=10, run_eagerly=False)
        >>> bar.sync()
        >>> bar.pause_button.click()
        >>> controller.state
        'paused'
        >>> bar.sync()
        >>> bar.pause_button.description, bar.step_button.disabled
        ('Resume', False)
    """

    def __init__(self, controller: TrainingController):
        self.controller = controller
        layout = ipywidgets.Layout(width="auto")
        self.pause_button = ipywidgets.Button(description="Pause", icon="pause", layout=layout,
                                              tooltip="Pause after the current batch")
        self.step_button = ipywidgets.Button(description="Step", icon="step-forward",
                                             layout=layout,
                                             tooltip="While paused: run exactly one batch")
        self.stop_button = ipywidgets.Button(description="Stop", icon="stop", layout=layout,
                                             button_style="danger",
                                             tooltip="End fit after the current batch, "
                                                     "keeping weights and history")
        self.eager_toggle = ipywidgets.ToggleButton(
            value=False, description="run_eagerly", icon="bug", layout=layout,
            tooltip="Run train_step eagerly (op by op) from the next batch on")
        self.pause_button.on_click(self._on_pause)
        self.step_button.on_click(self._on_step)
        self.stop_button.on_click(self._on_stop)
        self.eager_toggle.observe(self._on_eager, names="value")
        self._syncing = False
        self.live = True
        self.widget = ipywidgets.HBox([self.pause_button, self.step_button, self.stop_button,
                                       self.eager_toggle])
        for widget, name in ((self.pause_button, "pause"), (self.step_button, "step"),
                             (self.stop_button, "stop"), (self.eager_toggle, "run-eagerly")):
            widget.add_class(f"eagerlab-{name}")  # stable hooks for browser tests and CSS
        self.sync()

    def sync(self) -> None:
        """Sets the buttons' labels and enabled states from the controller's state.

        Example:
            >>> from widgets.controller import TrainingController
            >>> bar = ControlBar(TrainingController(clock=lambda: 0.0))
            >>> bar.sync()
            >>> bar.stop_button.disabled  # nothing to stop before fit
            True
        """
        state = self.controller.state if self.live else "idle"
        paused = state in ("paused", "stepping")
        self._syncing = True
        try:
            self.pause_button.description = "Resume" if paused else "Pause"
            self.pause_button.icon = "play" if paused else "pause"
            self.pause_button.disabled = state not in _LIVE
            self.step_button.disabled = state != "paused"
            self.stop_button.disabled = state not in _LIVE
            self.eager_toggle.disabled = state not in _LIVE
            wanted = self.controller.pending_run_eagerly
            if wanted is None:
                wanted = self.controller.run_eagerly
            self.eager_toggle.value = bool(wanted)
        finally:
            self._syncing = False

    def _on_pause(self, _button) -> None:
        if self.controller.state == "running":
            self.controller.pause()
        else:
            self.controller.resume()

    def _on_step(self, _button) -> None:
        self.controller.step()

    def _on_stop(self, _button) -> None:
        self.controller.stop()

    def _on_eager(self, change) -> None:
        if not self._syncing:
            self.controller.request_run_eagerly(change["new"])
