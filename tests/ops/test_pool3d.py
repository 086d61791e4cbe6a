"""Tests for 3-D pooling: `engine.nn.max_pool3d`, `avg_pool3d`, the rank dispatchers and the
raw ops `MaxPool3D`, `MaxPool3DGrad`, `MaxPool3DGradGrad`, `AvgPool3D`, `AvgPool3DGrad`.

Forward results are checked against naive loops over the windows; gradients against
float64 central differences (inputs have distinct values, so max pooling has no ties).
"""

import itertools

import numpy as np
import pytest

import engine
from engine import nn
from engine.errors import ShapeError, UnimplementedError
from tests.opcheck import check_grad, check_op

RNG = np.random.default_rng(5)
RAW = engine.raw_ops


def ref_pool3d(x, k, strides, padding, kind):
    """Max or mean over each window's non-padded elements."""
    pads = [(0, 0)] * 3
    if padding == "SAME":
        for i in range(3):
            out = -(-x.shape[1 + i] // strides[i])
            total = max((out - 1) * strides[i] + k[i] - x.shape[1 + i], 0)
            pads[i] = (total // 2, total - total // 2)
    xp = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    out = [(xp.shape[1 + i] - k[i]) // strides[i] + 1 for i in range(3)]
    y = np.zeros((x.shape[0], *out, x.shape[4]))
    for p, q, r in itertools.product(*map(range, out)):
        window = xp[:, p * strides[0]:p * strides[0] + k[0], q * strides[1]:q * strides[1] + k[1],
                    r * strides[2]:r * strides[2] + k[2]]
        y[:, p, q, r] = np.nanmax(window, (1, 2, 3)) if kind == "max" else np.nanmean(
            window, (1, 2, 3))
    return y


def distinct(shape):
    return RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.1


def to_ncdhw(a):
    return np.transpose(a, (0, 4, 1, 2, 3))


POOL_CASES = [((2, 4, 4, 4, 3), (2, 2, 2), (2, 2, 2), "VALID"),
              ((1, 5, 6, 7, 2), (3, 3, 2), (2, 2, 2), "SAME"),
              ((1, 5, 4, 5, 1), (3, 2, 2), (1, 1, 2), "VALID"),
              ((2, 3, 5, 4, 2), (2, 3, 1), (2, 1, 3), "SAME")]


@pytest.mark.parametrize("xs,k,strides,padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool3d(xs, k, strides, padding, kind):
    x = distinct(xs)
    fn = nn.max_pool3d if kind == "max" else nn.avg_pool3d
    check_op(lambda x: fn(x, k, strides, padding),
             lambda x: ref_pool3d(x, k, strides, padding, kind), [x])
    check_op(lambda x: fn(x, [1, 1, *k], [1, 1, *strides], padding, data_format="NCDHW"),
             lambda x: to_ncdhw(ref_pool3d(np.transpose(x, (0, 2, 3, 4, 1)), k, strides,
                                           padding, kind)), [to_ncdhw(x)])


def test_max_pool3d_integers_and_padding_never_wins():
    x = -np.arange(27, dtype=np.int32).reshape(1, 3, 3, 3, 1)  # all <= 0: padding must lose
    y = nn.max_pool3d(x, 2, 2, "SAME")
    assert y.dtype == engine.int32
    np.testing.assert_array_equal(y.numpy(), ref_pool3d(x.astype(float), (2, 2, 2), (2, 2, 2),
                                                        "SAME", "max").astype(np.int32))


def test_avg_pool3d_does_not_count_padding():
    x = np.arange(27.0).reshape(1, 3, 3, 3, 1)  # values TensorFlow 2 gives for this input
    np.testing.assert_allclose(nn.avg_pool3d(x, 2, 2, "SAME").numpy().ravel(),
                               [6.5, 8.0, 11.0, 12.5, 20.0, 21.5, 24.5, 26.0])


def test_rank_dispatch():
    x = distinct((1, 4, 4, 4, 2))
    expected = ref_pool3d(x, (2, 2, 2), (2, 2, 2), "VALID", "max")
    np.testing.assert_allclose(nn.max_pool(x, 2, 2, "VALID").numpy(), expected)
    np.testing.assert_allclose(nn.pool(x, [2, 2, 2], "MAX", [2, 2, 2]).numpy(), expected)
    np.testing.assert_allclose(
        nn.avg_pool(to_ncdhw(x), 2, 2, "VALID", data_format="NCDHW").numpy(),
        to_ncdhw(ref_pool3d(x, (2, 2, 2), (2, 2, 2), "VALID", "avg")))
    assert nn.pool(x, [3, 3, 3], "AVG", padding="SAME").shape == [1, 4, 4, 4, 2]


def test_max_pool3d_ties_go_to_the_first_maximum():
    x = np.zeros((1, 2, 2, 2, 1))
    x[0, 0, 0, 0, 0] = x[0, 1, 1, 1, 0] = 1.0
    xt = engine.constant(x)
    with engine.GradientTape() as tape:
        tape.watch(xt)
        y = nn.max_pool3d(xt, 2, 2, "VALID")
    grad = tape.gradient(y, xt).numpy().ravel()
    np.testing.assert_array_equal(grad, [1, 0, 0, 0, 0, 0, 0, 0])


def test_max_pool3d_grad_ops_and_higher_orders():
    x = distinct((1, 5, 4, 5, 2))
    attrs = {"ksize": [1, 3, 2, 3, 1], "strides": [1, 2, 2, 2, 1], "padding": "SAME"}
    y = RAW.MaxPool3D(input=x, **attrs).numpy()
    xt, yt = engine.constant(x), engine.constant(y)
    # MaxPool3DGrad is linear in grad; MaxPool3DGradGrad is its adjoint; each the other's vjp
    check_grad(lambda g: RAW.MaxPool3DGrad(orig_input=xt, orig_output=yt, grad=g, **attrs),
               [RNG.standard_normal(y.shape)])
    check_grad(lambda g: RAW.MaxPool3DGradGrad(orig_input=xt, orig_output=yt, grad=g, **attrs),
               [RNG.standard_normal(x.shape)])
    dy, ddx = RNG.standard_normal(y.shape), RNG.standard_normal(x.shape)
    dx = RAW.MaxPool3DGrad(orig_input=xt, orig_output=yt, grad=dy, **attrs).numpy()
    gg = RAW.MaxPool3DGradGrad(orig_input=xt, orig_output=yt, grad=ddx, **attrs).numpy()
    np.testing.assert_allclose(np.sum(dx * ddx), np.sum(dy * gg))

    def second(x):  # the gradient of a function of max_pool3d's gradient
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = engine.reduce_sum(nn.max_pool3d(x, 3, 2, "SAME") ** 2)
        return tape.gradient(loss, x) ** 2

    check_grad(second, [x])


def test_avg_pool3d_grad_op():
    shape = (1, 4, 5, 3, 2)
    attrs = {"ksize": [1, 3, 3, 2, 1], "strides": [1, 2, 2, 1, 1], "padding": "SAME"}
    dy = RNG.standard_normal((1, 2, 3, 3, 2))

    def ref(g):  # d<avg_pool3d(x), g>/dx, one element at a time
        grad = np.zeros(shape)
        for idx in np.ndindex(*shape):
            e = np.zeros(shape)
            e[idx] = 1
            grad[idx] = np.sum(ref_pool3d(e, (3, 3, 2), (2, 2, 1), "SAME", "avg") * g)
        return grad

    check_op(lambda g: RAW.AvgPool3DGrad(orig_input_shape=shape, grad=g, **attrs), ref, [dy])


def test_pool3d_traced_with_unknown_sizes_equals_eager():
    x = distinct((2, 4, 5, 4, 2))
    signature = [engine.TensorSpec([None, None, 5, None, 2], engine.float64)]

    def grads(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = (engine.reduce_sum(nn.avg_pool3d(x, 2, 2, "SAME") ** 2)
                    + engine.reduce_sum(nn.max_pool3d(x, 2, 1, "VALID") ** 2))
        return tape.gradient(loss, x)

    traced = engine.function(grads, input_signature=signature)
    np.testing.assert_allclose(traced(engine.constant(x)).numpy(),
                               grads(engine.constant(x)).numpy(), rtol=1e-12)


def test_pool3d_errors_say_what_was_given_and_expected():
    x = engine.zeros([1, 4, 4, 4, 2])
    with pytest.raises(ShapeError, match=r"max_pool3d: got input of shape \(4, 4, 4, 2\).*"
                                          r"expected a 5-D input.*expand_dims"):
        nn.max_pool3d(engine.zeros([4, 4, 4, 2]), 2, 2, "VALID")
    with pytest.raises(ShapeError, match=r"avg_pool3d: got ksize \[2, 2\]; expected an int or "
                                          r"a list of 1, 3 or 5 ints"):
        nn.avg_pool3d(x, [2, 2], 2, "VALID")
    with pytest.raises(ShapeError, match="max_pool3d: got ksize .*batch or channel"):
        RAW.MaxPool3D(input=x, ksize=[2, 2, 2, 2, 1], strides=[1] * 5, padding="VALID")
    with pytest.raises(ShapeError, match="avg_pool3d: the window's height 5"):
        nn.avg_pool3d(x, [1, 5, 1], 1, "VALID")
    with pytest.raises(ShapeError, match="max_pool3d: got padding .*'SAME' or 'VALID'"):
        nn.max_pool3d(x, 2, 2, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(UnimplementedError, match="NCDHW"):
        RAW.AvgPool3D(input=x, ksize=[1] * 5, strides=[1] * 5, padding="VALID",
                      data_format="NCDHW")
    with pytest.raises(UnimplementedError, match=r"rank 5, NDHWC/NCDHW"):
        nn.max_pool(x, 2, 2, "VALID", data_format="NHWC")
    with pytest.raises(ShapeError, match="max_pool3d_grad: got grad of shape"):
        RAW.MaxPool3DGrad(orig_input=x, orig_output=engine.zeros([1, 2, 2, 2, 2]),
                          grad=engine.zeros([1, 3, 2, 2, 2]), ksize=[1, 2, 2, 2, 1],
                          strides=[1, 2, 2, 2, 1], padding="VALID")
