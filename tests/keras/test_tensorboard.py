"""Tests for `engine.keras.callbacks.TensorBoard`: files read back with TensorBoard's reader."""

import glob
import gzip
import importlib.util
import json
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import engine
from engine.keras.callbacks import tensorboard as tb_module

keras = engine.keras


def _model(run_eagerly=False):
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(3, activation="relu", name="hidden"),
                              keras.layers.Dense(2, activation="softmax", name="out")],
                             name="net")
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    return model


def _data(n=24):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def _run(log_dir, name):
    return EventAccumulator(os.path.join(log_dir, name),
                            size_guidance={"scalars": 0, "histograms": 0}).Reload()


def _scalars(run, tag):
    return [(e.step, e.value) for e in run.Scalars(tag)]


def test_epoch_scalars_histograms_and_graph(tmp_path):
    model = _model()
    x, y = _data()
    callback = keras.callbacks.TensorBoard(tmp_path, histogram_freq=2)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[callback],
                        validation_data=(x[:8], y[:8])).history

    train, validation = _run(tmp_path, "train"), _run(tmp_path, "validation")
    for name in ("loss", "accuracy"):
        expected = [(epoch, pytest.approx(v, rel=1e-6)) for epoch, v in
                    enumerate(history[name])]
        assert _scalars(train, f"epoch_{name}") == expected
        expected_val = [(epoch, pytest.approx(v, rel=1e-6)) for epoch, v in
                        enumerate(history[f"val_{name}"])]
        assert _scalars(validation, f"epoch_{name}") == expected_val
        # Keras 2 also plots validation against the train batches run so far (3 a epoch).
        assert [s for s, _ in _scalars(validation, f"evaluation_{name}_vs_iterations")] == [
            3, 6, 9]
    assert _scalars(train, "epoch_learning_rate") == [(e, pytest.approx(0.05)) for e in
                                                      range(3)]
    assert "epoch_val_loss" not in train.Tags()["scalars"]
    assert not any(t.startswith("batch_") for t in train.Tags()["scalars"])

    # Histograms every 2 epochs, one per weight, tagged with the weight's name.
    names = [w.name.replace(":", "_") for w in model.weights]
    assert names == ["hidden/kernel_0", "hidden/bias_0", "out/kernel_0", "out/bias_0"]
    assert sorted(train.Tags()["histograms"]) == sorted(names)
    for weight, name in zip(model.weights, names):
        events = train.Histograms(name)
        assert [e.step for e in events] == [0, 2]
        last = events[-1].histogram_value
        values = weight.numpy()
        assert last.num == values.size
        assert last.min == pytest.approx(values.min()) and last.max == pytest.approx(
            values.max())
        assert last.sum == pytest.approx(values.sum(), abs=1e-5)

    # The graph is the traced train step's op graph, with the engine's names and inputs.
    graph = train.Graph()
    concrete = next(iter(model._graph_functions["train"]._cache.values()))
    assert [n.name for n in graph.node] == [n.name for n in concrete.graph.nodes]
    nodes = {n.name: n for n in graph.node}
    matmul = nodes["net/hidden/MatMul"]
    assert matmul.op == "MatMul"
    assert list(matmul.input) == ["data_0", "net/hidden/ReadVariableOp"]
    shape = matmul.attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [8, 3]
    for node in graph.node:
        for name in node.input:
            assert name.lstrip("^").split(":")[0] in nodes, (node.name, name)
    assert not validation.Tags()["graph"]
    assert callback._writers == {}  # closed at the end of fit


@pytest.mark.parametrize("update_freq, every", [("batch", 1), (2, 2)])
def test_batch_scalars(tmp_path, update_freq, every):
    model = _model()
    x, y = _data()
    seen = []
    recorder = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    callback = keras.callbacks.TensorBoard(tmp_path, update_freq=update_freq)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[recorder, callback])

    train = _run(tmp_path, "train")
    assert len(seen) == 6
    steps = list(range(every, 7, every))
    for name in ("loss", "accuracy"):
        assert _scalars(train, f"batch_{name}") == [
            (s, pytest.approx(seen[s - 1][name], rel=1e-6)) for s in steps]
    assert [s for s, _ in _scalars(train, "epoch_loss")] == [0, 1]


def test_batch_hooks_are_requested_only_when_needed(tmp_path):
    per_epoch = keras.callbacks.TensorBoard(tmp_path)
    per_batch = keras.callbacks.TensorBoard(tmp_path, update_freq="batch")
    assert not keras.callbacks.CallbackList([per_epoch]).needs_batch_hooks("train")
    assert keras.callbacks.CallbackList([per_batch]).needs_batch_hooks("train")


def test_eager_model_writes_the_layer_graph(tmp_path):
    model = _model(run_eagerly=True)
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    graph = _run(tmp_path, "train").Graph()
    assert [(n.name, n.op, list(n.input)) for n in graph.node] == [
        ("hidden", "Dense", []), ("out", "Dense", ["hidden"])]
    assert [d.size for d in graph.node[1].attr["_output_shapes"].list.shape[0].dim] == [-1, 2]


def test_nested_model_layers_get_name_scopes():
    inner = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, name="a")],
                             name="inner")
    outer = keras.Sequential([keras.Input(shape=(4,)), inner, keras.layers.Dense(2, name="b")])
    graph = tb_module.layer_graph_def(outer.layer_graph())
    assert [(n.name, list(n.input)) for n in graph.node] == [
        ("inner", []), ("inner/a", []), ("b", ["inner"])]


def test_write_graph_false_writes_no_graph(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=8, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(tmp_path, write_graph=False)])
    assert not _run(tmp_path, "train").Tags()["graph"]


def test_profile_batch_writes_a_chrome_trace(tmp_path):
    import profiler  # noqa: F401 - the profiler answers the callback's request

    model = _model()
    x, y = _data()
    callback = keras.callbacks.TensorBoard(tmp_path, profile_batch=(2, 4))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[callback])
    paths = glob.glob(os.path.join(tmp_path, "plugins", "profile", "*", "*.trace.json.gz"))
    assert paths == [callback.trace_path]
    with gzip.open(paths[0], "rt") as file:
        trace = json.load(file)
    names = {e.get("name") for e in trace["traceEvents"]}
    assert {"batch 2", "batch 3", "batch 4"} <= names
    assert "batch 1" not in names and "batch 5" not in names
    assert "MatMul" in names


def test_profile_batch_zero_does_not_load_the_profiler(tmp_path):
    callback = keras.callbacks.TensorBoard(tmp_path)
    assert callback._profiler is None and callback.trace_path is None


def test_profile_batch_without_the_profiler_says_to_import_it(tmp_path, monkeypatch):
    from engine import hooks

    monkeypatch.setitem(hooks._listeners, "keras_profile_request", [])
    with pytest.raises(ImportError, match="import profiler"):
        keras.callbacks.TensorBoard(tmp_path, profile_batch=2)


@pytest.mark.parametrize("kwargs, match", [
    ({"update_freq": "step"}, "update_freq='step'"),
    ({"update_freq": 0}, "update_freq=0"),
    ({"histogram_freq": -1}, "histogram_freq=-1"),
    ({"histogram_freq": 1.5}, "histogram_freq=1.5"),
    ({"profile_batch": (5, 2)}, r"profile_batch=\(5, 2\)"),
    ({"profile_batch": -3}, "profile_batch=-3"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    import profiler  # noqa: F401 - validates profile_batch

    with pytest.raises(ValueError, match=match):
        keras.callbacks.TensorBoard(tmp_path, **kwargs)


def test_missing_packages_say_how_to_install(tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboard" else find_spec(name, *a))
    with pytest.raises(ImportError, match=r"tensorboard not installed.*"
                                          r"pip install 'eagerlab\[tensorboard\]'"):
        keras.callbacks.TensorBoard(tmp_path)
