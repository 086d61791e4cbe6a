"""engine.ops.math_more and special_more (and the abs/sign/linspace fixes) against NumPy and
SciPy references, with finite-difference gradients and the error messages."""

import numpy as np
import pytest
import scipy.special as sp

import engine
from engine.errors import DTypeError, InvalidArgumentError, InvalidIndexError, ShapeError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(11)


# --- saturate_cast, complex, abs, sign, linspace ---------------------------------------------
@pytest.mark.parametrize("values, src, dst, expected", [
    ([-1.0, 300.0, 1e10, 2.7, np.nan], np.float32, engine.uint8, [0, 255, 255, 2, 0]),
    ([-1e10, 3e9, 2.7, -2.7], np.float32, engine.int32, [-2147483648, 2147483520, 2, -2]),
    ([-1000, 1000, 5], np.int64, engine.int8, [-128, 127, 5]),
    ([200], np.uint8, engine.int8, [127]),
    ([-5, 7], np.int32, engine.uint32, [0, 7]),
    ([1e6, -1e6], np.float64, engine.float16, [65504.0, -65504.0]),
])
def test_saturate_cast_clamps_like_tensorflow(values, src, dst, expected):
    out = engine.saturate_cast(np.array(values, src), dst)
    assert out.dtype == dst
    np.testing.assert_array_equal(out.numpy(), expected)


def test_saturate_cast_complex_gradient_and_errors():
    assert engine.saturate_cast(np.array([1 + 2j], np.complex64), engine.float32).numpy() == 1
    x = engine.constant([1.0, 1e39, -2.0], engine.float64)  # 1e39 is past float32's range
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_sum(engine.saturate_cast(x, engine.float32))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 0.0, 1.0])
    with pytest.raises(DTypeError, match="saturate_cast: got a float32 value and dtype=bool"):
        engine.saturate_cast([1.0], engine.bool)


def test_complex_forward_gradient_and_errors():
    re, im = R.standard_normal((2, 3)), R.standard_normal(3)
    check_op(engine.complex, lambda a, b: a + 1j * b, [re, im], grad=False)
    assert engine.complex(re.astype(np.float32), im.astype(np.float32)).dtype == engine.complex64
    c = R.standard_normal(3)
    check_grad(lambda a, b: engine.math.real(engine.complex(a, b) * engine.complex(c, c))
               + engine.math.imag(engine.complex(a, b)) ** 2, [re, im])
    with pytest.raises(DTypeError, match="complex: got real of dtype int32"):
        engine.complex(1, 2)


def test_abs_of_complex_is_real_magnitude_with_gradient():
    z = np.array([3 + 4j, -1j, 0j], np.complex64)
    out = engine.abs(z)
    assert out.dtype == engine.float32
    np.testing.assert_allclose(out.numpy(), [5.0, 1.0, 0.0])
    zc = engine.constant(z.astype(np.complex128))
    with engine.GradientTape() as tape:
        tape.watch(zc)
        y = engine.reduce_sum(engine.abs(zc))
    np.testing.assert_allclose(tape.gradient(y, zc).numpy(), [0.6 + 0.8j, -1j, 0])


def test_sign_gradient_is_zeros_not_none():
    x = R.standard_normal(4) + 3.0
    grads = check_grad(engine.sign, [x])
    np.testing.assert_array_equal(grads[0].numpy(), np.zeros(4))


def test_linspace_of_integers_is_float64():
    out = engine.linspace(0, 10, 5)
    assert out.dtype == engine.float64
    np.testing.assert_array_equal(out.numpy(), np.linspace(0, 10, 5))
    assert engine.linspace(engine.constant(0.0), 4, 3).dtype == engine.float32


# --- special functions -----------------------------------------------------------------------
def test_erfc_matches_scipy_and_gradient():
    x = np.array([-3.0, -1.0, -0.3, 0.0, 0.5, 0.99, 1.0, 2.5, 6.0, 26.0])
    check_op(engine.math.erfc, sp.erfc, [x], grad=False, rtol=1e-13)
    check_grad(engine.math.erfc, [R.uniform(-2, 3, 6)])


@pytest.mark.parametrize("fn, ref", [(engine.math.igamma, sp.gammainc),
                                     (engine.math.igammac, sp.gammaincc)])
def test_incomplete_gamma_matches_scipy(fn, ref):
    a = np.array([0.1, 0.5, 1.0, 2.0, 7.5, 30.0, 100.0, 3.0])
    x = np.array([0.01, 0.5, 3.0, 1.0, 9.0, 25.0, 120.0, 0.0])
    check_op(fn, ref, [a, x], grad=False, rtol=1e-11, atol=1e-14)
    check_grad(fn, [R.uniform(0.5, 4, 5), R.uniform(0.2, 6, 5)], wrt=[1])
    out = fn([-1.0, 2.0, 2.0], [1.0, -1.0, np.inf]).numpy()
    assert np.isnan(out[:2]).all() and out[2] == (1.0 if fn is engine.math.igamma else 0.0)


def test_betainc_matches_scipy_and_gradient():
    a = np.array([0.5, 1.0, 2.0, 5.0, 20.0, 0.2])
    b = np.array([0.5, 3.0, 2.0, 1.5, 30.0, 4.0])
    x = np.array([0.1, 0.5, 0.9, 0.3, 0.4, 1.0])
    check_op(engine.math.betainc, sp.betainc, [a, b, x], grad=False, rtol=1e-11, atol=1e-14,
             dtypes=("float64",))
    check_grad(engine.math.betainc, [R.uniform(1, 3, 4), R.uniform(1, 3, 4), R.uniform(.1, .9, 4)],
               wrt=[2])
    assert np.isnan(engine.math.betainc([-1.0, 1.0], [1.0, 1.0], [0.5, 1.5]).numpy()).all()


def test_zeta_matches_scipy_and_gradient():
    x = np.array([2.0, 3.5, 1.5, 10.0, 3.0])
    q = np.array([1.0, 0.3, 2.0, 5.0, -1.5])
    check_op(engine.math.zeta, sp.zeta, [x, q], grad=False, rtol=1e-10)
    check_grad(engine.math.zeta, [R.uniform(2, 4, 4), R.uniform(0.5, 3, 4)], wrt=[1])
    out = engine.math.zeta([1.0, 0.5, 2.0], [1.0, 1.0, -2.0]).numpy()
    assert out[0] == np.inf and np.isnan(out[1]) and out[2] == np.inf


# --- scatters, shapes, identity_n, reverse_sequence ------------------------------------------
def _scatter_ref(kind):
    def ref(tensor, updates, indices):
        out = tensor.copy()
        combine = np.maximum if kind == "max" else np.minimum
        combine.at(out, tuple(indices.T), updates)
        return out

    return ref


@pytest.mark.parametrize("kind", ["max", "min"])
def test_tensor_scatter_max_min(kind):
    fn = getattr(engine, f"tensor_scatter_nd_{kind}")
    tensor, updates = R.standard_normal((4, 3)), R.standard_normal((3, 3))
    indices = np.array([[2], [0], [2]])
    check_op(lambda t, u: fn(t, indices, u), lambda t, u: _scatter_ref(kind)(t, u, indices),
             [tensor, updates])
    ints = fn(np.array([1, 5, 3]), [[0], [1], [0]], [4, 2, 6]).numpy()
    np.testing.assert_array_equal(ints, [6, 5, 3] if kind == "max" else [1, 2, 3])


def test_tensor_scatter_ties_share_the_gradient():
    x, u = engine.constant([1.0, 5.0, 3.0]), engine.constant([4.0, 5.0, 6.0])
    with engine.GradientTape() as tape:
        tape.watch([x, u])
        y = engine.tensor_scatter_nd_max(x, [[0], [1], [0]], u)
    gx, gu = tape.gradient(y, [x, u])
    np.testing.assert_allclose(gx.numpy(), [0, 0.5, 1])
    np.testing.assert_allclose(gu.numpy(), [0, 0.5, 1])


def test_tensor_scatter_nd_sub():
    out = engine.tensor_scatter_nd_sub([1.0, 2.0, 3.0], [[0], [2], [0]], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(out.numpy(), [-1.0, 2.0, 2.0])
    check_grad(lambda t, u: engine.tensor_scatter_nd_sub(t, [[1], [1]], u),
               [R.standard_normal((3, 2)), R.standard_normal((2, 2))])


def test_broadcast_shapes_and_identity_n():
    assert engine.broadcast_static_shape(engine.TensorShape([None, 3]), [4, 1]) == [4, 3]
    out = engine.broadcast_dynamic_shape([1, 3], engine.constant([4, 1], engine.int64))
    assert out.dtype == engine.int64 and out.numpy().tolist() == [4, 3]
    with pytest.raises(ShapeError, match="broadcast_static_shape: got shapes"):
        engine.broadcast_static_shape([2, 3], [4, 1])
    with pytest.raises(InvalidArgumentError, match="broadcast_dynamic_shape: got shapes"):
        engine.broadcast_dynamic_shape([2, 3], [4, 1])
    a, b = engine.identity_n([1, [2.0, 3.0]])
    assert int(a) == 1 and b.numpy().tolist() == [2.0, 3.0]


def _reverse_ref(x, lengths, seq_axis, batch_axis):
    out = np.moveaxis(x.copy(), (batch_axis, seq_axis), (0, 1))
    for b, n in enumerate(lengths):
        out[b, :n] = out[b, :n][::-1].copy()
    return np.moveaxis(out, (0, 1), (batch_axis, seq_axis))


@pytest.mark.parametrize("shape, seq_axis, batch_axis", [((3, 4), 1, 0), ((5, 2, 3), 0, 1)])
def test_reverse_sequence(shape, seq_axis, batch_axis):
    x = R.standard_normal(shape)
    lengths = R.integers(0, shape[seq_axis] + 1, shape[batch_axis])
    check_op(lambda t: engine.reverse_sequence(t, lengths, seq_axis, batch_axis),
             lambda t: _reverse_ref(t, lengths, seq_axis, batch_axis), [x])


def test_reverse_sequence_errors():
    x = engine.zeros([3, 4])
    with pytest.raises(InvalidArgumentError, match=r"reverse_sequence: got seq_lengths \[1, 2, 5"):
        engine.reverse_sequence(x, [1, 2, 5], seq_axis=1)
    with pytest.raises(ShapeError, match="reverse_sequence: got seq_lengths of shape"):
        engine.reverse_sequence(x, [1, 2], seq_axis=1)


# --- sparse segment reductions ---------------------------------------------------------------
def _sparse_ref(kind, data, indices, ids, num):
    out = np.zeros((num,) + data.shape[1:])
    counts = np.bincount(ids, minlength=num)
    np.add.at(out, ids, data[indices])
    scale = {"sum": 1, "mean": np.maximum(counts, 1), "sqrt_n": np.sqrt(np.maximum(counts, 1))}
    return out / np.reshape(scale[kind], (-1,) + (1,) * (data.ndim - 1))


@pytest.mark.parametrize("kind", ["sum", "mean", "sqrt_n"])
def test_sparse_segment_reductions(kind):
    fn = getattr(engine.math, f"sparse_segment_{kind}")
    data = R.standard_normal((5, 3))
    indices, ids = np.array([0, 4, 4, 2]), np.array([0, 0, 2, 3])
    check_op(lambda d: fn(d, indices, ids), lambda d: _sparse_ref(kind, d, indices, ids, 4),
             [data])
    check_op(lambda d: fn(d, indices, ids, num_segments=6),
             lambda d: _sparse_ref(kind, d, indices, ids, 6), [data], grad=False)


def test_sparse_segment_errors():
    with pytest.raises(InvalidArgumentError, match="sparse_segment_sum: segment_ids must be"):
        engine.math.sparse_segment_sum([1.0, 2.0], [0, 1], [1, 0])
    with pytest.raises(InvalidArgumentError, match="got num_segments=2; expected it to exceed"):
        engine.math.sparse_segment_sum([1.0, 2.0], [0, 1], [0, 3], num_segments=2)
    with pytest.raises(InvalidIndexError):
        engine.math.sparse_segment_sum([1.0, 2.0], [0, 5], [0, 0])
    with pytest.raises(DTypeError, match="sparse_segment_mean: got data of dtype int32"):
        engine.math.sparse_segment_mean([1, 2], [0, 1], [0, 0])
    assert engine.math.sparse_segment_sum([1, 2], [0, 1], [0, 0]).numpy().tolist() == [3]


def test_special_errors_name_the_op():
    with pytest.raises(DTypeError, match="igamma"):
        engine.math.igamma([1, 2], [1, 2])
    with pytest.raises(DTypeError, match="betainc: got `a` of dtype float32 and `b` of dtype"):
        engine.math.betainc(engine.constant([1.0]), engine.constant([1.0], engine.float64),
                            engine.constant([0.5]))
