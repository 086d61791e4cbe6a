"""svd, qr, eigh, eigvalsh, eig, eigvals and matrix_rank: invariants against NumPy, batch
shapes, float64 numerical gradients and errors.

Signs (phases) of singular vectors, of Q's columns and of eigenvectors are not unique, so
the checks compare sign-free quantities (|u|, u diag(s) v^H, q r) and differentiate losses
that do not depend on the signs.
"""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_forward, check_grad, check_op

R = np.random.default_rng(7)
la = engine.linalg
E = engine


def _any(*shape):
    return R.standard_normal(shape)


def _complex(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def _sym(*shape):
    a = R.standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


def _adj(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _of_complex(fn):
    """`fn` of the complex matrix re + i im, so real finite differences reach complex ops."""
    return lambda re, im: fn(E.complex(re, im))


# --- svd --------------------------------------------------------------------------------------
def _svd_unsigned(x, **kwargs):
    s, u, v = la.svd(x, **kwargs)
    return s, E.abs(u), E.abs(v)


def _np_svd_unsigned(x, full_matrices=False):
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return s, np.abs(u), np.abs(_adj(vh))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 2), (2, 1, 3, 4)], ids=str)
def test_svd_against_numpy_and_gradients(shape):
    a = _any(*shape)
    check_op(_svd_unsigned, _np_svd_unsigned, [a], rtol=1e-5, atol=1e-5)
    check_op(lambda x: la.svd(x, compute_uv=False),
             lambda x: np.linalg.svd(x, compute_uv=False), [a])
    s, u, v = (t.numpy() for t in la.svd(a))
    p = min(shape[-2:])
    assert u.shape == shape[:-1] + (p,) and v.shape == shape[:-2] + (shape[-1], p)
    np.testing.assert_allclose((u * s[..., None, :]) @ _adj(v), a, atol=1e-12)  # v, not v^H
    assert np.all(np.diff(s, axis=-1) <= 0), "singular values must be descending"


def test_svd_full_matrices():
    a = _any(5, 3)
    s, u, v = la.svd(a, full_matrices=True)
    assert u.shape == [5, 5] and v.shape == [3, 3]
    np.testing.assert_allclose(_adj(u.numpy()) @ u.numpy(), np.eye(5), atol=1e-12)
    check_forward(lambda x: _svd_unsigned(x, full_matrices=True),
                  lambda x: _np_svd_unsigned(x, True), [a], rtol=1e-5, atol=1e-5)
    # |M - N| <= 1: as TensorFlow, the gradient ignores u's extra column
    check_grad(lambda x: [t[..., :3] for t in _svd_unsigned(x, full_matrices=True)],
               [_any(4, 3)])
    check_grad(lambda x: _svd_unsigned(x, full_matrices=True), [_any(3, 3)])
    with E.GradientTape() as tape:
        x = E.constant(a)
        tape.watch(x)
        total = E.reduce_sum(la.svd(x, full_matrices=True)[0])
    with pytest.raises(NotImplementedError, match=r"svd: .*full_matrices=True needs \|M - N\|"):
        tape.gradient(total, x)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)], ids=str)
def test_complex_svd(shape):
    a = _complex(*shape)
    s, u, v = (t.numpy() for t in la.svd(a.astype(np.complex64)))
    assert s.dtype == np.float32 and u.dtype == np.complex64
    np.testing.assert_allclose((u * s[..., None, :]) @ _adj(v), a, atol=1e-5)
    parts = [a.real, a.imag]
    check_grad(_of_complex(_svd_unsigned), parts)

    def first_pair(x):  # u_1 v_1^H: blind to the pair's common phase, not to each one's
        _, u, v = la.svd(x)
        outer = E.matmul(u[..., :1], E.math.conj(v[..., :1]), transpose_b=True)
        return E.math.real(outer), E.math.imag(outer)

    check_grad(_of_complex(first_pair), parts)
    check_grad(_of_complex(lambda x: la.svd(x, compute_uv=False)), parts)


def test_svd_values_gradient_is_u_vt():
    a = _any(3, 4)
    with E.GradientTape() as tape:
        x = E.constant(a)
        tape.watch(x)
        total = E.reduce_sum(la.svd(x, compute_uv=False))
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), u @ vh, atol=1e-12)


# --- qr ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 2)], ids=str)
def test_qr_against_numpy_and_gradients(shape):
    a = _any(*shape)

    def unsigned(x):
        return [np.abs(t) for t in np.linalg.qr(x)]

    check_op(lambda x: [E.abs(t) for t in la.qr(x)], unsigned, [a], rtol=1e-5, atol=1e-6)
    q, r = (t.numpy() for t in la.qr(a))
    np.testing.assert_allclose(q @ r, a, atol=1e-12)
    gram = _adj(q) @ q
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(q.shape[-1]), gram.shape), atol=1e-12)
    np.testing.assert_array_equal(r, np.triu(r))
    check_grad(la.qr, [a])  # LAPACK's R has a real diagonal, so raw q and r are smooth


def test_qr_full_and_complex():
    q, r = la.qr(_any(4, 2), full_matrices=True)
    assert q.shape == [4, 4] and r.shape == [4, 2]
    a = _complex(4, 3)
    q, r = (t.numpy() for t in la.qr(a))
    np.testing.assert_allclose(q @ r, a, atol=1e-12)

    def parts(x):
        q, r = la.qr(x)
        return [E.math.real(q), E.math.imag(q), E.math.real(r), E.math.imag(r)]

    check_grad(_of_complex(parts), [a.real, a.imag])
    with E.GradientTape() as tape:
        x = E.constant(_any(4, 3))
        tape.watch(x)
        total = E.reduce_sum(la.qr(x, full_matrices=True)[1])
    with pytest.raises(NotImplementedError, match="qr: no gradient for full_matrices=True"):
        tape.gradient(total, x)


# --- eigh, eig ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_eigh_against_numpy_and_gradients(shape):
    a = _sym(*shape)

    def unsigned(x):
        e, v = la.eigh(x)
        return e, E.abs(v)

    def np_unsigned(x):
        e, v = np.linalg.eigh(x)
        return e, np.abs(v)

    check_op(unsigned, np_unsigned, [a], rtol=1e-5, atol=1e-5)
    check_op(la.eigvalsh, np.linalg.eigvalsh, [a], rtol=1e-5, atol=1e-5)
    # Only the lower triangle is read: a non-symmetric input is differentiated as such.
    check_grad(unsigned, [_any(*shape)])
    check_grad(la.eigvalsh, [_any(*shape)])
    np.testing.assert_allclose(la.eigvalsh(np.tril(a)).numpy(), np.linalg.eigvalsh(a))


def test_complex_eigh():
    a = _complex(3, 3)
    e, v = (t.numpy() for t in la.eigh(a + _adj(a)))
    assert e.dtype == np.float64
    np.testing.assert_allclose((a + _adj(a)) @ v, v * e[None, :], atol=1e-12)
    check_grad(_of_complex(lambda x: (la.eigh(x)[0], E.abs(la.eigh(x)[1]))), [a.real, a.imag])


@pytest.mark.parametrize("dtype,out", [(np.float32, np.complex64), (np.float64, np.complex128),
                                       (np.complex64, np.complex64)])
def test_eig_invariants(dtype, out):
    a = (_any(2, 3, 3) + 1j * _any(2, 3, 3) if np.dtype(dtype).kind == "c"
         else _any(2, 3, 3)).astype(dtype)
    e, v = (t.numpy() for t in la.eig(a))
    assert e.dtype == out and v.dtype == out and e.shape == (2, 3) and v.shape == (2, 3, 3)
    tol = 1e-4 if out == np.complex64 else 1e-10
    np.testing.assert_allclose(a @ v, v * e[..., None, :], atol=tol)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, atol=tol)
    # Rounded before sorting, so that a conjugate pair's order does not hang on rounding.
    expected = np.sort_complex(np.round(np.linalg.eigvals(a), 3))
    got = np.sort_complex(np.round(la.eigvals(a).numpy(), 3))
    np.testing.assert_allclose(got, expected, atol=2e-3)


def test_eig_of_rotation_is_complex():
    e = la.eigvals(E.constant([[0.0, 1.0], [-1.0, 0.0]])).numpy()
    np.testing.assert_allclose(sorted(e.imag), [-1.0, 1.0])


# --- matrix_rank --------------------------------------------------------------------------------
def test_matrix_rank():
    low = _any(2, 5, 2) @ _any(2, 2, 4)  # rank 2
    out = la.matrix_rank(low)
    assert out.dtype is E.int32
    np.testing.assert_array_equal(out.numpy(), [2, 2])
    assert int(la.matrix_rank(np.eye(3))) == 3
    assert int(la.matrix_rank(np.diag([1.0, 1e-3, 0.0]), tol=1e-2)) == 1
    full = _any(3, 4, 4)
    np.testing.assert_array_equal(la.matrix_rank(full).numpy(), np.linalg.matrix_rank(full))


# --- errors and shape inference -----------------------------------------------------------------
def test_errors_name_the_op_and_the_fix():
    with pytest.raises(ShapeError, match=r"eigh: got input of shape \(2, 3\); expected square"):
        la.eigh(E.zeros([2, 3]))
    with pytest.raises(ShapeError, match=r"eig: got input of shape \(3,\)"):
        la.eig(E.zeros([3]))
    with pytest.raises(ShapeError, match=r"svd: got input of shape \(3,\); expected .*rank >= 2"):
        la.svd(E.zeros([3]))
    with pytest.raises(ShapeError, match=r"qr: got input of shape \(\)"):
        la.qr(E.constant(1.0))
    with pytest.raises(DTypeError, match="svd: got dtype int32 .*Cast the input"):
        la.svd(E.constant([[1, 2], [3, 4]]))
    with pytest.raises(DTypeError, match="eigh: got dtype float16"):
        la.eigh(E.zeros([2, 2], E.float16))


def test_infer_with_unknown_dims_and_raw_ops():
    spec = E.TensorSpec([None, 5, 3], E.complex64)
    s, u, v = registry.get("Svd").infer(spec)
    assert s.dtype is E.float32 and s.shape.as_list() == [None, 3]
    assert u.shape.as_list() == [None, 5, 3] and v.shape.as_list() == [None, 3, 3]
    q, r = registry.get("Qr").infer(E.TensorSpec([2, None, 3], E.float64), full_matrices=True)
    assert q.shape.as_list() == [2, None, None] and r.shape.as_list() == [2, None, 3]
    e, v = registry.get("SelfAdjointEigV2").infer(E.TensorSpec(None, E.float32))
    assert e.shape.rank is None and e.dtype is E.float32
    e, _ = registry.get("Eig").infer(E.TensorSpec([None, 4, 4], E.float64))
    assert e.dtype is E.complex128 and e.shape.as_list() == [None, 4]
    s, u, v = E.raw_ops.Svd(input=E.constant(_any(3, 2)), compute_uv=False)
    assert s.shape == [2] and u.shape == [0]
    e, v = E.raw_ops.SelfAdjointEigV2(input=E.constant(np.eye(2)), compute_v=False)
    np.testing.assert_allclose(e.numpy(), [1.0, 1.0])
