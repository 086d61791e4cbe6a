"""Chrome trace export: structure, layer spans, the size cap, and atomic writes."""

import gzip
import json
import os

import numpy as np
import pytest

import engine
import profiler
from profiler import trace

keras = engine.keras


def _profile(steps=3):
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(3, activation="relu", name="hidden"),
                              keras.layers.Dense(2, name="out")], name="net")
    x = np.ones((8, 4), np.float32)
    model(x)
    with profiler.Profile() as prof:
        for _ in range(steps):
            prof.step()
            model(x)
    return prof


def _by_phase(events, phase, cat=None):
    return [e for e in events if e["ph"] == phase and (cat is None or e.get("cat") == cat)]


def test_trace_structure():
    prof = _profile()
    data = prof.chrome_trace()
    assert set(data) == {"traceEvents", "displayTimeUnit", "otherData"}
    events = data["traceEvents"]
    ops = _by_phase(events, "X", "op")
    assert len(ops) == len(prof.events())
    for e, r in zip(ops, prof.events()):
        assert e["name"] == r["op"]
        assert e["pid"] == os.getpid() and e["tid"] == r["thread"] + 1
        assert e["ts"] == pytest.approx(r["start_ns"] / 1000, abs=1e-3)
        assert e["dur"] == pytest.approx(r["dur_ns"] / 1000, abs=1e-3)
        assert e["args"]["layer"] == r["scope"]
        assert e["args"]["input_shapes"] == [list(s) for s in r["input_shapes"]]
        assert e["args"]["bytes"] == r["bytes"]
        assert e["args"]["step"] == prof.steps()[r["step"]]["name"]
    names = {(e["tid"], e["args"]["name"]) for e in _by_phase(events, "M")
             if e["name"] == "thread_name"}
    assert (trace.STEPS_TID, "steps") in names
    steps = _by_phase(events, "X", "step")
    assert [e["name"] for e in steps] == ["step 0", "step 1", "step 2"]
    assert all(e["tid"] == trace.STEPS_TID for e in steps)
    other = data["otherData"]
    assert other["aggregated"] is False and other["events_total"] == len(prof.events())
    assert other["steps"] == 3 and other["wall_us"] > 0
    for e in events:  # what the Trace Event Format requires of each phase
        assert isinstance(e["name"], str) and e["pid"] == os.getpid()
        if e["ph"] == "X":
            assert isinstance(e["tid"], int) and e["ts"] >= 0 and e["dur"] >= 0
        else:
            assert e["ph"] == "M" and isinstance(e["args"]["name"], str)
    json.dumps(data)  # plain data throughout


def test_layer_spans_enclose_their_ops():
    prof = _profile(steps=2)
    events = prof.chrome_trace()["traceEvents"]
    spans = _by_phase(events, "X", "layer")
    assert sorted({s["args"]["layer"] for s in spans}) == ["net", "net/hidden", "net/out"]
    assert sum(s["args"]["layer"] == "net" for s in spans) == 2  # one per step
    for op in _by_phase(events, "X", "op"):
        layer = op["args"]["layer"]
        enclosing = [s for s in spans if s["args"]["layer"] == layer
                     and s["ts"] <= op["ts"] and op["ts"] + op["dur"] <= s["ts"] + s["dur"]
                     + 1e-3]
        assert len(enclosing) == 1
    for inner in (s for s in spans if s["args"]["layer"] != "net"):
        assert any(outer["args"]["layer"] == "net" and outer["ts"] <= inner["ts"]
                   and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + 1e-3
                   for outer in spans)


@pytest.mark.parametrize("cap, per_step", [(10, True), (7, False)])
def test_size_cap_keeps_the_first_events_and_aggregates_the_rest(cap, per_step):
    prof = _profile(steps=4)  # 5 ops per step
    records = prof.events()
    data = prof.chrome_trace(max_events=cap)
    ops = _by_phase(data["traceEvents"], "X", "op")
    assert [e["ts"] for e in ops] == [
        pytest.approx(r["start_ns"] / 1000, abs=1e-3) for r in records[:cap]]
    summary = _by_phase(data["traceEvents"], "X", "summary")
    rest = records[cap:]
    assert sum(e["args"]["calls"] for e in summary) == len(rest)
    for e in summary:
        # 10 events beyond 10 make at most 10 groups per step; 13 beyond 7 would make 13
        # groups per step, more than the cap of 7, so they are grouped per op and layer.
        assert ("step" in e["args"]) == per_step
        group = [r for r in rest if r["op"] == e["args"]["op"]
                 and r["scope"] == e["args"]["layer"]
                 and (not per_step or prof.steps()[r["step"]]["name"] == e["args"]["step"])]
        assert e["args"]["calls"] == len(group)
        assert e["args"]["self_us"] == pytest.approx(sum(r["self_ns"] for r in group) / 1000,
                                                     abs=1e-3)
    other = data["otherData"]
    assert other["aggregated"] is True and other["events_in_full"] == cap
    assert other["events_aggregated"] == len(rest) and other["summary_events"] == len(summary)
    assert "aggregation" in other
    tracks = [e for e in data["traceEvents"] if e["ph"] == "M"
              and e["args"]["name"].startswith("aggregated")]
    assert len(tracks) == 1 and all(e["tid"] == tracks[0]["tid"] for e in summary)
    for bad in (0, True, 2.5):
        with pytest.raises(ValueError, match=f"max_events={bad}"):
            prof.chrome_trace(max_events=bad)


def test_export_writes_json_and_gzip(tmp_path):
    prof = _profile(steps=1)
    path = prof.export_chrome_trace(tmp_path / "sub" / "trace.json")
    with open(path) as f:
        plain = json.load(f)
    assert plain == json.loads(json.dumps(prof.chrome_trace()))
    gz = prof.export_chrome_trace(tmp_path / "trace.json.gz", max_events=None)
    with gzip.open(gz, "rt") as f:
        assert json.load(f)["otherData"]["events_total"] == len(prof.events())
    assert sorted(os.listdir(tmp_path)) == ["sub", "trace.json.gz"]


def test_export_is_atomic(tmp_path, monkeypatch):
    prof = _profile(steps=1)
    path = tmp_path / "trace.json"
    path.write_text("previous")
    calls = []
    real_dumps = json.dumps

    def failing_dumps(obj, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise OSError("disk full")
        return real_dumps(obj, **kwargs)

    monkeypatch.setattr(trace.json, "dumps", failing_dumps)
    with pytest.raises(OSError, match="disk full"):
        prof.export_chrome_trace(path)
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["trace.json"]  # no temporary file left behind


def test_memory_counter_events():
    x = engine.ones([4])
    with profiler.Profile(memory=True) as prof:
        _ = engine.exp(x)
    counters = _by_phase(prof.chrome_trace()["traceEvents"], "C")
    assert len(counters) == 1 and counters[0]["name"] == "traced memory"
    assert counters[0]["args"]["bytes"] == prof.events()[0]["memory_bytes"]
    assert prof.chrome_trace()["otherData"]["peak_memory_bytes"] == prof.memory()["peak_bytes"]
