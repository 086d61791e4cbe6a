"""The fold of Conv2DBackpropInput compiled for the CPU with Numba, in graphs.

`conv2d_backprop_input` (`engine.ops.conv_kernels`) gets each kernel offset's gradient of
the input from a GEMM and adds it onto a strided slice of the input gradient ("col2im").
NumPy's strided `+=` ran at ~0.25 ns per element, about 0.56 ms of W3's 3 ms second-layer
backprop; one compiled loop over contiguous runs (`tap_add`) does the same adds, in the same
order (so the same bits), in ~0.1 ms. The GEMMs stay NumPy's (BLAS).

NHWC float32/float64 nodes with static shapes only; the builder is registered in
`engine.graph.cpu_jit.BUILDERS`, which the executor asks first on the CPU; when and how
kernels compile: `cpu_jit`. Eager calls of plain NumPy arrays get it through
`engine.ops.eager_jit.PROVIDERS` (`eager_tap_add`).
"""

from __future__ import annotations

from engine.graph import cpu_jit
from engine.ops.eager_jit import PROVIDERS

__all__ = ["SOURCE", "eager_tap_add"]

_FLOATS = ("float32", "float64")

SOURCE = '''import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def tap_add(dx, value, row, col, sh, sw):
    # dx[:, row::sh, col::sw][:, :out_h, :out_w] += value, both C-contiguous NHWC
    n, out_h, out_w, c = value.shape
    height, width = dx.shape[1], dx.shape[2]
    dflat = dx.reshape(dx.size)
    vflat = value.reshape(value.size)
    run = out_w * c
    for b in range(n):
        for y in range(out_h):
            v = (b * out_h + y) * run
            vs = vflat[v:v + run]
            d = ((b * height + row + y * sh) * width + col) * c
            if sw == 1:
                ds = dflat[d:d + run]
                for e in range(run):
                    ds[e] += vs[e]
            else:
                for x in range(out_w):
                    ds = dflat[d + x * sw * c:d + x * sw * c + c]
                    vx = vs[x * c:x * c + c]
                    for k in range(c):
                        ds[k] += vx[k]
'''


def _tap_add(dtype):
    """The compiled `tap_add` for 4-D C-contiguous arrays of `dtype`."""
    def prepare(module, numba):
        array = numba.types.Array(numba.from_dtype(dtype), 4, "C")
        module.tap_add.compile((array, array) + (numba.types.int64,) * 4)

    return cpu_jit.load(SOURCE, prepare).tap_add


def _build_backprop_input(node):
    """Conv2DBackpropInput with the compiled fold, or None."""
    shapes = [t._value.shape for t in (*node.inputs, *node.outputs)]
    dtype = node.outputs[0]._value.dtype
    if (len(node.inputs) != 2 or dtype.name not in _FLOATS
            or node.attrs.get("data_format", "NHWC") != "NHWC"
            or any(d is None for shape in shapes for d in shape)
            or any(t._value.dtype != dtype for t in node.inputs)):
        return None
    return cpu_jit.tiered(cpu_jit.numpy_kernel(node),
                          lambda: cpu_jit.numpy_kernel(node, tap_add=_tap_add(dtype)),
                          f"{node.type} {node.name}")


_EAGER: dict = {}  # dtype -> its tiered kernel (cpu_jit.eager_kernel), or False


def eager_tap_add(dtype):
    """The compiled `tap_add` for an eager Conv2DBackpropInput of `dtype`, or None (while it
    warms up, for other dtypes, or with compiled kernels off): tiered per dtype as a graph
    node is (`cpu_jit.eager_kernel`).

    Args:
        dtype: the NumPy dtype of the gradient.

    Returns:
        `tap_add(dx, value, row, col, sh, sw)`, or None.
    """
    make = (lambda: _tap_add(dtype)) if dtype.name in _FLOATS else None
    return cpu_jit.eager_kernel(_EAGER, dtype, make, "eager Conv2DBackpropInput")


cpu_jit.BUILDERS["Conv2DBackpropInput"] = _build_backprop_input
PROVIDERS["tap_add"] = eager_tap_add
