"""engine.data cache (memory and file) and prefetch, and that background threads end."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import engine
from engine.data import Dataset


def counting_generator(calls, n=4):
    def gen():
        calls.append(1)
        for i in range(n):
            yield i, np.full([2], i / 2, np.float32)
    spec = (engine.TensorSpec([], engine.int64), engine.TensorSpec([2], engine.float32))
    return Dataset.from_generator(gen, output_signature=spec)


def pairs(ds):
    return [(int(a), b.tolist()) for a, b in ds.as_numpy_iterator()]


def test_memory_cache_replays_after_one_full_pass():
    calls = []
    ds = counting_generator(calls).cache()
    first = pairs(ds)
    assert pairs(ds) == first and pairs(ds) == first and len(calls) == 1
    assert first[3] == (3, [1.5, 1.5])


def test_memory_cache_discards_a_partial_pass_with_a_warning():
    calls = []
    ds = counting_generator(calls).cache()
    with pytest.warns(UserWarning, match="take\\(\\) before cache\\(\\)"):
        assert len(pairs(ds.take(2))) == 2
        gc.collect()
    assert len(pairs(ds)) == 4 and len(calls) == 2
    assert len(pairs(ds)) == 4 and len(calls) == 2


def test_cache_of_shuffled_rows_keeps_the_first_order():
    ds = Dataset.range(30).shuffle(30, seed=1).cache()
    first = [int(x) for x in ds]
    assert [int(x) for x in ds] == first
    assert [b.tolist() for b in ds.batch(7).as_numpy_iterator()][0] == first[:7]


def test_file_cache_writes_atomically_and_is_reused(tmp_path):
    path = str(tmp_path / "cache.bin")
    calls = []
    ds = counting_generator(calls).cache(path)
    iterator = iter(ds)
    next(iterator)
    assert not os.path.exists(path)  # nothing is visible while the first pass runs
    iterator.close()
    assert os.listdir(tmp_path) == []  # an interrupted pass leaves nothing behind
    expected = pairs(ds)
    assert os.path.exists(path) and os.listdir(tmp_path) == ["cache.bin"]
    again = counting_generator(calls).cache(path)  # another pipeline over the same file
    assert pairs(again) == expected
    assert len(calls) == 2  # the interrupted pass and the one that wrote the file


def test_file_cache_is_read_by_another_process(tmp_path):
    path = str(tmp_path / "strings.cache")
    ds = Dataset.from_tensor_slices(({"w": [b"ab", b"", b"xyz"]}, [[1.5], [2.5], [3.5]]))
    assert len(list(ds.cache(path))) == 3
    script = textwrap.dedent(f"""
        import engine, engine.data
        def gen():
            raise AssertionError("the cache file should have been read")
            yield
        spec = ({{"w": engine.TensorSpec([], engine.string)}},
                engine.TensorSpec([1], engine.float32))
        ds = engine.data.Dataset.from_generator(gen, output_signature=spec).cache({path!r})
        print([(e[0]["w"].numpy(), e[1].numpy().tolist()) for e in ds])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=os.getcwd(), timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(b'ab', [1.5]), (b'', [2.5]), (b'xyz', [3.5])]"


def test_file_cache_refuses_a_file_of_another_pipeline(tmp_path):
    path = str(tmp_path / "c")
    list(Dataset.range(3).cache(path))
    with pytest.raises(ValueError, match="Delete the file"):
        list(Dataset.range(3).map(lambda x: engine.cast(x, engine.float32)).cache(path))
    (tmp_path / "junk").write_bytes(b"not a cache")
    with pytest.raises(ValueError, match="not an engine.data cache file"):
        list(Dataset.range(3).cache(str(tmp_path / "junk")))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(Dataset.range(3).cache(str(tmp_path / "missing" / "c")))


def test_prefetch_yields_the_same_elements():
    base = Dataset.range(50).map(lambda x: x * 3)
    for size in (0, 1, 4, engine.data.AUTOTUNE):
        assert [int(x) for x in base.prefetch(size)] == [int(x) for x in base]
    assert len(base.prefetch(2)) == 50


def data_threads():
    return [t for t in threading.enumerate() if t.name.startswith("engine.data")]


def wait_for_no_data_threads(timeout=5.0):
    end = time.monotonic() + timeout
    while data_threads() and time.monotonic() < end:
        time.sleep(0.01)
    return data_threads()


def slow_identity(x):
    time.sleep(0.001)
    return x


@pytest.mark.parametrize("make", [
    lambda: Dataset.range(200).prefetch(3),
    lambda: Dataset.range(200).prefetch(2).map(lambda x: x + 1).prefetch(2),
    lambda: Dataset.range(200).map(
        lambda x: engine.py_function(slow_identity, [x], engine.int64), num_parallel_calls=3),
    lambda: Dataset.range(20).interleave(lambda x: Dataset.range(10).prefetch(1),
                                         cycle_length=4, num_parallel_calls=4),
    lambda: Dataset.range(200).repeat().prefetch(2),
])
def test_threads_end_when_iteration_stops(make):
    assert data_threads() == []
    ds = make()
    for i, _ in enumerate(ds):  # leave early with break
        if i == 5:
            assert data_threads()
            break
    assert wait_for_no_data_threads() == []
    iterator = iter(ds)  # an iterator that is dropped
    next(iterator)
    del iterator
    assert wait_for_no_data_threads() == []
    if int(ds.cardinality()) != engine.data.INFINITE_CARDINALITY:
        list(ds)  # a full pass
        assert wait_for_no_data_threads() == []
    list(ds.take(3))  # take closes its input
    assert wait_for_no_data_threads() == []


def test_threads_end_after_an_error():
    def fail(x):
        if int(x) == 3:
            raise RuntimeError("bad element")
        return x
    ds = Dataset.range(10).map(lambda x: engine.py_function(fail, [x], engine.int64)).prefetch(2)
    with pytest.raises(Exception, match="bad element"):
        list(ds)
    assert wait_for_no_data_threads() == []


def test_two_iterators_run_independently():
    ds = Dataset.range(6).shuffle(6, seed=2).prefetch(2)
    a, b = iter(ds), iter(ds)
    first = [int(next(a)) for _ in range(3)]
    second = [int(x) for x in b]
    assert sorted(second) == list(range(6)) and len(first) == 3
    a.close()
    assert wait_for_no_data_threads() == []
