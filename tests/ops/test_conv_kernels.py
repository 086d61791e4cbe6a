"""Tests for the array-level convolution and pooling kernels in `engine/ops/conv_kernels.py`.

Forward kernels are checked against naive loop references written here; backward kernels
against central differences of the forward along a random direction and, for convolution,
against the adjoint identity.
"""

import importlib.util
import itertools
import zlib
from pathlib import Path

import numpy as np
import pytest

# Load the module from its file rather than `import engine.ops.conv_kernels`, so these tests
# do not depend on the package `__init__` files, which other modules' authors own.
_PATH = Path(__file__).resolve().parents[2] / "engine" / "ops" / "conv_kernels.py"
_SPEC = importlib.util.spec_from_file_location("conv_kernels", _PATH)
ck = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ck)

EPS = 1e-6
RTOL = 1e-6

# ------------------------------------------------------------------------ naive references


def ref_pads(in_size, k, stride, dilation, padding):
    """TF's padding rule, written out independently of the module under test."""
    if padding == "VALID":
        return (0, 0)
    if padding == "SAME":
        out = int(np.ceil(in_size / stride))
        total = max((out - 1) * stride + (k - 1) * dilation + 1 - in_size, 0)
        return (total // 2, total - total // 2)
    return padding


def ref_pad_2d(x, ksize, strides, dilations, padding, fill=0.0):
    per_dim = (padding, padding) if isinstance(padding, str) else padding
    pads = [ref_pads(x.shape[1 + a], ksize[a], strides[a], dilations[a], per_dim[a])
            for a in range(2)]
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    mask = np.pad(np.ones(x.shape[1:3]), pads)  # 1 on real pixels, 0 on padding
    out = [(padded.shape[1 + a] - (ksize[a] - 1) * dilations[a] - 1) // strides[a] + 1
           for a in range(2)]
    return padded, mask, out


def ref_window(padded, oh, ow, ksize, strides, dilations):
    """Loop over one window's taps: list of ((row, col), values (batch, c))."""
    taps = []
    for i in range(ksize[0]):
        for j in range(ksize[1]):
            r, c = oh * strides[0] + i * dilations[0], ow * strides[1] + j * dilations[1]
            taps.append(((r, c), padded[:, r, c, :]))
    return taps


def ref_conv2d(x, w, strides, dilations, padding):
    kh, kw, _, o = w.shape
    padded, _, (out_h, out_w) = ref_pad_2d(x, (kh, kw), strides, dilations, padding)
    y = np.zeros((x.shape[0], out_h, out_w, o))
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    r = oh * strides[0] + i * dilations[0]
                    c = ow * strides[1] + j * dilations[1]
                    y[:, oh, ow, :] += padded[:, r, c, :] @ w[i, j]
    return y


def ref_depthwise_conv2d(x, w, strides, dilations, padding):
    kh, kw, c, m = w.shape
    padded, _, (out_h, out_w) = ref_pad_2d(x, (kh, kw), strides, dilations, padding)
    y = np.zeros((x.shape[0], out_h, out_w, c, m))
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    r = oh * strides[0] + i * dilations[0]
                    col = ow * strides[1] + j * dilations[1]
                    for ch in range(c):
                        y[:, oh, ow, ch, :] += padded[:, r, col, ch, None] * w[i, j, ch]
    return y.reshape(x.shape[0], out_h, out_w, c * m)


def ref_pool(x, ksize, strides, padding, kind):
    fill = -np.inf if kind == "max" else 0.0
    padded, mask, (out_h, out_w) = ref_pad_2d(x, ksize, strides, (1, 1), padding, fill)
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for oh in range(out_h):
        for ow in range(out_w):
            taps = ref_window(padded, oh, ow, ksize, strides, (1, 1))
            values = np.stack([v for _, v in taps])  # (kh*kw, batch, c)
            if kind == "max":
                y[:, oh, ow, :] = values.max(axis=0)
            else:
                count = sum(mask[r, c] for (r, c), _ in taps)
                y[:, oh, ow, :] = values.sum(axis=0) / count
    return y


# ------------------------------------------------------------------------------ helpers

EXPLICIT = ((1, 0), (2, 1))
CONV_CASES = [
    pytest.param(hw, k, s, d, p, id=f"in{hw}-k{k}-s{s}-d{d}-{p if isinstance(p, str) else 'ex'}")
    for hw, k, s, d, p in itertools.product(
        [(7, 6), (6, 5)],
        [(1, 1), (2, 3), (3, 3)],
        [(1, 1), (2, 2), (1, 2)],
        [(1, 1), (2, 2), (1, 2)],
        ["SAME", "VALID", EXPLICIT],
    )
]
POOL_CASES = [
    pytest.param(hw, k, s, p, id=f"in{hw}-k{k}-s{s}-{p}")
    for hw, k, s, p in itertools.product(
        [(7, 6), (6, 5)],
        [(1, 1), (2, 2), (3, 2)],
        [(1, 1), (2, 2)],
        ["SAME", "VALID", "explicit"],
    )
]


def stable_hash(key):
    # `hash` of a str changes with PYTHONHASHSEED; crc32 keeps the seeds fixed across runs.
    return zlib.crc32(repr(key).encode())


def rng_for(*key):
    return np.random.default_rng(stable_hash(key))


def channels(key):
    """Vary channels across the grid without multiplying its size.

    1..3 take the channel-major im2col copy and 5 the row-major one, so both are covered.
    """
    return (1, 2, 3, 5)[stable_hash(key) % 4]


def pool_padding(ksize, padding):
    # Explicit pool padding must leave a real pixel in every window: pad kh-1 / kw-1.
    return ((ksize[0] - 1, 0), (0, ksize[1] - 1)) if padding == "explicit" else padding


def directional_derivative(f, x, v):
    """J(x)·v by central differences."""
    return (f(x + EPS * v) - f(x - EPS * v)) / (2 * EPS)


def vdot(a, b):
    return float(np.vdot(a, b))


def assert_vjp(vjp_u, u, jvp_v, v):
    """⟨vjp(u), v⟩ ≈ ⟨u, J·v⟩."""
    np.testing.assert_allclose(vdot(vjp_u, v), vdot(u, jvp_v), rtol=RTOL, atol=1e-9)


# -------------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("in_size, k, s, d, padding, pads, out", [
    (5, 3, 2, 1, "SAME", (1, 1), 3),
    (6, 3, 2, 1, "SAME", (0, 1), 3),
    (6, 1, 2, 1, "SAME", (0, 0), 3),
    (7, 3, 1, 2, "SAME", (2, 2), 7),
    (5, 3, 2, 1, "VALID", (0, 0), 2),
    (5, 3, 2, 1, (2, 1), (2, 1), 3),
])
def test_padding_and_output_size_follow_tf(in_size, k, s, d, padding, pads, out):
    assert ck.padding_amounts(in_size, k, s, d, padding) == pads
    assert ck.conv_output_size(in_size, k, s, d, padding) == out


def test_unknown_padding_string_is_rejected():
    with pytest.raises(ValueError, match="padding: got 'SMAE'"):
        ck.conv_output_size(5, 3, 1, 1, "SMAE")


def test_resolve_padding_per_axis():
    assert ck.resolve_padding((6, 5), (3, 2), (2, 1), (1, 1), "SAME") == ((0, 1), (0, 1))
    assert ck.resolve_padding((6, 5), (3, 2), (2, 1), (1, 1), EXPLICIT) == EXPLICIT


# ----------------------------------------------------------------------------- conv2d


@pytest.mark.parametrize("hw, k, s, d, padding", CONV_CASES)
def test_conv2d(hw, k, s, d, padding):
    key = (hw, k, s, d, padding)
    rng = rng_for(*key)
    c, o = channels(key), channels(key + ("out",))
    x = rng.standard_normal((2, *hw, c))
    w = rng.standard_normal((*k, c, o))
    y = ck.conv2d(np, x, w, s, d, padding)
    np.testing.assert_allclose(y, ref_conv2d(x, w, s, d, padding), rtol=1e-7, atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dx = ck.conv2d_backprop_input(np, dy, w, x.shape, s, d, padding)
    dw = ck.conv2d_backprop_filter(np, x, dy, w.shape, s, d, padding)
    assert dx.shape == x.shape and dw.shape == w.shape
    # Adjoint identity: backprop_input is exactly the transpose of conv2d in x (and in w).
    np.testing.assert_allclose(vdot(y, dy), vdot(x, dx), rtol=1e-10)
    np.testing.assert_allclose(vdot(y, dy), vdot(w, dw), rtol=1e-10)

    vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    jvp_x = directional_derivative(lambda t: ck.conv2d(np, t, w, s, d, padding), x, vx)
    jvp_w = directional_derivative(lambda t: ck.conv2d(np, x, t, s, d, padding), w, vw)
    assert_vjp(dx, dy, jvp_x, vx)
    assert_vjp(dw, dy, jvp_w, vw)


def test_conv2d_keeps_float32():
    x = np.ones((1, 4, 4, 2), np.float32)
    w = np.ones((3, 3, 2, 3), np.float32)
    y = ck.conv2d(np, x, w, (1, 1), (1, 1), "SAME")
    assert y.dtype == np.float32
    assert ck.conv2d_backprop_input(np, y, w, x.shape, (1, 1), (1, 1), "SAME").dtype == np.float32
    assert ck.conv2d_backprop_filter(np, x, y, w.shape, (1, 1), (1, 1), "SAME").dtype == np.float32


# ------------------------------------------------------------------- depthwise conv2d


@pytest.mark.parametrize("hw, k, s, d, padding", CONV_CASES)
def test_depthwise_conv2d(hw, k, s, d, padding):
    key = (hw, k, s, d, padding, "depthwise")
    rng = rng_for(*key)
    c, m = channels(key), channels(key + ("mult",))
    x = rng.standard_normal((2, *hw, c))
    w = rng.standard_normal((*k, c, m))
    y = ck.depthwise_conv2d(np, x, w, s, d, padding)
    np.testing.assert_allclose(y, ref_depthwise_conv2d(x, w, s, d, padding), rtol=1e-7,
                               atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dx = ck.depthwise_conv2d_backprop_input(np, dy, w, x.shape, s, d, padding)
    dw = ck.depthwise_conv2d_backprop_filter(np, x, dy, w.shape, s, d, padding)
    assert dx.shape == x.shape and dw.shape == w.shape
    np.testing.assert_allclose(vdot(y, dy), vdot(x, dx), rtol=1e-10)

    vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    jvp_x = directional_derivative(
        lambda t: ck.depthwise_conv2d(np, t, w, s, d, padding), x, vx)
    jvp_w = directional_derivative(
        lambda t: ck.depthwise_conv2d(np, x, t, s, d, padding), w, vw)
    assert_vjp(dx, dy, jvp_x, vx)
    assert_vjp(dw, dy, jvp_w, vw)


# ------------------------------------------------------------------------------ pooling


@pytest.mark.parametrize("hw, k, s, padding", POOL_CASES)
def test_max_pool2d(hw, k, s, padding):
    key = (hw, k, s, padding, "max")
    rng = rng_for(*key)
    padding = pool_padding(k, padding)
    # Distinct values keep the argmax stable under the finite-difference step.
    x = rng.permutation(2 * hw[0] * hw[1] * 3).reshape(2, *hw, 3) / 7.0
    y = ck.max_pool2d(np, x, k, s, padding)
    np.testing.assert_array_equal(y, ref_pool(x, k, s, padding, "max"))

    dy = rng.standard_normal(y.shape)
    dx = ck.max_pool2d_grad(np, x, y, dy, k, s, padding)
    assert dx.shape == x.shape
    v = rng.standard_normal(x.shape)
    jvp = directional_derivative(lambda t: ck.max_pool2d(np, t, k, s, padding), x, v)
    assert_vjp(dx, dy, jvp, v)


@pytest.mark.parametrize("hw, k, s, padding", POOL_CASES)
def test_avg_pool2d(hw, k, s, padding):
    key = (hw, k, s, padding, "avg")
    rng = rng_for(*key)
    padding = pool_padding(k, padding)
    x = rng.standard_normal((2, *hw, channels(key)))
    y = ck.avg_pool2d(np, x, k, s, padding)
    np.testing.assert_allclose(y, ref_pool(x, k, s, padding, "avg"), rtol=1e-7, atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dx = ck.avg_pool2d_grad(np, dy, x.shape, k, s, padding)
    assert dx.shape == x.shape
    v = rng.standard_normal(x.shape)
    jvp = directional_derivative(lambda t: ck.avg_pool2d(np, t, k, s, padding), x, v)
    assert_vjp(dx, dy, jvp, v)


def test_avg_pool_same_divides_by_valid_count():
    x = np.ones((1, 3, 3, 1))
    y = ck.avg_pool2d(np, x, (2, 2), (2, 2), "SAME")
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize("ksize, strides", [((2, 2), (2, 2)), ((2, 2), (1, 1))])
def test_max_pool_grad_routes_ties_to_first_max(ksize, strides):
    x = np.ones((1, 3, 4, 1))  # every window is one big tie
    y = ck.max_pool2d(np, x, ksize, strides, "VALID")
    dy = np.arange(1.0, y.size + 1).reshape(y.shape)
    dx = ck.max_pool2d_grad(np, x, y, dy, ksize, strides, "VALID")
    expected = np.zeros_like(x)
    for oh in range(y.shape[1]):
        for ow in range(y.shape[2]):
            expected[0, oh * strides[0], ow * strides[1], 0] += dy[0, oh, ow, 0]
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_padding_never_wins():
    x = -np.ones((1, 3, 3, 1))
    y = ck.max_pool2d(np, x, (2, 2), (2, 2), "SAME")
    np.testing.assert_array_equal(y, -np.ones((1, 2, 2, 1)))
    dx = ck.max_pool2d_grad(np, x, y, np.ones_like(y), (2, 2), (2, 2), "SAME")
    assert dx.sum() == y.size


@pytest.mark.parametrize("block_bytes", [1, 3000, 0])  # per image, a few images, off
def test_blocked_im2col_matches_reference(monkeypatch, block_bytes):
    monkeypatch.setattr(ck, "_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 6, 7, 4))  # >= 4 channels: the blocked, row-major path
    w = rng.standard_normal((3, 2, 4, 3))
    args = ((2, 1), (1, 2), "SAME")
    y = ck.conv2d(np, x, w, *args)
    np.testing.assert_allclose(y, ref_conv2d(x, w, *args), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dw = ck.conv2d_backprop_filter(np, x, dy, w.shape, *args)
    v = rng.standard_normal(w.shape)
    jvp = directional_derivative(lambda t: ck.conv2d(np, x, t, *args), w, v)
    assert_vjp(dw, dy, jvp, v)


@pytest.mark.parametrize("ksize, strides, padding", [((2, 2), (2, 2), "VALID"),
                                                     ((3, 3), (2, 1), "SAME")])
def test_max_pool_grad_grad_is_the_adjoint_of_max_pool_grad(ksize, strides, padding):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 6, 3))
    x[0, :2, :2, 0] = 1.0  # a tie: both gradients must pick the same (first) maximum
    y = ck.max_pool2d(np, x, ksize, strides, padding)
    dy, ddx = rng.standard_normal(y.shape), rng.standard_normal(x.shape)
    dx = ck.max_pool2d_grad(np, x, y, dy, ksize, strides, padding)
    gg = ck.max_pool2d_grad_grad(np, x, y, ddx, ksize, strides, padding)
    assert gg.shape == y.shape
    np.testing.assert_allclose(vdot(dx, ddx), vdot(dy, gg))
