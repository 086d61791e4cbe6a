"""Activation layers against NumPy, with gradients, masks, configs and activation lookup."""

import numpy as np
import pytest

import engine
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def relu_ref(x, max_value=None, negative_slope=0.0, threshold=0.0):
    out = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return out if max_value is None else np.minimum(out, max_value)


CASES = [
    (lambda: layers.ReLU(dtype="float64"), relu_ref),
    (lambda: layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5, dtype="float64"),
     lambda x: relu_ref(x, 1.5, 0.1, 0.5)),
    (lambda: layers.LeakyReLU(dtype="float64"), lambda x: np.where(x > 0, x, 0.3 * x)),
    (lambda: layers.ELU(alpha=0.7, dtype="float64"),
     lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    (lambda: layers.ThresholdedReLU(theta=0.4, dtype="float64"),
     lambda x: np.where(x > 0.4, x, 0.0)),
    (lambda: layers.Softmax(dtype="float64"), np_softmax),
    (lambda: layers.Softmax(axis=[1, 2], dtype="float64"),
     lambda x: np.exp(x) / np.exp(x).sum((1, 2), keepdims=True)),
]


@pytest.mark.parametrize("make,ref", CASES)
def test_activation_layers_match_numpy(rng, make, ref):
    x = rng.normal(size=(3, 4, 5)) * 2
    x = np.where(np.abs(np.abs(x) - 0.45) < 0.06, 1.0, x)  # keep off the kinks
    x = np.where(np.abs(x - 1.5) < 0.05, 1.0, x)
    layer = make()
    np.testing.assert_allclose(layer(x).numpy(), ref(x), rtol=1e-12, atol=1e-14)
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(engine.constant(x)).numpy(), ref(x), rtol=1e-12,
                               atol=1e-14)
    variable = engine.Variable(x)
    check_layer_gradients(lambda: layer(variable), [variable])
    check_config_round_trip(layer, x)
    masked = layer(layers.Masking(dtype="float64")(x))
    assert getattr(masked, "_keras_mask", None) is not None  # masks pass through


def test_softmax_mask_gives_masked_positions_zero_probability(rng):
    x = rng.normal(size=(2, 4)).astype(np.float32)
    mask = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], bool)
    out = layers.Softmax()(x, mask=mask)
    expected = np_softmax(np.where(mask, x, -np.inf))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_prelu_learns_slopes_per_shared_axes(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    layer = layers.PReLU(shared_axes=[1, 2], dtype="float64")
    layer(x)
    assert layer.alpha.shape == (1, 1, 5)
    alpha = rng.normal(size=(1, 1, 5))
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).numpy(), np.where(x > 0, x, alpha * x), rtol=1e-12)
    variable = engine.Variable(x)
    check_layer_gradients(lambda: layer(variable), [variable, layer.alpha])
    check_config_round_trip(layer, x)
    inputs = keras.Input(shape=(3, 4, 5), dtype="float64")
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model(x).numpy(), np.where(x > 0, x, alpha * x), rtol=1e-6)
    with pytest.raises(ValueError, match=r"p \(PReLU\).*batch axis 0 cannot be shared"):
        layers.PReLU(shared_axes=0, name="p")(x)
    with pytest.raises(ValueError, match="unknown size"):
        layers.PReLU().build(engine.TensorShape((None, None, 3)))


def test_activation_layers_resolve_as_activations():
    dense = layers.Dense(2, activation=layers.LeakyReLU(alpha=0.1))
    config = layers.serialize(dense)
    assert config["config"]["activation"]["class_name"] == "LeakyReLU"
    clone = layers.deserialize(config)
    assert isinstance(clone.activation, layers.LeakyReLU) and clone.activation.alpha == 0.1
    assert isinstance(keras.activations.get("ReLU"), layers.ReLU)
    out = keras.activations.get({"class_name": "ELU", "config": {"alpha": 2.0}})(
        engine.constant([-100.0]))
    np.testing.assert_allclose(out.numpy(), [-2.0])


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="ReLU: max_value must be >= 0"):
        layers.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="LeakyReLU: alpha must be a number"):
        layers.LeakyReLU(alpha=None)
    with pytest.raises(ValueError, match="ThresholdedReLU: theta must be >= 0"):
        layers.ThresholdedReLU(theta=-0.5)
