"""engine.lookup: static, vocabulary and mutable tables, eagerly, traced and in Dataset.map.

The out-of-vocabulary ids below were read by hand from TensorFlow 2.21's
`tf.lookup.StaticVocabularyTable` with the same vocabularies and bucket counts.
"""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, FailedPreconditionError, InvalidArgumentError, ShapeError

lookup = engine.lookup
Dataset = engine.data.Dataset

BAND = ["emerson", "lake", "palmer"]
# key -> TF's id with BAND as the vocabulary and 5 OOV buckets
STRING_IDS = {"emerson": 0, "lake": 1, "palmer": 2, "king": 6, "crimson": 7, "": 6, "a": 7,
              "hello world": 4, "x" * 70: 3}
# key -> TF's id with [42, 7] (int64) as the vocabulary and 10 OOV buckets
INT_IDS = {42: 0, 7: 1, 0: 7, 1: 11, -1: 2, 123456789: 8, 2**40: 10}


def _band_table():
    init = lookup.KeyValueTensorInitializer(BAND, [0, 1, 2], value_dtype=engine.int64)
    return lookup.StaticHashTable(init, default_value=-1)


def _band_vocabulary():
    init = lookup.KeyValueTensorInitializer(BAND, [0, 1, 2], value_dtype=engine.int64)
    return lookup.StaticVocabularyTable(init, num_oov_buckets=5)


def _int_vocabulary(**kwargs):
    init = lookup.KeyValueTensorInitializer(engine.constant([42, 7], engine.int64),
                                            engine.constant([0, 1], engine.int64))
    return lookup.StaticVocabularyTable(init, num_oov_buckets=10, **kwargs)


# --- StaticHashTable -------------------------------------------------------------------------
def test_static_hash_table_eagerly():
    table = _band_table()
    keys = engine.constant([["lake", "x"], ["palmer", "emerson"]])
    out = table.lookup(keys)
    assert out.dtype is engine.int64 and out.shape == [2, 2]
    np.testing.assert_array_equal(out.numpy(), [[1, -1], [2, 0]])
    np.testing.assert_array_equal(table[engine.constant("lake")].numpy(), 1)
    assert int(table.size()) == 3
    assert table.key_dtype is engine.string and table.value_dtype is engine.int64
    assert int(table.default_value) == -1
    keys, values = table.export()
    assert sorted(zip(keys.numpy().tolist(), values.numpy().tolist())) == [
        (b"emerson", 0), (b"lake", 1), (b"palmer", 2)]


def test_static_hash_table_traced_and_in_dataset_map():
    table = _band_table()

    @engine.function
    def f(x):
        return table.lookup(x)

    np.testing.assert_array_equal(f(engine.constant(["palmer", "zz"])).numpy(), [2, -1])
    ds = Dataset.from_tensor_slices(["lake", "zz", "emerson"]).map(table.lookup)
    assert [int(v) for v in ds] == [1, -1, 0]


def test_int_keys_and_string_values():
    init = lookup.KeyValueTensorInitializer([1, 2], ["one", "two"])
    table = lookup.StaticHashTable(init, "?")
    assert table.key_dtype is engine.int32
    np.testing.assert_array_equal(table.lookup([[2, 9]]).numpy(), [[b"two", b"?"]])


# --- StaticVocabularyTable -------------------------------------------------------------------
def test_vocabulary_oov_buckets_equal_tensorflows_for_strings():
    table = _band_vocabulary()
    keys = list(STRING_IDS)
    np.testing.assert_array_equal(table.lookup(engine.constant(keys)).numpy(),
                                  list(STRING_IDS.values()))
    assert int(table.size()) == 8


def test_vocabulary_oov_buckets_equal_tensorflows_for_ints():
    table = _int_vocabulary()
    keys = engine.constant(list(INT_IDS), engine.int64)
    np.testing.assert_array_equal(table.lookup(keys).numpy(), list(INT_IDS.values()))
    small = _int_vocabulary(lookup_key_dtype=engine.int32)
    np.testing.assert_array_equal(
        small.lookup(engine.constant([42, 0, 1, -1, 5], engine.int32)).numpy(),
        [0, 7, 11, 2, 3])


def test_vocabulary_traced_and_in_dataset_map():
    table = _band_vocabulary()

    @engine.function
    def f(x):
        return table.lookup(x)

    np.testing.assert_array_equal(f(engine.constant([["king"], ["lake"]])).numpy(), [[6], [1]])
    ds = Dataset.from_tensor_slices(["crimson", "palmer", "hello world"]).map(table.lookup)
    assert [int(v) for v in ds] == [7, 2, 4]


# --- TextFileInitializer ---------------------------------------------------------------------
def test_text_file_initializer_columns_whole_lines_and_line_numbers(tmp_path):
    path = tmp_path / "vocab.tsv"
    path.write_text("emerson\t10\nlake\t20\npalmer\t30\n")
    table = lookup.StaticHashTable(
        lookup.TextFileInitializer(str(path), engine.string, 0, engine.int64, 1), -1)
    np.testing.assert_array_equal(table.lookup(engine.constant(["lake", "zz"])).numpy(),
                                  [20, -1])
    whole = lookup.StaticHashTable(lookup.TextFileInitializer(
        path, engine.string, lookup.TextFileIndex.WHOLE_LINE, engine.int64,
        lookup.TextFileIndex.LINE_NUMBER), -1)
    np.testing.assert_array_equal(whole.lookup(engine.constant(["lake\t20", "lake"])).numpy(),
                                  [1, -1])
    numbered = lookup.StaticHashTable(lookup.TextFileInitializer(
        path, engine.int64, lookup.TextFileIndex.LINE_NUMBER, engine.string, 0, vocab_size=2),
        "?")
    np.testing.assert_array_equal(
        numbered.lookup(engine.constant([0, 1, 2], engine.int64)).numpy(),
        [b"emerson", b"lake", b"?"])
    assert int(numbered.size()) == 2


def test_text_file_initializer_errors(tmp_path):
    path = tmp_path / "vocab.tsv"
    path.write_text("emerson\t10\nlake\n")
    with pytest.raises(InvalidArgumentError, match="vocab_size=5, but .* has 2 lines"):
        lookup.StaticHashTable(lookup.TextFileInitializer(
            path, engine.string, 0, engine.int64, 1, vocab_size=5), -1)
    with pytest.raises(InvalidArgumentError, match="line 1 .* has 1 columns; value_index=1"):
        lookup.StaticHashTable(
            lookup.TextFileInitializer(path, engine.string, 0, engine.int64, 1), -1)
    with pytest.raises(DTypeError, match="LINE_NUMBER gives int64"):
        lookup.TextFileInitializer(path, engine.string, -1, engine.int64, 1)
    with pytest.raises(FileNotFoundError, match="no file"):
        lookup.StaticHashTable(lookup.TextFileInitializer(
            tmp_path / "missing.txt", engine.string, -2, engine.int64, -1), -1)


# --- mutable tables --------------------------------------------------------------------------
def test_mutable_hash_table_eagerly():
    table = lookup.experimental.MutableHashTable(engine.string, engine.int64, -1)
    table.insert(engine.constant(["a", "b"]), engine.constant([1, 2], engine.int64))
    table.insert(["b", "c"], [20, 3])  # lists take the table's dtypes
    np.testing.assert_array_equal(table.lookup(["a", "b", "c", "d"]).numpy(), [1, 20, 3, -1])
    table.remove(engine.constant(["a", "zz"]))
    assert int(table.size()) == 2
    keys, values = table.export()
    assert sorted(zip(keys.numpy().tolist(), values.numpy().tolist())) == [(b"b", 20),
                                                                           (b"c", 3)]


def test_mutable_hash_table_with_vector_values():
    table = lookup.experimental.MutableHashTable(engine.int64, engine.float32, [0.0, 0.0])
    table.insert(engine.constant([1, 2], engine.int64), [[1.0, 2.0], [3.0, 4.0]])
    out = table.lookup(engine.constant([[1, 5]], engine.int64))
    assert out.shape == [1, 2, 2]
    np.testing.assert_array_equal(out.numpy(), [[[1.0, 2.0], [0.0, 0.0]]])
    with pytest.raises(ShapeError, match="insert: got keys of shape"):
        table.insert(engine.constant([3, 4], engine.int64), [[1.0, 2.0]])


def test_traced_lookup_sees_inserts_made_after_tracing():
    table = lookup.experimental.MutableHashTable(engine.string, engine.int64, -1)
    table.insert(["a"], [1])

    @engine.function
    def find(x):
        return table.lookup(x)

    @engine.function
    def add_then_find(k, v):
        table.insert(k, v)
        return table.lookup(k), table.size()

    np.testing.assert_array_equal(find(engine.constant(["a", "c"])).numpy(), [1, -1])
    table.insert(["c"], [3])
    np.testing.assert_array_equal(find(engine.constant(["a", "c"])).numpy(), [1, 3])
    ids, count = add_then_find(engine.constant(["q"]), engine.constant([9], engine.int64))
    assert ids.numpy().tolist() == [9] and int(count) == 3
    ds = Dataset.from_tensor_slices(["a", "q", "zz"]).map(table.lookup)
    assert [int(v) for v in ds] == [1, 9, -1]


def test_dense_hash_table_and_its_reserved_keys():
    table = lookup.experimental.DenseHashTable(engine.int64, engine.int64, default_value=-1,
                                               empty_key=0, deleted_key=-1)
    table.insert(engine.constant([5, 7], engine.int64), engine.constant([50, 70], engine.int64))
    np.testing.assert_array_equal(table.lookup(engine.constant([5, 6, 7], engine.int64)).numpy(),
                                  [50, -1, 70])
    table.erase(engine.constant([5], engine.int64))
    assert int(table.size()) == 1
    with pytest.raises(InvalidArgumentError, match="empty_key"):
        table.insert(engine.constant([0], engine.int64), engine.constant([1], engine.int64))
    with pytest.raises(InvalidArgumentError, match="deleted_key"):
        table.lookup(engine.constant([-1], engine.int64))
    with pytest.raises(InvalidArgumentError, match="empty_key == deleted_key"):
        lookup.experimental.DenseHashTable(engine.int64, engine.int64, -1, 0, 0)


# --- errors ----------------------------------------------------------------------------------
def test_key_and_value_dtype_errors():
    with pytest.raises(DTypeError, match=r"keys: got a int64 tensor; expected string"):
        _band_table().lookup(engine.constant([1, 2], engine.int64))
    with pytest.raises(DTypeError, match=r"keys: got a int32 tensor; expected int64"):
        _int_vocabulary().lookup(engine.constant([1], engine.int32))
    with pytest.raises(DTypeError, match="default_value"):
        lookup.StaticHashTable(lookup.KeyValueTensorInitializer(["a"], [1]), "x")
    with pytest.raises(DTypeError, match="value_dtype=int64 for int32 keys"):
        lookup.experimental.MutableHashTable(engine.int32, engine.int64, -1)
    with pytest.raises(DTypeError, match="insert: values"):
        table = lookup.experimental.MutableHashTable(engine.string, engine.int64, -1)
        table.insert(["a"], engine.constant([1], engine.int32))
    with pytest.raises(DTypeError, match="expected int64 ids"):
        lookup.StaticVocabularyTable(lookup.KeyValueTensorInitializer(["a"], [1.0]), 2)


def test_initializer_and_vocabulary_errors():
    with pytest.raises(ShapeError, match="got 2 keys and 1 values"):
        lookup.KeyValueTensorInitializer(["a", "b"], [1])
    with pytest.raises(FailedPreconditionError, match="given twice"):
        lookup.StaticHashTable(lookup.KeyValueTensorInitializer(["a", "a"], [1, 2]), -1)
    with pytest.raises(ValueError, match="num_oov_buckets=0; expected > 0"):
        lookup.StaticVocabularyTable(None, 0)
    with pytest.raises(DTypeError, match="lookup_key_dtype=int32 for string keys"):
        _band_vocabulary().__class__(
            lookup.KeyValueTensorInitializer(BAND, [0, 1, 2], value_dtype=engine.int64), 2,
            lookup_key_dtype=engine.int32)
