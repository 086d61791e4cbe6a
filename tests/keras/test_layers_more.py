"""The noise, spatial dropout and pass-through layers against NumPy, eager and traced.

GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D, ActivityRegularization,
Identity and UnitNormalization (GroupNormalization, EinsumDense and AbstractRNNCell are in
test_layers_more_dense.py). The noise layers are checked by their statistics (the mean and
variance Keras 2 promises), by the exact form of their outputs, and by their seeds.
"""

import math

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

NOISE_LAYERS = [
    (lambda: layers.GaussianNoise(0.5, seed=1), (4, 6)),
    (lambda: layers.GaussianDropout(0.3, seed=1), (4, 6)),
    (lambda: layers.AlphaDropout(0.3, seed=1), (4, 6)),
    (lambda: layers.SpatialDropout1D(0.5, seed=1), (2, 3, 4)),
    (lambda: layers.SpatialDropout2D(0.5, seed=1), (2, 3, 3, 4)),
    (lambda: layers.SpatialDropout3D(0.5, seed=1), (2, 2, 2, 2, 4)),
]
NOISE_IDS = ["gaussian_noise", "gaussian_dropout", "alpha_dropout", "spatial1d", "spatial2d",
             "spatial3d"]


@pytest.mark.parametrize("make,shape", NOISE_LAYERS, ids=NOISE_IDS)
def test_noise_layers_are_identities_at_inference_and_noisy_in_training(rng, make, shape):
    x = rng.normal(size=shape).astype(np.float32) + 2.0
    layer = make()
    for out in (layer(x), layer(x, training=False)):
        np.testing.assert_array_equal(out.numpy(), x)
    noisy = layer(x, training=True)
    assert noisy.shape == x.shape and noisy.dtype == engine.float32
    assert not np.allclose(noisy.numpy(), x)
    traced = engine.function(lambda t, training: layer(t, training=training))
    np.testing.assert_array_equal(traced(engine.constant(x), False).numpy(), x)
    first, second = (traced(engine.constant(x), True).numpy() for _ in range(2))
    assert not np.allclose(first, x) and not np.array_equal(first, second)  # new noise each run


def test_gaussian_noise_has_the_requested_spread(rng):
    x = rng.normal(size=(400, 500))
    out = layers.GaussianNoise(0.3, seed=2, dtype="float64")(x, training=True).numpy()
    noise = out - x
    assert abs(noise.mean()) < 4 * 0.3 / math.sqrt(noise.size)
    assert abs(noise.std() - 0.3) < 0.005


def test_gaussian_dropout_keeps_the_mean_and_has_dropout_variance():
    rate = 0.2
    out = layers.GaussianDropout(rate, seed=3, dtype="float64")(np.ones((400, 500)),
                                                                training=True).numpy()
    std = math.sqrt(rate / (1 - rate))
    assert abs(out.mean() - 1.0) < 4 * std / math.sqrt(out.size)
    assert abs(out.var() - rate / (1 - rate)) < 0.01


def test_alpha_dropout_matches_the_numpy_formula_and_keeps_mean_and_variance(rng):
    rate = 0.25
    x = rng.normal(size=(400, 500))
    out = layers.AlphaDropout(rate, seed=4, dtype="float64")(x, training=True).numpy()
    saturation = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
    b = -a * saturation * rate
    kept = np.isclose(out, a * x + b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out[~kept], a * saturation + b, rtol=1e-12)
    assert abs((~kept).mean() - rate) < 0.005
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1.0) < 0.01


def test_alpha_dropout_noise_shape_shares_the_pattern(rng):
    x = rng.normal(size=(8, 5, 6))
    out = layers.AlphaDropout(0.5, noise_shape=(None, 1, None), seed=5, dtype="float64")(
        x, training=True).numpy()
    saturation = -SELU_ALPHA * SELU_SCALE
    a = (0.5 * (1 + 0.5 * saturation ** 2)) ** -0.5
    dropped = np.isclose(out, a * saturation * 0.5, rtol=0, atol=1e-12)  # a * sat + b
    np.testing.assert_array_equal(dropped, np.broadcast_to(dropped[:, :1], dropped.shape))
    assert 0 < dropped.mean() < 1


@pytest.mark.parametrize("cls,shape,data_format,channel_axis", [
    (layers.SpatialDropout1D, (50, 6, 40), None, -1),
    (layers.SpatialDropout2D, (50, 3, 4, 40), "channels_last", -1),
    (layers.SpatialDropout2D, (50, 40, 3, 4), "channels_first", 1),
    (layers.SpatialDropout3D, (20, 2, 3, 2, 40), "channels_last", -1),
    (layers.SpatialDropout3D, (20, 40, 2, 3, 2), "channels_first", 1),
])
def test_spatial_dropout_drops_whole_channels(rng, cls, shape, data_format, channel_axis):
    x = rng.uniform(1.0, 2.0, size=shape)
    kwargs = {} if data_format is None else {"data_format": data_format}
    layer = cls(0.4, seed=6, dtype="float64", **kwargs)
    out = layer(x, training=True).numpy()
    kept = out != 0
    spatial = tuple(i for i in range(1, len(shape)) if i != channel_axis % len(shape))
    per_channel = kept.all(axis=spatial)
    np.testing.assert_array_equal(per_channel, kept.any(axis=spatial))  # all or nothing
    np.testing.assert_allclose(out[kept], x[kept] / 0.6, rtol=1e-12)
    assert abs(1 - per_channel.mean() - 0.4) < 0.06  # of 2000 (or 800) channel decisions


def test_spatial_dropout_with_unknown_sizes_in_a_traced_graph(rng):
    layer = layers.SpatialDropout2D(0.5, seed=7)
    traced = engine.function(lambda t: layer(t, training=True),
                             input_signature=[engine.TensorSpec([None, None, None, 8])])
    out = traced(engine.constant(rng.uniform(1, 2, size=(4, 3, 5, 8)).astype(np.float32)))
    kept = out.numpy() != 0
    np.testing.assert_array_equal(kept, np.broadcast_to(kept[:, :1, :1], kept.shape))


@pytest.mark.parametrize("make,shape", NOISE_LAYERS, ids=NOISE_IDS)
def test_seeds_make_the_noise_repeatable(rng, make, shape):
    x = rng.normal(size=shape).astype(np.float32) + 2.0
    runs = []
    for _ in range(2):
        engine.random.set_seed(11)
        layer = make()
        runs.append([layer(x, training=True).numpy() for _ in range(2)])
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0], runs[0][1])  # a sequence, not one draw repeated
    engine.random.set_seed(11)
    config = make().get_config()
    config.update(seed=12, name=None)
    other = type(make()).from_config(config)(x, training=True).numpy()
    assert not np.array_equal(other, runs[0][0])


@pytest.mark.parametrize("make,shape", NOISE_LAYERS, ids=NOISE_IDS)
def test_noise_layers_pass_masks_and_round_trip_configs(rng, make, shape):
    x = rng.normal(size=shape).astype(np.float32)
    x[0, 0] = 0.0
    out = make()(layers.Masking()(x), training=True)
    expected = np.any(x != 0, axis=-1)
    np.testing.assert_array_equal(out._keras_mask.numpy(), expected)
    clone = check_config_round_trip(make(), x)
    assert clone.seed == 1


def test_configs_hold_the_keras_arguments():
    assert layers.SpatialDropout2D(0.5, data_format="channels_first").get_config()[
        "data_format"] == "channels_first"
    assert "data_format" not in layers.SpatialDropout1D(0.5).get_config()
    assert layers.SpatialDropout3D(0.1).data_format == "channels_last"
    config = layers.AlphaDropout(0.1, noise_shape=(None, 1, 4)).get_config()
    assert config["noise_shape"] == (None, 1, 4) and config["rate"] == 0.1
    assert layers.GaussianNoise(0.2).get_config()["stddev"] == 0.2
    # A Keras 2 config of SpatialDropout carries Dropout's noise_shape=None.
    layer = layers.deserialize({"class_name": "SpatialDropout1D",
                                "config": {"rate": 0.3, "noise_shape": None, "seed": 2}})
    assert layer.rate == 0.3 and layer.seed == 2


def test_activity_regularization_adds_the_penalty_and_returns_inputs(rng):
    x = rng.normal(size=(5, 3))
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01, dtype="float64")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 5
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-12)
    layer(x, training=True)
    assert len(layer.losses) == 1  # recomputed per call, not accumulated
    assert layer.get_config()["l1"] == 0.1 and layer.get_config()["l2"] == 0.01
    check_config_round_trip(layer, x)


def test_activity_regularization_joins_the_model_loss(rng):
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = np.zeros((8, 2), np.float32)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d"),
                              layers.ActivityRegularization(l2=0.5)])
    model.compile(loss="mse")
    out = model.predict(x, verbose=0)
    expected = np.mean(out ** 2) + 0.5 * np.sum(out ** 2) / 8
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=8, verbose=0), expected,
                               rtol=1e-5)


def test_identity_returns_structures_and_masks(rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    out = layers.Identity()({"a": x, "b": [x, x]})
    np.testing.assert_array_equal(out["b"][1].numpy(), x)
    masked = layers.Identity()(layers.Masking()(np.zeros((2, 3, 1), np.float32)))
    assert not masked._keras_mask.numpy().any()
    traced = engine.function(lambda t: layers.Identity()(t))
    np.testing.assert_array_equal(traced(engine.constant(x)).numpy(), x)
    check_config_round_trip(layers.Identity(name="id"), x)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unit_normalization_matches_numpy_and_gradients(rng, axis):
    x = rng.normal(size=(3, 4, 5))
    layer = layers.UnitNormalization(axis=axis, dtype="float64")
    axes = tuple(axis) if isinstance(axis, list) else axis
    expected = x / np.sqrt(np.maximum((x ** 2).sum(axes, keepdims=True), 1e-12))
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(engine.function(lambda t: layer(t))(engine.constant(x)).numpy(),
                               expected, rtol=1e-12)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv])
    np.testing.assert_array_equal(layer(np.zeros((1, 4, 5))).numpy(), 0.0)
    check_config_round_trip(layer, x)


def test_bad_arguments_say_what_was_given_and_expected():
    with pytest.raises(ValueError, match=r"GaussianNoise: stddev must be >= 0.0; got "
                                         r"stddev=-1.0"):
        layers.GaussianNoise(-1.0)
    with pytest.raises(ValueError, match=r"GaussianDropout: rate must be in \[0.0, 1.0\); "
                                         r"got rate=1.5"):
        layers.GaussianDropout(1.5)
    with pytest.raises(ValueError, match=r"AlphaDropout: rate must be a number; got rate='x'"):
        layers.AlphaDropout("x")
    with pytest.raises(TypeError, match="AlphaDropout: noise_shape must be a list"):
        layers.AlphaDropout(0.1, noise_shape=3)
    with pytest.raises(TypeError, match="GaussianNoise: seed must be an int"):
        layers.GaussianNoise(0.1, seed=1.5)
    with pytest.raises(ValueError, match=r"SpatialDropout1D: rate must be in \[0.0, 1.0\); "
                                         r"got rate=1.0"):
        layers.SpatialDropout1D(1.0)
    with pytest.raises(ValueError, match=r"SpatialDropout2D: got data_format='nhwc'"):
        layers.SpatialDropout2D(0.1, data_format="nhwc")
    with pytest.raises(TypeError, match=r"SpatialDropout2D: got noise_shape=\(1, 2\)"):
        layers.SpatialDropout2D(0.1, noise_shape=(1, 2))
    with pytest.raises(ShapeError, match="spatial_check.*expected rank 4"):
        layers.SpatialDropout2D(0.1, name="spatial_check")(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"ActivityRegularization: l2 must be a number >= 0; "
                                         r"got l2=-0.1"):
        layers.ActivityRegularization(l2=-0.1)
    with pytest.raises(TypeError, match="builds its own from l1 and l2"):
        layers.ActivityRegularization(activity_regularizer="l2")
    with pytest.raises(TypeError, match=r"UnitNormalization: axis must be an int.*axis='x'"):
        layers.UnitNormalization(axis="x")
    with pytest.raises(ValueError, match="unit_check.*axis 3 is out of range"):
        layers.UnitNormalization(axis=3, name="unit_check")(np.ones((2, 3), np.float32))


def _smoke_model():
    return keras.Sequential([
        keras.Input((6, 4)),
        layers.GaussianNoise(0.05, seed=1),
        layers.EinsumDense("abc,cd->abd", output_shape=(None, 8), bias_axes="d",
                           activation="selu"),
        layers.GroupNormalization(groups=2),
        layers.SpatialDropout1D(0.1, seed=2),
        layers.AlphaDropout(0.05, seed=3),
        layers.Flatten(),
        layers.GaussianDropout(0.05, seed=4),
        layers.ActivityRegularization(l2=1e-4),
        layers.Identity(),
        layers.Dense(1),
    ])


def test_fit_a_model_of_the_new_layers_and_reload_it(rng):
    engine.random.set_seed(0)
    x = rng.normal(size=(64, 6, 4)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] * 0.5
    model = _smoke_model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=8, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    prediction = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), prediction)  # no noise
    clone = keras.models.model_from_json(model.to_json())
    assert [type(a) for a in clone.layers] == [type(a) for a in model.layers]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), prediction, rtol=1e-5, atol=1e-6)
