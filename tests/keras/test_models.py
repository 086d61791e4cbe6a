"""Keras models: Sequential, functional, subclassed; compile/fit/evaluate/predict."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError

keras = engine.keras
layers = engine.keras.layers


def blobs(n=256, seed=0):
    """Two well-separated Gaussian blobs in 4-D: an easy binary problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 4)).astype(np.float32) + 3.0 * y[:, None].astype(np.float32)
    return x, y.astype(np.int32)


def mlp(name=None):
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(16, activation="relu"),
                             layers.Dense(2)], name=name)


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_sequential_learns_and_reports(run_eagerly):
    engine.random.set_seed(0)
    x, y = blobs()
    model = mlp()
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.95
    probs = model.predict(x[:10], verbose=0)
    assert probs.shape == (10, 2)
    assert model.run_eagerly is run_eagerly


def test_graph_and_eager_training_agree():
    x, y = blobs(64)
    weights = None
    results = []
    for eager in (False, True):
        engine.random.set_seed(3)
        model = mlp()
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True), run_eagerly=eager)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_switching_run_eagerly_between_fits_keeps_training():
    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    model.run_eagerly = True
    seen = []

    class Spy(keras.layers.Layer):
        def call(self, inputs):
            seen.append(float(engine.reduce_sum(inputs)))  # works only eagerly
            return inputs

    model2 = keras.Sequential([Spy(), layers.Dense(2)])  # built on the first (eager) call
    model2.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model2.fit(x, np.zeros((64, 2), np.float32), batch_size=32, epochs=1, verbose=0)
    assert len(seen) == 2
    model.fit(x, y, epochs=1, verbose=0)
    model.run_eagerly = False
    model.fit(x, y, epochs=1, verbose=0)


def test_functional_two_inputs_shared_layer_and_ops():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(4, name="shared")
    ha, hb = shared(a), shared(b)
    merged = ha - hb * 2.0
    out = layers.Dense(1, name="head")(merged)
    model = keras.Model(inputs=[a, b], outputs=out)
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "head"]
    xa, xb = np.ones((5, 3), np.float32), np.zeros((5, 3), np.float32)
    got = model([xa, xb]).numpy()
    w, bias = shared.get_weights()
    hw, hbias = model.get_layer("head").get_weights()
    expected = ((xa @ w + bias) - 2 * (xb @ w + bias)) @ hw + hbias
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    model.fit([xa, xb], np.ones((5, 1), np.float32), epochs=2, verbose=0)
    with pytest.raises(ValueError, match="expects 2 inputs"):
        model(xa)
    with pytest.raises(ShapeError, match="expects shape"):
        model([np.ones((5, 4), np.float32), xb])


def test_functional_disconnected_graph_is_refused():
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    out = layers.Dense(1)(a + b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(inputs=a, outputs=out)


def test_subclassed_model_with_custom_train_step():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.steps = engine.Variable(0, trainable=False)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            with engine.GradientTape() as tape:
                loss = engine.reduce_mean(engine.square(self(x, training=True) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.steps.assign_add(1)
            return {"loss": loss}

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    history = model.fit(x, y, batch_size=32, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 1e-3
    assert int(model.steps.numpy()) == 80


def test_fit_on_datasets_generators_and_validation():
    x, y = blobs(96)
    model = mlp()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    ds = engine.data.Dataset.from_tensor_slices((x, y)).batch(32)
    history = model.fit(ds, epochs=2, validation_data=ds, verbose=0)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)

    def gen():
        while True:
            for i in range(0, 96, 32):
                yield x[i:i + 32], y[i:i + 32]

    model.fit(gen(), steps_per_epoch=3, epochs=1, verbose=0)
    history = model.fit(x, y, validation_split=0.25, epochs=1, verbose=0)
    assert "val_loss" in history.history


def test_fit_reads_a_dataset_ahead_of_its_steps():
    """A dataset's input work (here a generator that sleeps) overlaps the training steps
    (here a callback that sleeps): fit reads the dataset ahead in a background thread."""
    import time

    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    pause, batches = 0.05, 8

    def slow_batches():
        for i in range(batches):
            time.sleep(pause)  # reading, decoding, ...
            yield x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    spec = (engine.TensorSpec([None, x.shape[1]], engine.float32),
            engine.TensorSpec([None], engine.as_dtype(y.dtype)))
    ds = engine.data.Dataset.from_generator(slow_batches, output_signature=spec)

    class Busy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(pause)  # the step's own work

    model.fit(ds, epochs=1, verbose=0)  # traces the step
    start = time.perf_counter()
    history = model.fit(ds, epochs=1, verbose=0, callbacks=[Busy()])
    elapsed = time.perf_counter() - start
    assert len(history.history["loss"]) == 1
    # one after the other: 2 * 8 * 50 ms = 0.8 s; overlapped: about 0.45 s
    assert elapsed < 0.75 * 2 * batches * pause, elapsed


def test_epochs_of_steps_go_on_through_a_dataset():
    """As in TensorFlow: with steps_per_epoch shorter than the dataset, each epoch takes
    the next batches (one iterator across epochs); as long as the dataset, each epoch
    starts it afresh."""
    x, y = blobs(48)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    starts, seen = [], []

    def batches():
        starts.append(len(seen))
        for i in range(0, 48, 8):
            seen.append(i)
            yield x[i:i + 8], y[i:i + 8]

    spec = (engine.TensorSpec([None, x.shape[1]], engine.float32),
            engine.TensorSpec([None], engine.as_dtype(y.dtype)))
    ds = engine.data.Dataset.from_generator(batches, output_signature=spec).repeat()
    model.fit(ds, steps_per_epoch=2, epochs=3, verbose=0)
    # 3 epochs of 2 steps took the dataset's 6 batches in one pass; the generator started
    # again only where `repeat` starts a pass (the read-ahead may have begun one)
    assert seen[:6] == [0, 8, 16, 24, 32, 40]
    assert starts == [6 * k for k in range(len(starts))], starts

    whole = engine.data.Dataset.from_tensor_slices((x, y)).batch(8)  # 6 batches
    history = model.fit(whole, steps_per_epoch=6, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2  # the second epoch starts the dataset again

    # validation starts its data again at every epoch (TensorFlow's validation_steps)
    starts.clear()
    model.fit(whole, epochs=2, verbose=0, validation_steps=2,
              validation_data=engine.data.Dataset.from_generator(batches, output_signature=spec))
    assert len(starts) == 2
    # the read-ahead threads end with fit, the one that went on across epochs too
    import threading

    assert not [t for t in threading.enumerate() if t.name == "engine.data.prefetch"]


def test_epochs_of_steps_go_on_through_arrays():
    """Arrays follow the same rule: steps_per_epoch shorter than a pass goes on through
    the data from epoch to epoch, a new shuffle order for each pass."""
    x, y = blobs(48)
    x[:, 0] = np.arange(48)  # each sample says which it is
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), run_eagerly=True)
    batches = []
    train_step = model.train_step

    def recording(data):
        batches.append(data[0].numpy()[:, 0].astype(int).tolist())
        return train_step(data)

    model.train_step = recording
    model.fit(x, y, batch_size=8, steps_per_epoch=2, epochs=4, shuffle=False, verbose=0)
    # 6 batches a pass, then a new pass
    assert [b[0] for b in batches] == [0, 8, 16, 24, 32, 40, 0, 8]
    batches.clear()
    model.fit(x, y, batch_size=20, steps_per_epoch=2, epochs=3, shuffle=True, verbose=0)
    assert [len(b) for b in batches] == [20, 20, 8] * 2  # two passes over 3 epochs
    first, second = (sum(batches[k:k + 3], []) for k in (0, 3))
    assert sorted(first) == sorted(second) == list(range(48)) and first != second


def test_fit_stops_where_the_training_data_ends():
    """TensorFlow's rule: data that runs out before steps_per_epoch * epochs batches stops
    training with a warning and keeps the history; empty data is an error."""
    x, y = blobs(48)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    six = engine.data.Dataset.from_tensor_slices((x, y)).batch(8)  # 6 batches
    with pytest.warns(UserWarning, match=r"ran out after 2 of the 4 steps of epoch 2; "
                                         r".*steps_per_epoch \* epochs = 12 batches"):
        history = model.fit(six, steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 2 and model.stop_training

    def three():
        for i in range(0, 24, 8):
            yield x[i:i + 8], y[i:i + 8]

    with pytest.warns(UserWarning, match="ran out at the start of epoch 2"):
        history = model.fit(three(), epochs=3, verbose=0)  # a generator: one pass only
    assert len(history.history["loss"]) == 1
    with pytest.raises(ValueError, match="yielded no batches; check that it is not empty"):
        model.fit(six.take(0), epochs=1, verbose=0)


def test_bad_step_counts_and_validation_freq_are_named():
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    for kwargs, name in [({"steps_per_epoch": 0}, "steps_per_epoch"),
                         ({"validation_steps": -1, "validation_data": (x, y)},
                          "validation_steps"), ({"steps_per_epoch": 2.5}, "steps_per_epoch")]:
        with pytest.raises(ValueError, match=f"{name} must be a positive integer or None; "
                                             f"got {kwargs[name]!r}"):
            model.fit(x, y, verbose=0, **kwargs)
    for fn in (model.evaluate, model.predict):
        with pytest.raises(ValueError, match="steps must be a positive integer or None"):
            fn(x, steps=0, verbose=0)
    for freq in (0, "2", [1, "x"]):
        with pytest.raises(ValueError, match="validation_freq must be a positive integer or "
                                             "a list of epochs"):
            model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), validation_freq=freq)
    history = model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
                        validation_freq=[1, 3])
    assert len(history.history["val_loss"]) == 2


def test_sample_and_class_weights():
    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    model.fit(x, y, sample_weight=np.ones(64, np.float32), epochs=1, verbose=0)
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="sample_weight has 10 entries for 64 samples"):
        model.fit(x, y, sample_weight=np.ones(10, np.float32), verbose=0)


def test_errors_before_compile_and_on_bad_shapes():
    model = mlp()
    with pytest.raises(RuntimeError, match="compiled first"):
        model.fit(*blobs(8), verbose=0)
    with pytest.raises(ShapeError, match="dense"):
        model(np.ones((2, 5), np.float32))


def test_train_test_predict_on_batch():
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (32, 2)


def test_stop_training_from_a_callback_and_keyboard_interrupt():
    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))

    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(x, y, epochs=10, callbacks=[StopAfterTwo()], verbose=0)
    assert len(history.history["loss"]) == 2

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    before = model.get_weights()
    with pytest.warns(UserWarning, match="interrupted"):
        history = model.fit(x, y, batch_size=16, epochs=3, callbacks=[Interrupt()], verbose=0)
    after = model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    assert history is model.history


def test_masks_flow_from_a_layer_to_the_next():
    class MakeMask(layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, inputs, mask=None):
            return engine.not_equal(inputs[..., 0], 0.0)

    class UseMask(layers.Layer):
        def call(self, x, mask=None):
            return x * engine.cast(mask, x.dtype)[..., None]

    x = np.array([[[1.0], [0.0], [2.0]]], np.float32)
    eager = UseMask()(MakeMask()(x))
    np.testing.assert_allclose(eager.numpy(), x)
    inp = keras.Input(shape=(3, 1))
    model = keras.Model(inp, UseMask()(MakeMask()(inp)))
    np.testing.assert_allclose(model(x).numpy(), x)


def test_sequential_config_round_trip_and_deferred_build():
    model = mlp(name="net")
    clone = keras.Sequential.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["Dense", "Dense"]
    assert clone.count_params() == model.count_params() == 4 * 16 + 16 + 16 * 2 + 2
    deferred = keras.Sequential([layers.Dense(3)])
    assert not deferred.built
    assert deferred(np.ones((2, 5), np.float32)).shape == (2, 3)
    with pytest.raises(TypeError, match="expected a Keras layer"):
        deferred.add("dense")


def test_functional_config_round_trip_with_shared_layers_and_ops():
    import json

    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(4, name="shared")
    out = layers.Dense(1, name="head")(shared(a) - shared(b) * 2.0)
    model = keras.Model(inputs=[a, b], outputs=out)
    clone = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    xs = [np.ones((2, 3), np.float32), np.arange(6, dtype=np.float32).reshape(2, 3)]
    np.testing.assert_allclose(clone(xs).numpy(), model(xs).numpy(), rtol=1e-6)
    assert type(clone).__name__ == "Functional"
    assert [layer.name for layer in clone.layers] == ["a", "b", "shared", "head"]


def test_summary_text_data_and_layer_graph(capsys):
    model = mlp(name="net")
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "net"' in text and "(None, 16)" in text and "Total params: 114" in text
    data = model.summary_data()
    assert data["total_params"] == 114 and [r["params"] for r in data["layers"]] == [80, 34]
    a = keras.Input(shape=(2,), name="in_a")
    h = layers.Dense(3, name="h")(a)
    graph = keras.Model(a, layers.Dense(1, name="o")(h)).layer_graph()
    assert [n["id"] for n in graph["nodes"]] == ["in_a", "h", "o"]
    assert graph["edges"] == [{"source": "in_a", "target": "h"}, {"source": "h", "target": "o"}]
    assert graph["nodes"][1]["output_shape"] == [None, 3]
    assert graph["nodes"][1]["config"]["units"] == 3


def test_weights_files_round_trip_and_mismatch_errors(tmp_path):
    model = mlp()
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    other = mlp()
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    bigger = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(16), layers.Dense(3)])
    with pytest.raises(ValueError, match="shape mismatch"):
        bigger.load_weights(path)
    with pytest.raises(ValueError, match="does not match the model's layers"):
        other.load_weights(path, by_name=True)  # auto names differ between the two models
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_json_and_clone_make_fresh_models():
    model = mlp()
    rebuilt = keras.models.model_from_json(model.to_json())
    clone = keras.models.clone_model(model)
    for other in (rebuilt, clone):
        assert other.count_params() == model.count_params()
        assert not all(np.array_equal(a, b) for a, b in zip(other.get_weights(),
                                                            model.get_weights()))


def test_sequential_with_a_string_input_builds():
    vectorize = layers.TextVectorization(output_mode="multi_hot", vocabulary=["a", "b", "c"])
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorize])
    assert model.output_shape.as_list() == [None, 4]
    out = model(engine.constant(["a c", "b b z"]))
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 0, 1], [1, 0, 1, 0]])


@pytest.mark.parametrize("shape,signature", [
    ((6, 20, 8), None), ((2, 3, 20, 8), None), ((6, 20, 8), [None, 20, 8]),
    ((6, 20, 8), [None, None, 8]), ((2, 3, 20, 8), [2, None, None, 8])])
def test_dense_on_rank_3_inputs_matches_numpy(shape, signature):
    # Leading axes fold into GEMM rows: values and gradients as NumPy's, the input's
    # gradient row-major (the next layer's kernel would otherwise pay for a transposed view).
    layer = layers.Dense(6, dtype="float64")
    x = np.random.default_rng(0).normal(size=shape)
    dy = np.random.default_rng(1).normal(size=shape[:-1] + (6,))

    def run(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            out = layer(x)
            loss = engine.reduce_sum(out * dy)
        return [out] + tape.gradient(loss, [x] + layer.trainable_weights)

    if signature is not None:
        run = engine.function(run, input_signature=[engine.TensorSpec(signature, "float64")])
        assert run.get_concrete_function().structured_outputs[0].shape.as_list() == (
            signature[:-1] + [6])
    out, dx, dk, db = run(engine.constant(x))
    kernel, bias = layer.get_weights()
    rows, drows = x.reshape(-1, 8), dy.reshape(-1, 6)
    np.testing.assert_allclose(out.numpy(), x @ kernel + bias, rtol=1e-12)
    np.testing.assert_allclose(dx.numpy(), dy @ kernel.T, rtol=1e-12)
    np.testing.assert_allclose(dk.numpy(), rows.T @ drows, rtol=1e-12)
    np.testing.assert_allclose(db.numpy(), drows.sum(0), rtol=1e-12)
    assert dx.numpy().flags.c_contiguous


def test_nested_models_and_dict_inputs_and_outputs():
    import json

    inner = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")],
                             name="inner")
    x = keras.Input(shape=(4,))
    outer = keras.Model(x, layers.Dense(1)(inner(x)))
    assert [layer.name for layer in outer.layers][1] == "inner" and len(outer.weights) == 4
    clone = keras.Model.from_config(json.loads(json.dumps(outer.get_config())))
    clone.set_weights(outer.get_weights())
    ones = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(clone(ones).numpy(), outer(ones).numpy(), rtol=1e-6)

    inputs = {"a": keras.Input(shape=(2,), name="a"), "b": keras.Input(shape=(3,), name="b")}
    both = layers.Concatenate()([inputs["a"], inputs["b"]])
    model = keras.Model(inputs, {"sum": layers.Dense(1)(both), "id": layers.Dense(2)(inputs["a"])})
    model.compile(optimizer="adam", loss={"sum": "mse", "id": "mse"},
                  metrics={"sum": ["mae"]})
    data = {"a": np.ones((8, 2), np.float32), "b": np.ones((8, 3), np.float32)}
    targets = {"sum": np.ones((8, 1), np.float32), "id": np.zeros((8, 2), np.float32)}
    history = model.fit(data, targets, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "sum_loss", "id_loss",
                                    "sum_mae"}
    with pytest.raises(ValueError, match="missing inputs"):
        model({"a": data["a"]})
