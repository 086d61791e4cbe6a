"""engine.data on disk: save/load and snapshot round trips, atomic writes, bad input."""

import collections
import os

import numpy as np
import pytest

import engine
from engine.data import Dataset, experimental
from engine.errors import NotFoundError

Point = collections.namedtuple("Point", ["x", "y"])


def _nested():
    return Dataset.range(5).map(lambda i: {"a": i, "b": (engine.cast(i, engine.float32),
                                                         engine.fill([i], i)),
                                           "s": engine.as_string(i)})


def _rows(ds):
    return [(int(e["a"]), float(e["b"][0]), e["b"][1].tolist(), e["s"])
            for e in ds.as_numpy_iterator()]


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_save_load_round_trip_with_nested_elements(tmp_path, compression):
    ds = _nested()
    path = str(tmp_path / "saved")
    ds.save(path, compression=compression)
    loaded = Dataset.load(path)
    assert loaded.element_spec == ds.element_spec
    assert len(loaded) == 5
    assert _rows(loaded) == _rows(ds)
    assert _rows(Dataset.load(path, compression=compression)) == _rows(ds)


def test_save_load_namedtuples_shards_and_reader_func(tmp_path):
    ds = Dataset.range(6).map(lambda i: Point(i, i * 10))
    path = str(tmp_path / "points")
    ds.save(path, shard_func=lambda p: p.x % 2)
    assert sorted(os.listdir(path)) == ["dataset.json", "shard-00000.records",
                                        "shard-00001.records"]
    loaded = Dataset.load(path)
    assert type(loaded.element_spec).__name__ == "Point"
    assert [(int(p.x), int(p.y)) for p in loaded] == [(i, i * 10) for i in range(6)]
    in_order = Dataset.load(path, reader_func=lambda shards: shards.flat_map(lambda s: s))
    assert [int(p.x) for p in in_order] == [0, 2, 4, 1, 3, 5]


def test_save_replaces_and_load_checks_specs(tmp_path):
    path = str(tmp_path / "ds")
    Dataset.range(3).save(path)
    Dataset.range(10, 12).save(path)
    assert [int(x) for x in Dataset.load(path)] == [10, 11]
    spec = engine.TensorSpec([], engine.int64)
    assert [int(x) for x in Dataset.load(path, element_spec=spec)] == [10, 11]
    with pytest.raises(TypeError, match="does not match the saved elements"):
        Dataset.load(path, element_spec=engine.TensorSpec([], engine.float32))
    with pytest.raises(ValueError, match="saved with compression=None"):
        Dataset.load(path, compression="GZIP")
    empty = str(tmp_path / "empty")
    Dataset.range(0).save(empty)
    assert list(Dataset.load(empty)) == [] and len(Dataset.load(empty)) == 0


def test_an_interrupted_save_never_looks_complete(tmp_path):
    def gen():
        yield from range(3)
        raise RuntimeError("power cut")
    ds = Dataset.from_generator(gen, output_signature=engine.TensorSpec([], engine.int64))
    path = str(tmp_path / "partial")
    with pytest.raises(RuntimeError, match="power cut"):
        ds.save(path)
    assert os.listdir(tmp_path) == []  # the temporary folder is gone too
    with pytest.raises(NotFoundError, match="no saved dataset"):
        Dataset.load(path)
    # a writer killed before it could clean up leaves only its hidden folder behind
    os.makedirs(tmp_path / ".partial.abc.partial")
    with pytest.raises(NotFoundError):
        Dataset.load(path)
    # and a failed save does not damage the previous complete one
    Dataset.range(2).save(path)
    with pytest.raises(RuntimeError):
        ds.save(path)
    assert [int(x) for x in Dataset.load(path)] == [0, 1]


def test_save_and_load_errors(tmp_path):
    ds = Dataset.range(3)
    with pytest.raises(TypeError, match="scalar int64"):
        ds.save(str(tmp_path / "a"), shard_func=lambda x: engine.cast(x, engine.int32))
    with pytest.raises(ValueError, match="compression must be"):
        ds.save(str(tmp_path / "a"), compression="SNAPPY")
    with pytest.raises(ValueError, match="checkpoint_args"):
        ds.save(str(tmp_path / "a"), checkpoint_args={"x": 1})
    with pytest.raises(TypeError, match="windows"):
        ds.window(2).save(str(tmp_path / "a"))
    with pytest.raises(ValueError, match="shard number >= 0"):
        ds.save(str(tmp_path / "a"), shard_func=lambda x: x - 5)
    assert not os.path.exists(tmp_path / "a")
    ds.save(str(tmp_path / "b"))
    with pytest.raises(TypeError, match="must return a Dataset"):
        Dataset.load(str(tmp_path / "b"), reader_func=lambda shards: 3)


def test_experimental_save_and_load(tmp_path):
    path = str(tmp_path / "x")
    experimental.save(Dataset.from_tensor_slices(np.eye(2, dtype=np.float32)), path)
    assert [r.tolist() for r in experimental.load(path).as_numpy_iterator()] == [[1, 0], [0, 1]]


def test_snapshot_writes_once_then_reads(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from ((i, str(i)) for i in range(4))
    spec = (engine.TensorSpec([], engine.int64), engine.TensorSpec([], engine.string))
    ds = Dataset.from_generator(gen, output_signature=spec).snapshot(str(tmp_path))
    assert ds.element_spec == spec
    assert [int(x) for x, _ in ds.take(2)] == [0, 1]  # an early stop writes nothing
    assert [p for p in os.listdir(tmp_path) if not p.startswith(".")] == []
    first = [(int(x), s) for x, s in ds.as_numpy_iterator()]
    assert first == [(0, b"0"), (1, b"1"), (2, b"2"), (3, b"3")] and len(calls) == 2
    assert [(int(x), s) for x, s in ds.as_numpy_iterator()] == first and len(calls) == 2
    rebuilt = Dataset.from_generator(gen, output_signature=spec).snapshot(str(tmp_path))
    assert len(list(rebuilt)) == 4 and len(calls) == 2  # a later pipeline reads it too


def test_snapshot_tells_pipelines_apart_and_keeps_cardinality(tmp_path):
    doubled = Dataset.range(3).map(lambda x: x * 2).snapshot(str(tmp_path), compression="GZIP")
    tripled = Dataset.range(3).map(lambda x: x * 3).snapshot(str(tmp_path), compression="GZIP")
    assert [int(x) for x in doubled] == [0, 2, 4]
    assert [int(x) for x in tripled] == [0, 3, 6]
    assert [int(x) for x in tripled] == [0, 3, 6]
    assert len(os.listdir(tmp_path)) == 2 and len(doubled) == 3
    with pytest.raises(ValueError, match="compression must be"):
        Dataset.range(2).snapshot(str(tmp_path), compression="LZ4")
