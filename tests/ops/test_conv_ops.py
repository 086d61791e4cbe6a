"""Tests for engine.nn convolutions and pooling and their registered gradient ops.

Forward results are checked against naive loop references written here from TF's
definitions (not against `conv_kernels`); gradients numerically in float64 on small shapes.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import nn
from engine.errors import ShapeError, UnimplementedError
from engine.registry import get
from tests.opcheck import check_grad, check_op

RNG = np.random.default_rng(0)
RAW = engine.raw_ops


# --- naive references -------------------------------------------------------------------------
def ref_pads(size, k, stride, dilation, padding):
    """TF's SAME/VALID rule for one axis; explicit pairs pass through."""
    if padding == "VALID":
        return (0, 0)
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
        return (total // 2, total - total // 2)
    return tuple(padding)


def spatial_pads(x_hw, k_hw, strides, dilations, padding):
    per_axis = (padding, padding) if isinstance(padding, str) else padding
    return [ref_pads(x_hw[a], k_hw[a], strides[a], dilations[a], per_axis[a]) for a in (0, 1)]


def ref_conv2d(x, w, strides, padding, dilations=(1, 1)):
    """y[n, i, j, o] = sum_{a, b, c} xpad[n, i*s + a*d, j*s + b*d, c] w[a, b, c, o]."""
    kh, kw, _, o = w.shape
    pads = spatial_pads(x.shape[1:3], (kh, kw), strides, dilations, padding)
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    oh = (xp.shape[1] - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    y = np.zeros((x.shape[0], oh, ow, o))
    for i, j, a, b in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        y[:, i, j] += xp[:, i * strides[0] + a * dilations[0],
                         j * strides[1] + b * dilations[1]] @ w[a, b]
    return y


def ref_conv2d_transpose(y, w, out_shape, strides, padding, dilations=(1, 1)):
    """The adjoint of `ref_conv2d`: scatter each output back over its window."""
    kh, kw = w.shape[:2]
    pads = spatial_pads(out_shape[1:3], (kh, kw), strides, dilations, padding)
    x = np.zeros((out_shape[0], out_shape[1] + sum(pads[0]), out_shape[2] + sum(pads[1]),
                  out_shape[3]))
    for i, j, a, b in itertools.product(range(y.shape[1]), range(y.shape[2]), range(kh),
                                        range(kw)):
        x[:, i * strides[0] + a * dilations[0], j * strides[1] + b * dilations[1]] += (
            y[:, i, j] @ w[a, b].T)
    return x[:, pads[0][0]:pads[0][0] + out_shape[1], pads[1][0]:pads[1][0] + out_shape[2]]


def ref_depthwise(x, w, strides, padding, dilations=(1, 1)):
    c, m = w.shape[2:]
    outs = [ref_conv2d(x[..., ci:ci + 1], w[:, :, ci:ci + 1, :], strides, padding, dilations)
            for ci in range(c)]
    return np.concatenate(outs, axis=-1)  # channel ci * m + mi


def ref_pool(x, k, strides, padding, kind):
    pads = spatial_pads(x.shape[1:3], k, strides, (1, 1), padding)
    fill = -np.inf if kind == "max" else np.nan
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=fill)
    oh = (xp.shape[1] - k[0]) // strides[0] + 1
    ow = (xp.shape[2] - k[1]) // strides[1] + 1
    y = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i, j in itertools.product(range(oh), range(ow)):
        window = xp[:, i * strides[0]:i * strides[0] + k[0], j * strides[1]:j * strides[1] + k[1]]
        y[:, i, j] = window.max((1, 2)) if kind == "max" else np.nanmean(window, (1, 2))
    return y


def to_nchw(a):
    return np.transpose(a, (0, 3, 1, 2))


def explicit(padding):
    return [[0, 0], list(padding[0]), list(padding[1]), [0, 0]]


# --- conv2d --------------------------------------------------------------------------------------
CONV_CASES = [
    # (x shape, w shape, strides, padding, dilations)
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), "VALID", (1, 1)),
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), "SAME", (1, 1)),
    ((1, 7, 6, 2), (3, 2, 2, 3), (2, 2), "SAME", (1, 1)),
    ((1, 7, 8, 2), (2, 3, 2, 3), (2, 3), "VALID", (1, 1)),
    ((2, 7, 7, 1), (3, 3, 1, 2), (1, 1), "SAME", (2, 2)),
    ((1, 8, 7, 2), (2, 2, 2, 2), (2, 1), "VALID", (2, 3)),
    ((1, 5, 5, 2), (3, 3, 2, 2), (1, 2), ((1, 2), (0, 1)), (1, 1)),
    ((3, 4, 4, 5), (1, 1, 5, 2), (1, 1), "VALID", (1, 1)),  # pointwise
    ((2, 6, 6, 4), (3, 3, 4, 3), (2, 2), "SAME", (1, 1)),  # >= 4 channels: blocked im2col
]


@pytest.mark.parametrize("xs,ws,strides,padding,dilations", CONV_CASES)
def test_conv2d(xs, ws, strides, padding, dilations):
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    pad_arg = padding if isinstance(padding, str) else explicit(padding)
    check_op(lambda x, w: nn.conv2d(x, w, strides, pad_arg, dilations=dilations),
             lambda x, w: ref_conv2d(x, w, strides, padding, dilations), [x, w])


@pytest.mark.parametrize("xs,ws,strides,padding,dilations", CONV_CASES[1:4])
def test_conv2d_nchw(xs, ws, strides, padding, dilations):
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    check_op(lambda x, w: nn.conv2d(x, w, [1, 1, *strides], padding, data_format="NCHW",
                                    dilations=[1, 1, *dilations]),
             lambda x, w: to_nchw(ref_conv2d(np.transpose(x, (0, 2, 3, 1)), w, strides,
                                             padding, dilations)),
             [to_nchw(x), w])


def test_conv2d_argument_forms():
    x, w = engine.constant(RNG.standard_normal((1, 6, 6, 2))), engine.ones([3, 3, 2, 1], "float64")
    a = nn.conv2d(x, w, 2, "SAME").numpy()
    for strides in ([2], [2, 2], [1, 2, 2, 1], (2, 2)):
        np.testing.assert_array_equal(nn.conv2d(x, w, strides, "same").numpy(), a)
    b = nn.conv2d(x, w, 1, [[1, 1], [1, 1]]).numpy()  # spatial pairs only
    np.testing.assert_array_equal(b, nn.conv2d(x, w, 1, "SAME").numpy())
    np.testing.assert_array_equal(nn.convolution(x, w, padding="SAME").numpy(), b)


def test_conv2d_second_order():
    x0, w = RNG.standard_normal((1, 5, 5, 2)), engine.constant(RNG.standard_normal((3, 3, 2, 2)))
    u = engine.constant(RNG.standard_normal((1, 5, 5, 2)))

    def grad_of(x, w):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            y = nn.conv2d(x, w, 2, "SAME")
            loss = engine.reduce_sum(y * y)
        gx, gw = tape.gradient(loss, [x, w])
        return engine.reduce_sum(gx * u) + engine.reduce_sum(gw * gw)

    check_grad(grad_of, [x0, w.numpy()])


# --- conv1d, transposed convolutions, depthwise ---------------------------------------------------
@pytest.mark.parametrize("stride,padding,dilation", [(1, "VALID", 1), (2, "SAME", 1),
                                                     (1, "SAME", 2), (2, [[0, 0], [2, 1], [0, 0]],
                                                                      1)])
def test_conv1d(stride, padding, dilation):
    x, w = RNG.standard_normal((2, 9, 3)), RNG.standard_normal((3, 3, 4))
    pad2 = padding if isinstance(padding, str) else ((0, 0), tuple(padding[1]))

    def ref(x, w):
        return ref_conv2d(x[:, None], w[None], (1, stride), pad2, (1, dilation))[:, 0]

    check_op(lambda x, w: nn.conv1d(x, w, stride, padding, dilations=dilation), ref, [x, w])
    ncw_padding = padding if isinstance(padding, str) else [[0, 0], [0, 0], padding[1]]
    check_op(lambda x, w: nn.conv1d(x, w, stride, ncw_padding, data_format="NCW",
                                    dilations=dilation),
             lambda x, w: np.transpose(ref(np.transpose(x, (0, 2, 1)), w), (0, 2, 1)),
             [np.transpose(x, (0, 2, 1)), w], grad=False)


TRANSPOSE_CASES = [((2, 3, 3, 4), (3, 3, 2, 4), (2, 6, 6, 2), (2, 2), "SAME", (1, 1)),
                   ((1, 4, 3, 2), (3, 2, 3, 2), (1, 6, 4, 3), (1, 1), "VALID", (1, 1)),
                   ((1, 3, 4, 2), (2, 2, 1, 2), (1, 7, 8, 1), (2, 2), "VALID", (1, 1)),
                   ((1, 5, 5, 2), (3, 3, 1, 2), (1, 5, 5, 1), (1, 1), "SAME", (2, 2))]


@pytest.mark.parametrize("ys,ws,out,strides,padding,dilations", TRANSPOSE_CASES)
def test_conv2d_transpose(ys, ws, out, strides, padding, dilations):
    y, w = RNG.standard_normal(ys), RNG.standard_normal(ws)
    check_op(lambda y, w: nn.conv2d_transpose(y, w, out, strides, padding, dilations=dilations),
             lambda y, w: ref_conv2d_transpose(y, w, out, strides, padding, dilations), [y, w])
    # conv2d_transpose is the adjoint of conv2d: <conv2d(x, w), y> == <x, conv2d_t(y, w)>
    x = RNG.standard_normal(out)
    lhs = np.sum(nn.conv2d(x, w, strides, padding, dilations=dilations).numpy() * y)
    rhs = np.sum(x * nn.conv2d_transpose(y, w, out, strides, padding,
                                         dilations=dilations).numpy())
    np.testing.assert_allclose(lhs, rhs)


def test_conv_transpose_nchw_and_1d():
    y, w = RNG.standard_normal((2, 3, 3, 4)), RNG.standard_normal((3, 3, 2, 4))
    expected = ref_conv2d_transpose(y, w, (2, 6, 6, 2), (2, 2), "SAME")
    got = nn.conv2d_transpose(to_nchw(y), w, [2, 2, 6, 6], 2, "SAME", data_format="NCHW")
    np.testing.assert_allclose(got.numpy(), to_nchw(expected))
    y1, w1 = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((3, 2, 3))
    check_op(lambda y, w: nn.conv1d_transpose(y, w, [2, 8, 2], 2),
             lambda y, w: ref_conv2d_transpose(y[:, None], w[None], (2, 1, 8, 2), (1, 2),
                                               "SAME")[:, 0], [y1, w1])


DEPTHWISE_CASES = [((2, 5, 5, 3), (3, 3, 3, 2), (1, 1), "SAME", (1, 1)),
                   ((1, 7, 6, 2), (2, 3, 2, 1), (2, 2), "VALID", (1, 1)),
                   ((1, 7, 7, 2), (3, 3, 2, 3), (1, 1), "SAME", (2, 2))]


@pytest.mark.parametrize("xs,ws,strides,padding,dilations", DEPTHWISE_CASES)
def test_depthwise_conv2d(xs, ws, strides, padding, dilations):
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    check_op(lambda x, w: nn.depthwise_conv2d(x, w, [1, *strides, 1], padding,
                                              dilations=dilations),
             lambda x, w: ref_depthwise(x, w, strides, padding, dilations), [x, w])


def test_separable_conv2d():
    x, dw, pw = (RNG.standard_normal(s) for s in ((1, 5, 5, 2), (3, 3, 2, 2), (1, 1, 4, 3)))
    check_op(lambda x, d, p: nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "SAME"),
             lambda x, d, p: ref_conv2d(ref_depthwise(x, d, (1, 1), "SAME"), p, (1, 1), "VALID"),
             [x, dw, pw])


# --- the gradient ops as ops: forward against the reference, and their own gradients ----------
def test_conv_backprop_ops():
    x, w = RNG.standard_normal((2, 6, 5, 3)), RNG.standard_normal((3, 2, 3, 4))
    attrs = {"strides": [1, 2, 1, 1], "padding": "SAME"}
    dy = RNG.standard_normal(ref_conv2d(x, w, (2, 1), "SAME").shape)
    check_op(lambda w, dy: RAW.Conv2DBackpropInput(input_sizes=x.shape, filter=w,
                                                   out_backprop=dy, **attrs),
             lambda w, dy: ref_conv2d_transpose(dy, w, x.shape, (2, 1), "SAME"), [w, dy])

    def ref_filter(x, dy):  # d<conv2d(x, w), dy>/dw, one tap at a time
        grad = np.zeros(w.shape)
        for idx in np.ndindex(*w.shape):
            e = np.zeros(w.shape)
            e[idx] = 1
            grad[idx] = np.sum(ref_conv2d(x, e, (2, 1), "SAME") * dy)
        return grad

    check_op(lambda x, dy: RAW.Conv2DBackpropFilter(input=x, filter_sizes=w.shape,
                                                    out_backprop=dy, **attrs),
             ref_filter, [x, dy])


def test_depthwise_backprop_ops_gradients():
    x, w = RNG.standard_normal((1, 5, 5, 2)), RNG.standard_normal((3, 3, 2, 2))
    dy = RNG.standard_normal((1, 3, 3, 4))
    attrs = {"strides": [1, 2, 2, 1], "padding": "SAME"}
    check_grad(lambda w, dy: RAW.DepthwiseConv2dNativeBackpropInput(
        input_sizes=x.shape, filter=w, out_backprop=dy, **attrs), [w, dy])
    check_grad(lambda x, dy: RAW.DepthwiseConv2dNativeBackpropFilter(
        input=x, filter_sizes=w.shape, out_backprop=dy, **attrs), [x, dy])


# --- pooling -------------------------------------------------------------------------------------
POOL_CASES = [((2, 4, 4, 3), (2, 2), (2, 2), "VALID"),
              ((1, 5, 7, 2), (3, 3), (2, 2), "SAME"),
              ((1, 5, 5, 1), (3, 2), (1, 1), "VALID"),
              ((2, 5, 4, 2), (2, 3), (2, 1), ((1, 0), (1, 2)))]


@pytest.mark.parametrize("xs,k,strides,padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d(xs, k, strides, padding, kind):
    x = RNG.permutation(np.prod(xs)).reshape(xs) * 0.1  # distinct values: no ties
    fn = nn.max_pool2d if kind == "max" else nn.avg_pool2d
    pad_arg = padding if isinstance(padding, str) else explicit(padding)
    check_op(lambda x: fn(x, k, strides, pad_arg), lambda x: ref_pool(x, k, strides, padding,
                                                                      kind), [x])
    check_op(lambda x: fn(x, [1, 1, *k], [1, 1, *strides], padding if isinstance(
        padding, str) else [[0, 0], [0, 0], *explicit(padding)[1:3]], data_format="NCHW"),
             lambda x: to_nchw(ref_pool(np.transpose(x, (0, 2, 3, 1)), k, strides, padding,
                                        kind)), [to_nchw(x)], grad=False)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d_and_generic(kind):
    x = RNG.permutation(30).reshape(2, 5, 3) * 0.1
    fn1 = nn.max_pool1d if kind == "max" else nn.avg_pool1d
    generic = nn.max_pool if kind == "max" else nn.avg_pool

    def ref(x):
        return ref_pool(x[:, None], (1, 2), (1, 2), "SAME", kind)[:, 0]

    check_op(lambda x: fn1(x, 2, 2, "SAME"), ref, [x])
    np.testing.assert_allclose(generic(x, 2, 2, "SAME").numpy(), ref(x))
    np.testing.assert_allclose(nn.pool(x, [2], kind.upper(), [2], "SAME").numpy(), ref(x))
    x4 = x[:, :, :, None]
    np.testing.assert_allclose(generic(x4, [2, 1], [2, 1], "VALID").numpy(),
                               ref_pool(x4, (2, 1), (2, 1), "VALID", kind))


def test_max_pool_grad_ops_and_higher_orders():
    x = RNG.permutation(50).reshape(1, 5, 5, 2) * 0.1
    attrs = {"ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}
    y = RAW.MaxPool(input=x, **attrs).numpy()
    xt, yt = engine.constant(x), engine.constant(y)
    # MaxPoolGrad is linear in grad; MaxPoolGradGrad is its adjoint; each is the other's vjp
    check_grad(lambda g: RAW.MaxPoolGrad(orig_input=xt, orig_output=yt, grad=g, **attrs),
               [RNG.standard_normal(y.shape)])
    check_grad(lambda g: RAW.MaxPoolGradGrad(orig_input=xt, orig_output=yt, grad=g, **attrs),
               [RNG.standard_normal(x.shape)])
    dy, ddx = RNG.standard_normal(y.shape), RNG.standard_normal(x.shape)
    dx = RAW.MaxPoolGrad(orig_input=xt, orig_output=yt, grad=dy, **attrs).numpy()
    gg = RAW.MaxPoolGradGrad(orig_input=xt, orig_output=yt, grad=ddx, **attrs).numpy()
    np.testing.assert_allclose(np.sum(dx * ddx), np.sum(dy * gg))

    def second(x):  # the gradient of a function of max_pool's gradient
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = engine.reduce_sum(nn.max_pool2d(x, 3, 2, "SAME") ** 2)
        return tape.gradient(loss, x) ** 2

    check_grad(second, [x])


def test_avg_pool_grad_op():
    dy = RNG.standard_normal((1, 3, 4, 2))
    attrs = {"ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}
    check_op(lambda g: RAW.AvgPoolGrad(orig_input_shape=[1, 5, 7, 2], grad=g, **attrs),
             lambda g: _avg_pool_grad_ref(g, (1, 5, 7, 2), attrs), [dy])


def _avg_pool_grad_ref(g, shape, attrs):
    grad = np.zeros(shape)
    for idx in np.ndindex(*shape):
        e = np.zeros(shape)
        e[idx] = 1
        grad[idx] = np.sum(ref_pool(e, (3, 3), (2, 2), "SAME", "avg") * g)
    return grad


# --- errors ------------------------------------------------------------------------------------
def test_conv2d_channel_mismatch_names_op_and_counts():
    with pytest.raises(ShapeError, match=r"conv2d: the input has 3 channels .* expects 4 input"):
        nn.conv2d(engine.zeros([1, 5, 5, 3]), engine.zeros([3, 3, 4, 2]), 1, "SAME")
    with pytest.raises(ShapeError, match=r"conv1d: the input has 3 channels .* expect 2"):
        nn.conv1d(engine.zeros([1, 5, 3]), engine.zeros([3, 2, 2]), 1, "SAME")
    with pytest.raises(ShapeError, match=r"depthwise_conv2d: the input has 3 channels"):
        nn.depthwise_conv2d(engine.zeros([1, 5, 5, 3]), engine.zeros([3, 3, 2, 2]), 1, "SAME")


def test_conv_and_pool_shape_errors():
    x = engine.zeros([1, 4, 4, 2])
    with pytest.raises(ShapeError, match="conv2d: got input of shape .* expected a 4-D input"):
        nn.conv2d(engine.zeros([4, 4, 2]), engine.zeros([3, 3, 2, 2]), 1, "SAME")
    with pytest.raises(ShapeError, match=r"conv2d: the window's height 5 .* padded input"):
        nn.conv2d(x, engine.zeros([5, 1, 2, 2]), 1, "VALID")
    with pytest.raises(ShapeError, match="padding 'FULL'"):
        nn.conv2d(x, engine.zeros([1, 1, 2, 2]), 1, "FULL")
    with pytest.raises(ShapeError, match="batch and channel"):
        nn.conv2d(x, engine.zeros([1, 1, 2, 2]), [2, 1, 1, 1], "SAME")
    with pytest.raises(ShapeError, match="conv2d_backprop_input.*output_shape"):
        nn.conv2d_transpose(engine.zeros([1, 3, 3, 2]), engine.zeros([3, 3, 1, 2]),
                            [1, 9, 9, 1], 2, "SAME")
    with pytest.raises(ShapeError, match="max_pool2d: explicit padding"):
        nn.max_pool2d(x, 2, 1, [[0, 0], [2, 0], [0, 0], [0, 0]])
    with pytest.raises(ShapeError, match="avg_pool2d: the window's width 5"):
        nn.avg_pool2d(x, [1, 5], 1, "VALID")
    with pytest.raises(ShapeError, match="max_pool1d: got input of shape"):
        nn.max_pool1d(x, 2, 2, "VALID")
    with pytest.raises(UnimplementedError, match="NCHW"):
        RAW.Conv2D(input=x, filter=engine.zeros([1, 1, 4, 2]), strides=[1, 1, 1, 1],
                   padding="VALID", data_format="NCHW")
    with pytest.raises(UnimplementedError, match="max_pool"):
        nn.max_pool(engine.zeros([1, 2, 2, 2, 2, 1]), 2, 2, "VALID")  # rank 6
    with pytest.raises(ValueError, match="data_format"):
        nn.conv2d(x, engine.zeros([1, 1, 2, 2]), 1, "SAME", data_format="NWHC")


def test_infer_with_unknown_dimensions():
    spec, f32 = engine.TensorSpec, engine.float32
    conv = {"strides": (1, 2, 2, 1), "padding": "SAME", "explicit_paddings": (),
            "data_format": "NHWC", "dilations": (1, 1, 1, 1)}
    out = get("Conv2D").infer(spec([None, 7, None, 3], f32), spec([3, 3, 3, 8], f32), **conv)
    assert out.shape.as_list() == [None, 4, None, 8]
    assert get("Conv2D").infer(spec(None, f32), spec(None, f32), **conv).shape.rank == 4
    out = get("DepthwiseConv2dNative").infer(spec([2, 7, 7, None], f32),
                                             spec([3, 3, 3, 2], f32), **conv)
    assert out.shape.as_list() == [2, 4, 4, 6]
    out = get("Conv2DBackpropInput").infer(spec([3, 3, 3, 8], f32), spec([None, 4, 4, 8], f32),
                                           input_sizes=(5, 7, 8, 3), **conv)
    assert out.shape.as_list() == [5, 7, 8, 3]
    pool = {"ksize": (1, 2, 2, 1), "strides": (1, 2, 2, 1), "padding": "VALID"}
    assert get("MaxPool").infer(spec([None, 5, None, 2], f32), **pool).shape.as_list() == [
        None, 2, None, 2]
    out = get("MaxPoolGrad").infer(spec([None, 4, 4, 2], f32), spec([None, 2, 2, 2], f32),
                                   spec([None, None, 2, 2], f32), **pool)
    assert out.shape.as_list() == [None, 4, 4, 2]
    with pytest.raises(ShapeError, match="conv2d: the input has 3 channels"):
        get("Conv2D").infer(spec([None, None, None, 3], f32), spec([3, 3, 4, 8], f32), **conv)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), k=st.integers(1, 3), s=st.integers(1, 3),
       d=st.integers(1, 2), same=st.booleans(), c=st.integers(1, 5))
def test_conv2d_matches_reference_for_any_geometry(h, w, k, s, d, same, c):
    padding = "SAME" if same else "VALID"
    if not same and (k - 1) * d + 1 > min(h, w):
        return  # the window does not fit; the error path is tested above
    rng = np.random.default_rng(h * 100 + w * 10 + k)
    x, f = rng.standard_normal((2, h, w, c)), rng.standard_normal((k, k, c, 2))
    got = nn.conv2d(x, f, s, padding, dilations=d).numpy()
    np.testing.assert_allclose(got, ref_conv2d(x, f, (s, s), padding, (d, d)), atol=1e-12)
    pooled = nn.max_pool2d(x, k, s, padding).numpy()
    np.testing.assert_allclose(pooled, ref_pool(x, (k, k), (s, s), padding, "max"))


def test_variables_get_gradients():
    """Variables reach the tape through NHWC, NCHW and 1-D paths (none is converted)."""
    x = engine.constant(RNG.standard_normal((2, 6, 6, 3)).astype(np.float32))
    w = engine.Variable(RNG.standard_normal((3, 3, 3, 4)).astype(np.float32))
    w_nchw = engine.Variable(RNG.standard_normal((3, 3, 4, 3)).astype(np.float32))
    w_1d = engine.Variable(RNG.standard_normal((3, 3, 2)).astype(np.float32))
    with engine.GradientTape() as tape:
        h = nn.max_pool2d(nn.relu(nn.conv2d(x, w, 1, "SAME")), 2, 2, "VALID")  # (2, 3, 3, 4)
        h = nn.conv2d(engine.transpose(h, (0, 3, 1, 2)), w_nchw, 1, "SAME",
                      data_format="NCHW")  # (2, 3, 3, 3)
        y = nn.conv1d(engine.reshape(h, (2, 9, 3)), w_1d, 1, "SAME")
        loss = engine.reduce_sum(y)
    grads = tape.gradient(loss, [w, w_nchw, w_1d])
    assert [g.shape for g in grads] == [(3, 3, 3, 4), (3, 3, 4, 3), (3, 3, 2)]


def test_vjps_skip_inputs_the_tape_does_not_need():
    """With `needs_input_grad` on the context (when the tape provides it), no dx."""
    from types import SimpleNamespace

    x = engine.constant(RNG.standard_normal((1, 4, 4, 2)))
    w = engine.constant(RNG.standard_normal((3, 3, 2, 2)))
    op = get("Conv2D")
    attrs = {"strides": (1, 1, 1, 1), "padding": "SAME", "explicit_paddings": (),
             "data_format": "NHWC", "dilations": (1, 1, 1, 1)}
    y = RAW.Conv2D(input=x, filter=w, **attrs)
    ctx = SimpleNamespace(op=op, inputs=(x, w), outputs=(y,), attrs=attrs,
                          needs_input_grad=(False, True))
    dx, dw = op.vjp(ctx, engine.ones_like(y))
    assert dx is None and dw.shape == (3, 3, 2, 2)


def test_conv_then_valid_pool_gradients_with_a_zero_border():
    """W3's second layer in small: the 2x2 VALID pool of a 7x7 map never reads its last row
    and column, so the convolutions' backprops see a zero gradient border and skip it (the
    patches, 3*3*8 deep, are deep enough); gradients still match finite differences, eager
    and traced."""
    x = RNG.standard_normal((2, 9, 9, 8))
    w = RNG.standard_normal((3, 3, 8, 5))

    def layer(x, w):
        return nn.max_pool2d(nn.relu(nn.conv2d(x, w, 1, "VALID")), 2, 2, "VALID")  # (2, 3, 3, 5)

    check_grad(layer, [x, w])
    xt, wt = engine.constant(x), engine.Variable(w)

    def grads(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = engine.reduce_sum(layer(x, wt) ** 2)
        return tape.gradient(loss, [x, wt])

    eager = grads(xt)
    traced = engine.function(grads)(xt)
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    assert not eager[0].numpy()[:, -1].any()  # the input's last row reached no output
