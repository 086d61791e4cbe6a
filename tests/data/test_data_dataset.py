"""engine.data.Dataset itself: iteration, cardinality, len, specs, options, and speed."""

import time

import numpy as np
import pytest

import engine
from engine.data import Dataset
from engine.errors import FailedPreconditionError, InvalidArgumentError, OutOfRangeError

INF = engine.data.INFINITE_CARDINALITY
UNKNOWN = engine.data.UNKNOWN_CARDINALITY


def test_constants_match_tensorflow():
    assert (engine.data.AUTOTUNE, INF, UNKNOWN) == (-1, -1, -2)
    experimental = engine.data.experimental
    assert (experimental.AUTOTUNE, experimental.INFINITE_CARDINALITY,
            experimental.UNKNOWN_CARDINALITY) == (-1, -1, -2)


@pytest.mark.parametrize("make, expected", [
    (lambda: Dataset.range(10), 10),
    (lambda: Dataset.from_tensors(1), 1),
    (lambda: Dataset.range(10).map(lambda x: x), 10),
    (lambda: Dataset.range(10).filter(lambda x: x > 2), UNKNOWN),
    (lambda: Dataset.range(10).batch(3), 4),
    (lambda: Dataset.range(10).batch(3, drop_remainder=True), 3),
    (lambda: Dataset.range(10).padded_batch(4), 3),
    (lambda: Dataset.range(10).shuffle(4), 10),
    (lambda: Dataset.range(10).repeat(3), 30),
    (lambda: Dataset.range(10).repeat(), INF),
    (lambda: Dataset.range(0).repeat(), 0),
    (lambda: Dataset.range(10).take(4), 4),
    (lambda: Dataset.range(10).skip(4), 6),
    (lambda: Dataset.range(10).shard(3, 0), 4),
    (lambda: Dataset.range(10).shard(3, 2), 3),
    (lambda: Dataset.range(10).cache(), 10),
    (lambda: Dataset.range(10).prefetch(2), 10),
    (lambda: Dataset.range(10).enumerate(), 10),
    (lambda: Dataset.range(10).window(3), 4),
    (lambda: Dataset.range(10).window(3, shift=2, drop_remainder=True), 4),
    (lambda: Dataset.range(10).flat_map(Dataset.from_tensors), UNKNOWN),
    (lambda: Dataset.range(10).interleave(Dataset.from_tensors, cycle_length=2), UNKNOWN),
    (lambda: Dataset.range(10).take_while(lambda x: x < 3), UNKNOWN),
    (lambda: Dataset.range(10).unique(), UNKNOWN),
    (lambda: Dataset.range(10).concatenate(Dataset.range(5)), 15),
    (lambda: Dataset.zip(Dataset.range(10), Dataset.range(4)), 4),
    (lambda: Dataset.range(9).batch(3, drop_remainder=True).unbatch(), 9),
    (lambda: Dataset.range(9).batch(3, drop_remainder=True).rebatch(2), 5),
    (lambda: Dataset.from_generator(lambda: iter([1]),
                                    output_signature=engine.TensorSpec([], engine.int32)),
     UNKNOWN),
    (lambda: Dataset.range(10).filter(lambda x: x > 2).apply(
        engine.data.experimental.assert_cardinality(7)), 7),
])
def test_cardinality(make, expected):
    ds = make()
    count = ds.cardinality()
    assert isinstance(count, engine.Tensor) and count.dtype == engine.int64
    assert int(count) == expected == int(engine.data.experimental.cardinality(ds))
    if expected >= 0:
        assert len(ds) == expected == len(list(ds))


def test_len_refuses_infinite_and_unknown_like_tensorflow():
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(Dataset.range(3).filter(lambda x: x > 0))
    assert bool(Dataset.range(0)) is True  # truthiness never needs the length


def test_assert_cardinality_checks_while_iterating():
    wrong = Dataset.range(5).filter(lambda x: x > 0).apply(
        engine.data.experimental.assert_cardinality(2))
    with pytest.raises(FailedPreconditionError, match="expected to have 2 elements"):
        list(wrong)
    short = Dataset.range(2).apply(engine.data.experimental.assert_cardinality(5))
    with pytest.raises(FailedPreconditionError, match="but has 2"):
        list(short)


def test_iterator_protocol():
    it = iter(Dataset.range(2))
    assert it.element_spec == engine.TensorSpec([], engine.int64)
    assert iter(it) is it
    assert int(next(it)) == 0 and int(it.get_next()) == 1
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(OutOfRangeError, match="End of sequence"):
        it.get_next()


def test_each_iteration_starts_again():
    ds = Dataset.range(3).map(lambda x: x + 1)
    assert [int(x) for x in ds] == [int(x) for x in ds] == [1, 2, 3]


def test_get_single_element():
    assert engine.data.Dataset.from_tensors((1, 2)).get_single_element()[1].numpy() == 2
    with pytest.raises(InvalidArgumentError, match="empty"):
        Dataset.range(0).get_single_element()
    with pytest.raises(InvalidArgumentError, match="more than one"):
        Dataset.range(2).get_single_element()


def test_as_numpy_iterator_gives_numpy_values():
    ds = Dataset.from_tensor_slices(({"a": [1.5, 2.5]}, [b"x", b"y"]))
    first = next(ds.as_numpy_iterator())
    assert isinstance(first[0]["a"], np.float32) and first[1] == b"x"
    with pytest.raises(TypeError, match="windows"):
        Dataset.range(3).window(2).as_numpy_iterator()


def test_repr_and_construction():
    assert repr(Dataset.range(3).batch(2)) == (
        "<BatchDataset element_spec=TensorSpec(shape=(None,), dtype=engine.int64, name=None)>")
    with pytest.raises(TypeError, match="from_tensor_slices"):
        Dataset()


def test_iterating_inside_a_traced_function_is_refused():
    ds = Dataset.range(3)

    @engine.function
    def total(x):
        for v in ds:
            x = x + v
        return x
    with pytest.raises(engine.errors.TracingError, match="iterate it outside"):
        total(engine.constant(0, engine.int64))


def test_batches_feed_a_traced_step_without_retracing():
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    ds = Dataset.from_tensor_slices((x, x.sum(axis=1))).shuffle(64, seed=0).batch(
        16, drop_remainder=True)
    step = engine.function(lambda a, b: engine.reduce_sum(a, axis=1) - b)
    for a, b in ds.repeat(2):
        assert float(engine.reduce_max(engine.abs(step(a, b)))) < 1e-5
    assert step.experimental_get_tracing_count() == 1


def test_options_merge_and_refuse_unknown_names():
    options = engine.data.Options()
    options.deterministic = False
    options.threading.private_threadpool_size = 2
    ds = Dataset.range(3).with_options(options).map(lambda x: x)
    assert ds.options().deterministic is False
    assert ds.options().threading.private_threadpool_size == 2
    assert ds.options().experimental_deterministic is False
    later = engine.data.Options()
    later.experimental_deterministic = True
    assert ds.with_options(later).options().deterministic is True
    with pytest.raises(AttributeError, match="no option 'determinstic'"):
        options.determinstic = True
    with pytest.raises(TypeError, match="True, False or None"):
        options.deterministic = "yes"
    with pytest.raises(TypeError, match="engine.data.Options"):
        Dataset.range(3).with_options({"deterministic": False})


def test_input_pipeline_speed_smoke():
    """The MNIST-shaped pipeline runs well above what a training step needs (not timed
    strictly: reported for the record)."""
    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60000)
    base = Dataset.from_tensor_slices((x, y))
    rates = {}
    for name, ds in [("plain", base.batch(128).prefetch(engine.data.AUTOTUNE)),
                     ("shuffled", base.shuffle(60000).batch(128).prefetch(
                         engine.data.AUTOTUNE))]:
        start, count = time.perf_counter(), 0
        for xb, yb in ds:
            count += 1
        rates[name] = count / (time.perf_counter() - start)
        assert count == 469 and xb.shape == [96, 784] and yb.shape == [96]
    print(f"batches/s: {rates}")


def test_pipelines_run_on_the_host_under_a_gpu_scope(gpu):
    """As tf.data: elements live on the CPU; the training step moves them."""
    with engine.device("/GPU:0"):
        on_gpu = engine.constant([[1.0, 2.0], [3.0, 4.0]])
        ds = Dataset.from_tensor_slices(on_gpu).map(lambda x: x * 2.0).batch(2)
        batch = next(iter(ds))
    assert "GPU" in on_gpu.device
    assert "CPU:0" in batch.device and type(batch._value) is np.ndarray
    assert batch.numpy().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert ("to_host", (2, 2)) in gpu.copies
