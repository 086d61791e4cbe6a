"""engine.ops.math_extras and counting_ops: add_n, the zero-safe ops, scalar_mul, rint,
zero_fraction, bincount and confusion_matrix against NumPy, with finite-difference gradients."""


import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError
from engine.ops.counting_ops import bincount, confusion_matrix
from engine.ops.math_extras import (
    accumulate_n,
    add_n,
    divide_no_nan,
    multiply_no_nan,
    rint,
    scalar_mul,
    xdivy,
    xlog1py,
    xlogy,
    zero_fraction,
)
from tests.opcheck import check_grad, check_op, grad_of, gradients

R = np.random.default_rng(7)
S, F64, I32 = engine.TensorSpec, engine.float64, engine.int32


# --- add_n ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 4])
def test_add_n_matches_sum(n):
    arrays = [R.standard_normal((3, 4)) for _ in range(n)]
    check_op(lambda *xs: add_n(list(xs)), lambda *xs: sum(xs), arrays)
    check_op(lambda *xs: add_n(list(xs)), lambda *xs: sum(xs), [a[0, 0] for a in arrays])


def test_add_n_ints_copies_and_traces():
    a = engine.constant([1, 2])
    out = add_n([a])
    assert out._value is not a._value and out.dtype == engine.int32
    np.testing.assert_array_equal(add_n([a, a, [3, 4]]).numpy(), [5, 8])

    traced = engine.function(lambda x, y: add_n([x, y, x]),
                             input_signature=[S([None, 3], F64), S([None, 3], F64)])
    x, y = R.standard_normal((2, 3)), R.standard_normal((2, 3))
    np.testing.assert_allclose(traced(x, y).numpy(), 2 * x + y)
    assert engine.registry.get("AddN").tf_name == "AddN"


def test_add_n_errors():
    with pytest.raises(ShapeError, match="add_n: got shapes \\(2,\\) and \\(3,\\)"):
        add_n([engine.zeros([2]), engine.zeros([3])])
    with pytest.raises(ShapeError, match="add_n: got \\[\\]; expected a non-empty list"):
        add_n([])
    with pytest.raises(DTypeError, match="add_n: got inputs\\[0\\] of dtype float32 and"):
        add_n([engine.zeros([2]), engine.zeros([2], engine.float64)])


def test_accumulate_n_checks_shape_and_dtype():
    np.testing.assert_array_equal(accumulate_n([[1.0, 2.0], [3.0, 4.0]], shape=[2]).numpy(),
                                  [4.0, 6.0])
    with pytest.raises(ShapeError, match="accumulate_n: got an input of shape \\(2,\\)"):
        accumulate_n([[1.0, 2.0]], shape=[3])
    with pytest.raises(DTypeError):
        accumulate_n([engine.constant([1.0])], tensor_dtype=engine.float64)


# --- zero-safe products and quotients ------------------------------------------------------
def _ref_div_no_nan(x, y):
    return np.where(y == 0, 0.0, x / np.where(y == 0, 1.0, y)).astype(np.result_type(x, y))


def _ref_xlogy(x, y):
    return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y))).astype(x.dtype)


def _ref_xdivy(x, y):
    return np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y)).astype(x.dtype)


def _ref_xlog1py(x, y):
    return np.where(x == 0, 0.0, x * np.log1p(np.where(x == 0, 0.0, y))).astype(x.dtype)


def _pos(*shape):
    return R.uniform(0.5, 2.0, shape)


ZERO_SAFE = [
    ("divide_no_nan", divide_no_nan, _ref_div_no_nan, _pos),
    ("multiply_no_nan", multiply_no_nan, lambda x, y: x * y, lambda *s: R.standard_normal(s)),
    ("xlogy", xlogy, _ref_xlogy, _pos),
    ("xdivy", xdivy, _ref_xdivy, _pos),
    ("xlog1py", xlog1py, _ref_xlog1py, _pos),
]


@pytest.mark.parametrize("name,fn,ref,gen", ZERO_SAFE, ids=[z[0] for z in ZERO_SAFE])
def test_zero_safe_ops_match_numpy_and_broadcast(name, fn, ref, gen):
    check_op(fn, ref, [R.standard_normal((3, 4)), gen(3, 4)])
    check_op(fn, ref, [R.standard_normal((3, 1)), gen(1, 4)])  # gradients sum back
    traced = engine.function(fn, input_signature=[S([None, 4], F64), S([4], F64)])
    x, y = R.standard_normal((2, 4)), gen(4)
    np.testing.assert_allclose(traced(x, y).numpy(), ref(x, y), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_divide_no_nan_of_scalars_matches_its_array_path(dtype):
    # 0-d operands take a one-call path (Keras' metric quotients): same values and dtype
    pairs = [(3.0, 2.0), (3.0, 0.0), (np.nan, 2.0), (1.0, np.nan), (np.inf, 2.0),
             (0.0, 0.0), (-1.0, -3.0), (1e30, 1e-30)]
    for x, y in pairs:
        with np.errstate(over="ignore", invalid="ignore"):
            scalar = divide_no_nan(np.asarray(x, dtype), np.asarray(y, dtype)).numpy()
            vector = divide_no_nan(np.asarray([x], dtype), np.asarray([y], dtype)).numpy()
        assert scalar.shape == () and scalar.dtype == vector.dtype, (x, y)
        np.testing.assert_array_equal(scalar, vector[0], err_msg=str((x, y)))


def test_zero_conventions_and_their_gradients():
    x = np.array([0.0, 0.0, 0.0, 2.0, np.inf, np.nan])
    y = np.array([0.0, -1.0, 2.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(divide_no_nan(x, y).numpy(), [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(multiply_no_nan(x, y).numpy(), [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(xlogy(x[:4], y[:4]).numpy(), [0, 0, 0, -np.inf])
    np.testing.assert_array_equal(xdivy(x[:4], y[:4]).numpy(), [0, 0, 0, np.inf])
    np.testing.assert_array_equal(xlog1py(x[:3], y[:3]).numpy(), [0, 0, 0])
    zeros = np.zeros(3)
    for fn, ys in [(xlogy, [0.0, 1.0, 2.0]), (xdivy, [0.0, 1.0, 2.0]),
                   (xlog1py, [-1.0, 0.0, 2.0]), (divide_no_nan, [0.0, 0.0, 0.0])]:
        gx, gy = gradients(fn, zeros, np.array(ys))
        assert np.all(np.isfinite(gx)) and np.all(np.isfinite(gy)), fn.__name__
        np.testing.assert_array_equal(gy, 0.0)
    gx, gy = gradients(divide_no_nan, np.array([3.0]), np.array([0.0]))
    assert gx.tolist() == [0.0] and gy.tolist() == [0.0]
    gx, _ = gradients(multiply_no_nan, np.array([np.nan]), np.array([0.0]))
    assert gx.tolist() == [0.0]


def test_zero_safe_second_order_and_complex():
    x, y = R.standard_normal((3,)), _pos(3)
    check_grad(grad_of(xlogy), [x, y])
    check_grad(grad_of(divide_no_nan), [x, y])
    c = np.array([0.0, 1 + 1j, 2 - 1j], np.complex128)
    np.testing.assert_allclose(xlogy(c, c).numpy(), [0, (1 + 1j) * np.log(1 + 1j),
                                                     (2 - 1j) * np.log(2 - 1j)])
    with pytest.raises(DTypeError, match="xlogy: got int32 value \\[1, 2\\] for `x`"):
        xlogy([1, 2], [3, 4])


# --- scalar_mul, rint, zero_fraction ---------------------------------------------------------
def test_scalar_mul():
    check_op(lambda s, x: scalar_mul(s, x), lambda s, x: s * x,
             [np.array(1.5), R.standard_normal((2, 3))])
    assert scalar_mul(2, engine.constant([1, 2])).numpy().tolist() == [2, 4]
    with pytest.raises(ShapeError, match="scalar_mul: got a scalar of shape \\(2,\\)"):
        scalar_mul([1.0, 2.0], engine.ones([2]))
    traced = engine.function(lambda s, x: rint(scalar_mul(s, x)),
                             input_signature=[S([], F64), S([None], F64)])
    np.testing.assert_array_equal(traced(np.array(0.5), np.array([1.0, 3.0, 5.0])).numpy(),
                                  [0.0, 2.0, 2.0])


def test_rint_rounds_half_to_even():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6, 1e15 + 0.5])
    check_op(rint, np.rint, [x], grad=False)
    assert gradients(rint, x) == [None]
    with pytest.raises(DTypeError, match="rint: got input of dtype int32"):
        rint([1, 2])


def test_zero_fraction():
    x = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]])
    out = zero_fraction(x)
    assert out.dtype == engine.float32 and float(out) == pytest.approx(4 / 6)
    assert float(zero_fraction(np.zeros(5, np.int8))) == 1.0
    assert float(zero_fraction([True, False, False, False])) == 0.75
    assert np.isnan(float(zero_fraction(np.zeros((0, 3)))))
    traced = engine.function(zero_fraction, input_signature=[S([None], F64)])
    assert float(traced(np.array([0.0, 3.0]))) == 0.5


# --- bincount and confusion_matrix ---------------------------------------------------------
def _ref_bincount(arr, weights=None, minlength=None, maxlength=None):
    flat = arr.reshape(-1)
    size = max(int(flat.max()) + 1 if flat.size else 0, minlength or 0)
    size = size if maxlength is None else min(size, maxlength)
    keep = flat < size
    w = None if weights is None else weights.reshape(-1)[keep]
    return np.bincount(flat[keep], w, minlength=size)[:size]


def test_bincount_matches_numpy():
    arr = R.integers(0, 6, (4, 5)).astype(np.int32)
    for kw in [{}, {"minlength": 9}, {"maxlength": 3}, {"minlength": 4, "maxlength": 2}]:
        out = bincount(arr, **kw)
        assert out.dtype == engine.int32
        np.testing.assert_array_equal(out.numpy(), _ref_bincount(arr, **kw))
    weights = R.standard_normal((4, 5))
    check_op(lambda w: bincount(arr, w, maxlength=4),
             lambda w: _ref_bincount(arr, w, maxlength=4).astype(w.dtype), [weights])
    np.testing.assert_array_equal(bincount(arr, binary_output=True, dtype=engine.float32),
                                  (_ref_bincount(arr) > 0).astype(np.float32))
    assert bincount(np.zeros(0, np.int64)).shape == [0]
    assert bincount(np.zeros(0, np.int64), minlength=3).numpy().tolist() == [0, 0, 0]
    assert bincount(np.array([300, 0], np.uint16)).shape == [301]


def test_bincount_per_row():
    arr = R.integers(0, 5, (3, 4))
    rows = np.stack([np.bincount(r, minlength=5) for r in arr])
    np.testing.assert_array_equal(bincount(arr, axis=-1, minlength=5).numpy(), rows)
    w = R.standard_normal((3, 4))
    check_op(lambda w: bincount(arr, w, axis=-1, minlength=5),
             lambda w: np.stack([np.bincount(r, ww, minlength=5) for r, ww in zip(arr, w)]),
             [w])
    cube = R.integers(0, 3, (2, 2, 4))
    np.testing.assert_array_equal(bincount(cube, axis=-1).numpy()[1, 0],
                                  np.bincount(cube[1, 0], minlength=3))
    np.testing.assert_array_equal(bincount(arr, axis=-1, maxlength=2, binary_output=True),
                                  (rows[:, :2] > 0).astype(np.int32))


def test_bincount_traced():
    @engine.function(input_signature=[S([None, None], I32)])
    def per_row(arr):
        return bincount(arr, axis=-1, minlength=2)

    arr = np.array([[1, 1, 3], [0, 2, 2]], np.int32)
    np.testing.assert_array_equal(per_row(arr).numpy(), [[0, 2, 0, 1], [1, 0, 2, 0]])
    flat = engine.function(lambda a: bincount(a, maxlength=3), input_signature=[S([None], I32)])
    np.testing.assert_array_equal(flat(np.array([0, 5, 2, 2], np.int32)).numpy(), [1, 0, 2])


def test_bincount_errors():
    with pytest.raises(InvalidArgumentError, match="bincount: arr holds -1"):
        bincount([1, -1])
    with pytest.raises(InvalidArgumentError, match="bincount: got axis=1"):
        bincount([[1]], axis=1)
    with pytest.raises(InvalidArgumentError, match="weights and binary_output"):
        bincount([1], weights=[1.0], binary_output=True)
    with pytest.raises(ShapeError, match="bincount: got weights of shape \\(3,\\)"):
        bincount([1, 2], weights=[1.0, 2.0, 3.0])
    with pytest.raises(DTypeError, match="bincount: got arr of dtype float32"):
        bincount([1.0])


def test_confusion_matrix():
    labels, predictions = np.array([0, 2, 1, 2, 2]), np.array([0, 1, 1, 2, 0])
    expected = np.zeros((4, 4), np.int32)
    np.add.at(expected, (labels, predictions), 1)
    np.testing.assert_array_equal(confusion_matrix(labels, predictions, 4).numpy(), expected)
    np.testing.assert_array_equal(confusion_matrix(labels, predictions).numpy(),
                                  expected[:3, :3])
    weights = R.standard_normal(5)

    def ref(w):
        out = np.zeros((3, 3), w.dtype)
        np.add.at(out, (labels, predictions), w)
        return out

    check_op(lambda w: confusion_matrix(labels, predictions, weights=w, dtype=w.dtype), ref,
             [weights])
    traced = engine.function(lambda a, b: confusion_matrix(a, b),
                             input_signature=[S([None], I32), S([None], I32)])
    np.testing.assert_array_equal(traced(labels.astype(np.int32),
                                         predictions.astype(np.int32)).numpy(), expected[:3, :3])


def test_confusion_matrix_errors():
    with pytest.raises(ShapeError, match="confusion_matrix: got labels of shape \\(2,\\) and "
                                         "predictions of shape \\(3,\\)"):
        confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(ShapeError, match="weights of shape \\(1,\\)"):
        confusion_matrix([0, 1], [0, 1], weights=[1.0])
    with pytest.raises(InvalidArgumentError, match="confusion_matrix: predictions holds -2"):
        confusion_matrix([0, 1], [0, -2])
    with pytest.raises(InvalidArgumentError, match="labels holds 3; expected values < "
                                                   "num_classes=3"):
        confusion_matrix([0, 3], [0, 1], num_classes=3)
