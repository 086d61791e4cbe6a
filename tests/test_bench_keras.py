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
import harness as H  # noqa: E402
import workloads as W  # noqa: E402


@pytest.fixture
def tiny(monkeypatch):
    """A few hundred samples per workload and one short block per figure."""
    for attr, value in (("REPEATS", 1), ("BLOCK_SECONDS", 1e-4), ("WARMUP_STEPS", 1),
                        ("MIN_STEPS_PER_BLOCK", 1), ("W7_SAMPLES", 200), ("W7_BATCH", 100),
                        ("W3_POOL_BATCHES", K.LOSS_STEPS), ("W4_POOL_BATCHES", K.LOSS_STEPS)):
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
    assert [(r.name, r.unit, r.reference_label) for r in rows] == [
        ("W2 fit", "samples/s", "hand NumPy step x 128"),
        ("W2 fit", "samples/s", "NumPy GEMM-only x 128"),
        ("W2 fit run_eagerly", "samples/s", "hand NumPy step x 128"),
        ("W3 fit", "steps/s", "NumPy GEMM-only"), ("W3 fit", "steps/s", "hand NumPy step"),
        ("W3 fit", "steps/s", "TF graph (tf.function)"),
        ("W4 fit", "steps/s", "NumPy GEMM-only"), ("W4 fit", "steps/s", "hand NumPy step"),
        ("W4 fit", "steps/s", "PyTorch eager (fused LSTM)"),
        ("W4 fit unfolded", "steps/s", "NumPy GEMM-only"),
        ("W6 fit", "samples/s", "hand NumPy step x 32"),
        ("W7 predict", "samples/s", "NumPy GEMM-only"),
        ("W7 predict", "samples/s", "hand NumPy forward")]
    peer_rows = [r for r in rows if r.reference_label.startswith(("TF", "PyTorch"))]
    for row in rows:
        assert row.engine > 0, row.name
        if row in peer_rows:  # the peers run only from bench_engine.py, when installed
            assert row.reference is None and row.verdict == "n/a", row.name
        else:
            assert row.reference > 0 and row.verdict in ("PASS", "MISS", ""), row.name
    assert [r.target for r in rows] == [0.85, None, 0.6, 0.95, None, 1.0, 0.85, None, 1.0,
                                        None, 0.25, 0.9, None]
    samples["tensorflow:W3 graph"] = [samples["engine:W3 fit"][0] / 2]  # as bench_engine adds
    (w3_tf,) = [r for r in K.rows(samples, errors) if r.reference_label.startswith("TF")]
    assert w3_tf.ratio == pytest.approx(2.0) and w3_tf.verdict == "PASS"
    lines = K.report_lines(losses)
    assert len(lines) == 5 and not any("DIFFER" in line for line in lines), lines
    assert "W2 fit agree; W2 fit run_eagerly agree" in lines[0]
    assert "W3 fit agree" in lines[1] and "W4 fit agree" in lines[2]
    assert losses["W7 predict max rel diff"][0] < 1e-5
    # an epoch is one fit call over the workload's batches: steps/s is epochs/s x batches
    assert len(samples["engine:W3 fit"]) == len(samples["numpy:Keras W3 GEMM-only"]) == 1


def test_fit_data_are_the_peers(tiny):
    x, y = K.w2_fit_data(2048)
    (bx, by), (cx, cy) = W.w2_batches()[0], W.w2_batches()[1]
    assert x.dtype == W.DTYPE and y.dtype.name == "int32"
    assert (x[:128] == bx).all() and (x[128:256] == cx).all()
    assert (y[:128] == by).all() and (y[128:256] == cy).all()
    x6, y6 = K.w6_fit_data(W.W6_POOL_BATCHES * W.W6_BATCH)
    b6x, b6y = W.w6_batches()[0]
    assert (x6[:32] == b6x).all() and (y6[:32] == b6y).all() and y6.shape[1] == 1


def test_w3_and_w4_models_start_from_the_suites_weights_and_losses():
    cnn = K.w3_model(engine)
    assert [w.shape for w in cnn.get_weights()] == [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,),
                                                   (1600, 10), (10,)]
    assert all((a == b).all() for a, b in zip(cnn.get_weights(), W.cnn_params()))
    lstm = K.w4_model(engine)
    cell = lstm.layers[1].cell
    emb, wx, wh, b, _, _ = W.lstm_params()
    assert (cell.kernel.numpy() == wx).all() and (cell.recurrent_kernel.numpy() == wh).all()
    assert (cell.bias.numpy() == b).all() and (lstm.get_weights()[0] == emb).all()
    # the first losses equal the hand NumPy steps' (same weights, same batches)
    for model, step, batches in ((cnn, K.R.w3_step(), W.w3_batches()),
                                 (lstm, K.R.w4_step(), W.w4_batches())):
        for x, y in batches[:2]:
            assert float(model.train_on_batch(x, y)) == pytest.approx(step(), rel=1e-5)


def test_pooled_joins_the_batches_in_order():
    x, y = K.pooled(W.w4_batches())
    assert x.shape == (W.W4_POOL_BATCHES * W.W4_BATCH, W.W4_SEQ) and x.dtype.name == "int32"
    assert (x[W.W4_BATCH:2 * W.W4_BATCH] == W.w4_batches()[1][0]).all()
    assert (y[-W.W4_BATCH:] == W.w4_batches()[-1][1]).all()


def test_sides_take_turns():
    calls = []
    sides = {"numpy": (lambda: calls.append("numpy"), 10),
             "engine": (lambda: calls.append("engine"), 10)}
    rates = H.interleaved_rates(sides, repeats=2, block_s=1e-9)
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


def test_only_the_named_workloads_run(tiny, capsys):
    samples, losses, errors = {}, {}, {}
    K.measure(engine, samples, losses, errors, names=["W3"])
    assert {key.split(":")[1] for key in samples} == {
        "W3 fit", "Keras W3 hand step", "Keras W3 GEMM-only"}
    with pytest.raises(SystemExit):
        K.main(["--workloads", "W3,W9"])
    assert "unknown ['W9']" in capsys.readouterr().err


def test_op_profile_names_the_ops_of_a_traced_cnn_step(tiny):
    fit_ms, gemm_ms, table = K.op_profile(engine, "W3", epochs=1)
    calls = {(op, shapes[0]): n for op, shapes, n, _ in table}
    # with compiled kernels, conv_pool_fusion runs the first layer as one node each way
    first = "ConvMaxPool" if engine.graph.cpu_jit.enabled() else "Conv2D"
    assert calls[(first, (64, 28, 28, 1))] == calls[("Conv2D", (64, 13, 13, 32))] == 1
    assert calls[("Conv2DBackpropInput", (3, 3, 32, 64))] == 1  # none for the input images
    assert sum(n for (op, _), n in calls.items() if op == "MaxPoolGrad") == (
        1 if first == "ConvMaxPool" else 2)
    times = [ms for *_, ms in table]
    assert times == sorted(times, reverse=True)
    # medians of single kernels need not add up to under the median step on a busy machine
    assert min(times) >= 0 and sum(times) > 0 and fit_ms > 0 and gemm_ms > 0


def test_profile_lines_show_each_big_op_and_the_rest(monkeypatch):
    table = [("Conv2D", ((64, 28, 28, 1), (3, 3, 1, 32)), 1.0, 4.0),
             ("Fused", ((3, 3),), 8.0, 0.02)]
    monkeypatch.setattr(K, "op_profile", lambda eng, name: (10.0, 8.0, table))
    lines = K.profile_lines(engine, ["W3"])
    assert "fit step with the op listener 10.00 ms, in op kernels 4.02 ms" in lines[1]
    assert "GEMM-only step 8.00 ms" in lines[1]
    assert lines[3].split() == ["W3", "Conv2D", "(64,", "28,", "28,", "1)", "(3,", "3,", "1,",
                                "32)", "1.0", "4.000", "40.0%"]
    assert lines[4].split() == ["W3", "other", "ops", "0.020", "0.2%"]  # under 0.5 %
