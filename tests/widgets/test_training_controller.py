"""`TrainingController` and `Throttle`: the state machine, timing, and bounded history."""

import tracemalloc

import pytest

from tests.widgets.fakes import FakeClock
from widgets.controller import STATES, TrainingController
from widgets.throttle import Throttle


def started(epochs=2, steps=10, clock=None):
    controller = TrainingController(max_points=100, clock=clock or FakeClock())
    controller.train_begin(epochs=epochs, steps=steps, run_eagerly=False)
    controller.epoch_begin(0)
    return controller


def run_batches(controller, clock, n, seconds=0.1, start=0):
    for batch in range(start, start + n):
        controller.batch_begin(batch)
        clock.advance(seconds)
        controller.batch_end(batch, {"loss": 1.0 / (batch + 1)}, learning_rate=0.01)


# state -> command -> (applies, next state)
TRANSITIONS = {
    "idle": {"pause": (False, "idle"), "resume": (False, "idle"), "step": (False, "idle"),
             "stop": (False, "idle")},
    "running": {"pause": (True, "paused"), "resume": (False, "running"),
                "step": (False, "running"), "stop": (True, "stopping")},
    "paused": {"pause": (False, "paused"), "resume": (True, "running"),
               "step": (True, "stepping"), "stop": (True, "stopping")},
    "stepping": {"pause": (True, "stepping"), "resume": (True, "running"),
                 "step": (False, "stepping"), "stop": (True, "stopping")},
    "stopping": {"pause": (False, "stopping"), "resume": (False, "stopping"),
                 "step": (False, "stopping"), "stop": (False, "stopping")},
}


def in_state(state):
    controller = TrainingController(clock=FakeClock())
    if state != "idle":
        controller.train_begin(epochs=1, steps=5)
    if state in ("paused", "stepping"):
        controller.pause()
    if state == "stepping":
        controller.step()
    if state == "stopping":
        controller.stop()
    assert controller.state == state
    return controller


@pytest.mark.parametrize("state, command", [(s, c) for s in TRANSITIONS for c in TRANSITIONS[s]])
def test_transition_table(state, command):
    controller = in_state(state)
    applies, after = TRANSITIONS[state][command]
    assert getattr(controller, command)() is applies
    assert controller.state == after
    assert controller.state in STATES


def test_step_runs_one_batch_then_pauses_again():
    clock = FakeClock()
    controller = started(clock=clock)
    run_batches(controller, clock, 2)
    assert controller.pause() and controller.waiting
    assert controller.step() and not controller.waiting
    run_batches(controller, clock, 1, start=2)
    assert controller.state == "paused" and controller.batches_done == 3


def test_train_end_reports_stopped_or_finished():
    controller = started()
    controller.stop()
    controller.train_end()
    assert controller.state == "stopped"
    controller = started()
    controller.pause()
    controller.train_end()
    assert controller.state == "finished"
    assert not controller.stop()  # commands after the end are ignored


def test_run_eagerly_requests_are_taken_once_and_mode_changes_recorded():
    controller = started()
    assert controller.request_run_eagerly(True)
    assert controller.pending_run_eagerly is True
    assert controller.take_run_eagerly_request() is True
    assert controller.take_run_eagerly_request() is None
    controller.batch_begin(0, run_eagerly=False)
    controller.batch_end(0, {})
    controller.batch_begin(1, run_eagerly=True)
    controller.batch_end(1, {})
    assert controller.eager_changes == [(1, True)]
    assert controller.progress().run_eagerly is True
    idle = TrainingController(clock=FakeClock())
    assert not idle.request_run_eagerly(True)


def test_eta_and_throughput_leave_out_paused_time():
    clock = FakeClock()
    controller = started(epochs=2, steps=10, clock=clock)
    run_batches(controller, clock, 5, seconds=0.1)
    controller.pause()
    clock.advance(100.0)  # a long pause
    controller.resume()
    run_batches(controller, clock, 5, seconds=0.1, start=5)
    progress = controller.progress()
    assert progress.batches_per_second == pytest.approx(10.0)
    assert progress.eta == pytest.approx(10 * 0.1)  # one epoch of ten 0.1 s batches left
    assert progress.step_time == pytest.approx(0.1)
    assert controller.active_time() == pytest.approx(1.0)
    controller.samples_per_batch = 32
    assert controller.progress().samples_per_second == pytest.approx(320.0)


def test_unknown_steps_are_learned_from_the_first_epoch():
    clock = FakeClock()
    controller = started(epochs=3, steps=None, clock=clock)
    run_batches(controller, clock, 4)
    assert controller.progress().eta is None
    controller.epoch_end(0, {"loss": 0.5})
    controller.epoch_begin(1)
    run_batches(controller, clock, 1)
    assert controller.steps == 4
    assert controller.progress().eta == pytest.approx(0.1 * (3 + 4))


def test_history_holds_batches_epochs_learning_rate_and_step_time():
    clock = FakeClock()
    controller = started(clock=clock)
    run_batches(controller, clock, 3)
    controller.epoch_end(0, {"loss": 0.3, "val_loss": 0.4, "note": "skipped"})
    assert controller.batch_metrics["loss"].points()[1].tolist() == [1.0, 0.5, 1 / 3]
    assert controller.epoch_metrics["val_loss"].points()[0].tolist() == [3.0]
    assert "note" not in controller.epoch_metrics
    assert controller.learning_rate.count == 3 and controller.step_time.count == 3


def test_nonfinite_metrics_are_reported():
    controller = started()
    controller.batch_end(0, {"loss": 0.5})
    controller.batch_end(1, {"loss": float("nan")})
    assert controller.progress().nonfinite == {"loss": 2}


def test_memory_is_bounded_for_100k_batches():
    clock = FakeClock()
    controller = TrainingController(max_points=500, clock=clock)
    controller.train_begin(epochs=10, steps=10_000)
    logs = {"loss": 0.5, "accuracy": 0.25, "mae": 1.5}
    tracemalloc.start()
    sizes = []
    for epoch in range(10):
        controller.epoch_begin(epoch)
        for batch in range(10_000):
            controller.batch_begin(batch)
            clock.advance(0.001)
            logs["loss"] = 1.0 / (1 + batch)
            controller.batch_end(batch, logs, learning_rate=0.01)
        controller.epoch_end(epoch, dict(logs, val_loss=0.6))
        sizes.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    assert controller.batches_done == 100_000
    assert sizes[-1] - sizes[0] < 20_000, f"memory grew {sizes}"
    for series in [*controller.batch_metrics.values(), controller.learning_rate,
                   controller.step_time]:
        assert len(series.points()[0]) <= 500


def test_throttle_caps_the_rate():
    clock = FakeClock()
    throttle = Throttle(0.25, clock)
    allowed = 0
    for _ in range(10_000):  # ten seconds in 1 ms steps
        clock.advance(0.001)
        allowed += throttle.due()
    assert allowed == 40
    throttle.reset()
    assert throttle.due()
    with pytest.raises(ValueError, match="interval"):
        Throttle(-1)


def test_bad_max_points_fails_at_construction():
    with pytest.raises(ValueError, match="max_points"):
        TrainingController(max_points=2)


def test_resumed_training_counts_epochs_from_initial_epoch():
    clock = FakeClock()
    controller = TrainingController(clock=clock)
    controller.train_begin(epochs=10, steps=2)
    controller.epoch_begin(7)
    run_batches(controller, clock, 2)
    assert controller.progress().eta == pytest.approx(2 * 2 * 0.1)  # epochs 8 and 9 left
    controller.epoch_end(7, {"loss": 0.5})
    assert controller.progress().epoch == 8 and controller.epochs_done == 8
    assert repr(controller) == "TrainingController(state=running, epochs=8/10, batches=2)"
