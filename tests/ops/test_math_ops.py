"""Elementwise binary math, cast and complex parts: forward against NumPy, gradients against
finite differences (unary functions: test_unary_ops.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(42)


def _pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def _any(*shape):
    return R.standard_normal(shape)


BINARY = [
    ("add", engine.add, np.add, _any, _any),
    ("subtract", engine.subtract, np.subtract, _any, _any),
    ("multiply", engine.multiply, np.multiply, _any, _any),
    ("divide", engine.divide, np.divide, _any, _pos),
    ("pow", engine.pow, np.power, _pos, _any),
    ("maximum", engine.maximum, np.maximum, _any, _any),
    ("minimum", engine.minimum, np.minimum, _any, _any),
    ("squared_difference", engine.math.squared_difference,
     lambda x, y: (x - y) ** 2, _any, _any),
    ("floormod", engine.math.floormod, np.mod, _pos, _pos),
    ("atan2", engine.math.atan2, np.arctan2, _any, _pos),
]

@pytest.mark.parametrize("name,fn,ref,gx,gy", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, fn, ref, gx, gy):
    check_op(fn, ref, [gx(3, 4), gy(3, 4)])
    check_op(fn, ref, [gx(3, 1), gy(1, 4)])  # broadcasting gradients sum back


@pytest.mark.parametrize("fn,ref", [
    (engine.equal, np.equal), (engine.not_equal, np.not_equal), (engine.less, np.less),
    (engine.less_equal, np.less_equal), (engine.greater, np.greater),
    (engine.greater_equal, np.greater_equal)])
def test_comparisons(fn, ref):
    x, y = R.integers(0, 3, (4, 3)).astype(float), R.integers(0, 3, (4, 3)).astype(float)
    check_op(fn, ref, [x, y], grad=False)


def test_logical_and_bitwise():
    a, b = R.random((5,)) > 0.5, R.random((5,)) > 0.5
    for fn, ref in [(engine.logical_and, np.logical_and), (engine.logical_or, np.logical_or),
                    (engine.logical_xor, np.logical_xor)]:
        np.testing.assert_array_equal(fn(a, b).numpy(), ref(a, b))
    np.testing.assert_array_equal(engine.logical_not(a).numpy(), ~a)
    i, j = np.array([5, 6], np.int32), np.array([3, 3], np.int32)
    np.testing.assert_array_equal(engine.bitwise_and(i, j).numpy(), i & j)
    ta, tb = engine.constant(a), engine.constant(b)
    np.testing.assert_array_equal((ta & tb).numpy(), a & b)
    np.testing.assert_array_equal((~ta).numpy(), ~a)
    np.testing.assert_array_equal((engine.constant(i) | j).numpy(), i | j)


def test_floordiv_and_truediv():
    a, b = np.array([7, -7], np.int32), np.array([2, 2], np.int32)
    np.testing.assert_array_equal(engine.math.floordiv(a, b).numpy(), a // b)
    out = engine.truediv(engine.constant(a), b)
    assert out.dtype == engine.float64
    np.testing.assert_allclose(out.numpy(), a / b)
    assert (engine.constant(a) / engine.constant(b)).dtype == engine.float64
    assert (engine.constant([1, 2], engine.int8) / 2).dtype == engine.float32


def test_pow_gradient_at_zero_base_is_finite():
    x = engine.constant([0.0, 2.0])
    y = engine.constant([2.0, 3.0])
    with engine.GradientTape() as tape:
        tape.watch([x, y])
        z = engine.pow(x, y)
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_allclose(gx.numpy(), [0.0, 12.0])
    np.testing.assert_allclose(gy.numpy(), [0.0, 8 * np.log(2.0)], rtol=1e-6)


def test_cast():
    x = engine.constant([1.7, -1.7, 2.5])
    np.testing.assert_array_equal(engine.cast(x, engine.int32).numpy(), [1, -1, 2])
    assert engine.cast(x, "float64").dtype == engine.float64
    assert engine.cast(x, engine.float32) is x
    check_grad(lambda t: engine.cast(engine.cast(t, engine.float32), engine.float64) * t,
               [R.standard_normal(3)], rtol=1e-3)


def test_mixed_dtypes_are_an_error_that_says_how_to_fix():
    a = engine.constant([1.0], engine.float32)
    b = engine.constant([1.0], engine.float64)
    with pytest.raises(DTypeError, match=r"add: .*float32.*float64.*engine.cast"):
        engine.add(a, b)
    with pytest.raises(DTypeError, match="fractional"):
        engine.constant([1, 2]) + 1.5
    with pytest.raises(DTypeError, match="exp: got dtype int32"):
        engine.exp(engine.constant([1, 2]))


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ShapeError, match=r"multiply: got shapes \(2, 3\) and \(4,\)"):
        engine.multiply(engine.ones([2, 3]), engine.ones([4]))


def test_infer_with_unknown_dims():
    op = engine.registry.get("AddV2")
    out = op.infer(engine.TensorSpec([None, 3], engine.float32),
                   engine.TensorSpec([1, None], engine.float32))
    assert out.shape.as_list() == [None, 3]
    out = op.infer(engine.TensorSpec(None, engine.float32),
                   engine.TensorSpec([2], engine.float32))
    assert out.shape.rank is None
    with pytest.raises(ShapeError):
        op.infer(engine.TensorSpec([2, 3], engine.float32),
                 engine.TensorSpec([4], engine.float32))


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from([b for b in BINARY if b[0] in
                           ("add", "subtract", "multiply", "divide", "maximum")]))
def test_binary_broadcasting_property(shapes, op):
    _, fn, ref, gx, gy = op
    a, b = gx(*shapes.input_shapes[0]), gy(*shapes.input_shapes[1])
    check_op(fn, ref, [a, b], dtypes=("float64",))


def test_python_scalars_adopt_tensor_dtype():
    for dtype in (engine.float16, engine.float32, engine.float64):
        t = engine.ones([2], dtype)
        assert (t + 1.0).dtype == dtype
        assert (2 * t).dtype == dtype
        assert (1.0 - t).dtype == dtype
    assert (engine.constant([1, 2], engine.int64) * 3).dtype == engine.int64


def test_complex_parts_and_gradient():
    z = engine.constant(np.array([1 + 2j, 3 - 1j], np.complex128))
    np.testing.assert_array_equal(engine.math.conj(z).numpy(), [1 - 2j, 3 + 1j])
    np.testing.assert_array_equal(engine.math.real(z).numpy(), [1.0, 3.0])
    np.testing.assert_array_equal(engine.math.imag(z).numpy(), [2.0, -1.0])
    assert engine.math.real(z).dtype == engine.float64
    x = engine.constant([1.0])
    assert engine.math.conj(x).numpy()[0] == 1.0
    with engine.GradientTape() as tape:
        tape.watch(z)
        y = engine.reduce_sum(engine.math.real(z) * 2.0 + engine.math.imag(z) * 3.0)
    # TensorFlow's convention: d/dRe + i d/dIm for a real-valued function.
    np.testing.assert_array_equal(tape.gradient(y, z).numpy(), [2 + 3j, 2 + 3j])


def test_complex_gradients_use_the_conjugate_derivative():
    # TensorFlow's convention: the cotangent times the conjugate derivative. Checked through
    # real functions of a real input that pass through complex products, quotients, unary
    # functions and matrix products (plain and adjoint), against finite differences.
    w = engine.constant([[0.3 + 0.7j, 1.0 - 2.0j], [0.5j, 2.0 + 0.1j]], engine.complex128)

    def f(x):
        z = engine.cast(x, engine.complex128) * w + 0.5j          # (2, 2) complex
        terms = [engine.math.imag(z * w[0]), engine.math.real(w / (z + 1j)),
                 engine.math.imag(engine.exp(z)), engine.math.real(engine.sin(z)),
                 engine.math.imag(engine.sqrt(z)), engine.math.imag(engine.math.log(z)),
                 engine.math.real(engine.tanh(z)), engine.math.imag(engine.math.reciprocal(z)),
                 engine.math.imag(engine.matmul(z, w)),
                 engine.math.real(engine.matmul(z, w, adjoint_a=True)),
                 engine.math.imag(engine.matmul(w, z, adjoint_b=True)),
                 engine.math.real(engine.pow(z, w)), engine.math.imag(engine.pow(w, z))]
        return sum(engine.reduce_sum(t * (k + 1.0)) for k, t in enumerate(terms))

    check_grad(f, [np.array([[1.5, -0.3], [2.0, 0.7]])])


def test_cast_from_complex_keeps_the_real_part_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")   # NumPy's ComplexWarning would fail here
        out = engine.cast(engine.constant([1.5 + 2.0j, -3.0 - 1.0j]), engine.float32)
    np.testing.assert_array_equal(out.numpy(), np.array([1.5, -3.0], np.float32))
