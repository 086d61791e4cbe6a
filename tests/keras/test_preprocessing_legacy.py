"""engine.keras.preprocessing (Keras 2's legacy helpers) and the Keras 2 aliases."""

import hashlib
import json
import warnings

import numpy as np
import pytest

import engine
from engine.keras.preprocessing import sequence, text

K = engine.keras


# --- pad_sequences --------------------------------------------------------------------------
def test_pad_sequences_padding_and_truncating():
    seqs = [[1, 2, 3], [], [4]]
    assert K.utils.pad_sequences(seqs).tolist() == [[1, 2, 3], [0, 0, 0], [0, 0, 4]]
    assert sequence.pad_sequences(seqs, maxlen=2).tolist() == [[2, 3], [0, 0], [0, 4]]
    assert sequence.pad_sequences(seqs, maxlen=2, truncating="post").tolist() == [
        [1, 2], [0, 0], [0, 4]]
    assert sequence.pad_sequences(seqs, maxlen=4, padding="post", value=-1).tolist() == [
        [1, 2, 3, -1], [-1] * 4, [4, -1, -1, -1]]
    assert sequence.pad_sequences(seqs).dtype == np.int32


def test_pad_sequences_vectors_floats_and_strings():
    out = sequence.pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32")
    assert out.shape == (2, 2, 3) and out[1, 0].tolist() == [0, 0, 0]
    assert sequence.pad_sequences([[0.5]], maxlen=2, dtype="float32").tolist() == [[0, 0.5]]
    words = sequence.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="padding='middle'"):
        sequence.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="dtype=object"):
        sequence.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="items of shape"):
        sequence.pad_sequences([np.ones((1, 2)), np.ones((1, 3))], dtype="float32")
    with pytest.raises(ValueError, match=r"sequences\[1\]"):
        sequence.pad_sequences([[1], 2])


def test_timeseries_generator_trains_a_model():
    data = np.arange(50, dtype="float32").reshape(50, 1) / 50
    gen = sequence.TimeseriesGenerator(data, data[:, 0], length=5, sampling_rate=2,
                                       stride=3, batch_size=4)
    x, y = gen[1]
    rows = [5 + 3 * i for i in range(4, 8)]
    np.testing.assert_array_equal(x[:, :, 0], [data[r - 5:r:2, 0] for r in rows])
    np.testing.assert_array_equal(y, data[rows, 0])
    assert len(gen) == -(-len(range(5, 50, 3)) // 4)
    model = K.Sequential([K.layers.Flatten(input_shape=(3, 1)), K.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(gen, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="no window fits"):
        sequence.TimeseriesGenerator(data[:3], data[:3], length=5)


# --- text -----------------------------------------------------------------------------------
def test_text_to_word_sequence_and_hashing():
    assert text.text_to_word_sequence("Hi, you!! THERE\tnow") == ["hi", "you", "there", "now"]
    assert text.text_to_word_sequence("a-b", filters="", split="-", lower=False) == ["a", "b"]
    ids = text.hashing_trick("the cat the", 7, hash_function="md5")
    want = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 6 + 1 for w in ("the", "cat", "the")]
    assert ids == want
    ids = text.one_hot("x y x", 5)
    assert ids[0] == ids[2] and all(1 <= i < 5 for i in ids)
    with pytest.raises(TypeError, match="expected a str"):
        text.text_to_word_sequence(b"bytes")
    with pytest.raises(ValueError, match="n >= 2"):
        text.hashing_trick("a", 1)


CORPUS = ["The cat sat on the mat.", "The dog ate the cat!", "A bird"]


def test_tokenizer_index_counts_and_sequences():
    tok = text.Tokenizer()
    tok.fit_on_texts(CORPUS)
    assert list(tok.word_index)[:3] == ["the", "cat", "sat"]
    assert tok.word_counts["the"] == 4 and tok.word_docs["cat"] == 2
    assert tok.document_count == 3
    assert tok.index_word[tok.word_index["dog"]] == "dog"
    assert tok.index_docs[tok.word_index["the"]] == 2
    seqs = tok.texts_to_sequences(["the cat and the bird"])
    assert seqs == [[1, 2, 1, tok.word_index["bird"]]]
    assert tok.sequences_to_texts(seqs) == ["the cat the bird"]


def test_tokenizer_num_words_and_oov():
    tok = text.Tokenizer(num_words=3, oov_token="<unk>")
    tok.fit_on_texts(CORPUS)
    assert tok.word_index["<unk>"] == 1 and tok.word_index["the"] == 2
    assert tok.texts_to_sequences(["the cat zebra"]) == [[2, 1, 1]]
    assert tok.sequences_to_texts([[2, 3, 99]]) == ["the <unk> <unk>"]
    plain = text.Tokenizer(num_words=2)
    plain.fit_on_texts(CORPUS)
    assert plain.texts_to_sequences(["the cat"]) == [[1]]


def test_tokenizer_char_level_and_lists_of_words():
    tok = text.Tokenizer(char_level=True)
    tok.fit_on_texts(["abca"])
    assert tok.word_index == {"a": 1, "b": 2, "c": 3}
    words = text.Tokenizer()
    words.fit_on_texts([["Hello", "world"], ["hello"]])
    assert words.word_index == {"hello": 1, "world": 2}


def test_tokenizer_matrix_modes_against_hand_computed_values():
    tok = text.Tokenizer()
    tok.fit_on_texts(["a a b", "b c"])  # a and b tie (2 each): first seen ranks first
    assert tok.word_index == {"a": 1, "b": 2, "c": 3}
    texts = ["a a b", "c"]
    np.testing.assert_array_equal(tok.texts_to_matrix(texts), [[0, 1, 1, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(tok.texts_to_matrix(texts, "count"),
                                  [[0, 2, 1, 0], [0, 0, 0, 1]])
    np.testing.assert_allclose(tok.texts_to_matrix(texts, "freq"),
                               [[0, 2 / 3, 1 / 3, 0], [0, 0, 0, 1]])
    idf = {1: np.log(1 + 2 / 2), 2: np.log(1 + 2 / 3), 3: np.log(1 + 2 / 2)}
    np.testing.assert_allclose(tok.texts_to_matrix(texts, "tfidf"),
                               [[0, (1 + np.log(2)) * idf[1], idf[2], 0], [0, 0, 0, idf[3]]])
    with pytest.raises(ValueError, match="unknown mode"):
        tok.texts_to_matrix(texts, "onehot")
    with pytest.raises(ValueError, match="num_words"):
        text.Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(ValueError, match="tfidf"):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")


def test_tokenizer_json_round_trip():
    tok = text.Tokenizer(num_words=5, oov_token="?", lower=False, filters="!")
    tok.fit_on_texts(CORPUS)
    restored = text.tokenizer_from_json(tok.to_json())
    assert restored.word_index == tok.word_index
    assert restored.index_word == tok.index_word
    assert dict(restored.word_counts) == dict(tok.word_counts)
    assert restored.num_words == 5 and restored.oov_token == "?" and restored.lower is False
    assert restored.texts_to_sequences(CORPUS) == tok.texts_to_sequences(CORPUS)
    np.testing.assert_array_equal(restored.texts_to_matrix(CORPUS, "tfidf"),
                                  tok.texts_to_matrix(CORPUS, "tfidf"))
    assert json.loads(tok.to_json())["class_name"] == "Tokenizer"
    with pytest.raises(ValueError, match="to_json"):
        text.tokenizer_from_json('{"config": {}}')


def test_tokenizer_errors():
    with pytest.raises(TypeError, match="list of texts"):
        text.Tokenizer().fit_on_texts("one string")
    with pytest.raises(TypeError, match="nb_words"):
        text.Tokenizer(nb_words=3)
    with pytest.raises(ValueError, match="num_words"):
        text.Tokenizer(num_words=0)


def test_image_module_reexports_and_has_no_generator():
    assert K.preprocessing.image.img_to_array is K.utils.img_to_array
    assert K.preprocessing.text_dataset_from_directory is K.utils.text_dataset_from_directory
    assert not hasattr(K.preprocessing.image, "ImageDataGenerator")


# --- aliases --------------------------------------------------------------------------------
@pytest.mark.parametrize("alias,cls", [
    ("glorot_uniform", "GlorotUniform"), ("glorot_normal", "GlorotNormal"),
    ("he_uniform", "HeUniform"), ("he_normal", "HeNormal"), ("lecun_uniform", "LecunUniform"),
    ("lecun_normal", "LecunNormal"), ("orthogonal", "Orthogonal"), ("identity", "Identity"),
    ("constant", "Constant"), ("zeros", "Zeros"), ("ones", "Ones"),
    ("random_normal", "RandomNormal"), ("random_uniform", "RandomUniform"),
    ("truncated_normal", "TruncatedNormal"), ("variance_scaling", "VarianceScaling")])
def test_initializer_aliases(alias, cls):
    assert getattr(K.initializers, alias) is getattr(K.initializers, cls)


def test_initializer_alias_values():
    np.testing.assert_array_equal(K.initializers.identity()((2, 2)).numpy(), np.eye(2))
    np.testing.assert_array_equal(K.initializers.constant(3.0)((2,)).numpy(), [3.0, 3.0])


def test_layer_aliases():
    layers = K.layers
    pairs = [("Convolution1D", "Conv1D"), ("Convolution2D", "Conv2D"),
             ("Convolution3D", "Conv3D"), ("Convolution2DTranspose", "Conv2DTranspose"),
             ("Convolution3DTranspose", "Conv3DTranspose"),
             ("SeparableConvolution1D", "SeparableConv1D"),
             ("SeparableConvolution2D", "SeparableConv2D")]
    for alias, name in pairs:
        assert getattr(layers, alias) is getattr(layers, name)
    layer = layers.deserialize({"class_name": "Convolution2D",
                                "config": {"filters": 2, "kernel_size": 3}})
    assert type(layer) is layers.Conv2D


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adamax", "Nadam", "RMSprop", "Adagrad",
                                  "Adadelta", "Ftrl"])
def test_legacy_optimizers_are_the_optimizers(name):
    legacy = getattr(K.optimizers.legacy, name)
    assert issubclass(legacy, getattr(K.optimizers, name))
    opt = legacy(learning_rate=0.5)
    assert type(opt).__name__ == name
    assert K.optimizers.deserialize(K.optimizers.serialize(opt)).get_config() == (
        opt.get_config())


def test_legacy_decay_and_lr():
    var = engine.Variable([1.0])
    opt = K.optimizers.legacy.SGD(1.0, decay=1.0)
    for _ in range(3):
        opt.apply_gradients([(engine.constant([1.0]), var)])
    np.testing.assert_allclose(var.numpy(), [1.0 - 1.0 - 0.5 - 1 / 3], rtol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = K.optimizers.legacy.Adam(lr=0.02)
    assert any("learning_rate" in str(w.message) for w in caught)
    assert abs(float(opt.learning_rate) - 0.02) < 1e-7
    with pytest.raises(ValueError, match="decay"):
        K.optimizers.legacy.SGD(decay=-1.0)
