"""`TrainingDashboard` with its widget view, driven headless.

Clicks are real `Button.click()` / `ToggleButton.value` changes on the dashboard's
ipywidgets, made from a `ScriptedPoller` (where `jupyter-ui-poll` would deliver the
browser's clicks in a notebook). The widgets' Python-side values (progress bars, labels,
figure data) are what the browser would show.
"""

import numpy as np
import pytest

import engine
from engine import keras
from tests.widgets.fakes import FakeClock, FakeModel, ScriptedPoller, run_fit
from widgets import TrainingDashboard

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")


def dashboard(poller=None, clock=None, poll_interval=0.0, **kwargs):
    """A widget-mode dashboard on a fake clock; by default it polls after every batch."""
    clock = clock or FakeClock()
    return TrainingDashboard(mode="widgets", clock=clock, sleep=clock.sleep,
                             poller=poller or ScriptedPoller(), poll_interval=poll_interval,
                             **kwargs)


def controls(board):
    return board.view.controls


# --- widget state ----------------------------------------------------------------------

def test_view_shows_progress_values_and_charts():
    clock = FakeClock()
    board = dashboard(clock=clock, batch_size=32)
    history, ran = run_fit(FakeModel(), [board], epochs=2, steps=10, clock=clock)
    view = board.view
    assert (view.epoch_bar.value, view.epoch_bar.max, view.epoch_text.value) == (2, 2, "2/2")
    assert (view.batch_bar.value, view.batch_bar.max, view.batch_text.value) == (10, 10, "10/10")
    assert view.status.value.startswith("finished - ETA 0s - 3,200 samples/s - 10.0 ms/step")
    assert "lr 0.1000" in view.status.value and "graph" in view.status.value
    assert "loss: 0.1000" in view.metrics.value and "val_loss: 0.1100" in view.metrics.value
    names = sorted((trace.name, len(trace.x)) for trace in view.figure.data)
    assert names == [("per batch", 20), ("per batch", 20), ("train (batch)", 20),
                     ("train (batch)", 20), ("train (epoch)", 2), ("train (epoch)", 2),
                     ("validation", 2)]
    titles = [a.text for a in view.figure.layout.annotations]
    assert titles == ["loss", "accuracy", "learning rate", "step time (ms)"]
    assert history.history["loss"] == [0.1, 0.1] and ran == 20
    assert all(button.disabled for button in (controls(board).pause_button,
                                              controls(board).stop_button))
    assert "eagerlab-dashboard" in view.box._dom_classes  # hooks for the browser tests
    assert "eagerlab-stop" in controls(board).stop_button._dom_classes


def test_chart_points_grow_between_redraws():
    clock = FakeClock()
    seen = []
    board = dashboard(clock=clock)

    def script(poll):
        if board.view.figure is not None:
            seen.append(len(board.view.figure.data[0].x))

    board._given_poller = ScriptedPoller(script)
    run_fit(FakeModel(), [board], epochs=1, steps=200, clock=clock, step_seconds=0.02)
    assert seen[0] < seen[-1] < 200 == len(board.view.figure.data[0].x)
    assert sorted(seen) == seen and len(set(seen)) >= 10  # a redraw every 0.25 s of 4 s


def test_repr_is_stable_plain_text():
    board = dashboard()
    assert repr(board) == "TrainingDashboard(epochs=0/?, batches=0, state=idle)"
    bundle = board._repr_mimebundle_()
    assert bundle["text/plain"] == repr(board)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    run_fit(FakeModel(), [board], epochs=3, steps=4)
    assert repr(board) == "TrainingDashboard(epochs=3/3, batches=12, state=finished)"
    assert repr(board.view.box) == repr(board)


def test_one_view_per_fit_and_a_displayed_view_is_reused():
    board = dashboard()
    board._repr_mimebundle_()  # shown before fit, as `dashboard` in a cell
    shown = board.view
    run_fit(FakeModel(), [board], epochs=1, steps=2)
    assert board.view is shown
    run_fit(FakeModel(), [board], epochs=1, steps=2)
    assert board.view is not shown  # a second fit draws its own dashboard


# --- controls on a scripted loop -------------------------------------------------------

def test_pause_step_resume_with_buttons():
    clock = FakeClock()
    model = FakeModel()
    events = []

    def script(poll):
        bar = controls(board)
        batches = board.controller.batches_done
        if batches == 3 and board.state == "running":
            bar.pause_button.click()
            events.append(("paused at", batches))
        elif board.state == "paused" and len(events) < 4:
            assert bar.pause_button.description == "Resume"
            assert not bar.step_button.disabled
            events.append(("step at", batches))
            bar.step_button.click()
        elif board.state == "paused":
            bar.pause_button.click()  # Resume
            events.append(("resumed at", batches))

    board = dashboard(ScriptedPoller(script), clock=clock)
    _, ran = run_fit(model, [board], epochs=1, steps=10, clock=clock)
    assert events == [("paused at", 3), ("step at", 3), ("step at", 4), ("step at", 5),
                      ("resumed at", 6)]
    assert ran == 10 and board.state == "finished"


def test_stop_button_ends_the_loop_after_the_current_batch():
    clock = FakeClock()
    model = FakeModel()

    def script(poll):
        if board.controller.batches_done == 7:
            controls(board).stop_button.click()

    board = dashboard(ScriptedPoller(script), clock=clock)
    history, ran = run_fit(model, [board], epochs=3, steps=5, clock=clock)
    assert ran == 7 and model.stop_training
    assert board.state == "stopped" and len(history.history["loss"]) == 2


def test_stop_while_paused_runs_no_further_batch():
    clock = FakeClock()

    def script(poll):
        bar = controls(board)
        if board.controller.batches_done == 2 and board.state == "running":
            bar.pause_button.click()
        elif board.state == "paused":
            bar.stop_button.click()

    board = dashboard(ScriptedPoller(script), clock=clock)
    _, ran = run_fit(FakeModel(), [board], epochs=1, steps=10, clock=clock)
    assert ran == 2 and board.state == "stopped"


def test_run_eagerly_toggle_applies_from_the_next_batch():
    model = FakeModel(run_eagerly=False)

    def script(poll):
        toggle = controls(board).eager_toggle
        if board.controller.batches_done == 4 and not toggle.value:
            toggle.value = True
        elif board.controller.batches_done == 7 and toggle.value:
            toggle.value = False

    board = dashboard(ScriptedPoller(script), clock=FakeClock())
    run_fit(model, [board], epochs=1, steps=10)
    assert model.modes == [False] * 4 + [True] * 3 + [False] * 3
    assert board.controller.eager_changes == [(4, True), (7, False)]


def test_updates_and_polls_are_throttled():
    clock = FakeClock()
    poller = ScriptedPoller()
    board = dashboard(poller, clock=clock, poll_interval=0.05)
    run_fit(FakeModel(), [board], epochs=4, steps=1000, clock=clock, step_seconds=0.001)
    # 4 s of training at 4 redraws a second, plus the first and the last.
    assert 4 * 4 - 1 <= board.view.renders <= 4 * 4 + 2
    assert 4 * 20 - 1 <= poller.polls <= 4 * 20 + 1
    assert poller.opened == poller.closed == 1


def test_messages_to_the_browser_are_merged_and_capped(monkeypatch):
    """What reaches the frontend: a handful of comm messages per redraw, whatever the
    number of batches."""
    import comm

    sent = []
    monkeypatch.setattr(comm.DummyComm, "publish_msg",
                        lambda self, msg_type, data=None, *args, **kwargs: sent.append(
                            (msg_type, sorted((data or {}).get("state", {})))))
    clock = FakeClock()
    board = dashboard(clock=clock)
    run_fit(FakeModel(), [board], epochs=1, steps=500, clock=clock, step_seconds=0.001)
    sent.clear()
    run_fit(FakeModel(), [board], epochs=4, steps=1000, clock=clock, step_seconds=0.001)
    renders = board.view.renders
    assert renders <= 18
    updates = [state for kind, state in sent if kind == "comm_msg"]
    assert len(updates) <= 12 * renders, f"{len(updates)} messages for {renders} redraws"
    assert ["value"] in updates and ["_py2js_update"] in updates


def test_long_run_keeps_figures_and_memory_bounded():
    """100k batches: the charts, the history and the number of live objects stay flat."""
    import gc

    import plotly.graph_objects as go

    clock = FakeClock()
    board = dashboard(clock=clock, max_points=400)
    counts = {}

    class Census(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 9_999 and board.controller.epoch in (4, 9):
                gc.collect()
                objects = gc.get_objects()
                figures = sum(type(o) is go.FigureWidget for o in objects)  # no __class__ lookups
                counts[board.controller.epoch] = (len(objects), figures)

    model = FakeModel()
    model.modes = _Discard()  # the fake model would keep 100k entries
    _, ran = run_fit(model, [board, Census()], epochs=10, steps=10_000, clock=clock,
                     step_seconds=0.001)
    assert ran == 100_000
    assert all(len(trace.x) <= 400 for trace in board.view.figure.data)
    objects_early, figures_early = counts[4]  # well after the first redraws and imports
    objects_late, figures_late = counts[9]
    assert figures_late == figures_early  # validation traces joined the same figure
    assert objects_late - objects_early < 200, counts
    assert 390 <= board.view.renders <= 402  # 100 s of batches at 4 redraws a second


class _Discard:
    def append(self, value):
        pass


# --- where clicks cannot arrive ----------------------------------------------------------

def test_pause_without_live_events_warns_and_continues():
    from widgets.environment import NoEventPoller

    class PauseAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                board.pause()

    board = dashboard(NoEventPoller("no kernel here"))
    with pytest.warns(UserWarning, match="cannot pause here .no kernel here"):
        _, ran = run_fit(FakeModel(), [PauseAt(), board], epochs=1, steps=5)
    assert ran == 5 and board.state == "finished"


def test_controls_are_enabled_only_where_clicks_arrive():
    from widgets.environment import NoEventPoller

    enabled = []

    class Look(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            bar = controls(board)
            enabled.append(not (bar.stop_button.disabled or bar.pause_button.disabled
                                or bar.eager_toggle.disabled))

    board = dashboard(NoEventPoller("ipykernel 7 does not deliver clicks"))
    run_fit(FakeModel(), [board, Look()], epochs=1, steps=3)
    assert enabled == [False] * 3 and "ipykernel 7" in board.view.note.value
    board = dashboard()
    run_fit(FakeModel(), [board, Look()], epochs=1, steps=3)
    assert enabled[3:] == [True] * 3 and board.view.note.value == ""


def test_a_failing_poller_does_not_break_fit():
    def script(poll):
        raise RuntimeError("comm closed")

    board = dashboard(ScriptedPoller(script))
    _, ran = run_fit(FakeModel(), [board], epochs=1, steps=5)
    assert ran == 5
    assert "polling for clicks failed (comm closed)" in board.view.note.value


# --- a real model ----------------------------------------------------------------------

def small_model(**compile_kwargs):
    engine.random.set_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"],
                  **compile_kwargs)
    return model


def data(n=96):
    x = np.random.default_rng(0).normal(size=(n, 4)).astype("float32")
    return x, (x.sum(1, keepdims=True) > 0).astype("float32")


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_stop_during_a_real_fit_keeps_weights_and_returns_history():
    x, y = data()
    model = small_model()
    snapshot = {}

    def script(poll):
        if board.controller.batches_done == 5 and not snapshot:
            snapshot["weights"] = [w.copy() for w in model.get_weights()]
            controls(board).stop_button.click()

    board = dashboard(ScriptedPoller(script))
    counter = BatchCounter()
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, validation_split=0.25,
                        callbacks=[counter, board])
    assert counter.batches == 5  # epoch 1 has 72 / 16 -> 5 batches: ended with epoch 1
    assert history is model.history and list(history.history) == [
        "loss", "accuracy", "val_loss", "val_accuracy"]
    assert len(history.history["loss"]) == 1
    for kept, now in zip(snapshot["weights"], model.get_weights()):
        np.testing.assert_array_equal(kept, now)
    assert board.state == "stopped"
    assert board.view.status.value.startswith("stopped")


def test_stop_in_the_middle_of_an_epoch():
    x, y = data(160)
    model = small_model()

    def script(poll):
        if board.controller.batches_done == 13:
            controls(board).stop_button.click()

    board = dashboard(ScriptedPoller(script))
    counter = BatchCounter()
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[counter, board])
    assert counter.batches == 13 and len(history.history["loss"]) == 2


def test_step_runs_exactly_one_real_batch():
    x, y = data(160)
    model = small_model()
    counter = BatchCounter()
    trace = []

    def script(poll):
        bar = controls(board)
        if board.state == "running" and counter.batches == 3:
            bar.pause_button.click()
        elif board.state == "paused" and len(trace) < 3:
            trace.append(counter.batches)
            bar.step_button.click()
        elif board.state == "paused":
            trace.append(counter.batches)
            bar.pause_button.click()

    board = dashboard(ScriptedPoller(script))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[counter, board])
    assert trace == [3, 4, 5, 6]
    assert counter.batches == 20 and board.state == "finished"


class CountingLayer(keras.layers.Layer):
    """Counts how often its Python `call` runs: per batch eagerly, per trace in a graph."""

    calls = 0

    def call(self, inputs):
        CountingLayer.calls += 1
        return inputs


def test_run_eagerly_toggle_switches_a_real_fit_from_the_next_batch():
    x, y = data(160)
    engine.random.set_seed(0)
    model = keras.Sequential([keras.Input((4,)), CountingLayer(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # trace the graph once
    calls_per_batch = []

    class Calls(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            calls_per_batch.append(CountingLayer.calls)
            CountingLayer.calls = 0

    def script(poll):
        toggle = controls(board).eager_toggle
        if board.controller.batches_done == 3:
            toggle.value = True
        elif board.controller.batches_done == 6:
            toggle.value = False

    board = dashboard(ScriptedPoller(script))
    CountingLayer.calls = 0
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Calls(), board])
    assert calls_per_batch == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0]
    assert model.run_eagerly is False
    assert board.controller.eager_changes == [(3, True), (6, False)]


def test_samples_per_second_comes_from_the_loss_tracker():
    x, y = data(160)
    clock = FakeClock()

    class Tick(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            clock.advance(0.01)

    board = dashboard(clock=clock)
    small_model().fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Tick(), board])
    assert board.controller.samples_per_batch == pytest.approx(16.0)
    assert "1,600 samples/s" in board.view.status.value


def test_learning_rate_and_step_time_axes_start_at_zero():
    from widgets.charts import build_figure
    from widgets.controller import TrainingController

    controller = TrainingController(clock=lambda: 0.0)
    controller.train_begin(epochs=1, steps=2)
    controller.batch_end(0, {"loss": 0.5}, learning_rate=0.001)
    controller.batch_end(1, {"loss": 0.4}, learning_rate=0.001)
    figure, panels, _ = build_figure(controller)
    titles = [p.title for p in panels]
    index = titles.index("learning rate") + 1
    axis = figure.layout[f"yaxis{index if index > 1 else ''}"]
    assert axis.rangemode == "tozero"
