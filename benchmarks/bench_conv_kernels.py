"""Time the conv and pool kernels of the W3 workload against their GEMM floor.

Run single-threaded so the numbers compare kernels, not thread pools:

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_conv_kernels.py

Each row prints the kernel's time next to its floor: the bare GEMM of the same shape plus
a contiguous copy of the patch matrix (for pools: a copy of the input). ``ratio`` is
time / floor; the target for the convolutions is about 1.5. One extra row times the other
way to compute ``conv2d_backprop_input`` (a full correlation of the stride-dilated,
padded ``dy`` with the rotated filter), which the kernel module does not use. Two more time
conv2's backprops with the ``dy`` that W3 gives them: its last row and column are zero (the
5x5 max pool never reads them), which the kernels skip, so their ratio can fall below 1.
"""

import importlib.util
from pathlib import Path

import harness as H
import numpy as np

# Loaded from its file so the benchmark runs whatever state the `engine` package is in.
_PATH = Path(__file__).resolve().parents[1] / "engine" / "ops" / "conv_kernels.py"
_SPEC = importlib.util.spec_from_file_location("conv_kernels", _PATH)
ck = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ck)

# The pooling kernels import `engine.ops.conv_kernels`, so they come with the package.
from engine.ops import pool_kernels as pk  # noqa: E402

BATCH = 64
REPEATS = 30


def best_ms(fn):
    """Best of REPEATS wall times, in ms (`harness.best_ms`)."""
    return H.best_ms(fn, REPEATS)


def gemm_ms(rng, m, k, n, transpose_a=False):
    """Time of the bare ``(m, k) @ (k, n)`` float32 GEMM (``a`` stored transposed if asked)."""
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    if transpose_a:
        return best_ms(lambda: a.T @ b)
    return best_ms(lambda: a @ b)


def copy_ms(rng, shape):
    """Time of a contiguous copy of ``shape`` float32 elements: the memory-traffic floor."""
    a = rng.standard_normal(shape).astype(np.float32)
    return best_ms(a.copy)


def backprop_input_by_correlation(dy, w, input_shape, strides, dilations, padding):
    """``dx`` as ``conv2d`` of the stride-dilated, padded ``dy`` with the rotated filter."""
    n, h, wd, _ = input_shape
    kh, kw, _, o = w.shape
    pads = ck.resolve_padding((h, wd), (kh, kw), strides, dilations, padding)
    _, out_h, out_w, _ = dy.shape
    dilated = np.zeros((n, (out_h - 1) * strides[0] + 1, (out_w - 1) * strides[1] + 1, o),
                       dy.dtype)
    dilated[:, ::strides[0], ::strides[1], :] = dy
    full = []
    for a, size, k, d, out in ((0, h, kh, dilations[0], out_h), (1, wd, kw, dilations[1], out_w)):
        before = (k - 1) * d - pads[a][0]
        after = size + pads[a][0] - (out - 1) * strides[a] - 1
        full.append((before, after))
    # Negative pads (explicit padding wider than the kernel) would crop; W3 has none.
    assert min(min(p) for p in full) >= 0
    rotated = w[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, out_c, in_c)
    return ck.conv2d(np, dilated, np.ascontiguousarray(rotated), (1, 1), dilations, tuple(full))


def conv_rows(rng, name, x_shape, w_shape, with_input_grad):
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    s, d, p = (1, 1), (1, 1), "VALID"
    y = ck.conv2d(np, x, w, s, d, p)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    kh, kw, c, o = w_shape
    rows, k = y.size // o, kh * kw * c
    patches = copy_ms(rng, (rows, k))
    out = [
        (f"{name} forward", best_ms(lambda: ck.conv2d(np, x, w, s, d, p)),
         f"({rows}, {k}) @ ({k}, {o})", gemm_ms(rng, rows, k, o), patches),
        (f"{name} backprop_filter",
         best_ms(lambda: ck.conv2d_backprop_filter(np, x, dy, w.shape, s, d, p)),
         f"({k}, {rows}) @ ({rows}, {o})", gemm_ms(rng, k, rows, o, transpose_a=True), patches),
    ]
    if with_input_grad:
        out.append((f"{name} backprop_input",
                    best_ms(lambda: ck.conv2d_backprop_input(np, dy, w, x.shape, s, d, p)),
                    f"({rows}, {o}) @ ({o}, {k})", gemm_ms(rng, rows, o, k), patches))
        full_rows, full_k = x.size // c, kh * kw * o
        border = dy.copy()  # as in W3: the VALID 2x2 pool leaves the last row and column
        border[:, -1], border[:, :, -1] = 0, 0
        out.append((f"{name} backprop_filter (zero border)",
                    best_ms(lambda: ck.conv2d_backprop_filter(np, x, border, w.shape, s, d, p)),
                    f"({k}, {rows}) @ ({rows}, {o})", gemm_ms(rng, k, rows, o, transpose_a=True),
                    patches))
        out.append((f"{name} backprop_input (zero border)",
                    best_ms(lambda: ck.conv2d_backprop_input(np, border, w, x.shape, s, d, p)),
                    f"({rows}, {o}) @ ({o}, {k})", gemm_ms(rng, rows, o, k), patches))
        out.append((f"{name} backprop_input (correlation)",
                    best_ms(lambda: backprop_input_by_correlation(dy, w, x.shape, s, d, p)),
                    f"({full_rows}, {full_k}) @ ({full_k}, {c})",
                    gemm_ms(rng, full_rows, full_k, c), copy_ms(rng, (full_rows, full_k))))
    return out


def pool_rows(rng, x_shape):
    x = rng.standard_normal(x_shape).astype(np.float32)
    k = (2, 2)
    y = pk.max_pool2d(np, x, k, k, "VALID")
    dy = rng.standard_normal(y.shape).astype(np.float32)
    floor = copy_ms(rng, x_shape)
    label = f"max_pool 2x2 {x_shape[1]}x{x_shape[2]}x{x_shape[3]}"
    return [
        (f"{label} forward", best_ms(lambda: pk.max_pool2d(np, x, k, k, "VALID")), "-", 0.0,
         floor),
        (f"{label} grad", best_ms(lambda: pk.max_pool2d_grad(np, x, y, dy, k, k, "VALID")), "-",
         0.0, floor),
    ]


def main():
    rng = np.random.default_rng(0)
    rows = conv_rows(rng, "conv1", (BATCH, 28, 28, 1), (3, 3, 1, 32), with_input_grad=False)
    rows += conv_rows(rng, "conv2", (BATCH, 13, 13, 32), (3, 3, 32, 64), with_input_grad=True)
    rows += pool_rows(rng, (BATCH, 26, 26, 32))
    rows += pool_rows(rng, (BATCH, 11, 11, 64))
    header = (f"{'kernel':<40} {'ms':>7}  {'GEMM shape':<26} {'GEMM ms':>7} {'copy ms':>7} "
              f"{'ratio':>6}")
    print(header)
    print("-" * len(header))
    for name, ms, shape, gemm, copy in rows:
        gemm_text = f"{gemm:7.3f}" if gemm else f"{'-':>7}"  # pools have no GEMM
        print(f"{name:<40} {ms:7.3f}  {shape:<26} {gemm_text} {copy:7.3f} "
              f"{ms / (gemm + copy):6.2f}")


if __name__ == "__main__":
    main()
