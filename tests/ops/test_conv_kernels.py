"""Tests for the array-level convolution kernels in `engine/ops/conv_kernels.py`.

Forward kernels are checked against naive loop references written here; backward kernels
against central differences of the forward along a random direction and, for convolution,
against the adjoint identity.
"""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from tests.ops.window_refs import (
    assert_vjp,
    channels,
    directional_derivative,
    ref_pad_2d,
    rng_for,
    vdot,
)

# Load the module from its file rather than `import engine.ops.conv_kernels`, so these tests
# do not depend on the package `__init__` files, which other modules' authors own.
_PATH = Path(__file__).resolve().parents[2] / "engine" / "ops" / "conv_kernels.py"
_SPEC = importlib.util.spec_from_file_location("conv_kernels", _PATH)
ck = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ck)

# ------------------------------------------------------------------------ naive references


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
