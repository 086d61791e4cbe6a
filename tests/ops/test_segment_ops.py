"""engine.ops.segment_ops: segment max/min/prod/mean/sqrt_n, sorted and unsorted, against
NumPy references, with finite-difference gradients and TF's tie and empty-segment rules."""

import math

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, InvalidIndexError, ShapeError
from engine.ops import segment_ops as mx
from engine.ops.segment_ops import (
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
)
from tests.opcheck import check_grad, check_op, grad_of, gradients

R = np.random.default_rng(7)
S, F64, I32 = engine.TensorSpec, engine.float64, engine.int32


# --- unsorted segment reductions -----------------------------------------------------------
def _ref_segments(kind, num):
    def ref(data, ids):
        out = [[] for _ in range(num)]
        flat_ids = ids.reshape(-1)
        rows = data.reshape((flat_ids.size,) + data.shape[ids.ndim:])
        for i, j in enumerate(flat_ids):
            if j >= 0:
                out[j].append(rows[i])
        limits = np.finfo(data.dtype) if data.dtype.kind == "f" else np.iinfo(data.dtype)
        empty = {"max": limits.min, "min": limits.max, "prod": 1}[kind]
        fn = {"max": np.max, "min": np.min, "prod": np.prod}[kind]
        rest = data.shape[ids.ndim:]
        return np.stack([fn(np.stack(o), axis=0) if o else np.full(rest, empty, data.dtype)
                         for o in out]).astype(data.dtype)

    return ref


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


SEGMENT_FNS = {"max": unsorted_segment_max, "min": unsorted_segment_min,
               "prod": unsorted_segment_prod}


@pytest.mark.parametrize("kind", ["max", "min", "prod"])
def test_unsorted_segment_reductions(kind):
    fn = SEGMENT_FNS[kind]
    data = R.uniform(0.5, 1.5, (7, 3)) * R.choice([-1, 1], (7, 3))
    ids = np.array([3, -1, 0, 3, 1, 3, -1])  # segment 2 and 4 are empty, -1 is dropped
    # Empty segments hold +-1.8e308 for max/min: the gradient check's sums would overflow.
    check_op(lambda d, i: fn(d, i, 5), _ref_segments(kind, 5), [data, ids], grad=kind == "prod")
    full = np.array([3, 2, 0, 3, 1, 3, 2])  # no empty segment
    check_op(lambda d, i: fn(d, i, 4), _ref_segments(kind, 4), [data, full])
    ids2 = np.array([[0, 2], [2, -1], [0, 1]])  # ids covering two leading dimensions
    check_op(lambda d, i: fn(d, i, 3), _ref_segments(kind, 3), [R.standard_normal((3, 2, 2)),
                                                                ids2])
    ints = R.integers(-9, 9, (6,)).astype(np.int64)
    check_op(lambda d, i: fn(d, i, 4), _ref_segments(kind, 4), [ints, np.array([0, 0, 3, 1,
                                                                                 1, 0])])
    empty = fn(np.ones((2, 1), np.float32), [0, 0], 2).numpy()[1]
    assert empty == {"max": -3.4028235e38, "min": 3.4028235e38, "prod": 1}[kind]
    assert fn(np.zeros((0, 2)), np.zeros(0, np.int32), 3).numpy().shape == (3, 2)


def test_unsorted_segment_ops_on_the_gpu_algorithm():
    # The GPU kernel's segmented scan, run with NumPy against the reduceat path.
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 33, 200):
        rows = rng.standard_normal((n, 3))
        ids = rng.integers(0, 7, n)
        for kind, ufunc in (("max", np.maximum), ("min", np.minimum), ("prod", np.multiply)):
            expected = np.full((8, 3), mx._empty_value(kind, rows.dtype))
            got = expected.copy()
            mx._reduce_runs_numpy(ufunc, rows, ids, expected)
            mx.reduce_runs_by_doubling(np, ufunc, rows, ids, got)
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_segment_max_gradient_splits_ties_evenly():
    data = np.array([[1.0, 5.0], [3.0, 5.0], [3.0, 2.0], [7.0, 7.0], [0.0, 1.0]])
    ids = np.array([0, 0, 0, 1, -1])
    (g,) = gradients(lambda d: unsorted_segment_max(d, ids, 2), data)
    np.testing.assert_array_equal(g, [[0, 0.5], [0.5, 0.5], [0.5, 0], [1, 1], [0, 0]])
    (g,) = gradients(lambda d: unsorted_segment_min(d, ids, 2), data)
    np.testing.assert_array_equal(g, [[1, 0], [0, 0], [0, 1], [1, 1], [0, 0]])
    (g,) = gradients(lambda d: segment_max(d, [0, 0, 2, 2, 2]), data)
    np.testing.assert_array_equal(g, [[0, 0.5], [1, 0.5], [0, 0], [1, 1], [0, 0]])


def test_segment_prod_gradient_with_zeros():
    # segment 0: no zero; segment 1: one zero; segment 2: two zeros.
    data = np.array([2.0, 3.0, 0.0, 4.0, 5.0, 0.0, 0.0, 6.0])
    ids = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    (g,) = gradients(lambda d: unsorted_segment_prod(d, ids, 3), data)
    np.testing.assert_allclose(g, [3, 2, 20, 0, 0, 0, 0, 0])
    check_grad(lambda d: unsorted_segment_prod(d, ids, 3), [data + 0.5])
    check_grad(grad_of(lambda d: unsorted_segment_prod(d, ids, 3)), [data + 0.5])


def test_unsorted_segment_traced_with_tensor_num_segments():
    @engine.function(input_signature=[S([None, 2], F64), S([None], I32), S([], I32)])
    def both(data, ids, num):
        return unsorted_segment_max(data, ids, num), unsorted_segment_mean(data, ids, num)

    data = np.arange(8.0).reshape(4, 2)
    top, mean = both(data, np.array([2, 0, 2, -1], np.int32), 3)
    np.testing.assert_array_equal(top.numpy(), [[2, 3], [_lowest("float64")] * 2, [4, 5]])
    np.testing.assert_array_equal(mean.numpy(), [[2, 3], [0, 0], [2, 3]])

    @engine.function(input_signature=[S([None, 2], F64), S([None], I32)])
    def grad(data, ids):
        with engine.GradientTape() as tape:
            tape.watch(data)
            y = engine.reduce_sum(unsorted_segment_prod(data, ids, 3))
        return tape.gradient(y, data)

    data = np.array([[2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])
    np.testing.assert_allclose(grad(data, np.array([1, -1, 1], np.int32)).numpy(),
                               [[6, 7], [0, 0], [2, 3]])


def test_unsorted_segment_errors():
    data = engine.ones([4, 2])
    with pytest.raises(InvalidIndexError, match="unsorted_segment_max: segment_ids"):
        unsorted_segment_max(data, [0, 1, 5, 0], 3)
    with pytest.raises(ShapeError, match="unsorted_segment_prod: data of shape \\(4, 2\\) does "
                                         "not start with the shape of segment_ids"):
        unsorted_segment_prod(data, [0, 1], 3)
    with pytest.raises(DTypeError, match="unsorted_segment_min: got segment_ids of dtype"):
        unsorted_segment_min(data, engine.constant([0.0, 1.0, 0.0, 0.0]), 3)
    with pytest.raises(DTypeError, match="unsorted_segment_mean: got data of dtype int32"):
        unsorted_segment_mean([1, 2], [0, 0], 1)
    with pytest.raises(DTypeError, match="unsorted_segment_max: got data of dtype complex128"):
        unsorted_segment_max(np.ones(2, np.complex128), [0, 0], 1)


def test_unsorted_segment_mean_and_sqrt_n():
    data = R.standard_normal((6, 2))
    ids = np.array([3, -1, 0, 3, 1, 3])

    def ref(scale):
        def fn(d, i):
            out = np.zeros((5, 2), d.dtype)
            for j in range(5):
                rows = d[i == j]
                out[j] = rows.sum(0) / scale(max(len(rows), 1))
            return out
        return fn

    check_op(lambda d, i: unsorted_segment_mean(d, i, 5), ref(lambda n: n), [data, ids])
    check_op(lambda d, i: unsorted_segment_sqrt_n(d, i, 5), ref(math.sqrt), [data, ids])
    ids2 = np.array([[0, 1], [1, 1]])
    check_op(lambda d: unsorted_segment_mean(d, ids2, 3),
             lambda d: np.stack([d[0, 0], (d[0, 1] + d[1].sum(0)) / 3, 0 * d[0, 0]]),
             [R.standard_normal((2, 2, 3))])


# --- sorted segment reductions -----------------------------------------------------------------
def test_sorted_segment_reductions_with_empty_segments():
    data = R.standard_normal((6, 2))
    ids = [0, 0, 2, 2, 2, 4]

    def ref(fn, empty):
        def reduce(d):
            return np.stack([fn(d[np.array(ids) == j], axis=0) if j in ids else
                             np.full(2, empty) for j in range(5)])
        return reduce

    check_op(lambda d: segment_max(d, ids), ref(np.max, 0.0), [data])
    check_op(lambda d: segment_min(d, ids), ref(np.min, 0.0), [data])
    check_op(lambda d: segment_prod(d, ids), ref(np.prod, 1.0), [data])
    check_op(lambda d: segment_mean(d, ids), ref(np.mean, 0.0), [data])
    np.testing.assert_array_equal(segment_mean([7, -7, 1, 5], [0, 0, 1, 1]).numpy(), [0, 3])
    np.testing.assert_array_equal(segment_mean([-7, 2], [0, 0]).numpy(), [-2])  # truncates
    np.testing.assert_array_equal(segment_max([-3, -5], [1, 1]).numpy(), [0, -3])
    assert segment_max(np.zeros((0, 2)), np.zeros(0, np.int32)).shape == [0, 2]


def test_sorted_segments_traced_with_symbolic_ids():
    @engine.function(input_signature=[S([None, 2], F64), S([None], I32)])
    def reduce(data, ids):
        return segment_max(data, ids), segment_mean(data, ids), segment_prod(data, ids)

    data = np.arange(1.0, 7.0).reshape(3, 2)
    top, mean, prod = reduce(data, np.array([0, 0, 2], np.int32))
    np.testing.assert_array_equal(top.numpy(), [[3, 4], [0, 0], [5, 6]])
    np.testing.assert_array_equal(mean.numpy(), [[2, 3], [0, 0], [5, 6]])
    np.testing.assert_array_equal(prod.numpy(), [[3, 8], [1, 1], [5, 6]])


@pytest.mark.parametrize("fn", [segment_max, segment_min, segment_prod, segment_mean])
def test_sorted_segment_errors(fn):
    with pytest.raises(InvalidArgumentError, match=f"{fn.__name__}: segment_ids must be a "
                                                   "sorted 1-D vector"):
        fn(np.ones(3), [1, 0, 0])
    with pytest.raises(InvalidArgumentError, match="sorted 1-D vector"):
        fn(np.ones(2), [-1, 0])
