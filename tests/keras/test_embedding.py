"""Embedding and Masking: lookups, masks that reach the next layers, errors, training."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidIndexError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


class MaskedMean(layers.Layer):
    """Averages the unmasked time steps: a downstream layer that uses its mask."""

    supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return engine.reduce_mean(x, 1)
        weights = engine.cast(mask, x.dtype)[..., None]
        return engine.reduce_sum(x * weights, 1) / engine.reduce_sum(weights, 1)

    def compute_mask(self, inputs, mask=None):
        return None


def test_embedding_looks_up_rows(rng):
    layer = layers.Embedding(7, 3, name="emb")
    ids = rng.integers(0, 7, size=(4, 5))
    out = layer(ids)
    table = layer.get_weights()[0]
    assert [w.name for w in layer.weights] == ["emb/embeddings:0"] and table.shape == (7, 3)
    assert np.all(np.abs(table) <= 0.05)  # "uniform": U(-0.05, 0.05)
    np.testing.assert_array_equal(out.numpy(), table[ids])
    assert out.dtype == engine.float32
    for dtype in (np.int64, np.float32):  # float ids (a float Input) are cast to int32
        np.testing.assert_array_equal(layer(ids.astype(dtype)).numpy(), table[ids])
    assert getattr(out, "_keras_mask", None) is None
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_array_equal(traced(engine.constant(ids)).numpy(), table[ids])


def test_mask_zero_masks_padding_for_the_next_layers(rng):
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0], [1, 2, 3, 4]])
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(ids)
    np.testing.assert_array_equal(out._keras_mask.numpy(), ids != 0)
    table = layer.get_weights()[0]
    keep = (ids != 0)[..., None]
    expected = (table[ids] * keep).sum(1) / keep.sum(1)
    np.testing.assert_allclose(MaskedMean()(out).numpy(), expected, rtol=1e-6)
    model = keras.Sequential([layer, MaskedMean()])
    np.testing.assert_allclose(model(ids).numpy(), expected, rtol=1e-6)
    inputs = keras.Input(shape=(None,), dtype="int32")
    functional = keras.Model(inputs, MaskedMean()(layer(inputs)))
    np.testing.assert_allclose(functional(ids).numpy(), expected, rtol=1e-6)
    traced = engine.function(lambda t: MaskedMean()(layer(t)))
    np.testing.assert_allclose(traced(engine.constant(ids)).numpy(), expected, rtol=1e-6)


def test_out_of_range_ids_name_the_layer_and_input_dim():
    layer = layers.Embedding(4, 2, name="words")
    with pytest.raises(InvalidIndexError, match=r"words \(Embedding\).*input_dim=4.* = 5"):
        layer(np.array([[1, 5]]))
    with pytest.raises(InvalidIndexError, match="input_dim=4.* = -1"):
        layer(np.array([[-1, 2]]))
    traced = engine.function(lambda t: layer(t))
    with pytest.raises(InvalidIndexError, match=r"words/GatherV2.*not in \[0, 4\)"):
        traced(engine.constant([[1, 7]]))
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        layers.Embedding(0, 2)


def test_embedding_gradient_and_training(rng):
    layer = layers.Embedding(5, 3, dtype="float64")
    ids = np.array([[1, 1, 4], [0, 1, 2]])  # repeated ids add up
    layer(ids)
    check_layer_gradients(lambda: layer(ids), [layer.embeddings])
    x = rng.integers(1, 10, size=(64, 6))
    y = (x.sum(1, keepdims=True) > 30).astype(np.float32)
    losses = []
    for eager in (False, True):
        engine.random.set_seed(2)
        model = keras.Sequential([layers.Embedding(10, 4, input_length=6), layers.Flatten(),
                                  layers.Dense(1, activation="sigmoid")])
        assert model.output_shape == (None, 1)  # input_length gives the input shape
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                      run_eagerly=eager)
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        losses.append(history.history["loss"])
    assert losses[0][-1] < losses[0][0]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)


def test_embedding_config_round_trip(rng):
    layer = layers.Embedding(6, 2, mask_zero=True, embeddings_regularizer="l2",
                             input_length=3)
    clone = check_config_round_trip(layer, rng.integers(0, 6, size=(2, 3)))
    assert clone.mask_zero and clone.input_length == 3
    assert clone.get_config()["batch_input_shape"] == [None, 3]
    assert len(layer.losses) == 1


def test_masking_zeroes_and_masks_padded_steps(rng):
    x = rng.normal(size=(2, 4, 3))
    x[0, 1] = -1.0
    x[1, 3] = -1.0
    x[1, 0, 0] = -1.0  # one feature equal to mask_value does not mask the step
    layer = layers.Masking(mask_value=-1.0, dtype="float64")
    out = layer(x)
    keep = np.any(x != -1.0, -1)
    np.testing.assert_array_equal(out._keras_mask.numpy(), keep)
    np.testing.assert_array_equal(out.numpy(), x * keep[..., None])
    traced = engine.function(lambda t: layer(t)._keras_mask)
    np.testing.assert_array_equal(traced(engine.constant(x)).numpy(), keep)
    inputs = keras.Input(shape=(4, 3), dtype="float64")
    model = keras.Model(inputs, MaskedMean(dtype="float64")(layer(inputs)))
    expected = (x * keep[..., None]).sum(1) / keep.sum(1, keepdims=True)
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6)
    # The mask is piecewise constant (finite differences would cross its edges): the
    # gradient passes through the kept steps only.
    variable = engine.Variable(x)
    with engine.GradientTape() as tape:
        total = engine.reduce_sum(layer(variable) * 3.0)
    np.testing.assert_array_equal(tape.gradient(total, variable).numpy(),
                                  np.broadcast_to(3.0 * keep[..., None], x.shape))
    check_config_round_trip(layer, x)
    with pytest.raises(TypeError, match="mask_value must be a number"):
        layers.Masking(mask_value="pad")
