"""Keras usability regressions: input dtypes, unbatched datasets, layer.output, summary
layout, set_random_seed, the public namespace and the run_eagerly advice."""

import importlib
import random

import numpy as np
import pytest

import engine
from engine.errors import ShapeError, TracingError

keras = engine.keras
layers = engine.keras.layers


def images(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, size=(n, 8, 8)).astype(np.uint8), rng.normal(
        size=(n, 10)).astype(np.float32)


def image_model():
    return keras.Sequential([keras.Input(shape=(8, 8)), layers.Flatten(), layers.Dense(10)])


# --- 1. inputs take the Input's dtype ------------------------------------------------------
def test_sequential_casts_uint8_images_to_the_input_dtype():
    x, y = images()
    model = image_model()
    want = model(x.astype(np.float32)).numpy()
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-6)
    model.compile("sgd", "mse")
    float_loss = model.evaluate(x.astype(np.float32), y, verbose=0)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(float_loss, rel=1e-6)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.train_on_batch(x, y)


def test_sequential_with_input_shape_on_the_first_layer_casts_too():
    x, _ = images()
    model = keras.Sequential([layers.Flatten(input_shape=(8, 8)), layers.Dense(3)])
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.predict(x.astype(np.float32), verbose=0), rtol=1e-6)


def test_functional_casts_list_and_dict_inputs_to_their_input_dtypes():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b", dtype="float64")
    out = layers.Dense(2)(a + engine.cast(b, "float32"))
    model = keras.Model([a, b], out)
    xa, xb = np.arange(6, dtype=np.uint8).reshape(2, 3), np.ones((2, 3), np.int32)
    want = model([xa.astype(np.float32), xb.astype(np.float64)]).numpy()
    np.testing.assert_allclose(model([xa, xb]).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), want, rtol=1e-6)
    by_name = keras.Model({"a": a, "b": b}, out)
    np.testing.assert_allclose(by_name({"a": xa, "b": xb}).numpy(), want, rtol=1e-6)


def test_integer_inputs_take_an_integer_input_dtype_and_strings_pass():
    ids = keras.Input(shape=(4,), dtype="int32")
    model = keras.Model(ids, layers.Embedding(10, 2)(ids))
    x = np.array([[1, 2, 3, 9]], np.int64)
    np.testing.assert_array_equal(model(x).numpy(), model(x.astype(np.int32)).numpy())
    text = keras.Sequential([keras.Input(shape=(), dtype="string"), layers.TextVectorization(
        output_mode="multi_hot", vocabulary=["a", "b"])])
    assert text(engine.constant(["a b"])).shape == [1, 3]


class Probe(keras.Model):
    """A subclassed model that remembers the dtype `call` saw."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, x):
        self.seen = x.dtype
        return self.dense(x) + x[:, :1] if x.dtype.is_floating else x


def test_subclassed_models_cast_floats_but_leave_integers():
    model = Probe()
    out = model(np.ones((2, 3), np.float64))  # float64 + float32 failed before
    assert model.seen == engine.float32 and out.dtype == engine.float32
    assert model(np.ones((2, 3), np.int32)).dtype == engine.int32
    assert model.seen == engine.int32


def test_a_deferred_sequential_leaves_integer_ids_alone():
    model = keras.Sequential([layers.Embedding(10, 2, input_length=2), layers.Flatten(),
                              layers.Dense(1)])
    assert model.predict(np.array([[1, 2], [3, 9]], np.int64), verbose=0).shape == (2, 1)
    deferred = keras.Sequential([layers.Dense(2)])
    assert deferred(np.ones((2, 3), np.float64)).dtype == engine.float32


# --- 2. unbatched datasets ----------------------------------------------------------------
def test_an_unbatched_dataset_gets_a_batch_hint_in_fit_evaluate_and_predict():
    x, y = images()
    ds = engine.data.Dataset.from_tensor_slices((x, y))
    model = image_model()
    model.compile("sgd", "mse")
    hint = r"unbatched elements of shape \(8, 8\): call \.batch\(batch_size\) on it before"
    with pytest.raises(ShapeError, match=hint + " fit"):
        model.fit(ds, verbose=0)
    with pytest.raises(ShapeError, match=hint + " fit"):
        model.fit(ds.batch(4), validation_data=ds, verbose=0)
    with pytest.raises(ShapeError, match=hint + " evaluate"):
        model.evaluate(ds, verbose=0)
    with pytest.raises(ShapeError, match=hint + " predict"):
        model.predict(engine.data.Dataset.from_tensor_slices(x), verbose=0)
    inp = keras.Input(shape=(8, 8))
    functional = keras.Model(inp, layers.Dense(10)(layers.Flatten()(inp)))
    functional.compile("sgd", "mse")
    with pytest.raises(ShapeError, match=hint + " fit"):
        functional.fit(ds, verbose=0)
    deferred = keras.Sequential([layers.Flatten(), layers.Dense(10)])
    deferred.compile("sgd", "mse")
    floats = x.astype(np.float32)  # (a model without an Input leaves integers alone)
    deferred.fit(floats, y, verbose=0)  # builds it for batches of (8, 8) images
    with pytest.raises(ShapeError, match=r"shape \(None, 8, 8\) .*" + hint):
        deferred.fit(engine.data.Dataset.from_tensor_slices((floats, y)), verbose=0)


def test_batched_datasets_train_as_before():
    x, y = images()
    ds = engine.data.Dataset.from_tensor_slices((x, y))
    model = image_model()
    model.compile("sgd", "mse")
    model.fit(ds.batch(4), verbose=0)
    model.fit(ds.batch(4, drop_remainder=True), verbose=0)  # a known leading dimension
    assert model.predict(ds.batch(5), verbose=0).shape == (12, 10)
    rows = engine.data.Dataset.from_tensor_slices((x.reshape(12, 64), y))
    flat = keras.Sequential([keras.Input(shape=(64,)), layers.Dense(10)])
    flat.compile("sgd", "mse")
    flat.fit(rows.batch(4), verbose=0)


# --- 3. layer.input / layer.output ------------------------------------------------------
def test_layers_of_a_functional_model_have_input_output_and_shapes():
    inp = keras.Input(shape=(5,))
    dense = layers.Dense(3)
    hidden = dense(inp)
    lstm = layers.LSTM(4, return_sequences=True, return_state=True)
    seq = keras.Input(shape=(7, 2))
    outs = lstm(seq)
    assert dense.input is inp and dense.output is hidden
    assert dense.input_shape == [None, 5] and dense.output_shape == [None, 3]
    assert lstm.output == outs
    assert [s.as_list() for s in lstm.output_shape] == [[None, 7, 4], [None, 4], [None, 4]]
    model = keras.Model(inp, layers.Dense(1)(hidden))
    assert model.input is inp and model.output_shape == [None, 1]
    assert model.layers[0].output is inp


def test_layers_of_a_sequential_model_have_outputs_for_feature_extraction():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, name="features"),
                              layers.Dense(2)])
    features = model.get_layer("features")
    assert features.output_shape == [None, 8] and features.input is model.input
    assert model.layers[-1].output is model.output and model.outputs == [model.output]
    extractor = keras.Model(model.inputs, features.output)
    x = np.ones((3, 4), np.float32)
    np.testing.assert_allclose(extractor(x).numpy(), features(x).numpy(), rtol=1e-6)
    implicit = keras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(1)])
    assert implicit.layers[0].input_shape == [None, 4]
    assert implicit.layers[1].output_shape == [None, 1]
    implicit.pop()
    implicit.add(layers.Dense(6))
    assert implicit.output_shape == [None, 6] and implicit.layers[1].output is implicit.output
    with pytest.raises(ShapeError, match="expected axis -1 of size 4"):
        implicit.build((None, 5))  # rejected: the model stays connected as it was
    assert implicit.input_shape == [None, 4] and implicit.layers[0].output_shape == [None, 3]


def test_input_and_output_errors_say_why():
    with pytest.raises(AttributeError, match=r"dense_x.output: the layer is not connected"):
        layers.Dense(2, name="dense_x").output
    deferred = keras.Sequential([layers.Dense(2, name="later")])
    deferred(np.ones((1, 3), np.float32))
    with pytest.raises(AttributeError, match="never called on symbolic inputs"):
        deferred.layers[0].input_shape
    shared = layers.Dense(2, name="shared")
    shared(keras.Input(shape=(3,)))
    shared(keras.Input(shape=(4, 3)))
    with pytest.raises(AttributeError, match=r"get_output_at\(node_index\)"):
        shared.output
    with pytest.raises(AttributeError, match="different shapes"):
        shared.output_shape
    assert shared.get_output_shape_at(1) == [None, 4, 2]


# --- 4. summary -----------------------------------------------------------------------------
def _summary(model, **kwargs) -> list:
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def test_summary_connects_layers_in_call_order():
    zeta, alpha = keras.Input(shape=(2,), name="zeta"), keras.Input(shape=(2,), name="alpha")
    joined = layers.Concatenate(name="joined")([zeta, alpha])
    model = keras.Model([zeta, alpha], joined)
    assert model.summary_data()["layers"][2]["inbound"] == ["zeta", "alpha"]
    assert any(line.rstrip().endswith("zeta, alpha") for line in _summary(model))


def test_summary_wraps_long_cells_and_keeps_columns_aligned():
    seq = keras.Input(shape=(None, 8), name="seq")
    outs = layers.LSTM(128, return_sequences=True, return_state=True, name="lstm")(seq)
    model = keras.Model(seq, outs)
    lines = _summary(model)
    header = next(line for line in lines if line.startswith("Layer (type)"))
    param_col = header.index("Param #")
    row = lines.index(next(line for line in lines if line.startswith("lstm (LSTM)")))
    assert lines[row].index("70,144") == param_col
    assert lines[row][:param_col].rstrip().endswith("(None, None, 128),")
    assert lines[row + 1].strip() == "(None, 128)," and lines[row + 2].strip() == "(None, 128)"
    assert max(len(line) for line in lines) <= 90


# --- 5. set_random_seed ---------------------------------------------------------------------
def _seeded_run(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(16), layers.Dropout(0.5)])
    mask = model(np.ones((4, 16), np.float32), training=True).numpy() == 0
    return model.get_weights(), mask, random.random(), np.random.rand()


def test_set_random_seed_repeats_weights_dropout_and_python_and_numpy_draws():
    weights, mask, py, npy = _seeded_run(3)
    weights2, mask2, py2, npy2 = _seeded_run(3)
    for a, b in zip(weights, weights2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask, mask2)
    assert mask.any() and (py, npy) == (py2, npy2)
    other, other_mask, _, _ = _seeded_run(4)
    assert not np.array_equal(other[0], weights[0]) and not np.array_equal(other_mask, mask)
    with pytest.raises(ValueError, match="received seed=1.5"):
        keras.utils.set_random_seed(1.5)


# --- 6. public namespaces -------------------------------------------------------------------
def test_engine_keras_exposes_only_its_api():
    names = [n for n in dir(keras) if not n.startswith("_")]
    assert "annotations" not in names and "importlib" not in names
    assert sorted(names) == sorted(keras.__all__) == sorted(set(names))
    assert all(getattr(keras, n) is not None for n in keras.__all__)


@pytest.mark.parametrize("name", ["optimizers", "losses", "metrics", "initializers",
                                  "activations", "regularizers", "constraints", "utils",
                                  "backend", "layers", "models", "datasets", "callbacks"])
def test_keras_submodules_hide_their_imports(name):
    module = importlib.import_module(f"engine.keras.{name}")
    stray = {"annotations", "importlib", "np", "numbers", "threading", "engine", "hooks"}
    assert not stray & set(dir(module))
    assert set(getattr(module, "__all__", [])) <= set(dir(module))


# --- 7. the run_eagerly advice ----------------------------------------------------------
class NumpyInCall(keras.Model):
    """Calls `.numpy()` in `call`, which only works eagerly."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, x):
        x.numpy()
        return self.dense(x)


def test_numpy_in_a_traced_call_suggests_compile_run_eagerly():
    x, y = np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)
    model = NumpyInCall()
    model.compile("sgd", "mse")
    with pytest.raises(TracingError, match=r"compile the model with run_eagerly=True") as info:
        model.fit(x, y, verbose=0)
    assert isinstance(info.value.__cause__, TracingError)
    assert "run_functions_eagerly" in str(info.value)
    with pytest.raises(TracingError, match=r"model.run_eagerly = True"):
        model.predict(x, verbose=0)
    model.run_eagerly = True
    model.fit(x, y, verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 1)


def test_summary_of_a_subclassed_model_says_multiple_as_keras_2():
    class Net(engine.keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = engine.keras.layers.Dense(4, name="hidden")
            self.out = engine.keras.layers.Dense(2, name="out")

        def call(self, x):
            return self.out(self.hidden(x))

    model = Net()
    model(np.ones((3, 5), np.float32))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "hidden (Dense)" in text and "multiple" in text and "?" not in text
    assert "24" in text and "Total params: 34" in text
