"""Max pooling and its gradient compiled for the CPU with Numba, in graphs.

NumPy's max pooling (`engine.ops.pool_kernels`) combines strided views of the input one
window tap at a time, and its gradient compares, masks and multiplies tap by tap: several
passes over the activations, a large part of a small CNN's step (W3: ~1.9 ms of ~12).
Compiled, each is one pass: every window's taps are read once, channels innermost.

They compute what the NumPy kernels compute, bit for bit: the maximum propagates NaN;
each window's gradient goes to its first maximum in row-major order (a padded tap, which
holds the lowest value, can take it, and the gradient is then dropped, as NumPy's padded
copy drops it), and every tap of a window gets `dy * hit`, so a NaN or infinite `dy`
spreads as it does in NumPy. NHWC float32/float64 inputs with static shapes only (the
kernels always see NHWC: channels-first pooling transposes around them).

`BUILDERS` maps node types to their builders, registered in `engine.graph.cpu_jit.BUILDERS`,
which the executor asks first on the CPU; when and how kernels compile: `cpu_jit`. Eager
calls use the same kernels through `engine.ops.eager_jit.PROVIDERS` (`eager`), tiered per
input geometry as graph nodes are (W3 eager: MaxPoolGrad 1.7 -> 0.76 ms a call).
"""

from __future__ import annotations

import sys
from functools import partial

import numpy as np

from engine.graph import cpu_jit
from engine.ops.conv_kernels import _geometry
from engine.ops.eager_jit import PROVIDERS
from engine.ops.pool_ops import _pool_attrs

__all__ = ["BUILDERS", "SOURCE", "tile_source", "eager"]

_FLOATS = ("float32", "float64")

_getrefcount = sys.getrefcount

# Any window, stride and padding: the forward combines the window rows over whole input
# rows first, then the columns, as the NumPy kernel does; indices are slices (a computed
# index would carry Numba's negative-index check, which stops vectorization).
SOURCE = '''import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool(x, out, batch, height, width, channels, out_h, out_w, kh, kw, sh, sw, pt, pl):
    n = width * channels
    row = np.empty(n, x.dtype)
    for b in range(batch):
        for oh in range(out_h):
            top = oh * sh - pt
            i0 = max(0, -top)
            i1 = min(kh, height - top)
            start = (b * height + top + i0) * n
            src = x[start:start + n]
            for e in range(n):
                row[e] = src[e]
            for i in range(i0 + 1, i1):
                start = (b * height + top + i) * n
                src = x[start:start + n]
                for e in range(n):
                    m = row[e]
                    t = src[e]
                    row[e] = m if (m >= t or m != m) else t
            ostart = (b * out_h + oh) * out_w * channels
            for ow in range(out_w):
                left = ow * sw - pl
                j0 = max(0, -left)
                j1 = min(kw, width - left)
                oc = out[ostart + ow * channels:ostart + (ow + 1) * channels]
                src = row[(left + j0) * channels:(left + j0 + 1) * channels]
                for c in range(channels):
                    oc[c] = src[c]
                for j in range(j0 + 1, j1):
                    src = row[(left + j) * channels:(left + j + 1) * channels]
                    for c in range(channels):
                        m = oc[c]
                        t = src[c]
                        oc[c] = m if (m >= t or m != m) else t


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool_grad(x, y, dy, dx, batch, height, width, channels, out_h, out_w, kh, kw, sh, sw,
                  pt, pl):
    # tap by tap, as the NumPy kernel goes: an input in several windows sums its gradients
    # in the same order
    zero = dx.dtype.type(0.0)
    lowest = x.dtype.type(-np.inf)
    dx[:] = zero
    free = np.ones(y.size, dx.dtype)  # 1 while the window's first maximum is ahead
    for i in range(kh):
        for j in range(kw):
            for b in range(batch):
                for oh in range(out_h):
                    h = oh * sh - pt + i
                    for ow in range(out_w):
                        w = ow * sw - pl + j
                        k = ((b * out_h + oh) * out_w + ow) * channels
                        ys = y[k:k + channels]
                        fs = free[k:k + channels]
                        if 0 <= h < height and 0 <= w < width:
                            s = ((b * height + h) * width + w) * channels
                            xs = x[s:s + channels]
                            ds = dx[s:s + channels]
                            gs = dy[k:k + channels]
                            for c in range(channels):
                                hit = fs[c] if xs[c] == ys[c] else zero
                                fs[c] -= hit
                                ds[c] += gs[c] * hit
                        else:  # a padded tap holds the lowest value; its gradient is dropped
                            for c in range(channels):
                                if lowest == ys[c]:
                                    fs[c] = zero
'''


def tile_source(kh: int, kw: int) -> str:
    """The module of the kernels for windows of `kh x kw` that tile the input (stride =
    window, no padding): the window's taps unrolled inside one loop over the channels, which
    Numba vectorizes (W3's first pool: 0.31 -> 0.10 ms; its gradient 0.73 -> 0.17 ms).

    Args:
        kh, kw: the window.

    Returns:
        The source of a module with `max_pool(x, out, batch, height, width, channels,
        out_h, out_w)` and `max_pool_grad(x, y, dy, dx, ...)` over flattened arrays.
    """
    taps = [(i, j) for i in range(kh) for j in range(kw)]

    def start(i: int, j: int) -> str:  # where tap (i, j) of window (oh, ow) starts
        return f"((b * height + oh * {kh} + {i}) * width + ow * {kw} + {j}) * channels"

    lines = ["import numpy as np", "from numba import njit", "", "",
         "@njit(cache=True, error_model='numpy', nogil=True)",
         "def max_pool(x, out, batch, height, width, channels, out_h, out_w):",
         "    for b in range(batch):",
         "        for oh in range(out_h):",
         "            for ow in range(out_w):",
         "                o = out[((b * out_h + oh) * out_w + ow) * channels:"
         "((b * out_h + oh) * out_w + ow + 1) * channels]"]
    for i, j in taps:
        lines.append(f"                s = {start(i, j)}")
        lines.append(f"                x{i}_{j} = x[s:s + channels]")
    lines.append("                for c in range(channels):")
    for j in range(kw):  # rows first (NumPy's order), then columns
        lines.append(f"                    r{j} = x0_{j}[c]")
        for i in range(1, kh):
            lines.append(f"                    t = x{i}_{j}[c]")
            lines.append(f"                    r{j} = r{j} if (r{j} >= t or r{j} != r{j}) else t")
    lines.append("                    m = r0")
    for j in range(1, kw):
        lines.append(f"                    m = m if (m >= r{j} or m != m) else r{j}")
    lines.append("                    o[c] = m")
    lines += ["", "",
          "@njit(cache=True, error_model='numpy', nogil=True)",
          "def max_pool_grad(x, y, dy, dx, batch, height, width, channels, out_h, out_w):",
          "    zero = dx.dtype.type(0.0)",
          "    one = dx.dtype.type(1.0)",
          "    n = width * channels",
          "    for b in range(batch):",
          "        for h in range(height):",
          "            r = dx[(b * height + h) * n:(b * height + h + 1) * n]",
          f"            first = 0 if h >= out_h * {kh} else out_w * {kw} * channels",
          "            for e in range(first, n):",
          "                r[e] = zero",
          "        for oh in range(out_h):",
          "            for ow in range(out_w):",
          "                k = ((b * out_h + oh) * out_w + ow) * channels",
          "                ys = y[k:k + channels]",
          "                gs = dy[k:k + channels]"]
    for i, j in taps:
        lines.append(f"                s = {start(i, j)}")
        lines.append(f"                x{i}_{j} = x[s:s + channels]")
        lines.append(f"                d{i}_{j} = dx[s:s + channels]")
    lines += ["                for c in range(channels):",
          "                    yc = ys[c]",
          "                    gc = gs[c]",
          "                    f = one"]
    for i, j in taps:  # row-major: the first maximum takes the gradient
        lines.append(f"                    hit = f if x{i}_{j}[c] == yc else zero")
        lines.append("                    f -= hit")
        lines.append(f"                    d{i}_{j}[c] = gc * hit")
    return "\n".join(lines) + "\n"


def _plan(node):
    """`(geometry ints, tiles)` of a pooling node with static NHWC float shapes, or None
    (`_geometry_plan`)."""
    x = node.inputs[0]._value
    if x.dtype.name not in _FLOATS or len(x.shape) != 4 or any(
            d is None for t in (*node.inputs, *node.outputs) for d in t._value.shape):
        return None
    if len({t._value.dtype for t in node.inputs}) != 1:
        return None
    return _geometry_plan(tuple(x.shape), *_pool_attrs(node.op.name, node.attrs))


def _geometry_plan(shape: tuple, k: tuple, s: tuple, padding):
    """`(ints, tiles)`: the ints are `(batch, height, width, channels, out_h, out_w)`
    followed, unless the windows tile the input (`tiles` = the window), by
    `(kh, kw, sh, sw, pad_top, pad_left)`."""
    (kh, kw), (sh, sw) = k, s
    pads, (out_h, out_w) = _geometry(shape[1:3], (kh, kw), (sh, sw), (1, 1), padding)
    ints = (*shape, out_h, out_w)
    if (sh, sw) == (kh, kw) and not any(map(any, pads)):
        return ints, (kh, kw)
    return ints + (kh, kw, sh, sw, pads[0][0], pads[1][0]), None


def _load(plan, kernel_name: str, arrays: int, dtype):
    """The compiled kernel for `plan` (`max_pool`: 2 arrays, `max_pool_grad`: 4)."""
    ints, tiles = plan

    def prepare(module, numba):
        array = numba.types.Array(numba.from_dtype(dtype), 1, "C")
        getattr(module, kernel_name).compile((array,) * arrays + (numba.types.int64,) * len(ints))

    return getattr(cpu_jit.load(SOURCE if tiles is None else tile_source(*tiles), prepare),
                   kernel_name)


def _build(node, kernel_name: str, arrays: int):
    """The tiered kernel of a MaxPool (`arrays` = 2: x, out) or MaxPoolGrad (4: x, y, dy,
    dx) node, or None when no compiled kernel fits it."""
    plan = _plan(node)
    if plan is None:
        return None
    ints = plan[0]
    dtype = node.inputs[0]._value.dtype
    out_shape = tuple(node.outputs[0]._value.shape)
    numpy_fn = cpu_jit.numpy_kernel(node)

    def make_compiled():
        kernel = _load(plan, kernel_name, arrays, dtype)
        kept = [None]  # the last output, written again once nothing else holds it

        def run(*inputs):
            if not all(a.flags.c_contiguous for a in inputs):
                return numpy_fn(*inputs)
            if kept[0] is None or _getrefcount(kept[0]) > 2:  # 2: the list, the argument
                kept[0] = np.empty(out_shape, dtype)
            out = kept[0]
            kernel(*[a.reshape(-1) for a in inputs], out.reshape(-1), *ints)
            return out

        return run

    return cpu_jit.tiered(numpy_fn, make_compiled, f"{node.type} {node.name}")


def _build_max_pool(node):
    return _build(node, "max_pool", 2)


def _build_max_pool_grad(node):
    return _build(node, "max_pool_grad", 4)


# --- eager calls ---------------------------------------------------------------------------
_EAGER: dict = {}  # (kernel, shape, dtype, window) -> its tiered kernel (cpu_jit.eager_kernel)


def eager(kernel_name: str, inputs: tuple, k: tuple, s: tuple, padding):
    """The compiled result of an eager max pooling (`max_pool`) or its gradient
    (`max_pool_grad`), or None while the geometry warms up, when compiled kernels are off
    or none fits (the NumPy kernel then runs). Tiered per input geometry as graph nodes are
    (`cpu_jit.eager_kernel`): the second call with a geometry compiles.

    Args:
        kernel_name: "max_pool" (inputs `(x,)`) or "max_pool_grad" (`(x, y, dy)`).
        inputs: NumPy arrays.
        k, s, padding: the resolved window, strides and padding.

    Returns:
        A new array, or None.
    """
    if not all(type(a) is np.ndarray and a.flags.c_contiguous
               for a in inputs):  # a subclass (another device) or a view keeps NumPy's
        return None
    x = inputs[0]
    fits = x.dtype.name in _FLOATS and x.ndim == 4 and all(a.dtype == x.dtype for a in inputs)
    made = cpu_jit.eager_kernel(
        _EAGER, (kernel_name, x.shape, x.dtype.str, k, s, repr(padding)),
        partial(_eager_kernel, kernel_name, x.shape, x.dtype, k, s, padding) if fits else None,
        f"eager {kernel_name}")
    if made is None:
        return None
    kernel, ints, out_shape = made
    out = np.empty(out_shape, x.dtype)  # eager results are the caller's: a new array
    kernel(*[a.reshape(-1) for a in inputs], out.reshape(-1), *ints)
    return out


def _eager_kernel(kernel_name: str, shape, dtype, k, s, padding) -> tuple:
    """`(kernel, geometry ints, output shape)` for an eager call."""
    plan = _geometry_plan(shape, k, s, padding)
    ints = plan[0]
    out_shape = shape if kernel_name == "max_pool_grad" else (shape[0], *ints[4:6], shape[3])
    return _load(plan, kernel_name, 2 if kernel_name == "max_pool" else 4, dtype), ints, out_shape


BUILDERS = {"MaxPool": _build_max_pool, "MaxPoolGrad": _build_max_pool_grad}
cpu_jit.BUILDERS.update(BUILDERS)
PROVIDERS.update(max_pool=partial(eager, "max_pool"), max_pool_grad=partial(eager, "max_pool_grad"))
