"""BatchNormalization and LayerNormalization against NumPy, in eager, traced and model use."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def normalize(x, axes, gamma, beta, eps, mean=None, var=None):
    """NumPy reference: statistics over every axis but `axes` (unless given)."""
    reduce = tuple(i for i in range(x.ndim) if i not in axes)
    shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    if mean is None:
        mean, var = x.mean(reduce, keepdims=True), x.var(reduce, keepdims=True)
    mean, var = np.reshape(mean, shape), np.reshape(var, shape)
    out = (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)
    return out, mean.reshape(-1), var.reshape(-1)


def random_bn(rng, axis, channels, momentum=0.9, **kwargs):
    layer = layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=1e-3,
                                      dtype="float64", **kwargs)
    return layer, [rng.normal(size=channels) + 1.0, rng.normal(size=channels),
                   rng.normal(size=channels), rng.uniform(0.5, 2.0, size=channels)]


@pytest.mark.parametrize("shape,axis", [((8, 5), -1), ((4, 3, 2, 2), 1), ((4, 2, 2, 3), 3)])
def test_batch_norm_training_and_inference_match_numpy(rng, shape, axis):
    channels = shape[axis]
    layer, weights = random_bn(rng, axis, channels)
    layer.build(engine.TensorShape(shape))
    layer.set_weights(weights)
    gamma, beta, moving_mean, moving_var = weights
    axes = [axis % len(shape)]
    for step in range(2):
        x = rng.normal(size=shape) * (step + 1) + step
        out = layer(x, training=True)
        expected, mean, var = normalize(x, axes, gamma, beta, 1e-3)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
        moving_mean = moving_mean * 0.9 + mean * 0.1
        moving_var = moving_var * 0.9 + var * 0.1
        np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance.numpy(), moving_var, rtol=1e-12)
    x = rng.normal(size=shape)
    expected, _, _ = normalize(x, axes, gamma, beta, 1e-3, moving_mean, moving_var)
    for out in (layer(x, training=False), layer(x)):  # inference is the default
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-12)


def test_batch_norm_weights_are_named_and_ordered_as_keras():
    layer = layers.BatchNormalization(name="bn")
    layer(np.ones((2, 3), np.float32))
    assert [w.name for w in layer.weights] == ["bn/gamma:0", "bn/beta:0", "bn/moving_mean:0",
                                               "bn/moving_variance:0"]
    assert [w.name for w in layer.trainable_weights] == ["bn/gamma:0", "bn/beta:0"]
    bare = layers.BatchNormalization(center=False, scale=False)
    bare(np.ones((2, 3), np.float32))
    assert bare.trainable_weights == [] and len(bare.weights) == 2


def test_several_axes_keep_statistics_per_position(rng):
    x = rng.normal(size=(6, 2, 3))
    layer = layers.BatchNormalization(axis=[1, 2], momentum=0.0, dtype="float64")
    out = layer(x, training=True)
    assert layer.gamma.shape == (1, 2, 3)
    expected, mean, var = normalize(x, [1, 2], np.ones(6), np.zeros(6), 1e-3)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(layer.moving_mean.numpy().reshape(-1), mean, rtol=1e-12)


def test_frozen_batch_norm_runs_in_inference_mode(rng):
    layer, weights = random_bn(rng, -1, 3)
    layer.build(engine.TensorShape((5, 3)))
    layer.set_weights(weights)
    layer.trainable = False
    x = rng.normal(size=(5, 3))
    out = layer(x, training=True)
    expected, _, _ = normalize(x, [1], weights[0], weights[1], 1e-3, weights[2], weights[3])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(layer.moving_mean.numpy(), weights[2])
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_traced_updates_run_on_every_call_of_the_graph(rng):
    eager, weights = random_bn(rng, -1, 4)
    traced = layers.BatchNormalization(momentum=0.9, epsilon=1e-3, dtype="float64")
    for layer in (eager, traced):
        layer.build(engine.TensorShape((6, 4)))
        layer.set_weights(weights)
    traces = []

    def train(x):
        traces.append(1)
        return traced(x, training=True)

    step = engine.function(train)
    for k in range(3):
        x = rng.normal(size=(6, 4)) + k
        np.testing.assert_allclose(step(engine.constant(x)).numpy(),
                                   eager(x, training=True).numpy(), rtol=1e-12)
    assert len(traces) == 1  # one graph ran three times, updating the statistics each time
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_masked_positions_do_not_count_in_batch_statistics(rng):
    x = rng.normal(size=(3, 4, 2))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]], bool)
    layer = layers.BatchNormalization(momentum=0.0, dtype="float64")
    layer(x, training=True, mask=engine.constant(mask))
    kept = x[mask]  # (count, 2)
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(0), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(0), rtol=1e-12)
    embedded = layers.Masking(dtype="float64")(np.where(mask[..., None], x, 0.0))
    out = layers.BatchNormalization(momentum=0.0, dtype="float64")
    out(embedded, training=True)
    np.testing.assert_allclose(out.moving_mean.numpy(), kept.mean(0), rtol=1e-12)


def test_batch_norm_gradients_match_finite_differences(rng):
    for axis, shape in ((-1, (5, 3)), (1, (3, 2, 4))):
        layer, weights = random_bn(rng, axis, shape[axis])
        layer.build(engine.TensorShape(shape))
        layer.set_weights(weights)
        x = engine.Variable(rng.normal(size=shape))
        variables = [x, layer.gamma, layer.beta]
        check_layer_gradients(lambda: layer(x, training=True), variables)
        check_layer_gradients(lambda: layer(x, training=False), variables)


def test_half_precision_inputs_compute_statistics_in_float32(rng):
    x = (1000.0 + rng.normal(size=(16, 3))).astype(np.float16)
    layer = layers.BatchNormalization(dtype="float16", momentum=0.0)
    out = layer(x, training=True)
    assert out.dtype == engine.float16 and layer.gamma.dtype == engine.float32
    expected, mean, _ = normalize(x.astype(np.float32), [1], np.ones(3), np.zeros(3), 1e-3)
    np.testing.assert_allclose(out.numpy().astype(np.float32), expected, atol=2e-2)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-6)
    norm = layers.LayerNormalization(dtype="float16")
    out = norm(x)
    assert out.dtype == engine.float16
    expected, _, _ = normalize(x.astype(np.float32).T, [1], np.ones(16), np.zeros(16), 1e-3)
    np.testing.assert_allclose(out.numpy().astype(np.float32), expected.T, atol=2e-2)


def test_batch_norm_in_fit_traced_and_eager_agree(rng):
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32))[:, None] + 5.0
    results = []
    for eager in (False, True):
        engine.random.set_seed(1)
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8),
                                  layers.BatchNormalization(), layers.Dense(1)])
        if results:
            model.set_weights(results[0][0])
        start = model.get_weights()
        model.compile(optimizer="sgd", loss="mse", run_eagerly=eager)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append((start, model.get_weights(), model.predict(x, verbose=0)))
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)  # the statistics moved
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-4, atol=1e-4)


def test_functional_model_and_config_round_trip(rng):
    x = rng.normal(size=(4, 3, 5)).astype(np.float32)
    inputs = keras.Input(shape=(3, 5))
    bn = layers.BatchNormalization(axis=1, momentum=0.5)
    model = keras.Model(inputs, bn(inputs))
    model(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean((0, 2)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(model(x).numpy(), bn(x).numpy(), rtol=1e-6)
    clone = check_config_round_trip(bn, x)
    assert clone.axis == 1 and clone.momentum == 0.5
    norm = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5,
                                     gamma_regularizer="l2", beta_constraint="non_neg")
    check_config_round_trip(norm, x)


@pytest.mark.parametrize("shape,axis", [((4, 6), -1), ((3, 4, 5), [1, 2]), ((3, 4, 5), 1)])
def test_layer_norm_matches_numpy_and_gradients(rng, shape, axis):
    x = rng.normal(size=shape) * 3 + 2
    axes = [a % len(shape) for a in ([axis] if isinstance(axis, int) else axis)]
    layer = layers.LayerNormalization(axis=axis, dtype="float64")
    layer.build(engine.TensorShape(shape))
    param = [shape[a] for a in axes]
    gamma, beta = rng.normal(size=param), rng.normal(size=param)
    layer.set_weights([gamma, beta])
    reduce = tuple(axes)
    mean, var = x.mean(reduce, keepdims=True), x.var(reduce, keepdims=True)
    bshape = [shape[i] if i in axes else 1 for i in range(len(shape))]
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-10, atol=1e-12)
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(engine.constant(x)).numpy(), expected, rtol=1e-10,
                               atol=1e-12)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv, layer.gamma, layer.beta])


def test_layer_norm_passes_masks_through():
    x = np.array([[[1.0, 2.0], [0.0, 0.0]]], np.float32)
    out = layers.LayerNormalization()(layers.Masking()(x))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False]])


def test_bad_arguments_and_inputs_name_the_layer():
    layer = layers.BatchNormalization(name="bn_check")
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ShapeError, match="bn_check.*axis 1 of size 3"):
        layer(np.ones((2, 4), np.float32))
    with pytest.raises(ShapeError, match="bn_check.*rank 2"):
        layer(np.ones((2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="ln_check.*axis 3 is out of range"):
        layers.LayerNormalization(axis=3, name="ln_check")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="unknown|known size"):
        layers.BatchNormalization().build(engine.TensorShape((None, None)))
    with pytest.raises(ValueError, match="momentum must be in"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(TypeError, match="axis must be an int"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="epsilon"):
        layers.LayerNormalization(epsilon=-1.0)
