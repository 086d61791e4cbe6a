"""Keras models trained, evaluated and used for prediction on `/GPU:0`.

Each case builds a model on the CPU and the same model (same initial weights) inside
`engine.device("/GPU:0")`, fits both on the same batches, and compares the losses, the
metrics, the final weights and `predict`/`evaluate`; the GPU model's variables (optimizer
slots included) must live on the GPU. Two backends: the fake GPU of tests/fake_gpu.py
(always; NumPy kernels, so the numbers are identical and placement is what is tested) and
a real CUDA GPU through CuPy (marked `gpu`, skipped without one; its kernels round
differently, hence the tolerances).
"""

import numpy as np
import pytest

import engine
from engine.backend import devices

L = engine.keras.layers


def _rng():
    return np.random.default_rng(7)  # each model's data the same on every build


@pytest.fixture(params=["fake", pytest.param("cupy", marks=pytest.mark.gpu)])
def gpu_backend(request):
    """The backend behind `/GPU:0`: the fake one, or CuPy on a real GPU."""
    if request.param == "cupy":
        from engine.backend import cupy_backend

        yield cupy_backend
        return
    from tests.fake_gpu import FakeGPUBackend

    backend = FakeGPUBackend()
    devices._install_gpu_backend(backend)
    yield backend
    devices._install_gpu_backend(None)


def _mlp():
    model = engine.keras.Sequential([
        engine.keras.Input((20,)),
        L.Dense(32, activation="relu"),
        L.LayerNormalization(),
        L.Dense(16, activation="tanh", kernel_regularizer="l2"),
        L.Dense(4),
    ])
    x = _rng().standard_normal((48, 20)).astype(np.float32)
    return model, x, np.arange(48) % 4


def _cnn():
    model = engine.keras.Sequential([
        engine.keras.Input((10, 10, 2)),
        L.Conv2D(6, 3, activation="relu"),
        L.MaxPooling2D(),
        L.BatchNormalization(),
        L.DepthwiseConv2D(2, padding="same"),
        L.GlobalAveragePooling2D(),
        L.Dense(3),
    ])
    x = _rng().standard_normal((32, 10, 10, 2)).astype(np.float32)
    return model, x, np.arange(32) % 3


def _rnn():
    inputs = engine.keras.Input((7,), dtype="int32")
    hidden = L.Embedding(11, 8)(inputs)
    hidden = L.Bidirectional(L.LSTM(6, return_sequences=True))(hidden)
    hidden = L.GRU(5)(hidden)
    model = engine.keras.Model(inputs, L.Dense(3)(hidden))
    x = _rng().integers(0, 11, (32, 7)).astype(np.int32)
    return model, x, np.arange(32) % 3


def _compiled(build, run_eagerly):
    engine.random.set_seed(3)
    model, x, y = build()
    model.compile(
        optimizer=engine.keras.optimizers.Adam(0.01),
        loss=engine.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"], run_eagerly=run_eagerly)
    return model, x, y


def _on_device(backend, variable):
    # The fake backend's kernels are NumPy's, and many NumPy functions return plain
    # arrays for its array subclass: there the device a variable reports is what counts.
    native = backend.is_native(variable._value) or backend is not devices.cupy_backend
    return "GPU:0" in variable.device and native


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["traced", "eager"])
@pytest.mark.parametrize("build", [_mlp, _cnn, _rnn], ids=["mlp", "cnn", "rnn"])
def test_fit_evaluate_predict_on_the_gpu_match_the_cpu(gpu_backend, build, run_eagerly):
    exact = gpu_backend is not devices.cupy_backend
    cpu, x, y = _compiled(build, run_eagerly)
    start = cpu.get_weights()
    with engine.device("/GPU:0"):
        gpu, _, _ = _compiled(build, run_eagerly)
        gpu.set_weights(start)
        got = gpu.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        got_eval = gpu.evaluate(x, y, batch_size=16, verbose=0)
        got_pred = gpu.predict(x, batch_size=16, verbose=0)
    want = cpu.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    want_eval = cpu.evaluate(x, y, batch_size=16, verbose=0)
    want_pred = cpu.predict(x, batch_size=16, verbose=0)

    placed = [v for v in gpu.variables + gpu.optimizer.variables if not _on_device(gpu_backend, v)]
    assert not placed, f"variables off the GPU: {[v.name for v in placed]}"
    assert isinstance(got_pred, np.ndarray)
    # The fake GPU runs NumPy kernels, but not the CPU-only ones (compiled kernels, such as
    # the sparse cross-entropy's C-library exp and log, the CPU's convolution shortcuts):
    # last-bit differences, grown over 8 Adam steps to a few 1e-7 in small outputs.
    tol = {"rtol": 1e-6, "atol": 1e-6} if exact else {"rtol": 2e-4, "atol": 2e-5}
    np.testing.assert_allclose(got["loss"], want["loss"], **tol)
    if exact:  # argmax of nearly tied logits may flip under other rounding
        assert got["accuracy"] == want["accuracy"]
    np.testing.assert_allclose(got_eval, want_eval, **tol)
    loose = tol if exact else {"rtol": 1e-3, "atol": 1e-4}
    np.testing.assert_allclose(got_pred, want_pred, **loose)
    for g, c in zip(gpu.get_weights(), cpu.get_weights()):
        np.testing.assert_allclose(g, c, **loose)


def test_a_batch_goes_to_the_gpu_once(gpu):
    # The fake backend (the `gpu` fixture) records every copy.
    with engine.device("/GPU:0"):
        model, x, y = _compiled(_mlp, False)
        model.train_on_batch(x[:8], y[:8])  # traces and warms up
        gpu.copies.clear()
        model.train_on_batch(x[8:16], y[8:16])
    to_device = [shape for kind, shape in gpu.copies if kind == "to_device"]
    # Each batch tensor goes to the device once, not once for each op that reads it.
    assert to_device.count((8, 20)) == 1 and to_device.count((8,)) == 1, gpu.copies


def _lstm_model():
    model = engine.keras.Sequential([
        engine.keras.Input((9,), dtype="int32"), L.Embedding(13, 8),
        L.LSTM(16, return_sequences=True), L.GRU(8), L.Dense(3)])
    x = _rng().integers(0, 13, (64, 9)).astype(np.int32)
    return model, x, np.arange(64) % 3


@pytest.mark.gpu
@pytest.mark.parametrize("build", [_mlp, _lstm_model], ids=["mlp", "lstm"])
def test_fit_on_the_gpu_replays_one_captured_graph(build):
    from engine.graph import cuda_graphs

    strict = engine.context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(False)  # capture runs on the fast path
    try:
        histories, weights = [], []
        for capture in (False, True):
            engine.config.optimizer.set_experimental_options({"cuda_graphs": capture})
            try:
                with engine.device("/GPU:0"):
                    model, x, y = _compiled(build, False)
                    # two epochs a call: metrics are reset (variables rebound) each epoch
                    histories += [model.fit(x, y, batch_size=16, epochs=2, shuffle=False,
                                            verbose=0).history["loss"] for _ in range(2)]
            finally:
                engine.config.optimizer.set_experimental_options({"cuda_graphs": True})
            weights.append(model.get_weights())
        (runner,) = [c._runner for c in model._graph_functions["train"]._cache.values()]
    finally:
        engine.config.experimental.set_strict_checks(strict)
    assert runner.status == "captured", runner.status
    assert runner._captures == 1  # the epochs' metric resets are copied in, not re-captured
    steps = 4 * -(-len(x) // 16)  # 2 calls of 2 epochs
    assert runner.replays == steps - cuda_graphs.WARMUP_CALLS
    np.testing.assert_allclose(histories[2:], histories[:2], rtol=1e-5)
    for on, off in zip(weights[1], weights[0]):
        np.testing.assert_allclose(on, off, rtol=1e-4, atol=1e-6)


@pytest.mark.gpu
def test_captured_train_and_test_functions_share_the_variables():
    """fit with validation data: the train and the test step are both captured, over the
    same metric variables, which each call's epoch reset rebinds."""
    strict = engine.context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(False)
    try:
        histories = []
        for capture in (False, True):
            engine.config.optimizer.set_experimental_options({"cuda_graphs": capture})
            try:
                with engine.device("/GPU:0"):
                    model, x, y = _compiled(_mlp, False)
                    history = model.fit(x[:32], y[:32], batch_size=8, epochs=4, shuffle=False,
                                        validation_data=(x[32:], y[32:]), verbose=0).history
                    scores = model.evaluate(x, y, batch_size=8, verbose=0)
            finally:
                engine.config.optimizer.set_experimental_options({"cuda_graphs": True})
            histories.append((history, scores))
        functions = model._graph_functions
        statuses = {kind: [c.cuda_graph_status for c in functions[kind]._cache.values()]
                    for kind in ("train", "test")}
    finally:
        engine.config.experimental.set_strict_checks(strict)
    assert statuses == {"train": ["captured"], "test": ["captured"]}, statuses
    (off, scores_off), (on, scores_on) = histories
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(on[key], off[key], rtol=1e-5, err_msg=key)
    np.testing.assert_allclose(scores_on, scores_off, rtol=1e-5)
