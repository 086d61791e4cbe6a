"""Naive references and checks shared by the conv and pool kernel tests.

Written independently of the modules under test: TF's padding rule, a padded input with a
mask of its real pixels, fixed per-case random generators, and the one-direction gradient
check ⟨vjp(u), v⟩ ≈ ⟨u, J·v⟩ by central differences.
"""

import zlib

import numpy as np

EPS = 1e-6
RTOL = 1e-6


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


def directional_derivative(f, x, v):
    """J(x)·v by central differences."""
    return (f(x + EPS * v) - f(x - EPS * v)) / (2 * EPS)


def vdot(a, b):
    return float(np.vdot(a, b))


def assert_vjp(vjp_u, u, jvp_v, v):
    """⟨vjp(u), v⟩ ≈ ⟨u, J·v⟩."""
    np.testing.assert_allclose(vdot(vjp_u, v), vdot(u, jvp_v), rtol=RTOL, atol=1e-9)
