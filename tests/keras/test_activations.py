"""Tests for engine.keras.activations: NumPy references, gradients, tracing, lookup."""

import math
import warnings

import numpy as np
import pytest

import engine
from engine.keras import activations
from engine.keras.utils import register_keras_serializable
from tests.opcheck import check_op

_erf = np.vectorize(math.erf)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def away_from(points, shape=(3, 5), seed=1, gap=0.1):
    """Values in [-8, 8] at least `gap` from each kink, so finite differences are exact."""
    x = np.random.default_rng(seed).uniform(-8, 8, shape)
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + np.where(x[close] >= p, 2 * gap, -2 * gap)
    return x


def ref_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def ref_relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's relu, piecewise, for threshold >= 0."""
    top = np.inf if max_value is None else max_value
    return np.where(x >= top, top, np.where(x > threshold, x, alpha * (x - threshold)))


def ref_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


# (name, kwargs, NumPy reference, kinks to keep inputs away from)
CASES = [
    ("relu", {}, lambda x: np.maximum(x, 0), [0]),
    ("relu", {"alpha": 0.3}, lambda x: np.where(x > 0, x, 0.3 * x), [0]),
    ("relu", {"max_value": 4.0}, lambda x: np.clip(x, 0, 4.0), [0, 4]),
    ("relu", {"max_value": 6}, lambda x: np.clip(x, 0, 6), [0, 6]),
    ("relu", {"threshold": 1.5}, lambda x: ref_relu(x, threshold=1.5), [1.5]),
    ("relu", {"alpha": 0.5, "max_value": 5.0, "threshold": 1.0},
     lambda x: ref_relu(x, 0.5, 5.0, 1.0), [1, 5]),
    ("relu", {"alpha": 0.2, "max_value": 3.0}, lambda x: ref_relu(x, 0.2, 3.0), [0, 3]),
    ("sigmoid", {}, lambda x: 1 / (1 + np.exp(-x)), []),
    ("softmax", {}, ref_softmax, []),
    ("softmax", {"axis": 0}, lambda x: ref_softmax(x, axis=0), []),
    ("softmax", {"axis": (0, 1)}, lambda x: ref_softmax(x, axis=(0, 1)), []),
    ("log_softmax", {}, ref_log_softmax, []),
    ("log_softmax", {"axis": (0, 1)}, lambda x: ref_log_softmax(x, axis=(0, 1)), []),
    ("softplus", {}, lambda x: np.logaddexp(0, x), []),
    ("softsign", {}, lambda x: x / (1 + np.abs(x)), [0]),
    ("tanh", {}, np.tanh, []),
    ("selu", {}, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), [0]),
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x)), [0]),
    ("elu", {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), [0]),
    ("exponential", {}, np.exp, []),
    ("gelu", {}, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), []),
    ("gelu", {"approximate": True}, ref_gelu_tanh, []),
    ("hard_sigmoid", {}, lambda x: np.clip(0.2 * x + 0.5, 0, 1), [-2.5, 2.5]),
    ("silu", {}, lambda x: x / (1 + np.exp(-x)), []),
    ("swish", {}, lambda x: x / (1 + np.exp(-x)), []),
    ("linear", {}, lambda x: x, []),
    ("mish", {}, lambda x: x * np.tanh(np.logaddexp(0, x)), []),
    ("relu6", {}, lambda x: np.clip(x, 0, 6), [0, 6]),
    ("leaky_relu", {}, lambda x: np.where(x > 0, x, 0.2 * x), [0]),
    ("leaky_relu", {"negative_slope": 0.05}, lambda x: np.where(x > 0, x, 0.05 * x), [0]),
]
IDS = [f"{name}-{kwargs}" for name, kwargs, _, _ in CASES]


@pytest.mark.parametrize("name, kwargs, ref, kinks", CASES, ids=IDS)
def test_forward_and_gradient_match_numpy(name, kwargs, ref, kinks):
    fn = getattr(activations, name)
    x = away_from(kinks)
    check_op(lambda t: fn(t, **kwargs), ref, [x], rtol=None)


@pytest.mark.parametrize("name, kwargs, ref, kinks", CASES, ids=IDS)
def test_traced_equals_eager(name, kwargs, ref, kinks):
    fn = getattr(activations, name)
    x = engine.constant(away_from(kinks, seed=2).astype("float32"))
    traced = engine.function(lambda t: fn(t, **kwargs))
    np.testing.assert_allclose(traced(x).numpy(), fn(x, **kwargs).numpy(), rtol=1e-6,
                               atol=1e-7)


def test_relu_with_negative_threshold_follows_keras_formula():
    # clip(x * (x > t), 0, max) - alpha * relu(t - x): values in (t, 0) become 0.
    x = engine.constant([-3.0, -0.5, 0.5, 4.0], dtype="float64")
    got = activations.relu(x, alpha=0.1, max_value=2.0, threshold=-1.0).numpy()
    np.testing.assert_allclose(got, [-0.2, 0.0, 0.5, 2.0])


def test_relu_max_value_is_clamped_exactly_at_large_inputs():
    x = engine.constant([1e6, -1e6])
    assert activations.relu(x, max_value=2.5).numpy().tolist() == [2.5, 0.0]


def test_softmax_sums_to_one_on_large_logits():
    x = engine.constant([[1000.0, 1000.0, -1000.0]])
    np.testing.assert_allclose(activations.softmax(x).numpy(), [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(activations.softmax(x, axis=(0, 1)).numpy(), [[0.5, 0.5, 0.0]])


def test_float32_inputs_stay_float32():
    x = engine.constant([[-1.0, 2.0]])
    for name, kwargs, _, _ in CASES:
        assert getattr(activations, name)(x, **kwargs).dtype == engine.float32, name


# --- lookup and serialization ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_get_serialize_deserialize_round_trip(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.get(activations.serialize(fn)) is fn
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_get_none_is_linear_and_callables_pass_through():
    assert activations.get(None) is activations.linear

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom
    assert activations.get(engine.nn.relu) is engine.nn.relu


def test_swish_is_silu():
    assert activations.get("swish") is activations.silu
    assert activations.serialize(activations.swish) == "silu"


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match="Unknown activation 'rellu'.*Did you mean 'relu'"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="Unknown activation"):
        activations.deserialize({"class_name": "nope", "config": {}})


def test_bad_identifier_types_are_rejected():
    with pytest.raises(TypeError, match="as an activation"):
        activations.get(3)
    with pytest.raises(TypeError, match="expected a name"):
        activations.deserialize(activations.relu)


def test_lambda_cannot_be_serialized():
    with pytest.raises(ValueError, match="lambda"):
        activations.serialize(lambda x: x)


def test_registered_custom_activation_round_trips():
    @register_keras_serializable(package="test_activations")
    def cube(x):
        return x * x * x

    name = activations.serialize(cube)
    assert name == "test_activations>cube"
    assert activations.get(name) is cube
    assert activations.deserialize("cube", custom_objects={"cube": cube}) is cube


def test_activation_layers_deserialize():
    """Keras 2 also deserializes activation layers such as LeakyReLU by name."""
    from engine.keras import layers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = activations.deserialize({"class_name": "LeakyReLU", "config": {}})
    assert isinstance(layer, layers.LeakyReLU)
