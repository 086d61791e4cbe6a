"""engine.data additions: scan, group_by_window, bucketing, counters, mixing, resampling,
ignore_errors and the experimental transformation functions. Expected values are
worked out by hand (and agree with tf.data 2.21)."""

import collections

import numpy as np
import pytest

import engine
from engine.data import Dataset, experimental
from engine.errors import InvalidArgumentError

INT64 = engine.TensorSpec([], engine.int64)


def values(ds):
    return [np.asarray(x).tolist() for x in ds.as_numpy_iterator()]


# --- scan ---------------------------------------------------------------------------------
def test_scan_threads_state_and_knows_its_spec():
    ds = Dataset.range(5).scan(np.int64(0), lambda s, x: (s + x, (s, x * 2)))
    assert ds.element_spec == (INT64, INT64)
    assert len(ds) == 5
    assert values(ds) == [[0, 0], [0, 2], [1, 4], [3, 6], [6, 8]]
    assert values(ds) == values(ds)  # every iteration starts from the initial state


def test_scan_relaxes_a_growing_state_and_handles_nests():
    grow = Dataset.range(3).scan(engine.zeros([0], engine.int64),
                                 lambda s, x: (engine.concat([s, engine.reshape(x, [1])], 0), s))
    assert grow.element_spec == engine.TensorSpec([None], engine.int64)
    assert values(grow) == [[], [0], [0, 1]]
    pairs = Dataset.from_tensor_slices({"a": [1, 2, 3]})
    ds = pairs.scan({"n": 0, "sum": 0},
                    lambda s, e: ({"n": s["n"] + 1, "sum": s["sum"] + e["a"]}, (s["sum"], e)))
    assert [(int(t), int(e["a"])) for t, e in ds] == [(0, 1), (1, 2), (3, 3)]


def test_scan_rejects_bad_state_changes():
    with pytest.raises(TypeError, match="dtype of the state"):
        Dataset.range(3).scan(np.int32(0), lambda s, x: (engine.cast(s, engine.float32), x))
    with pytest.raises(TypeError, match="structure of the initial state"):
        Dataset.range(3).scan((0, 0), lambda s, x: (s[0], x))
    with pytest.raises(TypeError, match="pair"):
        Dataset.range(3).scan(0, lambda s, x: s)
    with pytest.raises(TypeError, match="must be a function"):
        Dataset.range(3).scan(0, 5)


# --- group_by_window and bucket_by_sequence_length ------------------------------------------
def test_group_by_window_emits_full_windows_then_the_rest_by_key():
    ds = Dataset.range(10).group_by_window(lambda x: x % 3, lambda k, w: w.batch(2),
                                           window_size=2)
    assert ds.element_spec == engine.TensorSpec([None], engine.int64)
    assert int(ds.cardinality()) == engine.data.UNKNOWN_CARDINALITY
    assert values(ds) == [[0, 3], [1, 4], [2, 5], [6, 9], [7], [8]]
    sized = Dataset.range(10).group_by_window(lambda x: x % 3, lambda k, w: w.batch(10),
                                              window_size_func=lambda k: k + 1)
    assert values(sized) == [[0], [3], [1, 4], [6], [2, 5, 8], [9], [7]]
    keyed = Dataset.range(4).group_by_window(
        lambda x: x % 2, lambda k, w: w.map(lambda x: {"key": k, "x": x}), window_size=2)
    assert [(int(e["key"]), int(e["x"])) for e in keyed] == [(0, 0), (0, 2), (1, 1), (1, 3)]


def test_group_by_window_errors():
    ds = Dataset.range(4)
    with pytest.raises(ValueError, match="exactly one of window_size"):
        ds.group_by_window(lambda x: x, lambda k, w: w, window_size=2,
                           window_size_func=lambda k: k)
    with pytest.raises(TypeError, match="scalar int64"):
        ds.group_by_window(lambda x: engine.cast(x, engine.int32), lambda k, w: w, 2)
    with pytest.raises(TypeError, match="must return a Dataset"):
        ds.group_by_window(lambda x: x, lambda k, w: 3, window_size=2).element_spec
    with pytest.raises(ValueError, match="window_size must be >= 1"):
        ds.group_by_window(lambda x: x, lambda k, w: w, window_size=0)
    zero = ds.group_by_window(lambda x: x, lambda k, w: w, window_size_func=lambda k: k * 0)
    with pytest.raises(InvalidArgumentError, match="window size >= 1"):
        list(zero)


def _sequences():
    rows = [[1], [2, 2], [3, 3, 3], [4, 4, 4, 4], [5] * 5, [6] * 6, [1]]
    return Dataset.from_generator(lambda: iter(rows),
                                  output_signature=engine.TensorSpec([None], engine.int32))


def test_bucket_by_sequence_length_pads_per_bucket():
    ds = _sequences().bucket_by_sequence_length(lambda x: engine.shape(x)[0], [3, 5], [2, 2, 2])
    assert ds.element_spec == engine.TensorSpec([None, None], engine.int32)
    assert values(ds) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]],
                          [[5, 5, 5, 5, 5, 0], [6] * 6], [[1]]]
    dropped = _sequences().bucket_by_sequence_length(lambda x: engine.shape(x)[0], [3, 5],
                                                     [2, 2, 2], drop_remainder=True)
    assert len(values(dropped)) == 3
    boundary = _sequences().bucket_by_sequence_length(
        lambda x: engine.shape(x)[0], [3, 7], [2, 2, 2], pad_to_bucket_boundary=True,
        padding_values=-1)
    assert values(boundary) == [[[1, -1], [2, 2]], [[3, 3, 3, -1, -1, -1], [4] * 4 + [-1] * 2],
                                [[5] * 5 + [-1], [6] * 6], [[1, -1]]]
    same = Dataset.from_tensor_slices(np.arange(6).reshape(3, 2)).bucket_by_sequence_length(
        lambda x: engine.size(x), [2], [1, 2], no_padding=True)
    assert values(same) == [[[0, 1], [2, 3]], [[4, 5]]]


def test_bucket_by_sequence_length_with_dict_elements_and_errors():
    ds = _sequences().map(lambda x: {"tokens": x, "label": engine.size(x)})
    out = ds.bucket_by_sequence_length(lambda e: engine.size(e["tokens"]), [4], [3, 4])
    assert out.element_spec["tokens"] == engine.TensorSpec([None, None], engine.int32)
    assert [b["label"].tolist() for b in out.as_numpy_iterator()] == [[1, 2, 3], [1],
                                                                     [4, 5, 6]]
    with pytest.raises(ValueError, match="len\\(bucket_boundaries\\) \\+ 1"):
        _sequences().bucket_by_sequence_length(lambda x: engine.size(x), [3, 5], [2, 2])
    with pytest.raises(ValueError, match="increase strictly"):
        _sequences().bucket_by_sequence_length(lambda x: engine.size(x), [5, 3], [2, 2, 2])
    too_long = _sequences().bucket_by_sequence_length(
        lambda x: engine.size(x), [3, 5], [2, 2, 2], pad_to_bucket_boundary=True)
    with pytest.raises(InvalidArgumentError, match="last bucket boundary 5"):
        list(too_long)


# --- counter and random -------------------------------------------------------------------
def test_counter_and_random():
    counter = Dataset.counter(2, 3, dtype=engine.int32)
    assert counter.element_spec == engine.TensorSpec([], engine.int32)
    assert int(counter.cardinality()) == engine.data.INFINITE_CARDINALITY
    assert values(counter.take(3)) == [2, 5, 8]
    assert values(experimental.Counter(step=-2).take(3)) == [0, -2, -4]
    with pytest.raises(TypeError, match="integer or float dtype"):
        Dataset.counter(dtype=engine.string)
    ds = Dataset.random(seed=4).take(200)
    assert ds.element_spec == INT64 and int(Dataset.random().cardinality()) == -1
    first = values(ds)
    assert first == values(ds) == values(Dataset.random(seed=4).take(200))
    assert first != values(Dataset.random(seed=5).take(200))
    assert min(first) >= 0 and max(first) < 2**32 and max(first) > 2**31  # the full range
    fresh = Dataset.random(seed=4, rerandomize_each_iteration=True).take(5)
    assert values(fresh) != values(fresh)


# --- sample_from_datasets and choose_from_datasets ------------------------------------------
def test_choose_from_datasets_order_stop_and_errors():
    a, b = Dataset.range(3), Dataset.range(10, 15)
    choices = Dataset.from_tensor_slices(np.array([0, 1, 1, 0, 0, 0, 1]))
    assert values(Dataset.choose_from_datasets([a, b], choices)) == [0, 10, 11, 1, 2]
    assert values(Dataset.choose_from_datasets([a, b], choices, stop_on_empty_dataset=False)
                  ) == [0, 10, 11, 1, 2, 12]
    assert int(Dataset.choose_from_datasets([a, b], choices).cardinality()) == -2
    with pytest.raises(InvalidArgumentError, match="choice 5 is out of range"):
        list(Dataset.choose_from_datasets([a, b], Dataset.from_tensor_slices(np.array([0, 5]))))
    with pytest.raises(TypeError, match="scalar int64"):
        Dataset.choose_from_datasets([a, b], Dataset.from_tensor_slices(np.int32([0, 1])))
    with pytest.raises(TypeError, match="non-empty list"):
        Dataset.choose_from_datasets(a, choices)


def test_sample_from_datasets_follows_the_weights():
    a = Dataset.from_tensors(np.int64(0)).repeat()
    b = Dataset.from_tensors(np.int64(1)).repeat()
    ds = Dataset.sample_from_datasets([a, b], weights=[0.8, 0.2], seed=7)
    assert int(ds.cardinality()) == engine.data.INFINITE_CARDINALITY
    draws = np.array(values(ds.take(4000)))
    assert abs(draws.mean() - 0.2) < 0.03  # 0.2 +- 5 standard deviations (0.006)
    assert draws.tolist() == values(ds.take(4000))  # seeded: the same mix each time
    other = Dataset.sample_from_datasets([a, b], weights=[0.8, 0.2], seed=8)
    assert values(other.take(200)) != draws[:200].tolist()


def test_sample_from_datasets_runs_out_and_relaxes_specs():
    engine.random.set_seed(1)  # the draws depend on the global seed too, as in TF
    a, b = Dataset.range(3), Dataset.range(10, 15)
    mixed = Dataset.sample_from_datasets([a, b], seed=1)
    assert int(mixed.cardinality()) == -2
    out = values(mixed)
    assert sorted(out) == [0, 1, 2, 10, 11, 12, 13, 14]
    assert [x for x in out if x < 10] == [0, 1, 2]  # each input keeps its order
    stopped = values(Dataset.sample_from_datasets([a, b], seed=1, stop_on_empty_dataset=True))
    assert len(stopped) < 8 and stopped == out[:len(stopped)]
    shapes = Dataset.sample_from_datasets([Dataset.from_tensors([1, 2]),
                                           Dataset.from_tensors([1, 2, 3])])
    assert shapes.element_spec == engine.TensorSpec([None], engine.int32)
    weighted = Dataset.from_tensors(np.float32([0.0, 1.0])).repeat()
    assert set(values(Dataset.sample_from_datasets([a, b], weighted).take(4))) == {10, 11,
                                                                                    12, 13}


def test_sample_from_datasets_errors():
    a, b = Dataset.range(2), Dataset.range(2)
    with pytest.raises(ValueError, match="one weight per dataset"):
        Dataset.sample_from_datasets([a, b], weights=[1.0])
    with pytest.raises(ValueError, match="non-negative"):
        Dataset.sample_from_datasets([a, b], weights=[1.0, -1.0])
    with pytest.raises(TypeError, match="does not fit dataset 0"):
        Dataset.sample_from_datasets([a, Dataset.from_tensors(1.0)])
    with pytest.raises(TypeError, match="datasets\\[1\\]"):
        experimental.sample_from_datasets([a, [1, 2]])


# --- rejection_resample -------------------------------------------------------------------
def test_rejection_resample_reaches_the_target_distribution():
    labels = np.random.default_rng(0).choice(3, size=6000, p=[0.7, 0.2, 0.1])
    ds = Dataset.from_tensor_slices((labels, np.arange(6000)))
    out = ds.rejection_resample(lambda c, i: c, [1 / 3, 1 / 3, 1 / 3], seed=5)
    assert out.element_spec == (INT64, (INT64, INT64))
    assert int(out.cardinality()) == -2
    kept = [(int(c), int(e[0])) for c, e in out]
    assert all(c == label for c, label in kept)
    counts = collections.Counter(c for c, _ in kept)
    shares = np.array([counts[k] for k in range(3)]) / len(kept)
    assert np.abs(shares - 1 / 3).max() < 0.05
    known = ds.rejection_resample(lambda c, i: c, [0.5, 0.5, 0.0], [0.7, 0.2, 0.1], seed=5)
    counts = collections.Counter(int(c) for c, _ in known)
    assert counts[2] == 0 and abs(counts[0] / (counts[0] + counts[1]) - 0.5) < 0.05
    again = ds.rejection_resample(lambda c, i: c, [0.5, 0.5, 0.0], [0.7, 0.2, 0.1], seed=5)
    assert values(known.map(lambda c, e: e[1])) == values(again.map(lambda c, e: e[1]))


def test_rejection_resample_errors():
    ds = Dataset.range(10)
    with pytest.raises(ValueError, match="sum to 1"):
        ds.rejection_resample(lambda x: x % 2, [0.7, 0.7])
    with pytest.raises(TypeError, match="int32 or int64"):
        ds.rejection_resample(lambda x: engine.cast(x, engine.float32), [0.5, 0.5])
    with pytest.raises(InvalidArgumentError, match="class 2"):
        list(ds.rejection_resample(lambda x: x % 3, [0.5, 0.5]))
    with pytest.raises(ValueError, match="shape \\(3,\\); expected \\(2,\\)"):
        ds.rejection_resample(lambda x: x % 2, [0.5, 0.5], [0.2, 0.3, 0.5])


# --- ignore_errors --------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:divide by zero")
def test_ignore_errors_skips_failing_elements(caplog):
    ds = Dataset.from_tensor_slices([1.0, 0.0, 2.0, 0.0, 4.0]).map(
        lambda x: engine.debugging.check_numerics(1.0 / x, "division"))
    with pytest.raises(InvalidArgumentError):
        list(ds)
    assert values(ds.ignore_errors()) == [1.0, 0.5, 0.25]
    assert int(ds.ignore_errors().cardinality()) == -2
    parallel = Dataset.from_tensor_slices([1.0, 0.0, 2.0]).map(
        lambda x: engine.debugging.check_numerics(1.0 / x, "division"), num_parallel_calls=2)
    with caplog.at_level("WARNING", logger="engine.data"):
        assert values(parallel.ignore_errors(log_warning=True)) == [1.0, 0.5]
    assert "skipping an element" in caplog.text
    after = ds.ignore_errors().map(lambda x: x * 2)
    assert values(after) == [2.0, 1.0, 0.5]


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_ignore_errors_in_generators_and_filters():
    def gen():
        yield from ([1, 2], [3], [4, 5])
    ds = Dataset.from_generator(gen, output_signature=engine.TensorSpec([2], engine.int64))
    assert values(ds.ignore_errors()) == [[1, 2], [4, 5]]

    def broken():
        yield 1
        raise RuntimeError("disk gone")
    dead = Dataset.from_generator(broken, output_signature=INT64)
    assert values(dead.ignore_errors()) == [1]  # the generator cannot resume
    guarded = Dataset.from_tensor_slices([1.0, 0.0, 2.0]).filter(
        lambda x: engine.debugging.check_numerics(1.0 / x, "f") > 0)
    assert values(guarded.apply(experimental.ignore_errors())) == [1.0, 2.0]


# --- experimental ---------------------------------------------------------------------------
def test_experimental_transformations_match_the_methods():
    ds = Dataset.range(6)
    assert values(ds.apply(experimental.scan(np.int64(0), lambda s, x: (s + x, s)))) == \
        values(ds.scan(np.int64(0), lambda s, x: (s + x, s)))
    grouped = ds.apply(experimental.group_by_window(lambda x: x % 2, lambda k, w: w.batch(2),
                                                    window_size=2))
    assert values(grouped) == [[0, 2], [1, 3], [4], [5]]
    assert values(ds.apply(experimental.take_while(lambda x: x < 2))) == [0, 1]
    assert values(ds.apply(experimental.enumerate_dataset(5)).take(1)) == [[5, 0]]
    assert values(Dataset.from_tensor_slices([2, 2, 1]).apply(experimental.unique())) == [2, 1]
    assert values(ds.apply(experimental.map_and_batch(lambda x: x + 1, 4))) == [[1, 2, 3, 4],
                                                                                 [5, 6]]
    assert sorted(values(ds.apply(experimental.shuffle_and_repeat(6, 2, seed=1)))) == \
        sorted(list(range(6)) * 2)
    assert experimental.get_single_element(ds.batch(6)).numpy().tolist() == list(range(6))
    assert experimental.get_structure(iter(ds)) == INT64
    assert len(experimental.RandomDataset(seed=1).take(3).apply(
        experimental.assert_cardinality(3))) == 3


def test_from_list_relaxes_shapes_and_checks_structures():
    ds = experimental.from_list([{"x": [1, 2], "y": "a"}, {"x": [3], "y": "b"}])
    assert ds.element_spec == {"x": engine.TensorSpec([None], engine.int32),
                               "y": engine.TensorSpec([], engine.string)}
    assert [(e["x"].tolist(), e["y"]) for e in ds.as_numpy_iterator()] == [([1, 2], b"a"),
                                                                          ([3], b"b")]
    assert len(ds) == 2
    with pytest.raises(ValueError, match="non-empty list"):
        experimental.from_list([])
    with pytest.raises(TypeError, match="structures differ"):
        experimental.from_list([(1, 2), (1,)])
