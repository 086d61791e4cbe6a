"""engine.data sources: tensor slices, tensors, ranges, generators, zip, concatenate."""

import collections

import numpy as np
import pytest

import engine
from engine.data import Dataset
from engine.errors import DTypeError, InvalidArgumentError, ShapeError


def values(ds):
    """The elements as plain Python values (lists, ints, floats, bytes)."""
    return [engine.nest.map_structure(plain, e) for e in ds.as_numpy_iterator()]


def plain(value):
    return value.tolist() if hasattr(value, "tolist") else value


def test_from_tensor_slices_tuple_of_arrays():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    y = np.array([7, 8, 9])
    ds = Dataset.from_tensor_slices((x, y))
    assert values(ds) == [([0.0, 1.0], 7), ([2.0, 3.0], 8), ([4.0, 5.0], 9)]
    assert ds.element_spec == (engine.TensorSpec([2], engine.float32),
                               engine.TensorSpec([], engine.int64))
    assert len(ds) == 3


def test_from_tensor_slices_yields_eager_tensors():
    for a, b in Dataset.from_tensor_slices(([1.0, 2.0], [3, 4])):
        assert isinstance(a, engine.Tensor) and isinstance(b, engine.Tensor)
        assert a.dtype == engine.float32 and b.dtype == engine.int32
        assert a.shape == [] and engine.executing_eagerly()


def test_from_tensor_slices_dict_namedtuple_and_nesting():
    Point = collections.namedtuple("Point", "x y")
    ds = Dataset.from_tensor_slices({"p": Point([1, 2], [3, 4]), "label": (["a", "b"],)})
    first = next(iter(ds))
    assert isinstance(first["p"], Point) and isinstance(first["label"], tuple)
    assert values(ds) == [{"p": Point(1, 3), "label": (b"a",)},
                          {"p": Point(2, 4), "label": (b"b",)}]
    assert ds.element_spec["label"][0] == engine.TensorSpec([], engine.string)


def test_a_list_is_one_component_not_a_structure():
    ds = Dataset.from_tensor_slices([[1, 2], [3, 4]])
    assert ds.element_spec == engine.TensorSpec([2], engine.int32)
    assert values(ds) == [[1, 2], [3, 4]]


def test_from_tensor_slices_copies_numpy_input():
    x = np.arange(3)
    ds = Dataset.from_tensor_slices(x)
    x[0] = 100
    assert values(ds) == [0, 1, 2]


def test_from_tensor_slices_object_arrays_of_str_become_bytes():
    ds = Dataset.from_tensor_slices(np.array(["ab", "c"], dtype=object))
    assert values(ds) == [b"ab", b"c"]


def test_from_tensor_slices_mismatched_first_dimensions_names_components():
    with pytest.raises(ShapeError, match=r"\[0\] has 3, \[1\]\['y'\] has 2"):
        Dataset.from_tensor_slices((np.zeros(3), {"y": np.zeros(2)}))


def test_from_tensor_slices_scalar_and_empty_errors():
    with pytest.raises(ShapeError, match="scalar"):
        Dataset.from_tensor_slices((np.zeros(3), 5.0))
    with pytest.raises(ValueError, match="empty structure"):
        Dataset.from_tensor_slices(())
    with pytest.raises(TypeError, match="None"):
        Dataset.from_tensor_slices((np.zeros(2), None))


def test_from_tensors_is_one_element():
    ds = Dataset.from_tensors(([1, 2, 3], {"k": 5.0}))
    assert values(ds) == [([1, 2, 3], {"k": 5.0})]
    assert ds.element_spec[0].shape == [3] and len(ds) == 1


@pytest.mark.parametrize("args", [(5,), (2, 7), (10, 0, -3), (0, 10, 4), (3, 3)])
def test_range_matches_python(args):
    ds = Dataset.range(*args)
    assert values(ds) == list(range(*args))
    assert len(ds) == len(range(*args))
    assert ds.element_spec == engine.TensorSpec([], engine.int64)


def test_range_output_type_and_errors():
    assert next(iter(Dataset.range(3, output_type=engine.int32))).dtype == engine.int32
    with pytest.raises(ValueError, match="Dataset.range"):
        Dataset.range(1, 5, 0)
    with pytest.raises(TypeError, match="Dataset.range"):
        Dataset.range(1.5)


def test_from_generator_with_signature_converts_and_restarts():
    calls = []

    def gen(n):
        calls.append(int(n))
        for i in range(int(n)):
            yield i, np.full([i], 0.5)

    spec = (engine.TensorSpec([], engine.int64), engine.TensorSpec([None], engine.float32))
    ds = Dataset.from_generator(gen, output_signature=spec, args=(3,))
    assert values(ds) == [(0, []), (1, [0.5]), (2, [0.5, 0.5])]
    assert values(ds)[2][1] == [0.5, 0.5] and calls == [3, 3]
    assert ds.element_spec == spec
    assert int(ds.cardinality()) == engine.data.UNKNOWN_CARDINALITY
    first = next(iter(ds))
    assert first[1].dtype == engine.float32


def test_from_generator_legacy_types_and_shapes():
    ds = Dataset.from_generator(lambda: iter([(1, [1.0, 2.0])]),
                                output_types=(engine.int32, engine.float32),
                                output_shapes=((), (None,)))
    assert ds.element_spec == (engine.TensorSpec([], engine.int32),
                               engine.TensorSpec([None], engine.float32))
    assert values(ds) == [(1, [1.0, 2.0])]
    unknown = Dataset.from_generator(lambda: iter([[1, 2]]), output_types=engine.int64)
    assert unknown.element_spec.shape.rank is None and values(unknown) == [[1, 2]]


def test_from_generator_reports_bad_elements():
    spec = engine.TensorSpec([2], engine.int32)
    with pytest.raises(ShapeError, match=r"element 1, component the element has shape \(3,\)"):
        list(Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]), output_signature=spec))
    with pytest.raises(DTypeError, match="element 0"):
        list(Dataset.from_generator(lambda: iter([[1.5, 2.0]]), output_signature=spec))
    pair = (spec, spec)
    with pytest.raises(TypeError, match="does not match output_signature"):
        list(Dataset.from_generator(lambda: iter([([1, 2], [3, 4], [5, 6])]),
                                    output_signature=pair))


def test_from_generator_argument_errors():
    def gen():
        yield 1
    with pytest.raises(TypeError, match="not gen()"):
        Dataset.from_generator(gen(), output_signature=engine.TensorSpec([], engine.int32))
    with pytest.raises(TypeError, match="output_signature is required"):
        Dataset.from_generator(gen)
    with pytest.raises(TypeError, match="not both"):
        Dataset.from_generator(gen, output_types=engine.int32,
                               output_signature=engine.TensorSpec([], engine.int32))
    with pytest.raises(TypeError, match="not iterable"):
        list(Dataset.from_generator(lambda: 5, output_signature=engine.TensorSpec([],
                                                                                  engine.int32)))


def test_from_generator_copies_reused_buffers():
    def gen():
        buffer = np.zeros(2)
        for i in range(3):
            buffer[:] = i
            yield buffer
    ds = Dataset.from_generator(gen, output_signature=engine.TensorSpec([2], engine.float64))
    assert [e.tolist() for e in ds.as_numpy_iterator()] == [[0, 0], [1, 1], [2, 2]]


def test_zip_positional_nested_and_shortest():
    a, b, c = Dataset.range(3), Dataset.range(10, 15), Dataset.from_tensor_slices([b"x", b"y"])
    assert values(Dataset.zip(a, b)) == [(0, 10), (1, 11), (2, 12)]
    nested = Dataset.zip((a, {"b": b, "c": c}))
    assert values(nested) == [(0, {"b": 10, "c": b"x"}), (1, {"b": 11, "c": b"y"})]
    assert len(nested) == 2
    assert values(Dataset.zip(datasets=(a, b))) == values(Dataset.zip(a, b))


def test_zip_errors_and_cardinality():
    with pytest.raises(TypeError, match="list"):
        Dataset.zip([Dataset.range(1), Dataset.range(1)])
    with pytest.raises(TypeError, match="expected datasets"):
        Dataset.zip((Dataset.range(1), 3))
    infinite = Dataset.range(2).repeat()
    assert len(Dataset.zip(infinite, Dataset.range(5))) == 5
    assert int(Dataset.zip(infinite, infinite).cardinality()) == -1
    unknown = Dataset.range(5).filter(lambda x: x > 1)
    assert int(Dataset.zip(unknown, Dataset.range(5)).cardinality()) == -2


def test_concatenate_relaxes_shapes_and_checks_dtypes():
    a = Dataset.from_tensors(np.zeros([2], np.float32))
    b = Dataset.from_tensors(np.ones([3], np.float32))
    ab = a.concatenate(b)
    assert ab.element_spec == engine.TensorSpec([None], engine.float32)
    assert values(ab) == [[0.0, 0.0], [1.0, 1.0, 1.0]] and len(ab) == 2
    with pytest.raises(TypeError, match="dtypes differ"):
        a.concatenate(Dataset.from_tensors(np.zeros([2], np.int32)))
    with pytest.raises(TypeError, match="structures differ"):
        a.concatenate(Dataset.from_tensors((1.0, 2.0)))
    assert int(a.concatenate(Dataset.range(1).repeat().map(
        lambda x: engine.zeros([2]))).cardinality()) == -1


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text("x")
    ds = Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False)
    assert [v.decode().rsplit("/", 1)[1] for v in values(ds)] == ["a.txt", "b.txt"]
    shuffled = Dataset.list_files([str(tmp_path / "*.txt"), str(tmp_path / "*.csv")], seed=1)
    assert sorted(v.decode().rsplit("/", 1)[1] for v in values(shuffled)) == [
        "a.txt", "b.txt", "c.csv"]
    with pytest.raises(InvalidArgumentError, match="no files match"):
        Dataset.list_files(str(tmp_path / "*.none"))
