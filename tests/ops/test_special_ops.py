"""engine.ops.special_ops: lgamma, digamma, polygamma, erfinv, ndtri against the Python
standard library, with finite-difference gradients; and the kernels of the new ops run
with a NumPy stand-in for CuPy (their GPU branches)."""

import math
import statistics
import types

import numpy as np
import pytest

import engine
from engine.errors import DTypeError
from engine.ops.special_ops import digamma, erfinv, lgamma, ndtri, polygamma
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(7)
S, F64, I32 = engine.TensorSpec, engine.float64, engine.int32


# --- special functions -------------------------------------------------------------------------
def _off_poles(x):
    return x[np.abs(x - np.round(x)) > 1e-6]


def test_lgamma_matches_math_lgamma():
    x = np.concatenate([np.linspace(-30.5, 40.0, 4001), np.logspace(-12, 12, 400),
                        -np.logspace(-12, 1.3, 100)])
    x = _off_poles(x)
    ref = np.array([math.lgamma(v) for v in x])
    np.testing.assert_allclose(lgamma(x).numpy(), ref, rtol=1e-10, atol=1e-12)
    edges = lgamma(np.array([1.0, 2.0, 0.0, -3.0, np.inf, -np.inf, np.nan])).numpy()
    np.testing.assert_array_equal(edges[:6], [0, 0, np.inf, np.inf, np.inf, np.inf])
    assert np.isnan(edges[6])
    check_op(lgamma, lambda a: np.vectorize(math.lgamma)(a), [_off_poles(R.uniform(-4, 6,
                                                                                     20))])


def test_lgamma_is_fast_enough_for_large_arrays():
    x = R.uniform(0.1, 100, 200_000)
    out = lgamma(x).numpy()  # vectorized: ms, not the seconds a Python loop takes
    np.testing.assert_allclose(out[:50], [math.lgamma(v) for v in x[:50]], rtol=1e-12)


def test_digamma_and_polygamma_values():
    euler = 0.5772156649015329
    x = np.array([1.0, 0.5, 2.0, -0.5, 1e-6, 100.0])
    expected = [-euler, -euler - 2 * math.log(2), 1 - euler, 0.03648997397857652,
                -1000000.5772140199, 4.600161852738087]
    np.testing.assert_allclose(digamma(x).numpy(), expected, rtol=1e-12)
    v = _off_poles(R.uniform(-10, 30, 200))
    np.testing.assert_allclose(digamma(v + 1).numpy(), digamma(v).numpy() + 1 / v,
                               rtol=1e-10, atol=1e-10)
    assert np.isnan(digamma(np.array([0.0, -2.0])).numpy()).all()
    zeta3 = 1.2020569031595942
    got = polygamma(np.array([1.0, 2.0, 3.0, 0.0]), np.array([1.0, 1.0, 1.0, 1.0])).numpy()
    np.testing.assert_allclose(got, [math.pi ** 2 / 6, -2 * zeta3, math.pi ** 4 / 15, -euler],
                               rtol=1e-13)
    for n in (1.0, 2.0, 5.0):  # psi_n(x + 1) = psi_n(x) + (-1)^n n! / x^(n + 1)
        step = (-1) ** n * math.factorial(int(n)) / v ** (n + 1)
        here = polygamma(n * np.ones_like(v), v).numpy()
        there = polygamma(n * np.ones_like(v), v + 1).numpy()
        assert np.all(np.abs(there - (here + step)) <= 1e-13 * (np.abs(here) + np.abs(step)))
    assert np.isnan(polygamma(np.array([1.5, -1.0]), np.array([2.0, 2.0])).numpy()).all()


def test_special_function_gradients():
    x = _off_poles(R.uniform(-3.5, 5, 12))
    check_grad(lgamma, [x])
    check_grad(grad_of(lgamma), [x])
    check_op(digamma, lambda a: np.array([_digamma_ref(v) for v in a]), [x], rtol=1e-7)
    check_op(lambda a, b: polygamma(a, b), lambda a, b: _trigamma_ref(b),
             [np.ones_like(x), x], wrt=[1], rtol=1e-7)
    check_grad(grad_of(digamma), [x])
    p = R.uniform(0.01, 0.99, 10)
    check_op(ndtri, lambda a: np.array([statistics.NormalDist().inv_cdf(v) for v in a]), [p],
             rtol=1e-6 if p.dtype == np.float32 else 1e-7)
    check_op(erfinv, lambda a: _erfinv_ref(a), [2 * p - 1])
    check_grad(grad_of(erfinv), [2 * p - 1])


def _digamma_ref(v, h=1e-4):  # from math.lgamma: a central difference of order h^4
    f = [math.lgamma(float(v) + k * h) for k in (-2, -1, 1, 2)]
    return (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)


def _trigamma_ref(b):  # the series sum of 1 / (x + k)^2, shifted and tailed
    out = []
    for v in map(float, b):
        shift = math.ceil(max(0.0, 20 - v))
        total = sum(1 / (v + k) ** 2 for k in range(shift))
        w = v + shift
        out.append(total + 1 / w + 1 / (2 * w * w) + 1 / (6 * w ** 3) - 1 / (30 * w ** 5))
    return np.array(out)


def _erfinv_ref(a):
    out = []
    for v in map(float, a):  # bisection and Newton on math.erf: independent of AS241
        lo, hi = -6.0, 6.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
        y = (lo + hi) / 2
        for _ in range(2):
            y -= (math.erf(y) - v) / (2 / math.sqrt(math.pi) * math.exp(-y * y))
        out.append(y)
    return np.array(out)


def test_erfinv_and_ndtri_edges_and_precision():
    x = np.array([1e-300, 1e-20, -1e-10, 1 - 1e-15, -1.0, 1.0, 1.5, np.nan])
    out = erfinv(x).numpy()
    np.testing.assert_allclose(out[:3], x[:3] * math.sqrt(math.pi) / 2, rtol=1e-15)
    assert math.erf(out[3]) == pytest.approx(1 - 1e-15, abs=2e-16)
    np.testing.assert_array_equal(out[4:6], [-np.inf, np.inf])
    assert np.isnan(out[6:]).all()
    p = np.array([0.0, 1.0, 1e-300, 0.5, -0.1, 1.1])
    q = ndtri(p).numpy()
    assert q[0] == -np.inf and q[1] == np.inf and q[3] == 0 and np.isnan(q[4:]).all()
    assert q[2] == pytest.approx(statistics.NormalDist().inv_cdf(1e-300), rel=1e-14)
    grid = np.linspace(0.001, 0.999, 999)
    phi = 0.5 * np.array([math.erfc(-v / math.sqrt(2)) for v in ndtri(grid).numpy()])
    np.testing.assert_allclose(phi, grid, rtol=1e-14)


def test_special_functions_float32_traced_and_dtypes():
    x = np.array([0.3, 1.7, 4.0], np.float32)
    traced = engine.function(lambda t: (lgamma(t), digamma(t), erfinv(t / 5), ndtri(t / 5)),
                             input_signature=[S([None], engine.float32)])
    for got, fn in zip(traced(x), (lgamma, digamma, erfinv, ndtri)):
        assert got.dtype == engine.float32
    np.testing.assert_allclose(traced(x)[0].numpy(), [math.lgamma(v) for v in x], rtol=1e-6)
    assert lgamma(engine.constant([2.5], engine.bfloat16)).dtype == engine.bfloat16
    with pytest.raises(DTypeError, match="lgamma: got int32 value"):
        lgamma([1, 2])
    with pytest.raises(DTypeError, match="polygamma: got `a` of dtype float32 and `x` of"):
        polygamma(engine.constant([1.0]), engine.constant([1.0], engine.float64))


# --- the kernels' GPU branches, run with a NumPy stand-in for CuPy --------------------------
class _ArrayModule(types.ModuleType):
    """Forwards to NumPy but is not NumPy, so kernels take their `xp is not np` branches."""

    def __getattr__(self, name):
        return getattr(np, name)


def test_kernels_with_a_non_numpy_array_module():
    xp = _ArrayModule("stand_in")
    x, y = R.standard_normal((3, 4)), R.uniform(0.5, 2, (3, 4))
    ids = np.array([2, -1, 0, 2, 7, 2, 0])  # 7 >= num_segments: dropped where unchecked
    data = R.standard_normal((7, 2))
    cases = [("AddN", (x, y, x), {}), ("DivNoNan", (x, y), {}), ("MulNoNan", (x, y), {}),
             ("Xlogy", (x, y), {}), ("Xdivy", (x, y), {}), ("Xlog1py", (x, y), {}),
             ("Lgamma", (x,), {}), ("Digamma", (x,), {}), ("Erfinv", (x / 3,), {}),
             ("Ndtri", (y / 2,), {}), ("Polygamma", (np.ones_like(y), y), {})]
    for name, arrays, attrs in cases:
        kernel = engine.registry.get(name).kernel
        np.testing.assert_array_equal(kernel(xp, *arrays, **attrs), kernel(np, *arrays, **attrs),
                                      err_msg=name)
    for name in ("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"):
        kernel = engine.registry.get(name).kernel
        kept = np.where(ids < 3, ids, -1)
        np.testing.assert_allclose(kernel(xp, data, ids, num_segments=3),
                                   kernel(np, data, kept, num_segments=3), rtol=1e-15,
                                   err_msg=name)
