"""engine.data steps with user functions: map, filter, flat_map, interleave, and friends."""

import threading
import time

import numpy as np
import pytest

import engine
from engine.data import Dataset, functions


def ints(ds):
    return [int(x) for x in ds]


def test_map_unpacks_tuples_and_passes_dicts_whole():
    pairs = Dataset.from_tensor_slices(([1, 2], [10, 20]))
    assert ints(pairs.map(lambda a, b: a * b)) == [10, 40]
    dicts = Dataset.from_tensor_slices({"a": [1, 2], "b": [3, 4]})
    assert ints(dicts.map(lambda d: d["a"] + d["b"])) == [4, 6]
    nested = Dataset.zip((pairs, Dataset.range(2)))
    assert ints(nested.map(lambda ab, i: ab[0] + engine.cast(i, engine.int32))) == [1, 3]


def test_map_is_traced_once_and_knows_its_spec():
    traces = []

    def f(x):
        traces.append(1)  # a Python side effect: runs while tracing only
        return {"double": x * 2, "shape": engine.reshape(x, [1, 1])}

    ds = Dataset.range(5).map(f)
    assert len(traces) == 1  # traced when the dataset is built
    assert ds.element_spec == {"double": engine.TensorSpec([], engine.int64),
                               "shape": engine.TensorSpec([1, 1], engine.int64)}
    assert [int(e["double"]) for e in ds] == [0, 2, 4, 6, 8]
    assert [int(e["double"]) for e in ds] == [0, 2, 4, 6, 8] and len(traces) == 1
    assert len(ds) == 5


def test_map_with_unknown_dimensions_traces_one_graph():
    def gen():
        for n in range(1, 4):
            yield np.arange(n, dtype=np.float32)
    ds = Dataset.from_generator(gen, output_signature=engine.TensorSpec([None], engine.float32))
    mapped = ds.map(lambda x: engine.reduce_sum(x * x))
    assert mapped.element_spec == engine.TensorSpec([], engine.float32)
    assert [float(v) for v in mapped] == [0.0, 1.0, 5.0]


def test_map_output_normalization():
    ds = Dataset.range(2)
    listed = ds.map(lambda x: [x, x + 1])
    assert isinstance(listed.element_spec, tuple)  # a returned list is a tuple
    assert [tuple(int(v) for v in e) for e in listed] == [(0, 1), (1, 2)]
    constants = ds.map(lambda x: (x, 7, np.float32(0.5), "tag"))
    spec = constants.element_spec
    assert spec[1] == engine.TensorSpec([], engine.int32)
    assert spec[3] == engine.TensorSpec([], engine.string)
    assert [e[3].numpy() for e in constants] == [b"tag", b"tag"]
    stacked = ds.map(lambda x: {"pair": [x, x]})
    assert stacked.element_spec["pair"] == engine.TensorSpec([2], engine.int64)


def test_map_rejects_unsupported_results():
    ds = Dataset.range(3)
    with pytest.raises(TypeError, match="returned None at \\[1\\]"):
        ds.map(lambda x: (x, None))
    with pytest.raises(TypeError, match="flat_map"):
        ds.map(lambda x: Dataset.range(2))
    with pytest.raises(TypeError, match="returned object"):
        ds.map(lambda x: object())
    with pytest.raises(TypeError, match="expected a function"):
        ds.map(3)


def test_map_trace_failure_explains_the_fix():
    with pytest.raises(engine.errors.TracingError, match="engine.py_function"):
        Dataset.range(3).map(lambda x: float(x) * 2)


def test_py_function_inside_map_runs_per_element():
    seen = []

    def record(x):
        seen.append(int(x))
        return x.numpy() * 10

    ds = Dataset.range(3).map(lambda x: engine.py_function(record, [x], engine.int64))
    assert ints(ds) == [0, 10, 20] and seen == [0, 1, 2]


def test_map_autograph_converts_python_control_flow():
    def relu_or_ten(x):
        if x > 2:
            return x * 10
        return x
    assert ints(Dataset.range(5).map(relu_or_ten)) == [0, 1, 2, 30, 40]


def test_random_ops_in_map_draw_new_numbers_per_element():
    ds = Dataset.range(4).map(lambda x: engine.random.uniform([], seed=3))
    draws = [float(v) for v in ds]
    assert len(set(draws)) == 4


def test_parallel_map_keeps_order_unless_told_otherwise():
    def slow(x):
        time.sleep(0.002 * (5 - int(x)))
        return x
    ds = Dataset.range(5)

    def delayed(x):
        return engine.py_function(slow, [x], engine.int64)
    assert ints(ds.map(delayed, num_parallel_calls=4)) == [0, 1, 2, 3, 4]
    loose = ds.map(delayed, num_parallel_calls=engine.data.AUTOTUNE, deterministic=False)
    assert sorted(ints(loose)) == [0, 1, 2, 3, 4]
    options = engine.data.Options()
    options.deterministic = False
    relaxed = ds.map(delayed, num_parallel_calls=3).with_options(options)
    assert sorted(ints(relaxed)) == [0, 1, 2, 3, 4]


def test_parallel_map_uses_several_threads():
    names = set()

    def where(x):
        names.add(threading.current_thread().name)
        time.sleep(0.01)
        return x
    ds = Dataset.range(8).map(lambda x: engine.py_function(where, [x], engine.int64),
                              num_parallel_calls=4)
    assert ints(ds) == list(range(8))
    assert len(names) > 1 and all(n.startswith("engine.data.map") for n in names)


def test_map_errors_surface_from_parallel_calls():
    def fail(x):
        raise ValueError("boom")
    ds = Dataset.range(3).map(lambda x: engine.py_function(fail, [x], engine.int64),
                              num_parallel_calls=2)
    with pytest.raises(Exception, match="boom"):
        list(ds)


def test_debug_mode_runs_functions_eagerly(monkeypatch):
    monkeypatch.setitem(functions._DEBUG, "on", True)
    calls = []

    def f(x):
        calls.append(1)
        return x.numpy() + 1  # only possible eagerly
    ds = Dataset.range(3).map(f)
    assert calls == []  # nothing runs until the data or its spec is needed
    assert ds.element_spec == engine.TensorSpec([], engine.int64)
    assert ints(ds) == [1, 2, 3]
    kept = Dataset.range(5).filter(lambda x: x.numpy() % 2 == 1)
    assert ints(kept) == [1, 3]


def test_filter_and_its_predicate_check():
    assert ints(Dataset.range(10).filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    pairs = Dataset.from_tensor_slices(([1, 2, 3], [1.0, -1.0, 2.0]))
    assert ints(pairs.filter(lambda i, v: v > 0).map(lambda i, v: i)) == [1, 3]
    assert int(Dataset.range(3).filter(lambda x: x > 0).cardinality()) == -2
    with pytest.raises(TypeError, match="scalar bool"):
        Dataset.range(3).filter(lambda x: x + 1)
    with pytest.raises(TypeError, match="scalar bool"):
        Dataset.range(3).filter(lambda x: engine.stack([x > 0, x > 1]))


def test_take_while():
    assert ints(Dataset.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    assert ints(Dataset.range(3).take_while(lambda x: x < 100)) == [0, 1, 2]
    assert ints(Dataset.range(3).repeat().take_while(lambda x: x < 2)) == [0, 1]


def test_flat_map():
    ds = Dataset.from_tensor_slices([[1, 2], [3, 4]]).flat_map(Dataset.from_tensor_slices)
    assert ints(ds) == [1, 2, 3, 4]
    assert ds.element_spec == engine.TensorSpec([], engine.int32)
    with pytest.raises(TypeError, match="must return a Dataset"):
        list(Dataset.range(2).flat_map(lambda x: x))
    with pytest.raises(ValueError, match="input is empty"):
        _ = Dataset.range(0).flat_map(Dataset.from_tensors).element_spec


def test_interleave_follows_tensorflows_order():
    ds = Dataset.range(1, 6).interleave(lambda x: Dataset.from_tensors(x).repeat(6),
                                        cycle_length=2, block_length=4)
    assert ints(ds) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3,
                        4, 4, 5, 5, 5, 5, 5, 5]


def test_interleave_of_uneven_datasets_and_parallel_reads():
    def make(x):
        return Dataset.range(x * 10, x * 10 + x)
    sequential = ints(Dataset.range(1, 5).interleave(make, cycle_length=3))
    assert sequential == [10, 20, 30, 21, 31, 40, 32, 41, 42, 43]
    parallel = Dataset.range(1, 5).interleave(make, cycle_length=3, num_parallel_calls=3)
    assert ints(parallel) == sequential
    with pytest.raises(ValueError, match="block_length must be >= 1"):
        Dataset.range(2).interleave(make, block_length=0)


def test_enumerate():
    ds = Dataset.from_tensor_slices([b"a", b"b"]).enumerate(start=5)
    assert [(int(i), s.numpy()) for i, s in ds] == [(5, b"a"), (6, b"b")]
    assert ds.element_spec[0] == engine.TensorSpec([], engine.int64) and len(ds) == 2


def test_unique():
    assert ints(Dataset.from_tensor_slices([3, 1, 3, 2, 1]).unique()) == [3, 1, 2]
    words = Dataset.from_tensor_slices([b"x", b"y", b"x"]).unique()
    assert [w.numpy() for w in words] == [b"x", b"y"]
    with pytest.raises(TypeError, match="int32, int64 or string"):
        Dataset.from_tensor_slices([1.0, 2.0]).unique()


def test_reduce_and_apply():
    total = Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)
    assert int(total) == 10
    stats = Dataset.from_tensor_slices([1.0, 2.0, 6.0]).reduce(
        {"sum": 0.0, "n": 0.0}, lambda s, x: {"sum": s["sum"] + x, "n": s["n"] + 1.0})
    assert float(stats["sum"]) == 9.0 and float(stats["n"]) == 3.0
    assert int(Dataset.range(0).reduce(np.int64(7), lambda s, x: s + x)) == 7
    assert ints(Dataset.range(4).apply(lambda ds: ds.skip(2))) == [2, 3]
    with pytest.raises(TypeError, match="must return a Dataset"):
        Dataset.range(4).apply(lambda ds: 3)


def test_map_over_windows_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="flat_map"):
        Dataset.range(4).window(2).map(lambda w: w)
