"""`profiler.Profile`: what it records (eager ops, graph nodes, layer paths), steps,
threads, memory, and that nothing stays subscribed."""

import threading

import numpy as np
import pytest

import engine
import profiler
from engine import context, hooks
from profiler.events import analyze

keras = engine.keras


def _model(run_eagerly=False):
    model = keras.Sequential([keras.Input(shape=(6,)),
                              keras.layers.Dense(5, activation="relu", name="hidden"),
                              keras.layers.Dense(3, name="out")], name="net")
    model.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=run_eagerly,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 6), dtype=np.float32),
            rng.integers(0, 3, size=n).astype(np.int32))


def test_records_eager_ops_with_every_field():
    a = engine.constant(np.ones((2, 3), np.float32))
    b = engine.constant(np.ones((3, 4), np.float32))
    with profiler.Profile() as prof:
        c = engine.matmul(a, b)
        d = engine.nn.relu(c)
    events = prof.events()
    assert [e["op"] for e in events] == ["MatMul", "Relu"]
    mm, relu = events
    assert mm["input_shapes"] == ((2, 3), (3, 4))
    assert mm["input_dtypes"] == ("float32", "float32")
    assert mm["bytes"] == c.numpy().nbytes == 32
    assert relu["bytes"] == d.numpy().nbytes
    assert mm["device"].endswith("CPU:0")
    assert mm["scope"] == ""
    assert mm["thread"] == relu["thread"] == 0
    assert 0 <= mm["start_ns"] <= mm["start_ns"] + mm["dur_ns"] <= relu["start_ns"]
    assert relu["start_ns"] + relu["dur_ns"] <= prof.time_split()["wall_ns"]
    assert mm["self_ns"] == mm["dur_ns"] and mm["step"] is None


def test_records_the_nodes_of_a_traced_function():
    @engine.function
    def f(x, w):
        return engine.reduce_sum(engine.matmul(x, w), axis=1)

    x = engine.constant(np.ones((4, 3), np.float32))
    w = engine.constant(np.ones((3, 2), np.float32))
    f(x, w)  # traced before profiling: the run alone is recorded
    with profiler.Profile() as prof:
        y = f(x, w)
    np.testing.assert_allclose(y.numpy(), np.full(4, 6.0))
    ops = [e["op"] for e in prof.events()]
    assert "MatMul" in ops and "Sum" in ops
    graph_types = {n.type for n in f.get_concrete_function(x, w).graph.nodes}
    assert set(ops) <= graph_types
    matmul = next(e for e in prof.events() if e["op"] == "MatMul")
    assert matmul["input_shapes"] == ((4, 3), (3, 2))
    assert matmul["bytes"] == 4 * 2 * 4


def test_nested_graph_events_count_once_in_self_time():
    @engine.function
    def loop(x):
        return engine.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0),
                                 (engine.constant(0), x))

    x = engine.ones([2])
    loop(x)
    with profiler.Profile() as prof:
        loop(x)
    events = prof.events()
    outer = next(e for e in events if e["op"] == "While")
    inner = [e for e in events if e is not outer
             and outer["start_ns"] <= e["start_ns"] < outer["start_ns"] + outer["dur_ns"]]
    assert sum(e["op"] == "Mul" for e in inner) == 3
    assert outer["self_ns"] == outer["dur_ns"] - sum(e["dur_ns"] for e in inner)
    split = prof.time_split()
    assert split["kernel_ns"] == sum(e["self_ns"] for e in events)
    assert split["kernel_ns"] < sum(e["dur_ns"] for e in events)


def test_self_time_of_synthetic_nested_events():
    def event(op, start, end, thread=1):
        return hooks.OpEvent(op=op, scope="", device="cpu", input_shapes=(), input_dtypes=(),
                             start_ns=start, end_ns=end, bytes_out=0, thread_id=thread)

    # While [0, 100) holds A [10, 20) and If [30, 80), which holds B [40, 50); C on thread 2
    # overlaps in time but is not nested.
    raw = [event("A", 10, 20), event("B", 40, 50), event("If", 30, 80), event("While", 0, 100),
           event("C", 5, 95, thread=2)]
    records, threads = analyze(raw, 0, 1, [0, 60], [60, 200])
    self_ns = {r["op"]: r["self_ns"] for r in records}
    assert self_ns == {"While": 100 - 10 - 50, "A": 10, "If": 50 - 10, "B": 10, "C": 90}
    assert threads == [1, 2]
    steps = {r["op"]: r["step"] for r in records}
    assert steps == {"While": 0, "A": 0, "If": 0, "B": 0, "C": 0}
    assert [r["op"] for r in records] == ["While", "C", "A", "If", "B"]


def test_layer_paths_of_an_eager_keras_model():
    model = _model()
    x, _ = _data()
    model(x)
    with profiler.Profile() as prof:
        model(x)
    scopes = {(e["op"], e["scope"]) for e in prof.events()}
    assert ("MatMul", "net/hidden") in scopes
    assert ("Relu", "net/hidden") in scopes
    assert ("MatMul", "net/out") in scopes
    layers = {r["layer"] for r in prof.by_layer()}
    assert {"net", "net/hidden", "net/out"} <= layers


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_layer_paths_in_fit(run_eagerly):
    model = _model(run_eagerly)
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # traces the step first
    with profiler.Profile() as prof:
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    forward = {e["op"] for e in prof.events() if e["scope"] == "net/hidden"}
    assert "MatMul" in forward
    assert any(e["scope"] == "net/out" for e in prof.events())
    assert sum(e["op"] == "MatMul" and e["scope"] == "net/hidden"
               for e in prof.events()) == 4  # one forward matmul per batch


def test_steps_split_time_and_own_their_ops():
    x = engine.ones([3])
    with profiler.Profile() as prof:
        _ = x + 1.0  # before the first step
        for k in range(3):
            prof.step(f"s{k}")
            for _ in range(k + 1):
                _ = engine.exp(x)
    steps = prof.steps()
    assert [s["name"] for s in steps] == ["s0", "s1", "s2"]
    assert [s["ops"] for s in steps] == [1, 2, 3]
    assert prof.events()[0]["step"] is None
    for s in steps:
        assert s["kernel_ns"] + s["overhead_ns"] == s["wall_ns"] == s["end_ns"] - s["start_ns"]
        own = [e for e in prof.events() if e["step"] == s["index"]]
        assert s["kernel_ns"] == sum(e["self_ns"] for e in own)
        assert all(s["start_ns"] <= e["start_ns"] < s["end_ns"] for e in own)
    assert steps[-1]["end_ns"] == prof.time_split()["wall_ns"]
    with pytest.raises(RuntimeError, match="not recording"):
        prof.step()


def test_default_step_names_and_time_split_totals():
    with profiler.Profile() as prof:
        for _ in range(2):
            prof.step()
            _ = engine.ones([4]) * 2.0
    assert [s["name"] for s in prof.steps()] == ["step 0", "step 1"]
    split = prof.time_split()
    assert split["kernel_ns"] + split["overhead_ns"] == split["wall_ns"]
    assert 0 < split["kernel_fraction"] < 1
    assert split["steps"] == prof.steps()


def test_ops_of_other_threads_get_their_own_index():
    x = engine.ones([2])

    def work():
        for _ in range(3):
            _ = engine.exp(x)

    with profiler.Profile() as prof:
        _ = engine.exp(x)
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    threads = [e["thread"] for e in prof.events()]
    assert threads.count(0) == 1 and threads.count(1) == 3
    split = prof.time_split()
    assert split["other_threads_kernel_ns"] == sum(
        e["self_ns"] for e in prof.events() if e["thread"] == 1)
    assert split["kernel_ns"] == prof.events()[0]["self_ns"]


def test_nothing_stays_subscribed():
    slow_before = context.GLOBAL.slow
    assert hooks.listeners("op") == []
    prof = profiler.Profile()
    assert hooks.listeners("op") == []  # created but not started: nothing subscribed
    with prof:
        assert len(hooks.listeners("op")) == 1
        assert context.GLOBAL.slow == slow_before + 1
    assert hooks.listeners("op") == []
    assert context.GLOBAL.slow == slow_before
    with pytest.raises(ZeroDivisionError), profiler.Profile():
        _ = 1 / 0
    assert hooks.listeners("op") == []
    assert context.GLOBAL.slow == slow_before


def test_profiling_off_emits_no_events(monkeypatch):
    """Zero overhead when off: with no profile, dispatch never builds an event."""
    built = []
    real = hooks.OpEvent
    monkeypatch.setattr(hooks, "OpEvent", lambda *a, **k: built.append(1) or real(*a, **k))
    x = engine.ones([3])
    with profiler.Profile():
        _ = engine.exp(x)
    assert built == [1]
    _ = engine.exp(x)
    _ = engine.function(lambda v: engine.exp(v) + 1.0)(x)
    assert built == [1]


def test_profile_records_once_and_needs_a_start():
    prof = profiler.Profile()
    with pytest.raises(RuntimeError, match="nothing recorded yet"):
        prof.events()
    assert repr(prof) == "<Profile (not started)>"
    x = engine.ones([2])
    with prof:
        _ = x + 1.0
        assert prof.recording and "recording" in repr(prof)
    assert not prof.recording
    assert repr(prof).startswith("<Profile: 1 ops on 1 thread(s), 0 steps")
    with pytest.raises(RuntimeError, match="create a new"):
        prof.start()
    prof.stop()  # idempotent
    with pytest.raises(TypeError, match="memory"):
        profiler.Profile(memory="yes")


def test_results_while_recording_then_frozen():
    x = engine.ones([2])
    with profiler.Profile() as prof:
        _ = engine.exp(x)
        assert len(prof.events()) == 1
        _ = engine.exp(x)
        assert len(prof.events()) == 2
    events = prof.events()
    _ = engine.exp(x)
    assert prof.events() is events and len(events) == 2


def test_memory_tracking_measures_the_peak():
    import tracemalloc

    was_tracing = tracemalloc.is_tracing()
    with profiler.Profile(memory=True) as prof:
        prof.step("big")
        big = engine.ones([500, 1000])  # 2 MB, dropped at the end of the step
        del big
        prof.step("small")
        small = engine.ones([10])
    assert tracemalloc.is_tracing() == was_tracing
    memory = prof.memory()
    assert memory["tracked"] and memory["peak_bytes"] >= 2_000_000
    big_step, small_step = prof.steps()
    assert big_step["peak_memory_bytes"] - big_step["memory_start_bytes"] >= 2_000_000
    assert small_step["peak_memory_bytes"] - small_step["memory_start_bytes"] < 100_000
    assert small_step["memory_start_bytes"] < 1_000_000  # the big tensor was freed
    assert all("memory_bytes" in e for e in prof.events())
    assert memory["bytes_produced"] == sum(e["bytes"] for e in prof.events())
    assert small.shape == (10,)


def test_memory_untracked_says_so():
    x = engine.ones([4])
    with profiler.Profile() as prof:
        _ = x + 1.0
    memory = prof.memory()
    assert memory["tracked"] is False and memory["peak_bytes"] is None
    assert "freed" in memory["method"]
    assert memory["bytes_produced"] == 16


def test_one_memory_profile_at_a_time():
    with profiler.Profile(memory=True):
        with pytest.raises(RuntimeError, match="another memory-tracking profile"):
            profiler.Profile(memory=True).start()
        with profiler.Profile() as plain:  # a profile without memory may nest
            _ = engine.ones([2])
    assert len(plain.events()) == 1
    assert hooks.listeners("op") == []
    with profiler.Profile(memory=True):  # the first one stopped: allowed again
        pass
