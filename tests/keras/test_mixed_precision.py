"""Tests for engine.keras.mixed_precision: policies, layer dtypes, autocast, training."""

import copy
import json

import numpy as np
import pytest

import engine
from engine.keras import backend, mixed_precision
from engine.keras.mixed_precision import Policy

K = engine.keras
L = engine.keras.layers
MIXED = ["mixed_float16", "mixed_bfloat16"]
# float16 keeps 11 significant bits, bfloat16 8: tolerances relative to the outputs' scale.
TOLERANCE = {"mixed_float16": 1e-2, "mixed_bfloat16": 6e-2}


@pytest.fixture(autouse=True)
def restored_policy():
    """Every test starts and ends with no global policy set (floatx float32)."""
    mixed_precision.set_global_policy(None)
    saved = backend.floatx()
    yield
    mixed_precision.set_global_policy(None)
    backend.set_floatx(saved)


@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("float16", "float16", "float16"),
    ("bfloat16", "bfloat16", "bfloat16"), ("float64", "float64", "float64"),
    ("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32")])
def test_policy_dtypes_and_config(name, compute, variable):
    policy = Policy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (
        name, compute, variable)
    assert repr(policy) == f'<Policy "{name}">'
    assert policy.get_config() == {"name": name}
    again = Policy.from_config(json.loads(json.dumps(policy.get_config())))
    assert (again.name, again.compute_dtype, again.variable_dtype) == (
        name, compute, variable)


def test_unknown_policy_names_say_what_was_expected():
    with pytest.raises(ValueError, match="'mixed_float32'.*mixed_float16.*mixed_bfloat16"):
        Policy("mixed_float32")
    with pytest.raises(ValueError, match="Did you mean 'mixed_float16'"):
        Policy("Mixed_Float16")
    with pytest.raises(TypeError, match="must be a string"):
        Policy(engine.float16)
    with pytest.raises(ValueError, match="unknown policy name 'float17'"):
        L.Dense(2, dtype="float17")
    with pytest.raises(ValueError, match="must compute in floats"):
        mixed_precision.set_global_policy("int32")
    with pytest.raises(TypeError, match="expected a Policy"):
        mixed_precision.set_global_policy(3)


def test_global_policy_follows_floatx_until_set():
    assert mixed_precision.global_policy().name == "float32"
    backend.set_floatx("float64")
    assert mixed_precision.global_policy().name == "float64"
    assert L.Dense(2).dtype == "float64"
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().name == "mixed_float16"
    backend.set_floatx("float32")  # a set policy does not follow floatx any more
    assert mixed_precision.global_policy().name == "mixed_float16"
    mixed_precision.set_global_policy(None)
    assert mixed_precision.global_policy().name == "float32"


def test_global_policy_is_read_when_a_layer_is_constructed():
    before = L.Dense(2)
    mixed_precision.set_global_policy("mixed_float16")
    after = L.Dense(2)
    mixed_precision.set_global_policy(None)
    assert before.dtype_policy.name == "float32"
    assert after.dtype_policy.name == "mixed_float16"
    assert after(np.ones((1, 3), np.float32)).dtype == engine.float16


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16", "float64", *MIXED])
def test_layer_dtypes_under_each_policy(name):
    mixed_precision.set_global_policy(name)
    layer = L.Dense(3)
    out = layer(np.ones((2, 4), np.float32))
    policy = Policy(name)
    assert layer.dtype_policy.name == name
    assert layer.compute_dtype == policy.compute_dtype
    assert layer.variable_dtype == layer.dtype == policy.variable_dtype
    assert out.dtype.name == policy.compute_dtype
    assert [w.dtype.name for w in layer.weights] == [policy.variable_dtype] * 2


def test_layer_accepts_a_policy_object_or_name():
    assert L.Dense(2, dtype=Policy("mixed_bfloat16")).compute_dtype == "bfloat16"
    assert L.Dense(2, dtype="mixed_float16").dtype == "float32"
    assert L.Dense(2, dtype=engine.float64).dtype_policy.name == "float64"


def _float32_twin(layer, make, x):
    """A float32 layer with the mixed layer's weights, and its output on `x`."""
    twin = make("float32")
    twin(x)
    twin.set_weights(layer.get_weights())
    return np.asarray(twin(x))


@pytest.mark.parametrize("policy", MIXED)
@pytest.mark.parametrize("kind", ["dense", "conv2d", "lstm", "lstm_generic", "gru"])
def test_mixed_layer_values_match_float32(policy, kind):
    rng = np.random.default_rng(0)
    makers = {
        "dense": (lambda d: L.Dense(5, dtype=d), (4, 6)),
        "conv2d": (lambda d: L.Conv2D(3, 3, dtype=d), (2, 6, 6, 2)),
        "lstm": (lambda d: L.LSTM(4, dtype=d), (2, 5, 3)),
        "lstm_generic": (lambda d: L.LSTM(4, dtype=d, recurrent_dropout=0.5), (2, 5, 3)),
        "gru": (lambda d: L.GRU(4, dtype=d), (2, 5, 3)),
    }
    make, shape = makers[kind]
    x = rng.normal(size=shape).astype(np.float32)
    layer = make(policy)
    out = layer(x)  # training=False: no dropout in the generic path either
    assert out.dtype.name == Policy(policy).compute_dtype
    assert all(w.dtype == engine.float32 for w in layer.weights)
    expected = _float32_twin(layer, make, x)
    got = np.asarray(out).astype(np.float32)
    np.testing.assert_allclose(got, expected, atol=TOLERANCE[policy] * (
        1 + np.abs(expected).max()))
    assert not np.array_equal(got, expected)  # it did compute in half precision


class _Recorder(L.Layer):
    """Records the dtype its weight has inside call."""

    def build(self, input_shape):
        self.w = self.add_weight("w", shape=[input_shape[-1]], initializer="ones")
        self.seen = []

    def call(self, x):
        self.seen.append(self.w.dtype)
        return x * self.w


@pytest.mark.parametrize("policy", MIXED)
def test_weights_read_in_compute_dtype_inside_call_only(policy):
    layer = _Recorder(dtype=policy)
    out = layer(np.ones((2, 3), np.float32))
    half = engine.as_dtype(Policy(policy).compute_dtype)
    assert layer.seen == [half] and out.dtype == half
    assert isinstance(layer.w, engine.Variable) and layer.w.dtype == engine.float32
    layer.w.assign([2.0, 2.0, 2.0])  # outside call it is the float32 variable
    assert layer.w.dtype == engine.float32
    np.testing.assert_array_equal(np.asarray(layer(np.ones((1, 3), np.float32))), [[2, 2, 2]])
    traced = engine.function(lambda x: layer(x), autograph=False)
    assert traced(np.ones((1, 3), np.float32)).dtype == half
    assert layer.seen[-1] == half


def test_gradients_of_autocast_weights_are_float32():
    layer = L.Dense(2, dtype="mixed_float16", kernel_regularizer="l2")
    x = np.ones((3, 4), np.float32)
    with engine.GradientTape() as tape:
        loss = engine.reduce_sum(engine.cast(layer(x), engine.float32)) + sum(layer.losses)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert [g.dtype for g in grads] == [engine.float32, engine.float32]
    np.testing.assert_allclose(np.asarray(grads[1]), [3.0, 3.0])


def test_float32_layers_keep_their_class_and_plain_weights():
    plain = L.Dense(2)
    plain(np.ones((1, 3), np.float32))
    assert type(plain) is L.Dense and "kernel" in vars(plain)
    mixed = L.Dense(2, dtype="mixed_float16")
    mixed(np.ones((1, 3), np.float32))
    assert isinstance(mixed, L.Dense) and type(mixed).__name__ == "Dense"
    assert copy.deepcopy(mixed)(np.ones((1, 3), np.float32)).dtype == engine.float16


@pytest.mark.parametrize("policy", MIXED)
def test_normalization_keeps_float32_statistics(policy):
    half = engine.as_dtype(Policy(policy).compute_dtype)
    bn = L.BatchNormalization(dtype=policy)
    x = (np.random.default_rng(1).normal(size=(64, 3)) * 50 + 300).astype(np.float32)
    out = bn(x, training=True)
    assert out.dtype == half
    assert all(w.dtype == engine.float32 for w in bn.weights)
    assert np.abs(np.asarray(out).astype(np.float32).mean(0)).max() < 0.05
    assert np.all(np.asarray(bn.moving_mean) > 2.0)  # updated in float32
    ln = L.LayerNormalization(dtype=policy)
    assert ln(x).dtype == half and all(w.dtype == engine.float32 for w in ln.weights)


@pytest.mark.parametrize("policy", MIXED)
def test_embedding_and_attention_compute_in_half(policy):
    half = engine.as_dtype(Policy(policy).compute_dtype)
    emb = L.Embedding(10, 4, dtype=policy)
    assert emb(np.array([[1, 2, 3]])).dtype == half
    assert emb.embeddings.dtype == engine.float32
    mha = L.MultiHeadAttention(2, 4, dtype=policy)  # builds its weights inside call
    q = np.random.default_rng(2).normal(size=(2, 3, 8)).astype(np.float32)
    assert mha(q, q).dtype == half
    assert all(w.dtype == engine.float32 for w in mha.weights)


def test_float32_output_layer_and_loss_in_float32():
    mixed_precision.set_global_policy("mixed_float16")
    model = K.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2),
                          L.Activation("softmax", dtype="float32")])
    assert [layer.compute_dtype for layer in model.layers] == ["float16", "float16",
                                                               "float32"]
    assert model(np.ones((2, 3), np.float32)).dtype == engine.float32
    half_out = K.Sequential([L.Dense(1, input_shape=(3,))])
    half_out.compile("sgd", "mse")
    loss = half_out.compute_loss(None, np.ones((2, 1), np.float32),
                                 half_out(np.ones((2, 3), np.float32)))
    assert loss.dtype == engine.float32


@pytest.mark.parametrize("policy", MIXED)
@pytest.mark.parametrize("run_eagerly", [True, False])
def test_model_trains_under_mixed_precision(policy, run_eagerly):
    mixed_precision.set_global_policy(policy)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype(np.float32)
    y = (x @ rng.normal(size=(6, 1)) > 0).astype(np.float32)
    engine.random.set_seed(0)
    model = K.Sequential([L.Dense(16, activation="relu", input_shape=(6,)),
                          L.BatchNormalization(), L.Dense(1),
                          L.Activation("sigmoid", dtype="float32")])
    model.compile(K.optimizers.Adam(0.02), "binary_crossentropy", run_eagerly=run_eagerly)
    wrapped = type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert wrapped == (policy == "mixed_float16")
    history = model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.3 < history.history["loss"][0]
    assert all(w.dtype == engine.float32 for w in model.weights)


def test_serialized_model_keeps_its_policies():
    mixed_precision.set_global_policy("mixed_float16")
    model = K.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2, dtype="float32"),
                          L.Dense(2, dtype="mixed_bfloat16")])
    config = json.loads(json.dumps(model.get_config()))
    mixed_precision.set_global_policy(None)
    rebuilt = K.Sequential.from_config(config)
    assert [layer.dtype_policy.name for layer in rebuilt.layers] == [
        "mixed_float16", "float32", "mixed_bfloat16"]
    assert rebuilt.layers[0].get_config()["dtype"] == {
        "class_name": "Policy", "config": {"name": "mixed_float16"}}
    assert rebuilt.layers[1].get_config()["dtype"] == "float32"
    assert rebuilt(np.ones((1, 3), np.float32)).dtype == engine.bfloat16
