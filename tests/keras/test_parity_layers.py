"""Layer behaviours found by comparing with Keras 2 (tf.keras): shapes and attributes."""

from __future__ import annotations

import numpy as np
import pytest

import engine

layers = engine.keras.layers


@pytest.mark.parametrize("layer", [layers.Attention, layers.AdditiveAttention])
def test_dense_attention_compute_output_shape_of_a_list_of_shapes(layer):
    # A list of shape tuples is one shape per input, not a nest of dimensions.
    shape = layer().compute_output_shape([(2, 3, 4), (2, 5, 4)])
    assert shape.as_list() == [2, 3, 4]


def test_multi_head_attention_compute_output_shape():
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    assert mha.compute_output_shape((None, 3, 5), (None, 4, 6)).as_list() == [None, 3, 5]
    projected = layers.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=7)
    assert projected.compute_output_shape((2, 3, 5), (2, 4, 6)).as_list() == [2, 3, 7]
    query, value = np.zeros((2, 3, 5), np.float32), np.zeros((2, 4, 6), np.float32)
    assert projected(query, value).shape.as_list() == [2, 3, 7]
    with pytest.raises(ValueError, match="same steps"):
        mha.compute_output_shape((None, 3, 5), (None, 4, 5), (None, 2, 5))


def test_flatten_with_unknown_batch_and_feature_axes():
    assert layers.Flatten().compute_output_shape((None, None, 4)).as_list() == [None, None]
    inputs = engine.keras.Input((None, 4))
    model = engine.keras.Model(inputs, layers.Flatten()(inputs))
    out = model(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    np.testing.assert_array_equal(out.numpy(), np.arange(24).reshape(2, 12))


def test_normalization_exposes_broadcast_mean_and_variance():
    data = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0], [7.0, 2.0]], np.float32)
    layer = layers.Normalization()
    assert layer.mean is None
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean.numpy(), [[4.0, 5.0]])
    np.testing.assert_allclose(layer.variance.numpy(), [[5.0, 11.0]])
    fixed = layers.Normalization(axis=1, mean=[1.0, 2.0, 3.0], variance=4.0)
    fixed.build((None, 3, 2))
    np.testing.assert_allclose(fixed.mean.numpy(), [[[1.0], [2.0], [3.0]]])
    np.testing.assert_allclose(fixed.variance.numpy(), np.full((1, 3, 1), 4.0))


@pytest.mark.parametrize("make, shape, expected", [
    (lambda: layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot"),
     (None, 3), [None, 3]),
    (lambda: layers.StringLookup(vocabulary=["a", "b"]), (None, 3), [None, 3]),
    (lambda: layers.StringLookup(vocabulary=["a", "b"], invert=True), (None, 3), [None, 3]),
    (lambda: layers.IntegerLookup(vocabulary=[5, 7], output_mode="count"), (None, 4),
     [None, 3]),
    (lambda: layers.TextVectorization(vocabulary=["a"], output_sequence_length=4), (None,),
     [None, 4]),
])
def test_lookup_layers_compute_output_shape(make, shape, expected):
    assert make().compute_output_shape(shape).as_list() == expected


def test_default_layer_names_follow_keras():
    from engine.keras.serialization import snake_case

    expected = {"Conv2D": "conv2d", "Conv2DTranspose": "conv2d_transpose",
                "MaxPooling2D": "max_pooling2d", "GRUCell": "gru_cell",
                "SimpleRNNCell": "simple_rnn_cell", "PReLU": "p_re_lu",
                "TopKCategoricalAccuracy": "top_k_categorical_accuracy", "LSTM": "lstm"}
    assert {name: snake_case(name) for name in expected} == expected
    assert engine.keras.layers.Conv2D(2, 3).name.startswith("conv2d")
