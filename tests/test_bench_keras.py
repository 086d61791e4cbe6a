"""The Keras benchmarks (benchmarks/bench_keras.py) run end to end on tiny data.

No timing is checked: the fit and predict workloads run with a few hundred samples and
one very short block per figure, and the tests check that every row is filled, that
Keras computes what the hand-written NumPy steps compute, that reference and engine
blocks take turns, and that a failing workload is reported without stopping the others.
"""

import json
import os
import sys

import pytest

import engine

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)

import bench_engine as B  # noqa: E402 - needs benchmarks/ on sys.path
import bench_keras as K  # noqa: E402
import workloads as W  # noqa: E402


@pytest.fixture
def tiny(monkeypatch):
    """A few hundred samples per workload and one short block per figure."""
    for attr, value in (("REPEATS", 1), ("BLOCK_SECONDS", 1e-4), ("WARMUP_STEPS", 1),
                        ("MIN_STEPS_PER_BLOCK", 1), ("W7_SAMPLES", 200), ("W7_BATCH", 100)):
        monkeypatch.setattr(W, attr, value)
    monkeypatch.setitem(W.GEMMS, "W7", ([(100, a, b, 2) for a, b in zip(W.W2_LAYERS,
                                                                        W.W2_LAYERS[1:])], []))
    monkeypatch.setattr(K, "W2_FIT_SAMPLES", 256)   # two batches of 128
    monkeypatch.setattr(K, "W6_FIT_SAMPLES", 96)    # three batches of 32


def test_every_keras_row_is_filled_and_matches_numpy(tiny):
    samples, losses, errors = {}, {}, {}
    K.measure(engine, samples, losses, errors)
    assert not errors
    rows = K.rows(samples, errors)
    assert [(r.name, r.reference_label) for r in rows] == [
        ("W2 fit", "hand NumPy step x 128"), ("W2 fit", "NumPy GEMM-only x 128"),
        ("W2 fit run_eagerly", "hand NumPy step x 128"), ("W6 fit", "hand NumPy step x 32"),
        ("W7 predict", "NumPy GEMM-only"), ("W7 predict", "hand NumPy forward")]
    for row in rows:
        assert row.engine > 0 and row.reference > 0, row.name
        assert row.verdict in ("PASS", "MISS", ""), row.name
    assert [r.target for r in rows] == [0.85, None, 0.6, 0.25, 0.9, None]
    lines = K.report_lines(losses)
    assert len(lines) == 3 and not any("DIFFER" in line for line in lines), lines
    assert "W2 fit agree; W2 fit run_eagerly agree" in lines[0]
    assert losses["W7 predict max rel diff"][0] < 1e-5


def test_fit_data_are_the_peers(tiny):
    x, y = K.w2_fit_data(2048)
    (bx, by), (cx, cy) = W.w2_batches()[0], W.w2_batches()[1]
    assert x.dtype == W.DTYPE and y.dtype.name == "int32"
    assert (x[:128] == bx).all() and (x[128:256] == cx).all()
    assert (y[:128] == by).all() and (y[128:256] == cy).all()
    x6, y6 = K.w6_fit_data(W.W6_POOL_BATCHES * W.W6_BATCH)
    b6x, b6y = W.w6_batches()[0]
    assert (x6[:32] == b6x).all() and (y6[:32] == b6y).all() and y6.shape[1] == 1


def test_sides_take_turns():
    calls = []
    sides = {"numpy": (lambda: calls.append("numpy"), 10),
             "engine": (lambda: calls.append("engine"), 10)}
    rates = K.interleaved_rates(sides, repeats=2, block_s=1e-9)
    # first call and calibration of each side, then one block of each in turn
    assert calls == ["numpy"] * 2 + ["engine"] * 2 + ["numpy", "engine"] * 2
    assert [len(v) for v in rates.values()] == [2, 2] and min(rates["numpy"]) > 0


def test_a_failing_workload_is_reported_and_the_others_run(tiny, monkeypatch, capsys):
    def broken(eng, samples, losses):
        raise RuntimeError("no such layer")

    monkeypatch.setattr(K, "MEASURES", {"W6": broken, "W7": K.measure_w7})
    samples, losses, errors = {}, {}, {}
    K.measure(engine, samples, losses, errors)
    assert errors == {"W6 fit": "RuntimeError: no such layer"}
    rows = {r.name: r for r in K.rows(samples, errors)}
    assert rows["W6 fit"].verdict == "n/a" and "no such layer" in rows["W6 fit"].note
    assert rows["W7 predict"].engine > 0
    assert "engine Keras W6 failed" in capsys.readouterr().out


def test_bench_engine_runs_the_keras_workload(tiny, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(K, "MEASURES", {"W6": K.measure_w6})
    out = tmp_path / "keras.json"
    B.main(["--workloads", "Keras", "--no-peers", "--json", str(out)])
    text = capsys.readouterr().out
    report = json.loads(out.read_text())
    rows = {r["name"]: r for r in report["rows"]}
    assert set(rows) == set(K.KERAS_ROWS)
    assert rows["W6 fit"]["engine"] > 0 and rows["W6 fit"]["target_text"] == ">= 0.25x"
    assert rows["W2 fit"]["engine"] is None   # not measured in this run
    assert "Keras train_on_batch losses 1-3 W6: NumPy" in text and "W6 fit agree" in text


def test_breakdown_names_each_layer_of_the_step(tiny):
    parts = dict(K.breakdown(engine, "W6", calls=2))
    assert list(parts) == ["hand NumPy step", "graph program alone",
                           "+ concrete function (wrap outputs)",
                           "+ engine.function call with (x, y)", "+ logs to floats",
                           "batches alone (shuffled slicing)", "whole fit epoch / steps"]
    assert all(us > 0 for us in parts.values())
