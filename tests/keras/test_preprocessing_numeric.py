"""Normalization, Rescaling, Discretization and CategoryEncoding: Keras' documented
results, adapt on arrays and datasets vs float64 NumPy, traced graphs, configs, errors."""

import json

import numpy as np
import pytest

import engine
import engine.data
from engine.errors import InvalidArgumentError, ShapeError, TracingError
from engine.keras.layers.preprocessing.discretization import compress, merge_summaries
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def _node_types(fn, *specs) -> list:
    return [n.type for n in fn.get_concrete_function(*specs).graph.nodes]


def _round_trip(layer):
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    return clone


# --- Normalization ------------------------------------------------------------------------
def test_normalization_keras_examples():
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([1., 2., 3., 4., 5.], np.float32))
    np.testing.assert_allclose(layer(np.array([1., 2., 3.])).numpy(),
                               [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    layer = layers.Normalization(axis=-1)
    layer.adapt(np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]]))
    np.testing.assert_allclose(layer(np.array([[0., 7., 4.]])).numpy(), [[-1., -1., -1.]])
    fixed = layers.Normalization(mean=3., variance=2.)
    np.testing.assert_allclose(fixed(np.array([[1.], [2.], [3.]])).numpy().ravel(),
                               [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    inverse = layers.Normalization(axis=-1, invert=True)
    inverse.adapt(np.array([[1.], [2.], [3.], [4.], [5.]]))
    np.testing.assert_allclose(inverse(np.array([[1.], [2.], [3.]])).numpy().ravel(),
                               [4.4142137, 5.8284273, 7.2426405], rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, (1, 2), None, 1])
def test_normalization_adapt_streams_exact_statistics(rng, axis):
    data = rng.normal(3.0, 2.0, size=(203, 4, 3)) * rng.uniform(0.5, 3, size=(1, 4, 3))
    layer = layers.Normalization(axis=axis)
    layer.adapt(data, batch_size=17)  # batches of 17 rows: 12 full batches and a rest of 16
    keep = {-1: (2,), (1, 2): (1, 2), None: (), 1: (1,)}[axis]
    reduce = tuple(d for d in range(3) if d not in keep)
    mean, var = data.mean(axis=reduce), data.var(axis=reduce)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), mean, rtol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), var, rtol=1e-6)
    assert int(layer.count.numpy()) == int(np.prod([data.shape[d] for d in reduce]))
    shape = [data.shape[d] if d in keep else 1 for d in range(3)]
    expected = (data - mean.reshape(shape)) / np.sqrt(var.reshape(shape))
    np.testing.assert_allclose(layer(data).numpy(), expected, rtol=1e-5, atol=1e-5)
    weights = [w.name for w in layer.weights]
    assert weights == [f"{layer.name}/{n}:0" for n in ("mean", "variance", "count")]
    assert layer.trainable_weights == []


def test_normalization_adapts_from_datasets_and_tensors(rng):
    data = rng.normal(size=(50, 3)).astype(np.float32)
    from_ds = layers.Normalization()
    from_ds.adapt(engine.data.Dataset.from_tensor_slices(data).batch(8))
    from_tensor = layers.Normalization()
    from_tensor.adapt(engine.constant(data), batch_size=50)
    for layer in (from_ds, from_tensor):
        np.testing.assert_allclose(layer.adapt_mean.numpy(), data.mean(0), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), data.var(0), rtol=1e-5)
    partial = layers.Normalization()
    partial.adapt(engine.data.Dataset.from_tensor_slices(data).batch(10), steps=2)
    np.testing.assert_allclose(partial.adapt_mean.numpy(), data[:20].mean(0), rtol=1e-5,
                               atol=1e-6)
    partial.adapt(data[:5])  # adapt starts again: the earlier batches are forgotten
    np.testing.assert_allclose(partial.adapt_mean.numpy(), data[:5].mean(0), rtol=1e-5,
                               atol=1e-6)
    assert int(partial.count.numpy()) == 5


def test_normalization_gradient_and_traced_reads_current_statistics(rng):
    layer = layers.Normalization(dtype="float64")
    layer.adapt(rng.normal(size=(20, 3)))
    x = engine.Variable(rng.normal(size=(4, 3)))
    check_layer_gradients(lambda: layer(x), [x])
    traced = engine.function(lambda t: layer(t))
    data = rng.normal(size=(4, 3))
    np.testing.assert_allclose(traced(data).numpy(), layer(data).numpy())
    layer.adapt(rng.normal(5.0, 3.0, size=(20, 3)))  # the same trace sees new statistics
    np.testing.assert_allclose(traced(data).numpy(), layer(data).numpy())
    assert "EagerPyFunc" not in _node_types(traced, engine.TensorSpec([None, 3],
                                                                      engine.float64))


def test_normalization_weights_round_trip_through_config_and_models(rng):
    data = rng.normal(2.0, 3.0, size=(40, 3)).astype(np.float32)
    layer = layers.Normalization(axis=-1, name="norm")
    layer.adapt(data)
    clone = _round_trip(layer)
    clone.build([None, 3])
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(data).numpy(), layer(data).numpy())
    fixed = layers.Normalization(mean=[1., 2., 3.], variance=np.array([1., 4., 9.]))
    assert fixed.get_config()["mean"] == [1., 2., 3.]
    np.testing.assert_allclose(_round_trip(fixed)(data).numpy(), fixed(data).numpy())
    model = keras.Sequential([keras.Input(shape=(3,)), layer, layers.Dense(2)])
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt(data).numpy(), model(data).numpy(), rtol=1e-6)


def test_normalization_statistics_survive_save_and_load_weights(rng, tmp_path):
    data = rng.normal(2.0, 3.0, size=(40, 3)).astype(np.float32)
    layer = layers.Normalization(axis=-1)
    layer.adapt(data)
    model = keras.Sequential([keras.Input(shape=(3,)), layer, layers.Dense(2)])
    path = str(tmp_path / "w.safetensors")
    model.save_weights(path)
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.load_weights(path)
    np.testing.assert_allclose(rebuilt(data).numpy(), model(data).numpy(), rtol=1e-6)


def test_normalization_in_a_sequential_model_trained_with_fit(rng):
    x = rng.normal(50.0, 20.0, size=(128, 3)).astype(np.float32)
    y = (x - 50.0) @ np.array([0.05, -0.02, 0.03], np.float32)
    norm = layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input(shape=(3,)), norm, layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(engine.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=8,
                        verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.05 * losses[0]
    assert [w.name for w in model.trainable_weights if "norm" in w.name] == []


def test_normalization_errors(rng):
    with pytest.raises(RuntimeError, match="adapt"):
        layers.Normalization()(np.ones((2, 3)))
    with pytest.raises(ValueError, match="both mean and variance"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="axis"):
        layers.Normalization(axis=3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="known sizes"):
        layers.Normalization(axis=0).build([None, 3])
    with pytest.raises(ValueError, match="fixed mean"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(np.ones((4, 1)))
    with pytest.raises(TypeError, match="numeric"):
        layers.Normalization().adapt(np.array([["a"], ["b"]]))
    with pytest.raises(ValueError, match="broadcast"):
        layers.Normalization(mean=[1., 2.], variance=[1., 1.])(np.ones((2, 3)))
    layer = layers.Normalization()
    with pytest.raises(TracingError, match="adapt"):
        engine.function(lambda t: layer.adapt(t))(engine.ones([2, 3]))
    with pytest.raises(ValueError, match="batch_size"):
        layer.adapt(engine.data.Dataset.from_tensor_slices(np.ones((4, 3))).batch(2),
                    batch_size=2)
    with pytest.raises(TypeError, match="labels"):
        layer.adapt(engine.data.Dataset.from_tensor_slices((np.ones((4, 3)), np.ones(4))))


# --- Rescaling ----------------------------------------------------------------------------
def test_rescaling(rng):
    images = rng.integers(0, 256, size=(2, 4, 4, 3)).astype(np.uint8)
    layer = layers.Rescaling(1.0 / 127.5, offset=-1.0)
    out = layer(images)
    assert out.dtype == engine.float32
    np.testing.assert_allclose(out.numpy(), images / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    channels = layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, 2.0], dtype="float64")
    x = engine.Variable(rng.normal(size=(2, 3)))
    check_layer_gradients(lambda: channels(x), [x])
    clone = check_config_round_trip(channels, x)
    assert clone.scale == [1.0, 2.0, 3.0]
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(engine.constant(images)).numpy(), out.numpy())
    with pytest.raises(ValueError, match="finite"):
        layers.Rescaling(float("nan"))


# --- Discretization -----------------------------------------------------------------------
X = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])


def test_discretization_keras_examples():
    fixed = layers.Discretization(bin_boundaries=[0., 1., 2.])
    out = fixed(X)
    assert out.dtype == engine.int64
    np.testing.assert_array_equal(out.numpy(), [[0, 2, 3, 1], [1, 3, 2, 1]])
    learned = layers.Discretization(num_bins=4, epsilon=0.01)
    learned.adapt(X)
    np.testing.assert_allclose(learned.bin_boundaries, [0.0, 0.5, 1.3], rtol=1e-6)
    np.testing.assert_array_equal(learned(X).numpy(), [[0, 2, 3, 2], [1, 3, 3, 1]])


def test_discretization_learns_quantiles_of_a_stream(rng):
    data = rng.normal(size=20000)
    layer = layers.Discretization(num_bins=4, epsilon=0.01)
    layer.adapt(engine.data.Dataset.from_tensor_slices(data).batch(1000))
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(data, [0.25, 0.5, 0.75]),
                               atol=0.03)
    counts = np.bincount(layer(data).numpy(), minlength=4) / len(data)
    np.testing.assert_allclose(counts, 0.25, atol=0.02)
    small_batches = layers.Discretization(num_bins=4, epsilon=0.01)
    small_batches.adapt(data)  # 625 batches of 32, each merged into the summary
    counts = np.bincount(small_batches(data).numpy(), minlength=4) / len(data)
    np.testing.assert_allclose(counts, 0.25, atol=0.025)
    # Merging small summaries interpolates each one's cumulative weights.
    summary = merge_summaries(np.array([[1., 3.], [1., 1.]]), np.array([[2.], [1.]]), 0.1)
    np.testing.assert_array_equal(summary, [[1., 2., 3.], [1., 1.5, 0.5]])
    np.testing.assert_allclose(compress(np.array([np.arange(8.), np.ones(8)]), 0.5),
                               [[3., 7.], [4., 4.]])


def test_discretization_boundaries_are_float32_and_searches_match_numpy(rng):
    boundaries = np.sort(rng.normal(size=100))
    x = np.concatenate([rng.normal(size=300), boundaries[::7]])
    layer = layers.Discretization(bin_boundaries=boundaries.tolist())
    expected = np.searchsorted(boundaries.astype(np.float32).astype(np.float64), x,
                               side="right")
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    ints = layers.Discretization(bin_boundaries=[0, 10, 20])(np.array([-1, 0, 9, 10, 25]))
    np.testing.assert_array_equal(ints.numpy(), [0, 1, 1, 2, 3])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_discretization_encoded_outputs(mode):
    layer = layers.Discretization(bin_boundaries=[0., 1., 2.], output_mode=mode)
    inputs = X[:, :1] if mode == "one_hot" else X
    ids = np.searchsorted([0., 1., 2.], inputs, side="right")
    expected = np.zeros((2, 4), np.float32)
    for r in range(2):
        for i in ids[r]:
            expected[r, i] += 1
    if mode != "count":
        expected = np.minimum(expected, 1)
    out = layer(inputs)
    assert out.dtype == engine.float32
    np.testing.assert_array_equal(out.numpy(), expected)


def test_discretization_traces_config_and_weights(rng):
    data = rng.uniform(0, 10, size=(100, 2))
    layer = layers.Discretization(num_bins=5, name="disc")
    traced = engine.function(lambda t: layer(t))
    spec = engine.TensorSpec([None, 2], engine.float64)
    assert "EagerPyFunc" not in _node_types(traced, spec)  # traced before adapt...
    layer.adapt(data)
    np.testing.assert_array_equal(traced(data).numpy(), layer(data).numpy())  # ...reads now
    assert [w.name for w in layer.weights] == ["disc/bin_boundaries:0"]
    clone = _round_trip(layer)
    clone.build([None, 2])
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(data).numpy(), layer(data).numpy())
    fixed = layers.Discretization(bin_boundaries=[1.0, 2.5], output_mode="count")
    check_config_round_trip(fixed, data)
    few = layers.Discretization(num_bins=4)
    few.adapt(np.array([1.0, 2.0]))  # too few values for 3 boundaries: +inf pads the rest
    assert few.bin_boundaries == [1.0] and few(np.array([0.5, 1.5, 9.0])).numpy().tolist() \
        == [0, 1, 1]


def test_discretization_errors():
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[0.], num_bins=2)
    with pytest.raises(ValueError, match="give bin_boundaries"):
        layers.Discretization()
    with pytest.raises(ValueError, match="output_mode"):
        layers.Discretization(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="sorted"):
        layers.Discretization(bin_boundaries=[2., 1.])
    with pytest.raises(RuntimeError, match="adapt"):
        layers.Discretization(num_bins=3)(X)
    with pytest.raises(ValueError, match="cannot adapt"):
        layers.Discretization(bin_boundaries=[0.]).adapt(X)
    with pytest.raises(TypeError, match="numeric"):
        layers.Discretization(bin_boundaries=[0.])(np.array(["a"]))


# --- CategoryEncoding ---------------------------------------------------------------------
def test_category_encoding_keras_examples():
    one_hot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot([3, 2, 0, 1]).numpy(), np.eye(4)[[3, 2, 0, 1]])
    multi = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    np.testing.assert_array_equal(multi([[0, 1], [0, 0], [1, 2], [3, 1]]).numpy(),
                                  [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    count = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(count([[0, 1], [0, 0], [1, 2], [3, 1]],
                                     count_weights=weights).numpy(),
                               [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]],
                               rtol=1e-6)


def test_category_encoding_shapes_and_counts_match_numpy(rng):
    ids = rng.integers(0, 6, size=(5, 7))
    counts = np.stack([np.bincount(row, minlength=6) for row in ids]).astype(np.float32)
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="count")
    np.testing.assert_array_equal(layer(ids).numpy(), counts)
    np.testing.assert_array_equal(layer(ids[0]).numpy(), counts[0])  # rank 1: one sample
    np.testing.assert_array_equal(layer(np.int64(4)).numpy(), np.eye(6)[4])
    one_hot = layers.CategoryEncoding(num_tokens=6, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(ids[:, :1]).numpy(), np.eye(6)[ids[:, 0]])
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_array_equal(traced(engine.constant(ids)).numpy(), counts)
    out = traced.get_concrete_function(engine.TensorSpec([None, 7], engine.int64))
    assert out.structured_outputs.shape.as_list() == [None, 6]
    check_config_round_trip(layer, ids)


def test_category_encoding_errors(rng):
    layer = layers.CategoryEncoding(num_tokens=3, output_mode="multi_hot")
    with pytest.raises(InvalidArgumentError, match=r"\[0, num_tokens=3\).*from 0 to 5"):
        layer(np.array([[0, 5]]))
    with pytest.raises(InvalidArgumentError, match="num_tokens=3"):
        engine.function(lambda t: layer(t))(engine.constant([[-1, 1]]))
    with pytest.raises(ValueError, match="num_tokens must be set"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="output_mode"):
        layers.CategoryEncoding(num_tokens=3, output_mode="int")
    with pytest.raises(ValueError, match="count_weights"):
        layer(np.array([[0]]), count_weights=np.array([[1.0]]))
    with pytest.raises(ShapeError, match="rank at most 2"):
        layer(np.zeros((2, 2, 2), np.int64))
    with pytest.raises(engine.errors.DTypeError, match="integer"):
        layer(np.array(["a"]))


def test_numeric_layers_run_on_the_device_of_their_scope(gpu, rng):
    from tests.fake_gpu import FakeGPUArray

    x = rng.normal(size=(6, 3)).astype(np.float32)
    ids = rng.integers(0, 4, size=(6, 2))
    norm = layers.Normalization()
    norm.adapt(x)
    disc = layers.Discretization(bin_boundaries=[-0.5, 0.5])
    lookup = layers.IntegerLookup(vocabulary=[3, 1, 0])
    encode = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    cases = [(norm, x), (layers.Rescaling(2.0), x), (disc, x), (lookup, ids), (encode, ids)]
    expected = [layer(data).numpy() for layer, data in cases]
    with engine.device("/GPU:0"):
        for (layer, data), want in zip(cases, expected):
            got = layer(engine.constant(data))
            assert isinstance(got._value, FakeGPUArray), type(layer).__name__
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
