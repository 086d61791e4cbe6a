"""`profiler.overhead`: the measurement runs and its figures add up (tiny sizes)."""

import engine
from engine import hooks
from profiler import overhead


def test_measure_rows_are_consistent():
    rows = overhead.measure(seconds=0.01, repeats=1, layers=(8, 4, 3), batch=4)
    assert [r["workload"] for r in rows] == [
        "op matmul 32x32", "W2 step eager", "W2 step traced", "W2 fit (4 batches)",
        "W2 fit run_eagerly (4 batches)"]
    for r in rows:
        assert r["ops_per_call"] >= 1 and r["off_per_s"] > 0 and r["on_per_s"] > 0
        assert r["ratio"] == r["on_per_s"] / r["off_per_s"]
    assert rows[0]["ops_per_call"] == 1
    # The eager tape step runs every op; the traced one runs fewer, fused nodes.
    assert rows[1]["ops_per_call"] > rows[2]["ops_per_call"]
    text = overhead.format_rows(rows)
    assert text.count("\n") == len(rows) + 1 and "| W2 step traced |" in text
    assert hooks.listeners("op") == []


def test_tape_step_trains():
    step = overhead.tape_step((8, 4, 3), batch=16)
    first = float(step())
    for _ in range(30):
        last = float(step())
    assert last < first
    assert isinstance(engine.constant(last), engine.Tensor)
