"""engine.data grouping steps: batch, padded_batch, unbatch, rebatch, window."""

import numpy as np
import pytest

import engine
from engine.data import Dataset
from engine.errors import ShapeError


def lists(ds):
    return [engine.nest.map_structure(lambda a: a.tolist(), e) for e in ds.as_numpy_iterator()]


def ragged():
    """Elements [1], [2, 2], [3, 3, 3], ... as int64 vectors."""
    return Dataset.from_generator(lambda: ([n] * n for n in range(1, 5)),
                                  output_signature=engine.TensorSpec([None], engine.int64))


@pytest.mark.parametrize("size, drop, expected", [
    (3, False, [[0, 1, 2], [3, 4, 5], [6]]),
    (3, True, [[0, 1, 2], [3, 4, 5]]),
    (7, True, [list(range(7))]),
    (8, True, []),
])
def test_batch(size, drop, expected):
    ds = Dataset.range(7).batch(size, drop_remainder=drop)
    assert lists(ds) == expected and len(ds) == len(expected)
    assert ds.element_spec.shape.as_list() == [size if drop else None]


def test_batch_of_dicts_and_tuples_from_elements():
    ds = Dataset.range(5).map(lambda x: {"x": engine.fill([2], x), "y": (x, x * 10)}).batch(2)
    got = lists(ds)
    assert got[0] == {"x": [[0, 0], [1, 1]], "y": ([0, 1], [0, 10])}
    assert got[2] == {"x": [[4, 4]], "y": ([4], [40])}
    assert ds.element_spec["x"] == engine.TensorSpec([None, 2], engine.int64)


def test_batch_of_strings_and_nested_batches():
    words = Dataset.from_tensor_slices([b"a", b"b", b"c"]).batch(2)
    assert lists(words) == [[b"a", b"b"], [b"c"]]
    twice = Dataset.range(8).batch(2).batch(2, drop_remainder=True)
    assert lists(twice) == [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    assert twice.element_spec.shape.as_list() == [2, None]


def test_batch_of_different_shapes_says_use_padded_batch():
    with pytest.raises(ShapeError, match="padded_batch") as info:
        list(ragged().batch(2))
    assert "element 0 has shape (1,) and element 1 has shape (2,)" in str(info.value)


def test_batch_cardinality():
    assert len(Dataset.range(10).batch(4)) == 3
    assert len(Dataset.range(10).batch(4, drop_remainder=True)) == 2
    assert int(Dataset.range(3).repeat().batch(2).cardinality()) == -1


def test_padded_batch_defaults_to_the_longest_in_each_batch():
    ds = ragged().padded_batch(2)
    assert lists(ds) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert ds.element_spec == engine.TensorSpec([None, None], engine.int64)


def test_padded_batch_shapes_values_and_errors():
    ds = ragged().padded_batch(2, padded_shapes=[5], padding_values=np.int64(-1),
                               drop_remainder=True)
    assert lists(ds)[0] == [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]]
    assert ds.element_spec == engine.TensorSpec([2, 5], engine.int64)
    with pytest.raises(ShapeError, match="larger than the padded shape"):
        list(ragged().padded_batch(4, padded_shapes=[3]))
    words = Dataset.from_generator(lambda: ([str(n).encode()] * n for n in range(1, 5)),
                                   output_signature=engine.TensorSpec([None], engine.string))
    pairs = Dataset.zip((ragged(), words))
    padded = pairs.padded_batch(2, padding_values=(np.int64(9), b"-"))
    first = lists(padded)[0]
    assert first == ([[1, 9], [2, 2]], [[b"1", b"-"], [b"2", b"2"]])
    with pytest.raises(ShapeError, match="rank"):
        ragged().padded_batch(2, padded_shapes=[None, None])


def test_unbatch_and_its_cardinality():
    ds = Dataset.range(7).batch(3).unbatch()
    assert [int(x) for x in ds] == list(range(7))
    assert int(ds.cardinality()) == -2  # the last batch may be smaller
    exact = Dataset.range(6).batch(3, drop_remainder=True).unbatch()
    assert len(exact) == 6
    pairs = Dataset.from_tensors(([1, 2], [[1, 1], [2, 2]])).unbatch()
    assert lists(pairs) == [(1, [1, 1]), (2, [2, 2])]
    with pytest.raises(ShapeError, match="scalar"):
        Dataset.range(3).unbatch()
    with pytest.raises(ShapeError, match="different first dimensions"):
        Dataset.from_tensors(([1, 2], [1, 2, 3])).unbatch()  # known sizes: raised at once
    vector = engine.TensorSpec([None], engine.int32)
    unknown = Dataset.from_generator(lambda: iter([([1, 2], [1, 2, 3])]),
                                     output_signature=(vector, vector)).unbatch()
    with pytest.raises(ShapeError, match="same first dimension"):
        list(unknown)


def test_rebatch():
    ds = Dataset.range(10).batch(4)
    assert lists(ds.rebatch(3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert lists(ds.rebatch(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert lists(ds.rebatch([1, 3])) == [[0], [1, 2, 3], [4], [5, 6, 7], [8], [9]]
    exact = Dataset.range(8).batch(4, drop_remainder=True).rebatch(2, drop_remainder=True)
    assert len(exact) == 4 and exact.element_spec.shape.as_list() == [2]
    with pytest.raises(ValueError, match="empty list"):
        ds.rebatch([])


def windows(ds):
    return [[int(x) for x in w] for w in ds]


@pytest.mark.parametrize("kwargs, expected", [
    ({"size": 3}, [[0, 1, 2], [3, 4, 5], [6]]),
    ({"size": 3, "drop_remainder": True}, [[0, 1, 2], [3, 4, 5]]),
    ({"size": 3, "shift": 1}, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6],
                               [5, 6], [6]]),
    ({"size": 3, "shift": 1, "drop_remainder": True},
     [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]),
    ({"size": 2, "shift": 3}, [[0, 1], [3, 4], [6]]),
    ({"size": 3, "stride": 2, "shift": 1, "drop_remainder": True},
     [[0, 2, 4], [1, 3, 5], [2, 4, 6]]),
    ({"size": 3, "stride": 2, "shift": 2}, [[0, 2, 4], [2, 4, 6], [4, 6], [6]]),
])
def test_window(kwargs, expected):
    ds = Dataset.range(7).window(**kwargs)
    assert windows(ds) == expected
    assert len(ds) == len(expected)


def test_windows_of_structures_and_flattening():
    ds = Dataset.from_tensor_slices(({"a": [1, 2, 3]}, [4, 5, 6])).window(2)
    first = next(iter(ds))
    assert isinstance(first[0]["a"], Dataset) and isinstance(first[1], Dataset)
    assert ds.element_spec[1] == engine.data.DatasetSpec(engine.TensorSpec([], engine.int32))
    flat = Dataset.range(6).window(3, shift=1, drop_remainder=True).flat_map(
        lambda w: w.batch(3))
    assert lists(flat) == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    with pytest.raises(TypeError, match="flat_map"):
        Dataset.range(4).window(2).batch(2)
