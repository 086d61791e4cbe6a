"""A shallow convolution and the max pooling after it, as one compiled CPU kernel in graphs.

The first layer of a small CNN (W3: 28x28x1 -> Conv2D 3x3x32 -> MaxPool 2x2) has a tiny
contraction (kh * kw * c_in = 9): its GEMM is memory-bound, and most of the layer's time
goes to writing the convolution's output (W3: 5.5 MB), reading it back to pool it, reading
it again in MaxPoolGrad, writing the pooled gradient out at full size and reading that in
Conv2DBackpropFilter (W3: ~2.3 ms of an 11 ms step). Computed directly, the layer never
materializes the convolution's output:

- `ConvMaxPool(x, w)` -> `(pooled, taps)`: for each pooling window, the convolution at its
  `ph * pw` positions, their maximum, and (`taps`, uint8) which position held the first
  maximum in row-major order (255 where the maximum is NaN: MaxPoolGrad gives such a window
  no gradient, as `x == max` is false for every tap).
- `ConvMaxPoolFilterGrad(x, taps, dpooled)` -> the filter's gradient: each pooled gradient
  times the input patch under its window's chosen position, summed (per batch element in
  the input's dtype, then over the batch in float64).

`engine.graph.passes.conv_pool` puts them in place of Conv2D -> MaxPool and
MaxPoolGrad -> Conv2DBackpropFilter. The results equal the unfused ops' up to rounding:
the compiled kernels sum the `kh * kw * c_in` products in their own order (with fused
multiply-adds) where BLAS has its own, so a window whose two largest values are within
rounding may pick the other position. Numba compiles one kernel per layer geometry, with
the window, the taps and the output channels as constants so that the loop over output
channels vectorizes; the NumPy kernels here (the unfused ops' kernels, with the taps) run
until then, and whenever Numba is not importable (`engine.graph.cpu_jit.tiered`).
"""

from __future__ import annotations

import sys

import numpy as np

from engine.graph import cpu_jit
from engine.graph.executor import NODE_BUILDERS
from engine.graph.ir import register_node_type
from engine.registry import get as get_op

__all__ = ["source", "forward_numpy", "filter_grad_numpy", "NO_TAP"]

NO_TAP = 255  # `taps` where the window's maximum is NaN
_getrefcount = sys.getrefcount


def source(kh: int, kw: int, c_in: int, ph: int, pw: int, c_out: int) -> str:
    """The module of the two kernels for one geometry (generated, constants inlined).

    Args:
        kh, kw, c_in: the filter's window and input channels.
        ph, pw: the pooling window (= its stride).
        c_out: the output channels.

    Returns:
        Python source defining `conv_max_pool(x, w, out, taps, batch, height, width, out_h,
        out_w)` and `conv_max_pool_filter_grad(x, taps, dy, dw, batch, height, width, out_h,
        out_w)` over flattened C-contiguous NHWC arrays (`x` already padded).
    """
    rows, cols = ph + kh - 1, pw + kw - 1  # the input patch under one pooling window
    cands = [(di, dj) for di in range(ph) for dj in range(pw)]
    taps = [(i, j, c) for i in range(kh) for j in range(kw) for c in range(c_in)]
    jit = "@njit(cache=True, error_model='numpy', nogil=True, fastmath={'contract'})"
    patch = []
    for r in range(rows):
        patch.append(f"                s = ((b * height + oh * {ph} + {r}) * width + ow * {pw})"
                     f" * {c_in}")
        patch += [f"                x{r}_{col}_{c} = x[s + {col * c_in + c}]"
                  for col in range(cols) for c in range(c_in)]
    lines = ["import numpy as np", "from numba import njit", "", "", jit,
             "def conv_max_pool(x, w, out, taps, batch, height, width, out_h, out_w):"]
    lines += [f"    w{t} = w[{t * c_out}:{(t + 1) * c_out}]" for t in range(len(taps))]
    lines += ["    for b in range(batch):",
              "        for oh in range(out_h):",
              "            for ow in range(out_w):",
              f"                o = ((b * out_h + oh) * out_w + ow) * {c_out}",
              f"                ob = out[o:o + {c_out}]",
              f"                ot = taps[o:o + {c_out}]", *patch,
              f"                for c in range({c_out}):"]
    for q, (di, dj) in enumerate(cands):
        lines.append(f"                    a{q} = " + " + ".join(
            f"x{di + i}_{dj + j}_{c} * w{t}[c]" for t, (i, j, c) in enumerate(taps)))
    lines += ["                    m = a0", "                    t = 0"]
    for q in range(1, len(cands)):  # the first maximum stays; a NaN takes over and stays
        lines += [f"                    take = (m == m) & ((a{q} > m) | (a{q} != a{q}))",
                  f"                    m = a{q} if take else m",
                  f"                    t = {q} if take else t"]
    lines += ["                    ob[c] = m",
              f"                    ot[c] = t if m == m else {NO_TAP}", "", "", jit,
              "def conv_max_pool_filter_grad(x, taps, dy, dw, batch, height, width, out_h,"
              " out_w):",
              f"    part = np.empty({len(taps) * c_out}, dy.dtype)",
              f"    total = np.zeros({len(taps) * c_out}, np.float64)",
              "    zero = dy.dtype.type(0.0)"]
    lines += [f"    p{t} = part[{t * c_out}:{(t + 1) * c_out}]" for t in range(len(taps))]
    lines += ["    for b in range(batch):",
              "        part[:] = zero",
              "        for oh in range(out_h):",
              "            for ow in range(out_w):",
              f"                o = ((b * out_h + oh) * out_w + ow) * {c_out}",
              f"                gs = dy[o:o + {c_out}]",
              f"                ts = taps[o:o + {c_out}]", *patch,
              f"                for c in range({c_out}):",
              "                    g = gs[c]",
              "                    t = ts[c]"]
    lines += [f"                    g{q} = g if t == {q} else zero" for q in range(len(cands))]
    for t, (i, j, c) in enumerate(taps):
        lines.append(f"                    p{t}[c] += " + " + ".join(
            f"x{di + i}_{dj + j}_{c} * g{q}" for q, (di, dj) in enumerate(cands)))
    lines += ["        for e in range(total.size):",
              "            total[e] += part[e]",
              "    for e in range(total.size):",
              "        dw[e] = total[e]"]
    return "\n".join(lines) + "\n"


def _windows(z: np.ndarray, ph: int, pw: int, out_h: int, out_w: int) -> list:
    """Views of `z` at each position of the pooling windows, row-major."""
    return [z[:, di:out_h * ph:ph, dj:out_w * pw:pw, :] for di in range(ph) for dj in range(pw)]


def forward_numpy(x, w, conv: dict, ksize: tuple, out_h: int, out_w: int) -> tuple:
    """`(pooled, taps)` from the Conv2D kernel, then the first maximum of each window.

    Args:
        x, w: the input and filter arrays.
        conv: the Conv2D node's attrs.
        ksize: `(ph, pw)`.
        out_h, out_w: the pooled size.

    Returns:
        The pooled array and its uint8 taps.
    """
    z = get_op("Conv2D").kernel(np, x, w, **conv)
    views = _windows(z, *ksize, out_h, out_w)
    pooled, taps = views[0].copy(), np.zeros(views[0].shape, np.uint8)
    for q, v in enumerate(views[1:], 1):
        take = (pooled == pooled) & ((v > pooled) | (v != v))
        np.copyto(pooled, v, where=take)
        taps[take] = q
    taps[pooled != pooled] = NO_TAP
    return pooled, taps


def filter_grad_numpy(x, taps, dy, conv: dict, ksize: tuple, conv_hw: tuple) -> np.ndarray:
    """The filter's gradient: `dy` put back at each window's tap, then Conv2DBackpropFilter.

    Args:
        x: the convolution's input.
        taps, dy: the pooled taps and the pooled gradient.
        conv: the Conv2DBackpropFilter node's attrs (with `filter_sizes`).
        ksize: `(ph, pw)`.
        conv_hw: the height and width of the convolution's output.

    Returns:
        The filter's gradient.
    """
    dz = np.zeros((dy.shape[0], *conv_hw, dy.shape[3]), dy.dtype)
    for q, view in enumerate(_windows(dz, *ksize, *dy.shape[1:3])):
        np.copyto(view, dy, where=taps == q)
    return get_op("Conv2DBackpropFilter").kernel(np, x, dz, **conv)


# The kernels' array arguments: "f" the node's float dtype, "u" the uint8 taps.
_ARRAYS = {"conv_max_pool": "fffu", "conv_max_pool_filter_grad": "fuff"}


def _compiled(node, kernel_name: str, out_shapes, out_dtypes: tuple):
    """The compiled kernel of a fused node: pads x, reuses its output buffers;
    `out_shapes(batch)` gives their shapes (the batch size may be known only at run time)."""
    a = node.attrs
    (top, bottom), (left, right) = a["pads"]
    kh, kw, c_in, c_out = a["filter_shape"]
    dtype = np.dtype(node.inputs[0]._value.dtype)

    def prepare(module, numba):
        arrays = [numba.types.Array(numba.from_dtype(dtype if k == "f" else np.dtype(np.uint8)),
                                    1, "C") for k in _ARRAYS[kernel_name]]
        getattr(module, kernel_name).compile(tuple(arrays) + (numba.types.int64,) * 5)

    kernel = getattr(cpu_jit.load(source(kh, kw, c_in, *a["ksize"], c_out), prepare),
                     kernel_name)
    out_h, out_w = a["pooled_hw"]
    kept: list = [None]

    def run(*inputs):
        x = np.ascontiguousarray(inputs[0])
        if top or bottom or left or right:
            x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
        rest = [np.ascontiguousarray(v) for v in inputs[1:]]
        n, height, width = x.shape[:3]
        shapes, outs = out_shapes(n), kept[0]
        if (outs is None or outs[0].shape != shapes[0]
                or any(_getrefcount(o) > 3 for o in outs)):  # 3: tuple, loop, argument
            outs = kept[0] = tuple(np.empty(s, d) for s, d in zip(shapes, out_dtypes))
        kernel(x.reshape(-1), *[v.reshape(-1) for v in rest], *[o.reshape(-1) for o in outs],
               n, height, width, out_h, out_w)
        return outs if len(outs) > 1 else outs[0]

    return run


def _build_forward(node, program):
    """`NODE_BUILDERS["ConvMaxPool"]`."""
    a = node.attrs
    out_h, out_w = a["pooled_hw"]
    c_out = a["filter_shape"][3]
    with_taps = len(node.outputs) == 2  # without a gradient, the taps go to a scratch buffer

    def numpy_fn(x, w):
        pooled, taps = forward_numpy(x, w, a["conv"], tuple(a["ksize"]), *a["pooled_hw"])
        return (pooled, taps) if with_taps else pooled

    if not cpu_jit.enabled():
        return numpy_fn

    def make():
        run = _compiled(node, "conv_max_pool", lambda n: ((n, out_h, out_w, c_out),) * 2,
                        (np.dtype(node.inputs[0]._value.dtype), np.dtype(np.uint8)))
        return run if with_taps else (lambda x, w: run(x, w)[0])

    return cpu_jit.tiered(numpy_fn, make, f"ConvMaxPool {node.name}")


def _build_filter_grad(node, program):
    """`NODE_BUILDERS["ConvMaxPoolFilterGrad"]`."""
    a = node.attrs
    shape = tuple(node.outputs[0]._value.shape)  # the filter's

    def numpy_fn(x, taps, dy):
        return filter_grad_numpy(x, taps, dy, a["conv"], tuple(a["ksize"]),
                                 tuple(a["conv_hw"]))

    if not cpu_jit.enabled():
        return numpy_fn
    dtype = np.dtype(node.outputs[0]._value.dtype)
    return cpu_jit.tiered(numpy_fn, lambda: _compiled(
        node, "conv_max_pool_filter_grad", lambda n: (shape,), (dtype,)),
        f"ConvMaxPoolFilterGrad {node.name}")


for _type, _builder in (("ConvMaxPool", _build_forward),
                        ("ConvMaxPoolFilterGrad", _build_filter_grad)):
    register_node_type(_type)
    NODE_BUILDERS[_type] = _builder
