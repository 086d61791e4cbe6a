"""Attention layers against a NumPy scaled dot-product attention with masks."""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def mha_reference(query, value, key, weights, key_dim, mask=None):
    """Keras 2 MultiHeadAttention in NumPy (one attention axis); mask (B, Tq, Tv)."""
    qk, qb, kk, kb, vk, vb, ok, ob = weights
    q = np.einsum("btd,dnh->btnh", query, qk) + qb
    k = np.einsum("bsd,dnh->bsnh", key, kk) + kb
    v = np.einsum("bsd,dnh->bsnh", value, vk) + vb
    scores = np.einsum("bsnh,btnh->bnts", k, q) / np.sqrt(key_dim)
    if mask is not None:
        scores = scores + (1.0 - mask[:, None].astype(np.float64)) * -1e9
    probs = softmax(scores)
    out = np.einsum("bnts,bsnh->btnh", probs, v)
    return np.einsum("btnh,nhd->btd", out, ok) + ob, probs


def random_mha(rng, query, value, key=None, **kwargs):
    layer = layers.MultiHeadAttention(dtype="float64", **kwargs)
    layer(query, value, key)
    weights = [rng.normal(size=w.shape.as_list()) * 0.5 for w in layer.weights]
    layer.set_weights(weights)
    return layer, weights


def test_mha_weights_are_shaped_and_named_as_keras():
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=7,
                                      name="mha")
    layer(np.ones((2, 6, 8), np.float32), np.ones((2, 9, 10), np.float32))
    assert [(w.name, tuple(w.shape.as_list())) for w in layer.weights] == [
        ("mha/query/kernel:0", (8, 3, 4)), ("mha/query/bias:0", (3, 4)),
        ("mha/key/kernel:0", (10, 3, 4)), ("mha/key/bias:0", (3, 4)),
        ("mha/value/kernel:0", (10, 3, 5)), ("mha/value/bias:0", (3, 5)),
        ("mha/attention_output/kernel:0", (3, 5, 7)), ("mha/attention_output/bias:0", (7,))]
    no_bias = layers.MultiHeadAttention(num_heads=1, key_dim=2, use_bias=False)
    no_bias.build((None, 3, 4), (None, 5, 4))
    assert len(no_bias.weights) == 4


def test_mha_matches_numpy_with_masks_and_causality(rng):
    query, value, key = (rng.normal(size=s) for s in ((2, 4, 6), (2, 5, 3), (2, 5, 7)))
    layer, weights = random_mha(rng, query, value, key, num_heads=2, key_dim=3, value_dim=4)
    out, probs = layer(query, value, key, return_attention_scores=True)
    expected, expected_probs = mha_reference(query, value, key, weights, 3)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(probs.numpy(), expected_probs, rtol=1e-10)
    mask = rng.uniform(size=(2, 4, 5)) > 0.3
    out = layer(query, value, key, attention_mask=mask)
    np.testing.assert_allclose(out.numpy(), mha_reference(query, value, key, weights, 3,
                                                          mask)[0], rtol=1e-10)
    causal = np.tril(np.ones((4, 5), bool))[None]
    out = layer(query, value, key, attention_mask=mask, use_causal_mask=True)
    np.testing.assert_allclose(out.numpy(), mha_reference(query, value, key, weights, 3,
                                                          mask & causal)[0], rtol=1e-10)


def test_mha_reads_keras_masks_of_query_and_value(rng):
    ids = np.array([[3, 1, 0, 0], [2, 2, 2, 0]])
    embedding = layers.Embedding(5, 6, mask_zero=True, dtype="float64")
    x = embedding(ids)
    layer, weights = random_mha(rng, x, x, num_heads=2, key_dim=3)
    out = layer(x, x)
    keep = ids != 0
    mask = keep[:, :, None] & keep[:, None, :]
    emb = embedding.get_weights()[0][ids]
    expected = mha_reference(emb, emb, emb, weights, 3, mask)[0]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    np.testing.assert_array_equal(out._keras_mask.numpy(), keep)
    out, scores = layer(x, x, return_attention_scores=True)
    assert getattr(scores, "_keras_mask", None) is None
    # In float32, a query row whose every key is masked attends uniformly, as in Keras 2.
    x32 = layers.Embedding(5, 6, mask_zero=True)(ids)
    _, scores = layers.MultiHeadAttention(num_heads=2, key_dim=3)(
        x32, x32, attention_mask=np.zeros((2, 4, 4), bool), return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy(), 0.25, rtol=1e-6)


def test_mha_over_several_attention_axes(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    layer, weights = random_mha(rng, x, x, num_heads=2, key_dim=3, attention_axes=(1, 2))
    out, probs = layer(x, x, return_attention_scores=True)
    assert probs.shape == (2, 2, 3, 4, 3, 4)
    flat = x.reshape(2, 12, 5)  # attending over both axes = attending over their product
    expected, expected_probs = mha_reference(flat, flat, flat, weights, 3)
    np.testing.assert_allclose(out.numpy(), expected.reshape(2, 3, 4, 5), rtol=1e-10)
    np.testing.assert_allclose(probs.numpy(), expected_probs.reshape(2, 2, 3, 4, 3, 4),
                               rtol=1e-10)
    batched = layers.MultiHeadAttention(num_heads=1, key_dim=2, attention_axes=2)
    assert batched(x.astype(np.float32), x.astype(np.float32),
                   return_attention_scores=True)[1].shape == (2, 3, 1, 4, 4)


def test_mha_gradients_match_finite_differences(rng):
    query, value = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    layer, _ = random_mha(rng, query, value, num_heads=2, key_dim=2)
    q, v = engine.Variable(query), engine.Variable(value)
    mask = engine.constant(rng.uniform(size=(2, 3, 5)) > 0.3)
    check_layer_gradients(lambda: layer(q, v, attention_mask=mask, use_causal_mask=True),
                          [q, v] + layer.trainable_weights)


def test_mha_eager_traced_and_functional_agree(rng):
    ids = rng.integers(0, 6, size=(3, 5))
    ids[:, -2:] = 0
    embedding = layers.Embedding(6, 8, mask_zero=True)
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    eager = attention(embedding(ids), embedding(ids), use_causal_mask=True)
    traced = engine.function(lambda t: attention(embedding(t), embedding(t),
                                                 use_causal_mask=True))
    np.testing.assert_allclose(traced(engine.constant(ids)).numpy(), eager.numpy(),
                               rtol=1e-5, atol=1e-6)
    spec = engine.TensorSpec([None, None], engine.int32)  # unknown lengths: built causal mask
    dynamic = engine.function(lambda t: attention(embedding(t), embedding(t),
                                                  use_causal_mask=True), input_signature=[spec])
    np.testing.assert_allclose(dynamic(engine.constant(ids, engine.int32)).numpy(),
                               eager.numpy(), rtol=1e-5, atol=1e-6)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = embedding(inputs)
    model = keras.Model(inputs, attention(x, x, use_causal_mask=True))
    np.testing.assert_allclose(model(ids).numpy(), eager.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model(ids)._keras_mask.numpy(), ids != 0)


def test_mha_dropout_only_while_training(rng):
    x = rng.normal(size=(2, 4, 6)).astype(np.float32)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5)
    inference = layer(x, x).numpy()
    np.testing.assert_allclose(layer(x, x, training=False).numpy(), inference)
    assert not np.allclose(layer(x, x, training=True).numpy(), inference)


def test_mha_config_round_trip(rng):
    x = rng.normal(size=(2, 4, 6)).astype(np.float32)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, output_shape=(5,),
                                      dropout=0.1, kernel_regularizer="l2")
    clone = check_config_round_trip(layer, x, x)
    assert clone.get_config()["output_shape"] == [5]
    assert len(layer.losses) == 4  # one per kernel


def test_mha_errors_name_the_layer():
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=2, name="att")
    x = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ShapeError, match=r"att \(MultiHeadAttention\): value must have rank"):
        layer(x, np.ones((2, 4), np.float32))
    layer(x, x)
    with pytest.raises(ShapeError, match="att.*built for a value of rank 3 with 4 features"):
        layer(x, np.ones((2, 3, 5), np.float32))
    with pytest.raises(ShapeError, match="att.*attention_mask has shape"):
        layer(x, x, attention_mask=np.ones((2, 3, 7), bool))


def dense_attention_reference(query, value, key, scores_fn, q_mask=None, v_mask=None,
                              causal=False):
    scores = scores_fn(query, key)
    mask = np.ones(scores.shape, bool)
    if v_mask is not None:
        mask &= v_mask[:, None, :]
    if causal:
        mask &= np.tril(np.ones(scores.shape[1:], bool))[None]
    weights = softmax(scores - 1e9 * (~mask))
    out = weights @ value
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, weights


def dot_scores(scale=1.0):
    return lambda q, k: scale * q @ np.swapaxes(k, 1, 2)


def concat_scores(scale, weight):
    return lambda q, k: weight * np.tanh(scale * (q[:, :, None] + k[:, None])).sum(-1)


def additive_scores(scale):
    return lambda q, k: (scale * np.tanh(q[:, :, None] + k[:, None])).sum(-1)


@pytest.mark.parametrize("kind", ["dot", "scaled_dot", "concat", "additive", "additive_raw"])
def test_dense_attention_matches_numpy(rng, kind):
    query, value, key = (rng.normal(size=s) for s in ((2, 3, 4), (2, 5, 6), (2, 5, 4)))
    if kind.startswith("additive"):
        layer = layers.AdditiveAttention(use_scale=kind == "additive", dtype="float64")
    else:
        layer = layers.Attention(use_scale=kind != "dot", dtype="float64",
                                 score_mode="concat" if kind == "concat" else "dot")
    layer([query, value, key])
    weights = [rng.normal(size=w.shape.as_list()) for w in layer.weights]
    layer.set_weights(weights)
    scores_fn = {"dot": lambda: dot_scores(), "scaled_dot": lambda: dot_scores(weights[0]),
                 "concat": lambda: concat_scores(*weights),
                 "additive": lambda: additive_scores(weights[0]),
                 "additive_raw": lambda: additive_scores(1.0)}[kind]()
    q_mask = np.array([[True, True, False], [True, True, True]])
    v_mask = np.array([[True, False, True, True, False], [True] * 5])
    for masks, causal in (((None, None), False), ((q_mask, v_mask), False),
                          ((None, v_mask), True)):
        mask = None if masks[0] is None and masks[1] is None else [
            None if m is None else engine.constant(m) for m in masks]
        out, probs = layer([query, value, key], mask=mask, use_causal_mask=causal,
                           return_attention_scores=True)
        expected, expected_probs = dense_attention_reference(query, value, key, scores_fn,
                                                             *masks, causal=causal)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(probs.numpy(), expected_probs, rtol=1e-10, atol=1e-12)
    variables = [engine.Variable(t) for t in (query, value, key)]
    check_layer_gradients(lambda: layer(variables, mask=[None, engine.constant(v_mask)]),
                          variables + layer.trainable_weights)
    check_config_round_trip(layer, [query, value, key])


def test_dense_attention_masks_from_inputs_and_functional_model(rng):
    query = rng.normal(size=(2, 3, 4)).astype(np.float32)
    value = rng.normal(size=(2, 5, 4)).astype(np.float32)
    query[0, 2] = 0.0
    value[1, 3:] = 0.0
    layer = layers.Attention()
    out = layer([layers.Masking()(query), layers.Masking()(value)])
    expected, _ = dense_attention_reference(query, value, value, dot_scores(),
                                            np.any(query != 0, -1), np.any(value != 0, -1))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out._keras_mask.numpy(), np.any(query != 0, -1))
    q_in, v_in = keras.Input(shape=(3, 4)), keras.Input(shape=(None, 4))
    outputs = layer([layers.Masking()(q_in), layers.Masking()(v_in)], use_causal_mask=True)
    model = keras.Model([q_in, v_in], outputs)
    expected, _ = dense_attention_reference(query, value, value, dot_scores(),
                                            np.any(query != 0, -1), np.any(value != 0, -1),
                                            causal=True)
    np.testing.assert_allclose(model([query, value]).numpy(), expected, rtol=1e-5, atol=1e-6)
    traced = engine.function(lambda q, v: layer([q, v], use_causal_mask=True))
    np.testing.assert_allclose(traced(engine.constant(query), engine.constant(value)).numpy(),
                               layer([query, value], use_causal_mask=True).numpy(), rtol=1e-6)


def test_dense_attention_dropout_and_errors(rng):
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    layer = layers.Attention(dropout=0.5)
    np.testing.assert_allclose(layer([x, x]).numpy(), layer([x, x], training=False).numpy())
    assert not np.allclose(layer([x, x], training=True).numpy(), layer([x, x]).numpy())
    with pytest.raises(ValueError, match=r"att \(Attention\): call the layer on \[query, value"):
        layers.Attention(name="att")(x)
    with pytest.raises(ShapeError, match="same last dimension"):
        layers.Attention()([x, np.ones((2, 4, 5), np.float32)])
    with pytest.raises(ValueError, match="score_mode must be"):
        layers.Attention(score_mode="cosine")
