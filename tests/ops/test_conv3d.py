"""Tests for the 3-D convolutions: `engine.nn.conv3d`, `conv3d_transpose` and their raw ops.

Forward results are checked against naive loops written here from TF's definitions (not
against `conv3d_kernels`), gradients against float64 central differences on small shapes.
"""

import itertools

import numpy as np
import pytest

import engine
from engine import nn
from engine.errors import ShapeError, UnimplementedError
from engine.registry import get
from tests.opcheck import check_grad, check_op

RNG = np.random.default_rng(3)
RAW = engine.raw_ops


# --- naive references -------------------------------------------------------------------------
def ref_pads(size, k, stride, dilation, padding):
    """TF's SAME/VALID rule for one axis."""
    if padding == "VALID":
        return (0, 0)
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return (total // 2, total - total // 2)


def ref_conv3d(x, w, strides, padding, dilations=(1, 1, 1)):
    """y[n, p, q, r, o] = sum xpad[n, p*s + a*d, q*s + b*d, r*s + c*d, :] @ w[a, b, c]."""
    k = w.shape[:3]
    pads = [ref_pads(x.shape[1 + i], k[i], strides[i], dilations[i], padding) for i in range(3)]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out = [(xp.shape[1 + i] - (k[i] - 1) * dilations[i] - 1) // strides[i] + 1 for i in range(3)]
    y = np.zeros((x.shape[0], *out, w.shape[4]))
    for p, q, r, a, b, c in itertools.product(*map(range, out), *map(range, k)):
        y[:, p, q, r] += xp[:, p * strides[0] + a * dilations[0], q * strides[1] + b * dilations[1],
                            r * strides[2] + c * dilations[2]] @ w[a, b, c]
    return y


def ref_conv3d_transpose(y, w, out_shape, strides, padding, dilations=(1, 1, 1)):
    """The adjoint of `ref_conv3d`: scatters each output back over its window."""
    k = w.shape[:3]
    pads = [ref_pads(out_shape[1 + i], k[i], strides[i], dilations[i], padding)
            for i in range(3)]
    x = np.zeros((out_shape[0], *(out_shape[1 + i] + sum(pads[i]) for i in range(3)),
                  out_shape[4]))
    for p, q, r, a, b, c in itertools.product(*map(range, y.shape[1:4]), *map(range, k)):
        x[:, p * strides[0] + a * dilations[0], q * strides[1] + b * dilations[1],
          r * strides[2] + c * dilations[2]] += y[:, p, q, r] @ w[a, b, c].T
    return x[:, pads[0][0]:pads[0][0] + out_shape[1], pads[1][0]:pads[1][0] + out_shape[2],
             pads[2][0]:pads[2][0] + out_shape[3]]


def to_ncdhw(a):
    return np.transpose(a, (0, 4, 1, 2, 3))


def to_ndhwc(a):
    return np.transpose(a, (0, 2, 3, 4, 1))


# --- conv3d -----------------------------------------------------------------------------------
CONV_CASES = [
    # (x shape, w shape, strides, padding, dilations)
    ((2, 4, 5, 3, 2), (3, 2, 2, 2, 3), (1, 1, 1), "VALID", (1, 1, 1)),
    ((1, 5, 4, 6, 3), (3, 2, 3, 3, 2), (2, 1, 2), "SAME", (1, 1, 1)),
    ((1, 6, 5, 5, 1), (2, 2, 2, 1, 2), (1, 2, 1), "SAME", (2, 1, 2)),
    ((1, 7, 6, 5, 2), (2, 3, 2, 2, 2), (1, 1, 1), "VALID", (3, 2, 2)),
    ((2, 5, 5, 4, 4), (1, 1, 1, 4, 3), (2, 2, 2), "VALID", (1, 1, 1)),  # pointwise, strided
    ((1, 4, 4, 4, 5), (2, 2, 2, 5, 2), (3, 3, 3), "SAME", (1, 1, 1)),  # stride > kernel
]


@pytest.mark.parametrize("xs,ws,strides,padding,dilations", CONV_CASES)
def test_conv3d(xs, ws, strides, padding, dilations):
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    check_op(lambda x, w: nn.conv3d(x, w, strides, padding, dilations=dilations),
             lambda x, w: ref_conv3d(x, w, strides, padding, dilations), [x, w])


@pytest.mark.parametrize("xs,ws,strides,padding,dilations", CONV_CASES[1:3])
def test_conv3d_ncdhw(xs, ws, strides, padding, dilations):
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    check_op(lambda x, w: nn.conv3d(x, w, [1, 1, *strides], padding, data_format="NCDHW",
                                    dilations=[1, 1, *dilations]),
             lambda x, w: to_ncdhw(ref_conv3d(to_ndhwc(x), w, strides, padding, dilations)),
             [to_ncdhw(x), w])


def test_conv3d_output_shapes_and_argument_forms():
    x, w = engine.ones([2, 7, 8, 9, 3]), engine.ones([3, 3, 3, 3, 4])
    assert nn.conv3d(x, w, 2, "SAME").shape == [2, 4, 4, 5, 4]  # ceil(in / stride)
    assert nn.conv3d(x, w, 2, "VALID").shape == [2, 3, 3, 4, 4]  # (in - k) // stride + 1
    assert nn.conv3d(x, w, 1, "VALID", dilations=2).shape == [2, 3, 4, 5, 4]
    expected = nn.conv3d(x, w, (1, 2, 3), "same").numpy()
    for strides in ([1, 2, 3], [1, 1, 2, 3, 1]):
        np.testing.assert_array_equal(nn.conv3d(x, w, strides, "SAME").numpy(), expected)
    raw = RAW.Conv3D(input=x, filter=w, strides=[1, 1, 2, 3, 1], padding="SAME")
    np.testing.assert_array_equal(raw.numpy(), expected)
    np.testing.assert_array_equal(nn.convolution(x, w, [1, 2, 3], "SAME").numpy(), expected)


def test_conv3d_traced_equals_eager():
    x, w = RNG.standard_normal((1, 4, 5, 4, 2)), RNG.standard_normal((2, 3, 2, 2, 3))

    def loss_and_grads(x, w):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            loss = engine.reduce_sum(nn.conv3d(x, w, 2, "SAME") ** 2)
        return [loss, *tape.gradient(loss, [x, w])]

    eager = loss_and_grads(engine.constant(x), engine.constant(w))
    traced = engine.function(loss_and_grads)(engine.constant(x), engine.constant(w))
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_conv3d_gradient_with_unknown_batch_when_traced():
    w = engine.constant(RNG.standard_normal((2, 2, 2, 2, 3)))

    @engine.function(input_signature=[engine.TensorSpec([None, 4, 4, 4, 2], engine.float64)])
    def grad(x):
        with engine.GradientTape() as tape:
            tape.watch(x)
            loss = engine.reduce_sum(nn.conv3d(x, w, 2, "SAME") ** 2)
        return tape.gradient(loss, x)

    x = engine.constant(RNG.standard_normal((3, 4, 4, 4, 2)))
    with engine.GradientTape() as tape:
        tape.watch(x)
        loss = engine.reduce_sum(nn.conv3d(x, w, 2, "SAME") ** 2)
    np.testing.assert_allclose(grad(x).numpy(), tape.gradient(loss, x).numpy(), rtol=1e-12)


def test_conv3d_second_order():
    x0, w0 = RNG.standard_normal((1, 4, 4, 3, 2)), RNG.standard_normal((2, 2, 2, 2, 2))
    u = engine.constant(RNG.standard_normal((1, 4, 4, 3, 2)))

    def grad_of(x, w):
        with engine.GradientTape() as tape:
            tape.watch([x, w])
            y = nn.conv3d(x, w, 2, "SAME")
            loss = engine.reduce_sum(y * y)
        gx, gw = tape.gradient(loss, [x, w])
        return engine.reduce_sum(gx * u) + engine.reduce_sum(gw * gw)

    check_grad(grad_of, [x0, w0])


# --- conv3d_transpose and the gradient ops as ops ---------------------------------------------
TRANSPOSE_CASES = [((2, 2, 3, 3, 4), (3, 3, 3, 2, 4), (2, 4, 6, 6, 2), (2, 2, 2), "SAME"),
                   ((1, 3, 2, 3, 2), (2, 3, 2, 3, 2), (1, 4, 4, 4, 3), (1, 1, 1), "VALID"),
                   ((1, 2, 3, 2, 2), (2, 2, 3, 1, 2), (1, 5, 7, 6, 1), (2, 2, 2), "VALID")]


@pytest.mark.parametrize("ys,ws,out,strides,padding", TRANSPOSE_CASES)
def test_conv3d_transpose(ys, ws, out, strides, padding):
    y, w = RNG.standard_normal(ys), RNG.standard_normal(ws)
    check_op(lambda y, w: nn.conv3d_transpose(y, w, out, strides, padding),
             lambda y, w: ref_conv3d_transpose(y, w, out, strides, padding), [y, w])
    # The adjoint of conv3d: <conv3d(x, w), y> == <x, conv3d_transpose(y, w)>.
    x = RNG.standard_normal(out)
    lhs = np.sum(nn.conv3d(x, w, strides, padding).numpy() * y)
    rhs = np.sum(x * nn.conv3d_transpose(y, w, out, strides, padding).numpy())
    np.testing.assert_allclose(lhs, rhs)


def test_conv3d_transpose_ncdhw_and_generic():
    y, w = RNG.standard_normal((2, 2, 3, 3, 4)), RNG.standard_normal((3, 3, 3, 2, 4))
    expected = ref_conv3d_transpose(y, w, (2, 4, 6, 6, 2), (2, 2, 2), "SAME")
    got = nn.conv3d_transpose(to_ncdhw(y), w, [2, 2, 4, 6, 6], 2, data_format="NCDHW")
    np.testing.assert_allclose(got.numpy(), to_ncdhw(expected))
    np.testing.assert_allclose(nn.conv_transpose(y, w, [2, 4, 6, 6, 2], 2).numpy(), expected)
    shape = engine.constant([2, 4, 6, 6, 2])  # the output shape as a tensor
    np.testing.assert_allclose(nn.conv3d_transpose(y, w, shape, 2).numpy(), expected)


def test_conv3d_backprop_ops():
    x, w = RNG.standard_normal((2, 4, 5, 3, 2)), RNG.standard_normal((2, 3, 2, 2, 3))
    attrs = {"strides": [1, 2, 1, 2, 1], "padding": "SAME", "dilations": [1, 1, 2, 1, 1]}
    s, d = (2, 1, 2), (1, 2, 1)
    dy = RNG.standard_normal(ref_conv3d(x, w, s, "SAME", d).shape)
    check_op(lambda w, dy: RAW.Conv3DBackpropInputV2(input_sizes=x.shape, filter=w,
                                                     out_backprop=dy, **attrs),
             lambda w, dy: ref_conv3d_transpose(dy, w, x.shape, s, "SAME", d), [w, dy])

    def ref_filter(x, dy):  # d<conv3d(x, w), dy>/dw, one tap at a time
        grad = np.zeros(w.shape)
        for idx in np.ndindex(*w.shape):
            e = np.zeros(w.shape)
            e[idx] = 1
            grad[idx] = np.sum(ref_conv3d(x, e, s, "SAME", d) * dy)
        return grad

    check_op(lambda x, dy: RAW.Conv3DBackpropFilterV2(input=x, filter_sizes=w.shape,
                                                      out_backprop=dy, **attrs),
             ref_filter, [x, dy], rtol=1e-6)


def test_infer_with_unknown_dimensions():
    spec, f32 = engine.TensorSpec, engine.float32
    attrs = {"strides": (1, 2, 2, 1, 1), "padding": "SAME", "data_format": "NDHWC",
             "dilations": (1, 1, 1, 1, 1)}
    out = get("Conv3D").infer(spec([None, 7, None, 5, 3], f32), spec([3, 3, 3, 3, 8], f32),
                              **attrs)
    assert out.shape.as_list() == [None, 4, None, 5, 8]
    assert get("Conv3D").infer(spec(None, f32), spec(None, f32), **attrs).shape.rank == 5


# --- errors -----------------------------------------------------------------------------------
def test_conv3d_errors_say_what_was_given_and_expected():
    x, w = engine.zeros([1, 4, 4, 4, 2]), engine.zeros([3, 3, 3, 2, 2])
    with pytest.raises(ShapeError, match=r"conv3d: got input of shape \(4, 4, 4, 2\).*"
                                          r"expected a 5-D input.*expand_dims"):
        nn.conv3d(engine.zeros([4, 4, 4, 2]), w, 1, "SAME")
    with pytest.raises(ShapeError, match=r"conv3d: got filter of shape \(3, 3, 2, 2\).*5-D"):
        nn.conv3d(x, engine.zeros([3, 3, 2, 2]), 1, "SAME")
    with pytest.raises(ShapeError, match=r"conv3d: the input has 2 channels .* expects 3"):
        nn.conv3d(x, engine.zeros([3, 3, 3, 3, 2]), 1, "SAME")
    with pytest.raises(ShapeError, match=r"conv3d: the window's depth 5 .* padded input"):
        nn.conv3d(x, engine.zeros([5, 1, 1, 2, 2]), 1, "VALID")
    with pytest.raises(ShapeError, match=r"conv3d: got strides \[1, 2\]; expected an int or "
                                          r"a list of 1, 3 or 5 ints"):
        nn.conv3d(x, w, [1, 2], "SAME")
    with pytest.raises(ShapeError, match="batch and channel entries must be 1"):
        nn.conv3d(x, w, [2, 1, 1, 1, 1], "SAME")
    with pytest.raises(ShapeError, match="conv3d: got padding .*'SAME' or 'VALID'.*engine.pad"):
        nn.conv3d(x, w, 1, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ShapeError, match=r"Conv3D|conv3d: got strides \[1, 1, 1, 1\]"):
        RAW.Conv3D(input=x, filter=w, strides=[1, 1, 1, 1], padding="SAME")
    with pytest.raises(UnimplementedError, match="NCDHW"):
        RAW.Conv3D(input=x, filter=w, strides=[1] * 5, padding="SAME", data_format="NCDHW")
    with pytest.raises(ValueError, match="data_format"):
        nn.conv3d(x, w, 1, "SAME", data_format="NHWC")


def test_conv3d_transpose_errors():
    y, w = engine.zeros([1, 2, 3, 3, 4]), engine.zeros([3, 3, 3, 1, 4])
    with pytest.raises(ShapeError, match="conv3d_backprop_input: got out_backprop .*"
                                         "output_shape"):
        nn.conv3d_transpose(y, w, [1, 4, 9, 9, 1], 2, "SAME")
    with pytest.raises(ShapeError, match="conv3d_transpose: got output_shape .*expected 5"):
        nn.conv3d_transpose(y, w, [1, 4, 6, 1], 2, "SAME")
    with pytest.raises(ShapeError, match=r"input_sizes .* has 2 channels .* expects 1"):
        nn.conv3d_transpose(y, w, [1, 4, 6, 6, 2], 2, "SAME")
