"""`profiler.ProfileCallback`: the batch range, the trace file, and clean unsubscribing."""

import gzip
import json
import os

import numpy as np
import pytest

import engine
import profiler
from engine import hooks

keras = engine.keras


def _model(run_eagerly=False):
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(3, activation="relu", name="hidden"),
                              keras.layers.Dense(2, name="out")], name="net")
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", run_eagerly=run_eagerly)
    return model


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.random((n, 4), dtype=np.float32), rng.random((n, 2), dtype=np.float32)


class ListenerSpy(keras.callbacks.Callback):
    """Records, at each batch, how many op listeners are subscribed."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(len(hooks.listeners("op")))


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_profiles_exactly_the_range_across_epochs(run_eagerly):
    x, y = _data()  # 4 batches of 8 per epoch
    callback = profiler.ProfileCallback(batches=(3, 6))
    spy = ListenerSpy()
    _model(run_eagerly).fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[callback, spy])
    prof = callback.profile
    assert not prof.recording
    assert [s["name"] for s in prof.steps()] == ["batch 3", "batch 4", "batch 5", "batch 6"]
    # Batch 6's end hook stops the profile before the spy's hook of that batch runs.
    assert spy.seen == [0, 0, 1, 1, 1, 0, 0, 0]
    assert hooks.listeners("op") == []
    assert all(e["step"] is not None for e in prof.events())
    per_step = [sum(e["step"] == s["index"] and e["op"] == "MatMul" and
                    e["scope"] == "net/hidden" for e in prof.events())
                for s in prof.steps()]
    assert per_step == [1, 1, 1, 1]
    assert callback.trace_path is None


def test_writes_the_trace_to_log_dir(tmp_path):
    x, y = _data()
    callback = profiler.ProfileCallback(batches=2, log_dir=tmp_path)
    _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    path = callback.trace_path
    assert path.startswith(str(tmp_path / "plugins" / "profile"))
    assert path.endswith(".trace.json.gz")
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    ops = [e for e in data["traceEvents"] if e.get("cat") == "op"]
    assert len(ops) == len(callback.profile.events()) > 0
    assert [e["name"] for e in data["traceEvents"] if e.get("cat") == "step"] == ["batch 2"]
    assert len(os.listdir(os.path.dirname(path))) == 1


def test_fit_ending_inside_the_range_stops_the_profile():
    x, y = _data()
    callback = profiler.ProfileCallback(batches=(3, 100))
    _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    assert [s["name"] for s in callback.profile.steps()] == ["batch 3", "batch 4"]
    assert not callback.profile.recording and hooks.listeners("op") == []


def test_range_never_reached_warns():
    x, y = _data()
    callback = profiler.ProfileCallback(batches=(10, 20))
    with pytest.warns(UserWarning, match="fit ran 4 batches"):
        _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    assert callback.profile is None


def test_close_after_fit_raised():
    x, y = _data()

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("boom")

    callback = profiler.ProfileCallback(batches=(2, 4))
    with pytest.raises(RuntimeError, match="boom"):
        _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback, Boom()])
    try:
        assert callback.profile.recording  # fit raised: no hook stopped it
    finally:
        callback.close()
    assert hooks.listeners("op") == []
    assert [s["name"] for s in callback.profile.steps()] == ["batch 2", "batch 3"]


def test_a_second_fit_starts_a_new_profile():
    x, y = _data()
    model = _model()
    callback = profiler.ProfileCallback(batches=(1, 1))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    first = callback.profile
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    assert callback.profile is not first
    assert [s["name"] for s in callback.profile.steps()] == ["batch 1"]


@pytest.mark.parametrize("batches, expected", [(5, (5, 5)), ("2,7", (2, 7)), ([1, 3], (1, 3))])
def test_batch_range_forms(batches, expected):
    callback = profiler.ProfileCallback(batches=batches)
    assert (callback.start_batch, callback.stop_batch) == expected


@pytest.mark.parametrize("batches", [0, (5, 2), (1, 2, 3), "a,b", (1.5, 2), True, None])
def test_bad_batch_ranges(batches):
    with pytest.raises(ValueError, match="batches="):
        profiler.ProfileCallback(batches=batches)


def test_bad_max_events():
    with pytest.raises(ValueError, match="max_events=0"):
        profiler.ProfileCallback(max_events=0)
