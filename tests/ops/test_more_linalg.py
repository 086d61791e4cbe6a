"""engine.ops.linalg_more: set_diag, tensor_diag, cross, expm, pinv, lu, lu_solve and
normalize against NumPy/SciPy, with finite-difference gradients and error messages."""

import numpy as np
import pytest
import scipy.linalg

import engine
from engine.errors import ShapeError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(5)
L = engine.linalg


def _set_diag_ref(x, d, k, align="RIGHT_LEFT"):
    out = x.copy()
    lo, hi = (k, k) if isinstance(k, int) else k
    rows, cols = x.shape[-2:]
    lengths = {j: max(0, min(rows + min(j, 0), cols - max(j, 0))) for j in range(lo, hi + 1)}
    longest = max(lengths.values())
    for j in range(lo, hi + 1):
        n = lengths[j]
        values = d if lo == hi else d[..., hi - j, :]
        right = align.split("_")[0 if j >= 0 else 1] == "RIGHT"
        start = longest - n if right and lo != hi else 0
        for i in range(n):
            out[..., i + max(-j, 0), i + max(j, 0)] = values[..., start + i]
    return out


@pytest.mark.parametrize("shape, k, align", [
    ((2, 3, 4), 0, "RIGHT_LEFT"), ((3, 4), 1, "RIGHT_LEFT"), ((4, 3), -2, "RIGHT_LEFT"),
    ((3, 4), (-1, 1), "RIGHT_LEFT"), ((2, 4, 3), (-2, 0), "LEFT_RIGHT"),
    ((3, 3), (0, 2), "LEFT_LEFT"),
])
def test_set_diag(shape, k, align):
    x = R.standard_normal(shape)
    lo, hi = (k, k) if isinstance(k, int) else k
    rows, cols = shape[-2:]
    longest = max(max(0, min(rows + min(j, 0), cols - max(j, 0))) for j in range(lo, hi + 1))
    dshape = shape[:-2] + ((longest,) if lo == hi else (hi - lo + 1, longest))
    d = R.standard_normal(dshape)
    check_op(lambda a, b: L.set_diag(a, b, k=k, align=align),
             lambda a, b: _set_diag_ref(a, b, k, align), [x, d])


def test_set_diag_matches_tensorflow_example_and_errors():
    out = L.set_diag(engine.zeros([3, 4]), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], k=(0, 1))
    np.testing.assert_array_equal(out.numpy(), [[4, 1, 0, 0], [0, 5, 2, 0], [0, 0, 6, 3]])
    with pytest.raises(ShapeError, match=r"set_diag: got diagonal of shape \(2,\) for input"):
        L.set_diag(engine.zeros([3, 3]), [1.0, 2.0])


def test_tensor_diag_and_cross():
    d = R.standard_normal((2, 3))
    check_op(L.tensor_diag, lambda a: np.diag(a.ravel()).reshape(2, 3, 2, 3), [d])
    a, b = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    check_op(L.cross, lambda u, v: np.cross(u, v), [a, b])
    with pytest.raises(ShapeError, match="cross: got shapes"):
        L.cross([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0]])


@pytest.mark.parametrize("scale", [0.1, 1.0, 30.0])
def test_expm_matches_scipy(scale):
    a = R.standard_normal((2, 4, 4)) * scale
    # float64 only: SciPy computes a float32 input's exponential in float32.
    check_op(L.expm, lambda x: np.stack([scipy.linalg.expm(m) for m in x]), [a],
             rtol=1e-9, grad=False, dtypes=("float64",))
    check_grad(L.expm, [R.standard_normal((3, 3)) * min(scale, 2.0)], rtol=1e-5)


def test_expm_errors():
    with pytest.raises(ShapeError, match="expm: got input of shape"):
        L.expm(engine.zeros([2, 3]))


@pytest.mark.parametrize("shape", [(3, 2), (2, 4), (2, 3, 3)])
def test_pinv_matches_numpy_and_gradient(shape):
    a = R.standard_normal(shape)
    check_op(L.pinv, np.linalg.pinv, [a], rtol=1e-6, atol=1e-6, grad=False)
    check_grad(L.pinv, [a], rtol=1e-5)


def test_pinv_of_rank_deficient_matrix():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(L.pinv(a).numpy(), np.linalg.pinv(a), atol=1e-12)


def test_lu_reconstructs_and_matches_tensorflow():
    m = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [4.0, 1.0, 3.0]])
    packed, p = L.lu(m)
    np.testing.assert_allclose(packed.numpy(), [[4, 1, 3], [0, 2, 1], [0.25, 0.375, -1.125]])
    assert p.numpy().tolist() == [2, 0, 1] and p.dtype == engine.int32
    a = R.standard_normal((2, 4, 4))
    packed, p = (t.numpy() for t in L.lu(a, output_idx_type=engine.int64))
    for i in range(2):
        lower = np.tril(packed[i], -1) + np.eye(4)
        np.testing.assert_allclose(lower @ np.triu(packed[i]), a[i][p[i]], atol=1e-12)
        _, lower_ref, upper_ref = scipy.linalg.lu(a[i])
        np.testing.assert_allclose(np.triu(packed[i]), upper_ref, atol=1e-12)


def test_lu_gradient_and_lu_solve():
    a = R.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    check_grad(lambda x: L.lu(x)[0], [a], rtol=1e-5)
    rhs = R.standard_normal((2, 3, 2))
    check_op(lambda x, b: L.lu_solve(*L.lu(x), b), np.linalg.solve, [a, rhs], rtol=1e-6)


def test_normalize():
    x = R.standard_normal((3, 4))
    check_op(lambda t: L.normalize(t, axis=1),
             lambda t: (t / np.linalg.norm(t, axis=1, keepdims=True),
                        np.linalg.norm(t, axis=1, keepdims=True)), [x])
    out, n = L.normalize([[3.0, 4.0]], ord=1)
    np.testing.assert_allclose(out.numpy(), [[3 / 7, 4 / 7]])
    assert n.numpy().tolist() == [[7.0]]
