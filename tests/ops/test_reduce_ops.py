"""Reductions: forward against NumPy, gradients numerically."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine import registry
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(7)


def _any(*shape):
    return R.standard_normal(shape)


def _pos(*shape):
    return R.uniform(0.5, 1.5, shape)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _euclid(x, axis=None, keepdims=False):
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


REDUCTIONS = [
    ("reduce_sum", engine.reduce_sum, np.sum, _any),
    ("reduce_mean", engine.reduce_mean, np.mean, _any),
    ("reduce_max", engine.reduce_max, np.max, _any),
    ("reduce_min", engine.reduce_min, np.min, _any),
    ("reduce_prod", engine.reduce_prod, np.prod, _pos),
    ("reduce_logsumexp", engine.reduce_logsumexp, _logsumexp, _any),
    ("reduce_variance", engine.math.reduce_variance, np.var, _any),
    ("reduce_std", engine.math.reduce_std, np.std, _any),
    ("reduce_euclidean_norm", engine.math.reduce_euclidean_norm, _euclid, _any),
]
AXES = [None, 0, -1, (0, 2), (2, 0, 1)]


@pytest.mark.parametrize("name,fn,ref,gen", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, fn, ref, gen, axis, keepdims):
    check_op(fn, ref, [gen(2, 3, 4)], kwargs={"axis": axis, "keepdims": keepdims})


@pytest.mark.parametrize("name,fn,ref,gen", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions_of_scalars_and_empty_axes(name, fn, ref, gen):
    grad = name != "reduce_std"  # the std of one value is 0, where sqrt has no gradient
    check_op(fn, ref, [gen()], grad=grad)
    check_op(fn, ref, [gen(3, 2)], kwargs={"axis": ()}, grad=grad)


def test_math_namespace_shares_the_functions():
    for name in ("reduce_sum", "reduce_max", "reduce_prod", "reduce_logsumexp", "argmax",
                 "cumsum"):
        assert getattr(engine.math, name) is getattr(engine, name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_is_bit_for_bit_numpys_mean(dtype):
    # The CPU kernel runs np.mean's sum and division itself (a fast path): same bits.
    r = np.random.default_rng(5)
    for shape in [(1,), (64,), (100_000,), (128, 784), (4, 5, 6)]:
        x = (r.standard_normal(shape) * 10.0 ** r.uniform(-3, 3, shape)).astype(dtype)
        x.flat[0] = np.inf if shape == (64,) else x.flat[0]
        for axis in [None, *range(len(shape)), tuple(range(len(shape)))]:
            for keepdims in (False, True):
                got = engine.reduce_mean(x, axis=axis, keepdims=keepdims).numpy()
                want = np.mean(x, axis=axis, keepdims=keepdims)
                assert got.dtype == dtype and got.shape == np.shape(want)
                np.testing.assert_array_equal(got, want, err_msg=f"{shape} {axis} {keepdims}")


def test_integer_reductions_keep_their_dtype():
    x = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    for fn, ref in [(engine.reduce_sum, np.sum), (engine.reduce_prod, np.prod),
                    (engine.reduce_max, np.max), (engine.reduce_min, np.min)]:
        out = fn(engine.constant(x), axis=1)
        assert out.dtype is engine.int32
        np.testing.assert_array_equal(out.numpy(), ref(x, axis=1))
    assert engine.reduce_mean(engine.constant([1, 2], engine.int32)).numpy() == 1
    assert engine.math.reduce_euclidean_norm(engine.constant([[1, 2, 3], [1, 1, 1]])) == 4


def test_max_and_min_split_the_gradient_among_ties():
    x = engine.constant([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0]])
    for fn in (engine.reduce_max, lambda t, axis: engine.reduce_min(-t, axis)):
        with engine.GradientTape() as tape:
            tape.watch(x)
            y = fn(x, axis=1)
        sign = 1 if fn is engine.reduce_max else -1
        np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                                   sign * np.array([[0, 0.5, 0.5, 0], [0.25] * 4]))


def test_empty_max_gives_the_lowest_value():
    assert engine.reduce_max(engine.zeros([0, 3]), 0).numpy().tolist() == [-np.inf] * 3
    assert engine.reduce_min(engine.zeros([0], engine.int32)).numpy() == np.iinfo(np.int32).max


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)], ids=str)
def test_prod_gradient_is_exact_with_zeros(axis):
    # A product is a polynomial: central differences are exact, zeros included.
    for x in ([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.5, 2.0, -1.0]]):
        grads = check_grad(engine.reduce_prod, [np.array(x)], {"axis": axis})
        assert np.all(np.isfinite(grads[0].numpy()))
    x = engine.constant([0.0, 2.0, 3.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.reduce_prod(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [6.0, 0.0, 0.0])


def test_logsumexp_is_stable():
    big = engine.constant([1000.0, 1000.0])
    np.testing.assert_allclose(engine.reduce_logsumexp(big).numpy(), 1000 + np.log(2))
    small = engine.constant([-1000.0, -1000.0])
    np.testing.assert_allclose(engine.reduce_logsumexp(small).numpy(), -1000 + np.log(2))
    inf = engine.constant([[-np.inf, -np.inf], [np.inf, 0.0]])
    with np.errstate(divide="ignore"):  # log(0) = -inf, as in TF
        out = engine.reduce_logsumexp(inf, axis=1)
    assert out.numpy().tolist() == [-np.inf, np.inf]
    check_grad(engine.reduce_logsumexp, [np.array([500.0, 501.0, 499.0])])


def test_euclidean_norm_gradient_is_zero_at_zero():
    x = engine.constant([[0.0, 0.0], [3.0, 4.0]])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.math.reduce_euclidean_norm(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 0], [0.6, 0.8]])


def test_any_all():
    x = np.array([[True, False, False], [True, True, True]])
    for fn, ref in [(engine.reduce_any, np.any), (engine.reduce_all, np.all)]:
        for axis in (None, 0, 1, (0, 1)):
            for keepdims in (False, True):
                check_op(fn, ref, [x], {"axis": axis, "keepdims": keepdims}, grad=False)


def test_count_nonzero():
    x = np.array([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])
    for axis in (None, 0, 1):
        out = engine.math.count_nonzero(engine.constant(x), axis=axis)
        assert out.dtype is engine.int64
        np.testing.assert_array_equal(out.numpy(), np.count_nonzero(x, axis=axis))
    kept = engine.math.count_nonzero(engine.constant(x), 1, keepdims=True, dtype=engine.int32)
    assert kept.dtype is engine.int32 and kept.shape == (2, 1)
    assert engine.math.count_nonzero(engine.constant([True, False, True])).numpy() == 2
    assert engine.math.count_nonzero(engine.constant(["a", "", "b"])).numpy() == 2


def test_second_order_gradients():
    x = _pos(3, 4)
    check_grad(grad_of(lambda t: engine.reduce_logsumexp(t * t, axis=1)), [x])
    check_grad(grad_of(lambda t: engine.reduce_prod(t, axis=0) ** 2), [x])
    check_grad(grad_of(lambda t: engine.math.reduce_std(t, axis=1) ** 3), [x])


# --- shape inference with unknown dimensions --------------------------------------------
def test_infer_with_unknown_dims():
    spec = engine.TensorSpec([None, 3, None], engine.float32)
    out = registry.get("Sum").infer(spec, axis=(1,), keepdims=False)
    assert out.shape.as_list() == [None, None] and out.dtype is engine.float32
    out = registry.get("Max").infer(spec, axis=(-1,), keepdims=True)
    assert out.shape.as_list() == [None, 3, 1]
    assert registry.get("Prod").infer(engine.TensorSpec(None, engine.float32),
                                      axis=(0,), keepdims=False).shape.rank is None
    out = registry.get("Any").infer(engine.TensorSpec([None, 2], engine.bool), axis=None,
                                    keepdims=False)
    assert out.shape.as_list() == [] and out.dtype is engine.bool


# --- errors ----------------------------------------------------------------------------------
def test_errors_name_the_op():
    x = engine.zeros([2, 3])
    with pytest.raises(ShapeError, match="reduce_sum: axis 2 is out of range"):
        engine.reduce_sum(x, axis=2)
    with pytest.raises(ShapeError, match="reduce_max"):
        engine.reduce_max(x, axis=[0, -2])
    with pytest.raises(DTypeError, match="reduce_any"):
        engine.reduce_any(x)
    with pytest.raises(DTypeError, match="reduce_max"):
        engine.reduce_max(engine.constant([True]))
    with pytest.raises(DTypeError, match="reduce_variance.*int32"):
        engine.math.reduce_variance(engine.constant([1, 2]))
    with pytest.raises(DTypeError, match="reduce_logsumexp"):
        engine.reduce_logsumexp(engine.constant([1, 2]))


def test_raw_ops():
    x = engine.constant([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    np.testing.assert_array_equal(engine.raw_ops.Max(input=x, axis=[1], keep_dims=True),
                                  [[5.0], [6.0]])
    np.testing.assert_array_equal(engine.raw_ops.Sum(input=x, axis=engine.constant(0)),
                                  [5.0, 8.0, 8.0])
    np.testing.assert_allclose(engine.raw_ops.EuclideanNorm(input=x, axis=(0, 1)),
                               np.sqrt(91.0))


# --- hypothesis: shapes and axes ---------------------------------------------------------
@st.composite
def _array_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    rank = len(shape)
    axes = draw(st.none() | st.lists(st.integers(-rank, rank - 1), unique_by=lambda a: a % rank,
                                     max_size=rank) if rank else st.none())
    return x, None if axes is None else tuple(axes), draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(_array_and_axes())
def test_reductions_match_numpy_on_any_shape(case):
    x, axis, keepdims = case
    for fn, ref in [(engine.reduce_sum, np.sum), (engine.reduce_max, np.max),
                    (engine.reduce_prod, np.prod), (engine.reduce_mean, np.mean)]:
        out = fn(engine.constant(x), axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(out.numpy(), ref(x, axis=axis, keepdims=keepdims),
                                   rtol=1e-12, atol=1e-12)
