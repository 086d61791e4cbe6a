"""StringLookup and IntegerLookup: Keras' documented results, adapt ordering and limits,
special tokens, output modes, files, traced graphs and dataset maps, configs, errors."""

import json

import numpy as np
import pytest

import engine
import engine.data
from engine.errors import DTypeError, InvalidArgumentError
from engine.keras.layers.preprocessing.search import IntegerTable, searchsorted
from engine.ops.fingerprint import fingerprint64

keras = engine.keras
layers = engine.keras.layers
VOCAB = ["a", "b", "c", "d"]
INT_VOCAB = [12, 36, 1138, 42]


def _round_trip(layer):
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    return clone


# --- StringLookup ---------------------------------------------------------------------
def test_string_lookup_keras_examples():
    data = [["a", "c", "d"], ["d", "z", "b"]]
    out = layers.StringLookup(vocabulary=VOCAB)(data)
    assert out.dtype == engine.int64
    np.testing.assert_array_equal(out.numpy(), [[1, 3, 4], [4, 0, 2]])
    adapted = layers.StringLookup()
    adapted.adapt(np.array(data))
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    two_oov = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(two_oov([["a", "c", "d"], ["m", "z", "b"]]).numpy(),
                                  [[2, 4, 5], [0, 1, 3]])
    inverse = layers.StringLookup(vocabulary=VOCAB, invert=True)
    out = inverse([[1, 3, 4], [4, 0, 2]])
    assert out.dtype == engine.string
    assert out.numpy().tolist() == [[b"a", b"c", b"d"], [b"d", b"[UNK]", b"b"]]
    masked = layers.StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]"] + VOCAB
    np.testing.assert_array_equal(masked([["a", "", "x"]]).numpy(), [[2, 0, 1]])
    inverse = layers.StringLookup(vocabulary=VOCAB, mask_token="", invert=True)
    assert inverse([[2, 0, 1, 9]]).numpy().tolist() == [[b"a", b"", b"[UNK]", b"[UNK]"]]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
def test_string_lookup_encodings_match_numpy(mode):
    idf = [0.25, 0.75, 0.6, 0.4]
    layer = layers.StringLookup(vocabulary=VOCAB, output_mode=mode, mask_token="",
                                idf_weights=idf if mode == "tf_idf" else None)
    data = np.array([["a", "c", "", "a"], ["z", "", "b", "z"]])
    ids = np.array([[1, 3, -1, 1], [0, -1, 2, 0]])  # OOV 0; the mask is dropped
    if mode == "one_hot":
        data, ids = data[:, :1], ids[:, :1]
    counts = np.zeros((2, 5), np.float32)
    for row, i in zip(*np.nonzero(ids >= 0)):
        counts[row, ids[row, i]] += 1
    expected = {"one_hot": counts, "multi_hot": np.minimum(counts, 1), "count": counts,
                "tf_idf": counts * np.array([np.mean(idf)] + idf, np.float32)}[mode]
    assert layer.vocabulary_size() == 5  # the mask takes no index outside "int" mode
    out = layer(data)
    assert out.dtype == engine.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(engine.constant(data)).numpy(), expected, rtol=1e-6)


def test_adapt_orders_by_count_then_token_and_respects_max_tokens(rng):
    words = rng.choice(["x", "y", "z", "w", "v", "u"], p=[.3, .25, .2, .1, .1, .05],
                       size=(40, 5))
    layer = layers.StringLookup(max_tokens=5, mask_token="#")
    layer.adapt(engine.data.Dataset.from_tensor_slices(words).batch(7))
    values, counts = np.unique(words, return_counts=True)
    ranked = sorted(zip(counts.tolist(), values.tolist()), reverse=True)
    assert layer.get_vocabulary() == ["#", "[UNK]"] + [w for _, w in ranked[:3]]
    assert layer.vocabulary_size() == 5
    assert layer.get_vocabulary(include_special_tokens=False) == [w for _, w in ranked[:3]]
    ties = layers.StringLookup()
    ties.adapt(["b", "c", "a", "[UNK]", "[UNK]"])  # special tokens are never learned
    assert ties.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    padded = layers.StringLookup(max_tokens=8, pad_to_max_tokens=True, output_mode="count")
    padded.adapt(["p", "q", "p"])
    np.testing.assert_array_equal(padded([["p", "p", "s"]]).numpy(),
                                  [[1, 2, 0, 0, 0, 0, 0, 0]])


def test_tf_idf_adapt_counts_documents():
    docs = np.array([["a", "b", "a"], ["a", "c", "c"], ["b", "b", "d"]])
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    assert vocab == ["[UNK]", "b", "a", "c", "d"]
    doc_freq = np.array([2, 2, 1, 1])  # b, a, c, d
    idf = np.log(1 + 3 / (1 + doc_freq))
    weights = np.concatenate([[idf.mean()], idf])
    out = layer(np.array([["a", "a", "d", "zz"]])).numpy()
    np.testing.assert_allclose(out, [[1, 0, 2, 0, 1] * weights], rtol=1e-6)


def test_many_oov_indices_hash_strings_with_fingerprint64():
    layer = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=5, mask_token="")
    words = np.array(["q", "rr", "sss", "a", "", "ttttttttttttttttttttttttt"])
    expected = [1 + int(h % 5) for h in fingerprint64(words[[0, 1, 2]].tolist())]
    out = layer(words).numpy()
    assert out[:3].tolist() == expected and out[3] == 6 and out[4] == 0
    assert 1 <= out[5] <= 5


def test_vocabulary_files_and_set_vocabulary(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("héllo\nworld\n", encoding="utf-8")
    layer = layers.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "héllo", "world"]
    np.testing.assert_array_equal(layer(["world", "héllo", "x"]).numpy(), [2, 1, 0])
    layer.set_vocabulary(["[UNK]", "x", "y"])  # a leading special token is recognized
    assert layer.get_vocabulary() == ["[UNK]", "x", "y"]
    np.testing.assert_array_equal(layer(["y", "world"]).numpy(), [2, 0])
    ints = tmp_path / "ints.txt"
    ints.write_text("7\n-3\n100\n")
    np.testing.assert_array_equal(layers.IntegerLookup(vocabulary=str(ints))([-3, 7, 5]).numpy(),
                                  [2, 1, 0])


def test_string_lookup_traces_and_maps_datasets():
    layer = layers.StringLookup(vocabulary=VOCAB)
    traced = engine.function(lambda t: layer(t))
    concrete = traced.get_concrete_function(engine.TensorSpec([None, 3], engine.string))
    assert concrete.structured_outputs.shape.as_list() == [None, 3]
    assert "EagerPyFunc" in [n.type for n in concrete.graph.nodes]  # runs on the host
    data = np.array([["a", "q", "d"], ["c", "b", "a"]])
    np.testing.assert_array_equal(traced(engine.constant(data)).numpy(),
                                  [[1, 0, 4], [3, 2, 1]])
    ds = engine.data.Dataset.from_tensor_slices(data).map(layer).batch(2)
    np.testing.assert_array_equal(next(iter(ds)).numpy(), [[1, 0, 4], [3, 2, 1]])
    inverse = layers.StringLookup(vocabulary=VOCAB, invert=True)
    round_trip = engine.function(lambda t: inverse(layer(t)))
    assert round_trip(engine.constant(data)).numpy().tolist() == [
        [b"a", b"[UNK]", b"d"], [b"c", b"b", b"a"]]


def test_string_lookup_config_round_trips_the_vocabulary():
    adapted = layers.StringLookup(output_mode="tf_idf", mask_token="#", name="lookup")
    adapted.adapt(np.array([["x", "y"], ["x", "z"]]))
    clone = _round_trip(adapted)
    assert clone.get_vocabulary() == adapted.get_vocabulary()
    data = np.array([["x", "#", "q", "z"]])
    np.testing.assert_allclose(clone(data).numpy(), adapted(data).numpy())
    given = layers.StringLookup(vocabulary=VOCAB, output_mode="tf_idf",
                                idf_weights=[1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(given(["[UNK]", "d"]).numpy(), [2.5, 0, 0, 0, 4.0])
    given.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[9.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(_round_trip(given)(["[UNK]", "d"]).numpy(),
                               [9.0, 0, 0, 0, 4.0])
    assert _round_trip(layers.StringLookup()).get_vocabulary() == ["[UNK]"]


def test_string_lookup_errors():
    with pytest.raises(DTypeError, match="IntegerLookup"):
        layers.StringLookup(vocabulary=VOCAB)(np.array([1, 2]))
    with pytest.raises(ValueError, match="output_mode"):
        layers.StringLookup(output_mode="embedding")
    with pytest.raises(RuntimeError, match="adapt"):
        layers.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="repeats"):
        layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="mask token"):
        layers.StringLookup(vocabulary=["a", "", "b"], mask_token="")
    with pytest.raises(ValueError, match="max_tokens=3"):
        layers.StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="does not exist"):
        layers.StringLookup(vocabulary="/no/such/vocab.txt")
    with pytest.raises(ValueError, match="idf_weights"):
        layers.StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(ValueError, match="invert"):
        layers.StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="pad_to_max_tokens"):
        layers.StringLookup(pad_to_max_tokens=True)
    strict = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)
    with pytest.raises(InvalidArgumentError, match=r"out-of-vocabulary values \['zz'\]"):
        strict(["a", "zz"])
    with pytest.raises(InvalidArgumentError, match="num_oov_indices=0"):
        engine.function(lambda t: strict(t))(engine.constant(["zz"]))
    with pytest.raises(DTypeError, match="strings"):
        layers.StringLookup().adapt(np.array([1, 2]))


# --- IntegerLookup --------------------------------------------------------------------
def test_integer_lookup_keras_examples():
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(layers.IntegerLookup(vocabulary=INT_VOCAB)(data).numpy(),
                                  [[1, 3, 4], [4, 0, 2]])
    adapted = layers.IntegerLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(adapted(data).numpy(), [[5, 2, 1], [1, 3, 4]])
    two_oov = layers.IntegerLookup(vocabulary=INT_VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]])).numpy(),
                                  [[2, 4, 5], [1, 0, 3]])
    one_hot = layers.IntegerLookup(vocabulary=INT_VOCAB, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([12, 36, 1138, 42, 7])).numpy(),
                                  np.eye(5)[[1, 2, 3, 4, 0]])
    data = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
    multi = layers.IntegerLookup(vocabulary=INT_VOCAB, output_mode="multi_hot")
    np.testing.assert_array_equal(multi(data).numpy(), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    count = layers.IntegerLookup(vocabulary=INT_VOCAB, output_mode="count")
    np.testing.assert_array_equal(count(data).numpy(), [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tf_idf = layers.IntegerLookup(output_mode="tf_idf", vocabulary=INT_VOCAB,
                                  idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tf_idf(data).numpy(), [[0, 0.25, 0, 0.6, 0.8],
                                                      [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    inverse = layers.IntegerLookup(vocabulary=INT_VOCAB, invert=True)
    np.testing.assert_array_equal(inverse(np.array([[1, 3, 4], [4, 0, 2]])).numpy(),
                                  [[12, 1138, 42], [42, -1, 36]])


@pytest.mark.parametrize("spread", [500, 10 ** 12])  # a dense table, then a binary search
def test_integer_lookup_matches_a_dict_on_random_keys(rng, spread):
    vocab = rng.permutation(np.unique(rng.integers(-spread, spread, size=400)))[:300]
    queries = np.concatenate([rng.choice(vocab, 500), rng.integers(-spread, spread, 500),
                              [vocab.min() - 1, vocab.max() + 1]])
    mask = int(rng.integers(-spread, spread))
    while mask in vocab:
        mask += 1
    queries[::50] = mask
    layer = layers.IntegerLookup(vocabulary=vocab, mask_token=mask, num_oov_indices=3)
    assert (layer._table._dense is None) == (spread > 500)
    start = layer._token_start()
    table = {int(v): start + i for i, v in enumerate(layer.get_vocabulary(False))}
    oov = layer._oov_start()
    expected = [0 if v == layer.mask_token else table.get(int(v), oov + int(v) % 3)
                for v in queries]
    np.testing.assert_array_equal(layer(queries).numpy(), expected)
    traced = engine.function(lambda t: layer(t))
    concrete = traced.get_concrete_function(engine.TensorSpec([None], engine.int64))
    assert "EagerPyFunc" not in [n.type for n in concrete.graph.nodes]  # engine ops only
    np.testing.assert_array_equal(traced(engine.constant(queries)).numpy(), expected)
    if spread < 2 ** 31:
        np.testing.assert_array_equal(layer(queries.astype(np.int32)).numpy(), expected)


def test_searchsorted_and_integer_table_match_numpy(rng):
    values = np.sort(rng.integers(-50, 50, size=37))
    x = rng.integers(-60, 60, size=200)
    for side in ("left", "right"):
        np.testing.assert_array_equal(
            searchsorted(engine.constant(values), engine.constant(x), len(values), side).numpy(),
            np.searchsorted(values, x, side=side))
    assert searchsorted(engine.constant(values[:0]), engine.constant(x), 0).numpy().sum() == 0
    empty = IntegerTable([], [])
    found, _ = empty.lookup(engine.constant(x))
    assert not found.numpy().any()


def test_integer_lookup_config_and_dataset_map(rng):
    layer = layers.IntegerLookup(output_mode="count", mask_token=0, name="ints")
    data = rng.integers(0, 9, size=(30, 4))
    layer.adapt(engine.data.Dataset.from_tensor_slices(data).batch(8))
    assert 0 not in layer.get_vocabulary()[1:]  # the mask token is never learned
    clone = _round_trip(layer)
    np.testing.assert_array_equal(clone(data).numpy(), layer(data).numpy())
    ds = engine.data.Dataset.from_tensor_slices(data).batch(10).map(layer)
    assert ds.element_spec.shape.as_list() == [None, layer.vocabulary_size()]
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in ds]), layer(data).numpy())
    inverse = layers.IntegerLookup(vocabulary=[5, 6], invert=True, vocabulary_dtype="int32")
    out = inverse(np.array([0, 1, 2, 3]))
    assert out.dtype == engine.int32 and out.numpy().tolist() == [-1, 5, 6, -1]


def test_integer_lookup_in_a_model_trained_with_fit(rng):
    kinds = rng.integers(0, 10 ** 9, size=8)  # sparse ids: a binary-search table
    ids = rng.choice(kinds, size=(64, 1))
    lookup = layers.IntegerLookup(output_mode="one_hot")
    lookup.adapt(ids)
    y = np.isin(ids[:, 0], kinds[:4]).astype(np.float32)
    model = keras.Sequential([lookup, layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="binary_crossentropy")
    losses = model.fit(ids, y, batch_size=16, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_integer_lookup_errors():
    with pytest.raises(DTypeError, match="StringLookup"):
        layers.IntegerLookup(vocabulary=INT_VOCAB)(np.array(["a"]))
    with pytest.raises(DTypeError, match="integer inputs"):
        layers.IntegerLookup(vocabulary=INT_VOCAB)(np.array([1.5]))
    with pytest.raises(ValueError, match="output_mode"):
        layers.IntegerLookup(output_mode="ints")
    with pytest.raises(TypeError, match="mask_token"):
        layers.IntegerLookup(mask_token="0")
    with pytest.raises(ValueError, match="max_tokens"):
        layers.IntegerLookup(max_tokens=1)
    with pytest.raises(ValueError, match="num_oov_indices"):
        layers.IntegerLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="OOV token"):
        layers.IntegerLookup(vocabulary=[1, -1], invert=True)
    strict = layers.IntegerLookup(vocabulary=INT_VOCAB, num_oov_indices=0, mask_token=0)
    np.testing.assert_array_equal(strict(np.array([0, 12])).numpy(), [0, 1])
    with pytest.raises(InvalidArgumentError, match=r"out-of-vocabulary values \[7\]"):
        strict(np.array([12, 7]))
    with pytest.raises(InvalidArgumentError, match=r"\[7\]"):
        engine.function(lambda t: strict(t))(engine.constant([7, 12]))
    with pytest.raises(DTypeError, match="integers"):
        layers.IntegerLookup().adapt(np.array(["a"]))
