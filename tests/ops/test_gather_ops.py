"""Gather and scatter ops: forward against NumPy, gradients against finite differences, errors."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError, InvalidIndexError, ShapeError
from engine.ops import gather_kernels
from tests.opcheck import check_op

R = np.random.default_rng(5)
X = R.standard_normal((3, 4, 5))
SPEC = engine.TensorSpec


GATHERS = [  # (params shape, indices, kwargs)
    ((5, 3), np.array([4, 0, 4, 2]), {}),
    ((5, 3), np.array([[1, 1], [0, 2]]), {}),
    ((2, 5, 3), np.array([[4, 4, 1]]), {"axis": 1}),
    ((2, 5, 3), np.array([2, 0]), {"axis": -1}),
    ((2, 5, 3), np.array([[4, 0, 4], [1, 1, 2]]), {"axis": 1, "batch_dims": 1}),
    ((2, 4, 5, 3), np.array([[3, 0], [1, 1]]), {"axis": 2, "batch_dims": 1}),
    ((2, 3, 4), np.array([[[0, 3], [1, 1], [2, 0]], [[3, 3], [0, 1], [2, 2]]]),
     {"axis": 2, "batch_dims": -1}),
]


def _np_gather(p, idx, axis=None, batch_dims=0):
    b = batch_dims % idx.ndim if batch_dims < 0 else batch_dims
    axis = b if axis is None else axis % p.ndim
    if b == 0:
        return np.take(p, idx, axis=axis)
    return np.stack([_np_gather(p[i], idx[i], axis - 1, b - 1) for i in range(p.shape[0])])


@pytest.mark.parametrize("shape,indices,kwargs", GATHERS)
def test_gather(shape, indices, kwargs):
    check_op(lambda p, i: engine.gather(p, i, **kwargs),
             lambda p, i: _np_gather(p, i, **kwargs), [R.standard_normal(shape), indices])


def test_gather_errors_and_infer():
    p = engine.constant(R.standard_normal((5, 3)))
    with pytest.raises(InvalidIndexError, match=r"gather: indices\[1\] = 5 is not in \[0, 5\)"):
        engine.gather(p, [0, 5])
    with pytest.raises(IndexError, match=r"indices\[0, 1\] = -1 is not in \[0, 5\)"):
        engine.gather(p, [[0, -1]])
    with pytest.raises(engine.errors.DTypeError, match="gather: got indices of dtype float32"):
        engine.gather(p, [0.0])
    with pytest.raises(ShapeError, match="batch_dims"):
        engine.gather(p, [[0]], axis=0, batch_dims=1)
    op = engine.registry.get("GatherV2")
    spec = op.infer(SPEC([None, 3, 4], engine.float32), SPEC([7, None], engine.int32), axis=1)
    assert spec.shape.as_list() == [None, 7, None, 4]
    assert op.infer(SPEC(None, engine.float32), SPEC([2], engine.int32)).shape.rank is None


def test_embedding_gradient_matches_add_at():
    table = engine.Variable(R.standard_normal((65, 64)).astype(np.float32))
    ids = R.integers(0, 65, (64, 50)).astype(np.int32)
    upstream = R.standard_normal((64, 50, 64)).astype(np.float32)
    with engine.GradientTape() as tape:
        y = engine.gather(table, ids)
    grad = tape.gradient(y, table, output_gradients=engine.constant(upstream))
    expected = np.zeros((65, 64), np.float64)
    np.add.at(expected, ids, upstream)
    assert grad.dtype == engine.float32
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scipy", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128", "int32", "float16"])
def test_segment_rows_paths(monkeypatch, scipy, dtype):
    if not scipy:
        monkeypatch.setattr(gather_kernels, "_scipy_sparse", False)
    ids = R.integers(0, 7, 40)
    rows = (R.standard_normal((40, 3)) * 4).astype(dtype)
    expected = np.zeros((9, 3), "complex128" if dtype == "complex128" else "float64")
    np.add.at(expected, ids, rows)
    out = gather_kernels.segment_rows(np, rows, ids, 9)
    assert out.dtype == np.dtype(dtype) and out.shape == (9, 3)
    tol = {"float16": 1e-2, "float32": 1e-5}.get(dtype, 1e-12)
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * 10)
    assert gather_kernels.segment_rows(np, rows[:0], ids[:0], 4).shape == (4, 3)


# --- gather_nd / scatter ------------------------------------------------------------------
def test_gather_nd():
    p = R.standard_normal((3, 4, 2))
    idx = np.array([[[2, 1], [0, 3]], [[1, 1], [2, 1]]])
    check_op(lambda a, i: engine.gather_nd(a, i), lambda a, i: a[i[..., 0], i[..., 1]], [p, idx])
    idx1 = np.array([[2], [0], [2]])
    check_op(lambda a, i: engine.gather_nd(a, i), lambda a, i: a[i[:, 0]], [p, idx1])
    idxb = np.array([[[1, 0]], [[3, 1]], [[0, 0]]])  # batch_dims=1: coordinates into (4, 2)
    check_op(lambda a, i: engine.gather_nd(a, i, batch_dims=1),
             lambda a, i: np.stack([a[k][i[k, :, 0], i[k, :, 1]] for k in range(3)]), [p, idxb])
    with pytest.raises(InvalidIndexError, match=r"gather_nd: indices\[1, 1\] = 4 is not in "
                                                r"\[0, 4\)"):
        engine.gather_nd(engine.constant(p), [[0, 1], [0, 4]])
    with pytest.raises(ShapeError, match="gather_nd: indices of shape"):
        engine.gather_nd(engine.constant(p), [[0, 1, 1, 0]])
    spec = engine.registry.get("GatherNd").infer(SPEC([None, 4, 2], engine.float32),
                                                 SPEC([5, 2], engine.int64))
    assert spec.shape.as_list() == [5, 2]


def test_scatter_nd_and_tensor_scatter():
    idx = np.array([[1, 0], [2, 3], [1, 0]])
    updates = R.standard_normal((3, 5))

    def np_scatter(i, u):
        out = np.zeros((3, 4, 5))
        np.add.at(out, (i[:, 0], i[:, 1]), u)
        return out

    check_op(lambda i, u: engine.scatter_nd(i, u, [3, 4, 5]), np_scatter, [idx, updates])
    t = R.standard_normal((3, 4, 5))
    check_op(lambda a, i, u: engine.tensor_scatter_nd_add(a, i, u),
             lambda a, i, u: a + np_scatter(i, u), [t, idx, updates])
    unique = np.array([[1, 0], [2, 3]])

    def np_update(a, i, u):
        out = a.copy()
        out[i[:, 0], i[:, 1]] = u
        return out

    check_op(lambda a, i, u: engine.tensor_scatter_nd_update(a, i, u), np_update,
             [t, unique, updates[:2]])
    with pytest.raises(ShapeError, match=r"scatter_nd: got updates of shape \(3, 4\); expected"):
        engine.scatter_nd(idx, np.zeros((3, 4)), [3, 4, 5])
    with pytest.raises(InvalidIndexError, match="scatter_nd"):
        engine.scatter_nd([[3]], [1.0], [3])


def test_unsorted_segment_sum_and_segment_sum():
    data = R.standard_normal((6, 2))
    ids = np.array([3, -1, 0, 3, 1, -1])

    def ref(d, i):
        out = np.zeros((5, 2))
        keep = i >= 0
        np.add.at(out, i[keep], d[keep])
        return out

    check_op(lambda d, i: engine.unsorted_segment_sum(d, i, 5), ref, [data, ids])
    check_op(lambda d: engine.unsorted_segment_sum(d, np.array([[0, 1], [1, 1]]), 2),
             lambda d: np.stack([d[0, 0], d[0, 1] + d[1].sum(0)]), [R.standard_normal((2, 2, 3))])
    with pytest.raises(InvalidIndexError, match=r"unsorted_segment_sum: indices\[2\] = 5"):
        engine.unsorted_segment_sum(data, [0, 1, 5, 0, 0, 0], 5)
    with pytest.raises(ShapeError, match="does not start with the shape of segment_ids"):
        engine.unsorted_segment_sum(data, [0, 1], 5)
    check_op(lambda d: engine.segment_sum(d, [0, 0, 2, 2, 2, 3]),
             lambda d: np.stack([d[:2].sum(0), 0 * d[0], d[2:5].sum(0), d[5]]), [data])
    with pytest.raises(InvalidArgumentError, match="segment_sum: segment_ids must be a sorted"):
        engine.segment_sum(data, [1, 0, 0, 0, 0, 0])


def test_boolean_mask():
    mask = np.array([[True, False, True, True], [False, False, True, False],
                     [True, True, False, False]])
    check_op(lambda t: engine.boolean_mask(t, mask), lambda a: a[mask], [X])
    check_op(lambda t: engine.boolean_mask(t, mask[0], axis=1), lambda a: a[:, mask[0]], [X])
    none = np.zeros((3, 1), bool)
    check_op(lambda t: engine.boolean_mask(t, none), lambda a: a[none], [X[:, :1]])
    with pytest.raises(ShapeError, match=r"boolean_mask: got a mask of shape \(2,\)"):
        engine.boolean_mask(engine.constant(X), [True, False])
    with pytest.raises(ShapeError, match="expected bool"):
        engine.boolean_mask(engine.constant(X), [1, 0, 1])
