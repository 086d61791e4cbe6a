"""TextVectorization: Keras' documented results, standardize/split/ngrams, output modes and
shapes, traced graphs and dataset maps, configs, models trained with fit, errors."""

import json

import numpy as np
import pytest

import engine
import engine.data
from engine.errors import DTypeError, ShapeError

keras = engine.keras
layers = engine.keras.layers


def _round_trip(layer):
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    return clone


def test_keras_examples():
    layer = layers.TextVectorization(max_tokens=5000, output_mode="int",
                                     output_sequence_length=4)
    layer.adapt(engine.data.Dataset.from_tensor_slices(["foo", "bar", "baz"]).batch(64))
    assert layer.get_vocabulary() == ["", "[UNK]", "foo", "baz", "bar"]
    inputs = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    out = model.predict(np.array([["foo qux bar"], ["qux baz"]]), verbose=0)
    np.testing.assert_array_equal(out, [[2, 1, 4, 0], [1, 3, 0, 0]])
    fixed = layers.TextVectorization(output_sequence_length=4,
                                     vocabulary=["earth", "wind", "and", "fire"])
    assert fixed.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    out = fixed([["earth wind and also fire"], ["fire and earth michigan"]])
    assert out.dtype == engine.int64 and out.shape == (2, 4)
    np.testing.assert_array_equal(out.numpy(), [[2, 3, 4, 1], [5, 4, 2, 1]])


def test_standardize_and_split_modes():
    text = ["Hello,  WORLD!\tÉté", "a-b c"]
    tokens = layers.TextVectorization(output_mode=None)(text)
    assert tokens.dtype == engine.string
    assert tokens.numpy().tolist() == [[b"hello", b"world", "été".encode()],
                                       [b"ab", b"c", b""]]
    lower = layers.TextVectorization(output_mode=None, standardize="lower")(text).numpy()
    assert lower.tolist()[0] == [b"hello,", b"world!", "été".encode()]
    strip = layers.TextVectorization(output_mode=None, standardize="strip_punctuation")
    assert strip(text).numpy().tolist()[1] == [b"ab", b"c", b""]
    chars = layers.TextVectorization(output_mode=None, standardize=None, split="character")
    assert chars(["Hé!"]).numpy().tolist() == [[b"H", "é".encode(), b"!"]]
    whole = layers.TextVectorization(output_mode=None, split=None)
    assert whole(np.array([["A b."], ["C"]])).numpy().tolist() == [[b"a b"], [b"c"]]

    def shout(strings):
        return [s.upper() + b"!" for s in strings.numpy()]

    def on_commas(strings):
        return [s.split(b",") for s in strings.numpy()]

    custom = layers.TextVectorization(output_mode=None, standardize=shout, split=on_commas)
    assert custom(["a,b", "c"]).numpy().tolist() == [[b"A", b"B!"], [b"C!", b""]]


def test_ngrams():
    grams = layers.TextVectorization(output_mode=None, ngrams=2)
    assert grams(["a b c"]).numpy().tolist() == [[b"a", b"b", b"c", b"a b", b"b c"]]
    widths = layers.TextVectorization(output_mode=None, ngrams=(3, 1))
    assert widths(["a b c", "d"]).numpy().tolist() == [[b"a b c", b"a", b"b", b"c"],
                                                         [b"d", b"", b"", b""]]
    pre_split = layers.TextVectorization(output_mode=None, split=None, ngrams=(2,))
    assert pre_split(np.array([["x", "y", "z"]])).numpy().tolist() == [[b"x y", b"y z"]]
    assert pre_split(np.array(["x", "y"])).numpy().tolist() == [b"x y"]


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_bag_of_words_outputs_match_numpy(mode):
    corpus = ["the cat sat", "the dog sat", "the cat ran fast"]
    layer = layers.TextVectorization(output_mode=mode)
    layer.adapt(corpus)
    vocab = layer.get_vocabulary()
    assert vocab[0] == "[UNK]" and "" not in vocab  # no padding index outside "int" mode
    docs = [["the", "cat", "cat", "zebra"], ["sat"], []]
    counts = np.zeros((3, len(vocab)), np.float32)
    for row, words in enumerate(docs):
        for w in words:
            counts[row, vocab.index(w) if w in vocab else 0] += 1
    out = layer(["The cat, cat zebra!", "sat", ""]).numpy()
    if mode == "multi_hot":
        np.testing.assert_array_equal(out, np.minimum(counts, 1))
    elif mode == "count":
        np.testing.assert_array_equal(out, counts)
    else:
        df = np.array([sum(w in doc.split() for doc in corpus) for w in vocab[1:]])
        idf = np.log(1 + 3 / (1 + df))
        np.testing.assert_allclose(out, counts * np.concatenate([[idf.mean()], idf]),
                                   rtol=1e-6)


def test_output_shapes_padding_and_limits():
    layer = layers.TextVectorization(max_tokens=4)
    layer.adapt(["a a a b b c d"])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]
    np.testing.assert_array_equal(layer(["c a", "b b b", ""]).numpy(),
                                  [[1, 2, 0], [3, 3, 3], [0, 0, 0]])
    np.testing.assert_array_equal(layer("a b").numpy(), [2, 3])  # one text: one sequence
    cut = layers.TextVectorization(vocabulary=["a", "b"], output_sequence_length=2)
    np.testing.assert_array_equal(cut(np.array([["a b a"], ["b"]])).numpy(), [[2, 3], [3, 0]])
    whole = layers.TextVectorization(vocabulary=["a b", "c"], split=None)
    np.testing.assert_array_equal(whole(np.array([["A B"], ["x"]])).numpy(), [[2], [1]])
    padded = layers.TextVectorization(max_tokens=6, pad_to_max_tokens=True,
                                      output_mode="count", vocabulary=["a"])
    np.testing.assert_array_equal(padded(["a a z"]).numpy(), [[1, 2, 0, 0, 0, 0]])


def test_traced_functions_and_dataset_maps_keep_static_shapes():
    layer = layers.TextVectorization(vocabulary=["a", "b", "c"], output_sequence_length=3)
    traced = engine.function(lambda t: layer(t))
    concrete = traced.get_concrete_function(engine.TensorSpec([None], engine.string))
    assert concrete.structured_outputs.shape.as_list() == [None, 3]
    texts = np.array(["a b zz", "c", "b a c a"])
    np.testing.assert_array_equal(traced(engine.constant(texts)).numpy(), layer(texts).numpy())
    free = layers.TextVectorization(vocabulary=["a", "b"])
    concrete = engine.function(lambda t: free(t)).get_concrete_function(
        engine.TensorSpec([None, 1], engine.string))
    assert concrete.structured_outputs.shape.as_list() == [None, None]
    counts = layers.TextVectorization(vocabulary=["a", "b"], output_mode="count")
    ds = engine.data.Dataset.from_tensor_slices(texts).batch(2).map(lambda t: counts(t))
    assert ds.element_spec.shape.as_list() == [None, 3]
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in ds]),
                                  counts(texts).numpy())


def test_config_round_trips_vocabulary_and_registered_callables():
    layer = layers.TextVectorization(output_mode="tf_idf", ngrams=2, max_tokens=20,
                                     name="tv")
    layer.adapt(["one two three", "two three", "three"])
    clone = _round_trip(layer)
    texts = ["three two one", "zero"]
    np.testing.assert_allclose(clone(texts).numpy(), layer(texts).numpy())

    @keras.utils.register_keras_serializable(package="test_text")
    def squash(strings):
        return [s.replace(b" ", b"") for s in strings.numpy()]

    custom = layers.TextVectorization(standardize=squash, split="character",
                                      vocabulary=["a", "b"])
    assert custom.get_config()["standardize"] == "test_text>squash"
    np.testing.assert_array_equal(_round_trip(custom)(["a b c"]).numpy(),
                                  custom(["a b c"]).numpy())
    unregistered = layers.TextVectorization(standardize=lambda s: s).get_config()
    with pytest.raises(ValueError, match="register_keras_serializable"):
        layers.TextVectorization.from_config(unregistered)


def test_text_models_trained_with_fit(rng):
    good, bad = ["good", "great", "fine", "nice"], ["bad", "awful", "poor", "sad"]
    words = rng.choice(good + bad, size=(96, 3))
    texts = np.array([" ".join(w) for w in words])
    y = np.array([sum(w in good for w in row) >= 2 for row in words], np.float32)
    vectorize = layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(texts)
    model = keras.Sequential([vectorize, layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(engine.data.Dataset.from_tensor_slices((texts, y)).batch(16),
                        epochs=15, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] > 0.9
    sequences = layers.TextVectorization(output_sequence_length=3)
    sequences.adapt(texts)
    inputs = keras.Input(shape=(), dtype="string")
    hidden = layers.Embedding(sequences.vocabulary_size(), 4)(sequences(inputs))
    outputs = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(hidden))
    functional = keras.Model(inputs, outputs)
    functional.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    losses = functional.fit(texts, y, batch_size=16, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_errors():
    with pytest.raises(ValueError, match="output_mode"):
        layers.TextVectorization(output_mode="one_hot")
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="ngrams"):
        layers.TextVectorization(ngrams=0)
    with pytest.raises(ValueError, match="standardize='upper'"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split='comma'"):
        layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="ragged"):
        layers.TextVectorization(ragged=True)
    with pytest.raises(DTypeError, match="string inputs"):
        layers.TextVectorization(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(ShapeError, match=r"\(batch,\) or \(batch, 1\)"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(RuntimeError, match="adapt"):
        layers.TextVectorization(output_mode="multi_hot")(["a"])
    with pytest.raises(DTypeError, match="text"):
        layers.TextVectorization().adapt(np.array([1.0, 2.0]))
