"""Pass: a shallow convolution and its max pooling become one compiled CPU kernel.

Conv2D -> MaxPool becomes `ConvMaxPool` (the pooled values and which window position held
each maximum), and the gradient's MaxPoolGrad -> Conv2DBackpropFilter becomes
`ConvMaxPoolFilterGrad` (the filter's gradient from the pooled gradient and those
positions), so the convolution's output and its gradient are never materialized
(`engine.graph.conv_pool_jit` has the kernels and the numbers: W3's first layer,
~2.3 -> ~0.4 ms).

It applies where the direct kernel wins, and only where nothing else needs what it skips:
- a float32/float64 NHWC Conv2D on the CPU with known shapes (the batch size may be
  unknown), stride 1, no dilation, any padding, and a small contraction
  (`kh * kw * c_in <= MAX_TAPS`: a network's first layer, whose GEMM is memory-bound);
- max pooling whose windows tile the convolution's output (`ksize == strides`, VALID,
  at most `MAX_WINDOW` positions);
- the convolution's output is read only by that MaxPool and by MaxPoolGrads of it, and
  each MaxPoolGrad only by Conv2DBackpropFilters of the same input and geometry (a layer
  that also needs its input's gradient keeps the unfused ops);
- Numba is installed and compiled kernels are on (`engine.graph.cpu_jit.enabled`):
  without them the fused nodes would run the unfused NumPy kernels anyway.

Switch: `engine.config.optimizer.set_experimental_options({"conv_pool_fusion": False})`.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.graph import conv_pool_jit, cpu_jit  # noqa: F401 - registers the node types
from engine.graph.ir import Node, SymbolicTensor
from engine.graph.passes.rewrite import Substitution, is_plain, readers, remove_nodes
from engine.ops import window_attrs as _w
from engine.ops.conv_kernels import _geometry
from engine.ops.pool_ops import _pool_attrs
from engine.tensor_shape import TensorSpec

__all__ = ["run", "MAX_TAPS", "MAX_WINDOW"]

# kh * kw * c_in: up to 3x3 over RGB. Train-step speed-ups of the layer measured with Numba
# 0.68: 28x28x1 3x3 -> 32: 4.4x; 32x32x3 3x3 -> 32 and -> 64: 2.8-2.9x; 64x64x1 5x5 -> 16:
# 1.6x. Past it the unrolled kernel spills registers and loses to im2col + GEMM (5x5x3 -> 32:
# 2x slower, 3x3x16: 7x slower) and takes 7-20 s to compile.
MAX_TAPS = 27
MAX_WINDOW = 9   # ph * pw: up to 3x3 pooling
_FLOATS = ("float32", "float64")


def _static(x, w) -> bool:
    """Whether `w`'s shape and `x`'s, but for its batch size, are known."""
    return (x._value.shape is not None and len(x._value.shape) == 4
            and None not in x._value.shape[1:] and w._value.shape is not None
            and None not in w._value.shape)


def _conv_geometry(node: Node):
    """`(pads, filter_shape)` of a Conv2D the kernels can run, else None."""
    x, w = node.inputs
    if (not is_plain(node) or node.device.device_type != "CPU" or not _static(x, w)
            or x._value.dtype.name not in _FLOATS
            or w._value.dtype != x._value.dtype):
        return None
    a = node.attrs
    try:
        strides, dilations, padding = _w.kernel_args(
            "conv2d", tuple(a["strides"]), a["padding"], tuple(a.get("explicit_paddings", ())),
            a.get("data_format", "NHWC"), tuple(a.get("dilations", _w.ONES)))
    except Exception:  # noqa: BLE001 - attrs the kernel would reject: leave the node alone
        return None
    kh, kw, c_in, c_out = w._value.shape
    if strides != (1, 1) or dilations != (1, 1) or kh * kw * c_in > MAX_TAPS:
        return None
    pads, _ = _geometry(tuple(x._value.shape[1:3]), (kh, kw), strides, dilations, padding)
    return pads, (kh, kw, c_in, c_out)


def _pool_window(node: Node, z: SymbolicTensor):
    """`(ph, pw)` of a MaxPool of `z` whose windows tile it, else None."""
    if node.type != "MaxPool" or not is_plain(node) or node.inputs[0] is not z:
        return None
    try:
        k, s, padding = _pool_attrs(node.op.name, node.attrs)
    except Exception:  # noqa: BLE001
        return None
    if tuple(k) != tuple(s) or padding != "VALID" or k[0] * k[1] > MAX_WINDOW:
        return None
    return tuple(k)


def _match(conv: Node, by_tensor: dict):
    """`(pool, window, grads, filters, pads, filter_shape)` for a fusable Conv2D, else None."""
    geometry = _conv_geometry(conv)
    if geometry is None:
        return None
    z, x = conv.outputs[0], conv.inputs[0]
    pools = [n for n in by_tensor.get(id(z), []) if n is not None and n.type == "MaxPool"]
    window = _pool_window(pools[0], z) if len(pools) == 1 else None
    if window is None:
        return None
    pool = pools[0]
    grads = [n for n in by_tensor[id(z)] if n is not pool]
    filters = []
    for g in grads:
        if (g is None or g.type != "MaxPoolGrad" or not is_plain(g) or g.inputs[0] is not z
                or g.inputs[1] is not pool.outputs[0] or g.attrs != pool.attrs):
            return None
        for f in by_tensor.get(id(g.outputs[0]), [None]):
            if (f is None or f.type != "Conv2DBackpropFilter" or not is_plain(f)
                    or len(f.inputs) != 2 or f.inputs[0] is not x or f.inputs[1] is not
                    g.outputs[0] or tuple(f.attrs["filter_sizes"]) != geometry[1]
                    or any(f.attrs.get(k) != conv.attrs.get(k) for k in
                           ("strides", "padding", "explicit_paddings", "dilations"))):
                return None
            filters.append(f)
    return pool, window, grads, filters, *geometry


def run(graph) -> list[str]:
    """Fuses each matching Conv2D -> MaxPool (and its gradient); returns what it did.

    Args:
        graph: a `Graph` (its nodes in execution order).

    Returns:
        One line per fused layer.
    """
    if not cpu_jit.enabled():
        return []
    by_tensor = readers(graph)
    sub, doomed, changes = Substitution(), set(), []
    placed: dict = {}  # id(node replaced) -> the fused node that takes its place
    for conv in [n for n in graph.nodes if n.type == "Conv2D"]:
        found = _match(conv, by_tensor)
        if found is None:
            continue
        pool, window, grads, filters, pads, filter_shape = found
        pooled = pool.outputs[0]
        common = {"ksize": list(window),
                  "pooled_hw": list(pooled._value.shape[1:3]),
                  "pads": [list(p) for p in pads], "filter_shape": list(filter_shape)}
        fused = _node(graph, "ConvMaxPool", conv, [*conv.inputs],
                      {"conv": dict(conv.attrs), **common},
                      [(pooled._value.shape, pooled._value.dtype)]
                      + ([(pooled._value.shape, np.uint8)] if filters else []))
        fused.info = {"members": [conv.name, pool.name]}
        placed[id(conv)] = fused
        sub.replace(pooled, fused.outputs[0])
        for f in filters:
            grad = _node(graph, "ConvMaxPoolFilterGrad", f,
                         [conv.inputs[0], fused.outputs[1], f.inputs[1]._node.inputs[2]],
                         {"conv": dict(f.attrs), "conv_hw": list(conv.outputs[0]._value.shape[1:3]),
                          **common}, [(f.outputs[0]._value.shape, f.outputs[0]._value.dtype)])
            grad.info = {"members": [f.inputs[1]._node.name, f.name]}
            placed[id(f)] = grad
            sub.replace(f.outputs[0], grad.outputs[0])
        doomed.update(id(n) for n in (conv, pool, *grads, *filters))
        changes.append(f"{conv.name} + {pool.name} -> {fused.name}"
                       + (f" (gradient: {len(filters)} ConvMaxPoolFilterGrad)" if filters else ""))
    if changes:
        graph.nodes = [placed.get(id(n), n) for n in graph.nodes]
        sub.apply(graph)
        remove_nodes(graph, doomed)
    return changes


def _node(graph, type_: str, like: Node, inputs: list, attrs: dict, outputs: list) -> Node:
    """A fused node named, placed and attributed to the user's line like `like`, with
    `outputs` given as `(shape, NumPy dtype)`."""
    base = f"{like.scope}/{type_}" if like.scope else type_
    node = Node(graph, type_, None, graph.unique_name(base), inputs, attrs, like.device,
                like.source, like.scope, False)
    node.outputs = [SymbolicTensor(node, k, TensorSpec(shape, _dt.from_numpy(np.dtype(dtype))),
                                   like.device) for k, (shape, dtype) in enumerate(outputs)]
    return node
