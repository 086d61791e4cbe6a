"""`TrainingDashboard`'s text fallback and how it picks a mode."""

import io
import re

import numpy as np
import pytest

from engine import keras
from tests.widgets.fakes import FakeClock, FakeModel, run_fit
from widgets import TrainingDashboard, environment
from widgets.static import TextView, text_chart


def text_dashboard(clock=None, **kwargs):
    clock = clock or FakeClock()
    out = io.StringIO()
    board = TrainingDashboard(mode="static", clock=clock, sleep=clock.sleep, stream=out,
                              **kwargs)
    return board, out


def test_text_output_format():
    clock = FakeClock()
    board, out = text_dashboard(clock, batch_size=8)
    run_fit(FakeModel(), [board], epochs=2, steps=4, clock=clock, step_seconds=0.5,
            loss=lambda epoch, batch: 1.0 / (1 + epoch * 4 + batch))
    lines = out.getvalue().splitlines()
    epoch_line = re.compile(r"epoch (\d)/2 - 4/4 batches - \d+s - 16 samples/s - 500\.0 ms/step"
                            r" - loss: \d\.\d{4} - accuracy: 0\.5000 - val_loss: \d\.\d{4}$")
    assert [epoch_line.match(line).group(1) for line in lines[:2]] == ["1", "2"]
    assert lines[2] == "TrainingDashboard(epochs=2/2, batches=8, state=finished)"
    assert re.fullmatch(r"time 4s - 16 samples/s - 500\.0 ms/step", lines[3])
    assert lines[4] == "loss  [. train (batch)  o train (epoch)  x validation]"
    chart = lines[4:14]
    assert chart[1].startswith("  1.0000 |.") and chart[8].startswith("  0.1250 +")
    assert chart[9].split() == ["1", "8"]
    assert "learning rate: 0.1000 (constant)" in lines
    assert not any("step time" in line for line in lines), "timings stay out of the charts"


def test_text_view_leaves_progress_to_fits_progress_bar():
    """With verbose != 0, fit's ProgbarLogger draws progress; the dashboard only reports."""
    x = np.ones((32, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    out = io.StringIO()
    board = TrainingDashboard(mode="static", stream=out)
    model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=2, callbacks=[board])
    text = out.getvalue()
    assert text.startswith("TrainingDashboard(epochs=2/2, batches=8, state=finished)\n")
    assert "epoch 1/2" not in text


def test_progress_lines_within_long_epochs_are_rare():
    clock = FakeClock()
    board, out = text_dashboard(clock)
    run_fit(FakeModel(), [board], epochs=1, steps=1000, clock=clock, step_seconds=0.1)
    lines = out.getvalue().splitlines()
    progress = [line for line in lines if "ETA" in line]
    # 100 s of batches: a line every 10 s (not on a terminal), none after the epoch line.
    assert 9 <= len(progress) <= 11
    assert re.match(r"epoch 1/1 \[=*\.*\] \d+/1000 - ETA \d+s - 10\.0 batches/s - "
                    r"100\.0 ms/step - loss: ", progress[-1])


def test_terminal_output_redraws_in_place():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    clock = FakeClock()
    out = Terminal()
    board = TrainingDashboard(mode="static", clock=clock, stream=out)
    run_fit(FakeModel(), [board], epochs=1, steps=100, clock=clock, step_seconds=0.1)
    first_line = out.getvalue().split("\n")[0]
    # 10 s of 0.1 s batches, redrawn when 0.25 s have passed (every third batch).
    assert first_line.count("\r") == 34 + 1
    assert first_line.split("\r")[-1].startswith("epoch 1/1 - 100/100 batches")


def test_stop_from_code_in_text_mode():
    class StopAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                board.stop()

    board, out = text_dashboard()
    history, ran = run_fit(FakeModel(), [StopAt(), board], epochs=3, steps=10)
    assert ran == 3 and board.state == "stopped"
    assert "TrainingDashboard(epochs=1/3, batches=3, state=stopped)" in out.getvalue()


def test_text_chart_draws_markers_at_scaled_positions():
    chart = text_chart("m", [("a", "o", [0, 10], [0.0, 1.0]), ("b", "x", [5], [0.5])],
                       width=11, height=3)
    assert chart.splitlines() == ["m  [o a  x b]",
                                  "  1.0000 |          o",
                                  "         |     x",
                                  "  0.0000 +o----------",
                                  "          0        10"]
    assert text_chart("m", [("a", "o", [1], [float("nan")])]).endswith("(no finite values)")


def test_report_without_batches():
    board, _ = text_dashboard()
    view = TextView(io.StringIO())
    assert view.report(board.controller, "t").splitlines() == ["t", "time 0s - ? samples/s - "
                                                               "? ms/step"]


# --- choosing the mode --------------------------------------------------------------------

def test_mode_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("EAGERLAB_WIDGETS", "static")
    assert TrainingDashboard().mode == "static"
    monkeypatch.setenv("EAGERLAB_WIDGETS", "widgets")
    assert TrainingDashboard().mode == "widgets"
    monkeypatch.setenv("EAGERLAB_WIDGETS", "")
    assert TrainingDashboard().mode == "static"  # auto, and this is no kernel
    monkeypatch.setattr(environment, "in_kernel", lambda: True)
    assert TrainingDashboard().mode == "widgets"
    monkeypatch.setenv("EAGERLAB_WIDGETS", "static")
    assert TrainingDashboard().mode == "static"  # forced, even in a kernel


def test_bad_modes_and_missing_packages_say_how_to_fix(monkeypatch):
    monkeypatch.setenv("EAGERLAB_WIDGETS", "fancy")
    with pytest.raises(ValueError, match="EAGERLAB_WIDGETS must be one of .* got 'fancy'"):
        TrainingDashboard()
    with pytest.raises(ValueError, match="mode must be one of"):
        TrainingDashboard(mode="html")
    real = environment.importlib.util.find_spec
    monkeypatch.setattr(environment.importlib.util, "find_spec",
                        lambda name: None if name == "anywidget" else real(name))
    with pytest.raises(ImportError, match=r"needs anywidget.*pip install 'eagerlab\[widgets\]'"):
        TrainingDashboard(mode="widgets")
    monkeypatch.setattr(environment, "in_kernel", lambda: True)
    assert TrainingDashboard(mode="auto").mode == "static"  # degrades instead of failing
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        TrainingDashboard(mode="static", batch_size=0)


def test_poller_choice_and_reasons(monkeypatch):
    assert not environment.make_poller("static").live
    assert "not in a Jupyter kernel" in environment.make_poller("widgets").reason
    monkeypatch.setattr(environment, "in_kernel", lambda: True)
    monkeypatch.setattr(environment, "_major_version", lambda package: 7)
    poller = environment.make_poller("widgets")
    assert not poller.live and "ipykernel>=6.29,<7" in poller.reason
    monkeypatch.setattr(environment, "_major_version", lambda package: 6)
    assert isinstance(environment.make_poller("widgets"), environment.KernelEventPoller)
    real = environment.importlib.util.find_spec
    monkeypatch.setattr(environment.importlib.util, "find_spec",
                        lambda name: None if name == "jupyter_ui_poll" else real(name))
    assert "jupyter-ui-poll is not installed" in environment.make_poller("widgets").reason
    import threading

    from_thread = []
    worker = threading.Thread(target=lambda: from_thread.append(
        environment.make_poller("widgets")))
    worker.start()
    worker.join()
    assert isinstance(from_thread[0], environment.IdleKernelPoller) and from_thread[0].live
