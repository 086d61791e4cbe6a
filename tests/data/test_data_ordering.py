"""engine.data ordering steps: take, skip, repeat, shard, shuffle (and their index plans)."""

import numpy as np
import pytest

import engine
from engine.data import Dataset


def ints(ds):
    return [int(x) for x in ds]


def batches(ds):
    return [b.tolist() for b in ds.as_numpy_iterator()]


@pytest.mark.parametrize("count, expected", [(0, []), (3, [0, 1, 2]), (10, list(range(5))),
                                             (-1, list(range(5)))])
def test_take(count, expected):
    ds = Dataset.range(5).take(count)
    assert ints(ds) == expected and len(ds) == len(expected)


@pytest.mark.parametrize("count, expected", [(0, list(range(5))), (3, [3, 4]), (10, []),
                                             (-1, [])])
def test_skip(count, expected):
    ds = Dataset.range(5).skip(count)
    assert ints(ds) == expected and len(ds) == len(expected)


def test_repeat():
    assert ints(Dataset.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert ints(Dataset.range(3).repeat(0)) == []
    assert ints(Dataset.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert ints(Dataset.range(0).repeat()) == []  # an empty dataset repeated stays empty
    assert len(Dataset.range(3).repeat(4)) == 12


@pytest.mark.parametrize("num_shards, index", [(3, 0), (3, 2), (4, 1), (1, 0), (12, 11)])
def test_shard(num_shards, index):
    ds = Dataset.range(10).shard(num_shards, index)
    assert ints(ds) == list(range(10))[index::num_shards]
    assert len(ds) == len(range(10)[index::num_shards])


def test_counts_are_validated():
    ds = Dataset.range(3)
    for call, match in [(lambda: ds.take(-2), "count must be >= 0 or -1"),
                        (lambda: ds.skip(-5), "count must be >= 0 or -1"),
                        (lambda: ds.repeat(-3), "count must be >= 0 or -1"),
                        (lambda: ds.shard(0, 0), "num_shards must be >= 1"),
                        (lambda: ds.shard(2, 2), r"index must be in \[0, num_shards\)"),
                        (lambda: ds.shuffle(0), "buffer_size must be >= 1"),
                        (lambda: ds.batch(0), "batch_size must be >= 1"),
                        (lambda: ds.window(0), "size must be >= 1"),
                        (lambda: ds.prefetch(-2), "buffer_size must be >= 0 or -1")]:
        with pytest.raises(ValueError, match=match):
            call()
    with pytest.raises(TypeError, match="must be an integer"):
        ds.take(1.5)


def test_cardinality_of_infinite_and_unknown_inputs():
    inf = Dataset.range(3).repeat()
    unknown = Dataset.range(3).filter(lambda x: x > 0)
    assert int(inf.take(4).cardinality()) == 4
    assert int(inf.skip(4).cardinality()) == -1
    assert int(inf.shard(2, 0).cardinality()) == -1
    assert int(unknown.take(4).cardinality()) == -2
    assert int(unknown.repeat(2).cardinality()) == -2
    assert int(unknown.repeat().cardinality()) == -1
    assert int(unknown.skip(1).cardinality()) == -2


def test_shuffle_is_a_permutation_and_seeded_orders_repeat():
    first = ints(Dataset.range(100).shuffle(100, seed=5))
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert ints(Dataset.range(100).shuffle(100, seed=5)) == first
    assert ints(Dataset.range(100).shuffle(100, seed=6)) != first


def test_reshuffle_each_iteration():
    ds = Dataset.range(50).shuffle(50, seed=1)
    epoch1, epoch2 = ints(ds), ints(ds)
    assert epoch1 != epoch2 and sorted(epoch2) == list(range(50))
    fresh = Dataset.range(50).shuffle(50, seed=1)
    assert (ints(fresh), ints(fresh)) == (epoch1, epoch2)  # the same sequence of orders
    fixed = Dataset.range(50).shuffle(50, seed=1, reshuffle_each_iteration=False)
    assert ints(fixed) == ints(fixed)
    unseeded = Dataset.range(50).shuffle(50, reshuffle_each_iteration=False)
    assert ints(unseeded) == ints(unseeded)
    repeated = ints(Dataset.range(20).shuffle(20, seed=3).repeat(2))
    assert repeated[:20] != repeated[20:] and sorted(repeated[20:]) == list(range(20))


def test_shuffle_follows_the_global_seed():
    try:
        engine.random.set_seed(42)
        a = [ints(Dataset.range(30).shuffle(30)), ints(Dataset.range(30).shuffle(30))]
        engine.random.set_seed(42)
        b = [ints(Dataset.range(30).shuffle(30)), ints(Dataset.range(30).shuffle(30))]
    finally:
        engine.random.set_seed(None)
    assert a == b and a[0] != a[1]  # reproducible, and two shuffles differ


def test_small_buffer_shuffles_locally():
    assert ints(Dataset.range(20).shuffle(1, seed=0)) == list(range(20))
    out = ints(Dataset.range(200).shuffle(10, seed=0))
    assert sorted(out) == list(range(200))
    # An element can come out at most buffer_size - 1 places early.
    assert all(value <= position + 9 for position, value in enumerate(out))


@pytest.mark.parametrize("steps", [
    lambda ds: ds.shuffle(37, seed=2),
    lambda ds: ds.shuffle(1000, seed=2).take(50),
    lambda ds: ds.skip(13).shuffle(20, seed=4).repeat(2),
    lambda ds: ds.repeat(3).shard(4, 1).take(40),
    lambda ds: ds.take(90).skip(7).shard(3, 2).shuffle(8, seed=9),
])
def test_index_plan_batches_equal_element_batches(steps):
    """Batching rows by index gives exactly what stacking the elements gives."""
    x = np.arange(100 * 3, dtype=np.float32).reshape(100, 3)
    y = np.arange(100)
    fast = steps(Dataset.from_tensor_slices((x, y))).batch(16)
    slow = steps(Dataset.from_tensor_slices((x, y))).map(lambda a, b: (a, b)).batch(16)
    assert fast._node.inputs[0].plan() is not None
    assert slow._node.inputs[0].plan() is None
    got = [(a.tolist(), b.tolist()) for a, b in fast.as_numpy_iterator()]
    want = [(a.tolist(), b.tolist()) for a, b in slow.as_numpy_iterator()]
    assert got == want and len(got) > 1


def test_index_plan_over_range_and_drop_remainder():
    ds = Dataset.range(5, 40, 3).shuffle(100, seed=1).batch(4, drop_remainder=True)
    got = batches(ds)
    assert all(len(b) == 4 for b in got) and len(got) == len(ds) == 3
    assert set(sum(got, [])) <= set(range(5, 40, 3))
    assert batches(Dataset.range(5, 40, 3).batch(5)) == [
        [5, 8, 11, 14, 17], [20, 23, 26, 29, 32], [35, 38]]
    assert batches(Dataset.range(10).shard(3, 1).batch(2)) == [[1, 4], [7]]


def test_consecutive_batches_are_views_of_the_source():
    x = np.arange(12.0).reshape(6, 2)
    ds = Dataset.from_tensor_slices(x).batch(3)
    first = next(iter(ds))
    assert np.shares_memory(first._value, ds._node.inputs[0].arrays[0])
    assert not first.numpy().flags.writeable
