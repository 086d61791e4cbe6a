"""Fused kernels on CuPy devices: one `cupy.ElementwiseKernel` per `Fused` node.

Each member becomes one line of CUDA over the kernel's type `T` (`_CUDA` has the
expression of every type in `engine.graph.fused.ELEMENTWISE`), computing what its
registry kernel computes, NaN handling included. `engine.graph.fused.build` compiles the
kernel on its first call and wraps it with `_full_shape_outputs` where an output is
smaller than the loop.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cuda_source"]

# The same members as CUDA expressions over T (the dtype); {0}, {1} are the operands.
_CUDA = {"Neg": "-{0}", "Abs": "abs({0})", "Exp": "exp({0})", "Log": "log({0})",
         "Log1p": "log1p({0})", "Expm1": "expm1({0})", "Sqrt": "sqrt({0})",
         "Square": "{0} * {0}", "Reciprocal": "(T)1 / {0}", "Sin": "sin({0})",
         "Cos": "cos({0})", "Tan": "tan({0})", "Tanh": "tanh({0})", "Sinh": "sinh({0})",
         "Cosh": "cosh({0})", "Floor": "floor({0})", "Ceil": "ceil({0})",
         "Sign": "(isnan({0}) ? {0} : (T)(({0} > (T)0) - ({0} < (T)0)))",
         "AddV2": "{0} + {1}", "Sub": "{0} - {1}", "Mul": "{0} * {1}", "RealDiv": "{0} / {1}",
         # NumPy's maximum and minimum propagate NaN; CUDA's fmax/fmin would drop it.
         "Maximum": "(({0} > {1}) || isnan({0})) ? {0} : {1}",
         "Minimum": "(({0} < {1}) || isnan({0})) ? {0} : {1}",
         "Pow": "pow({0}, {1})", "Relu": "(({0} > (T)0) || isnan({0})) ? {0} : (T)0",
         "Rsqrt": "(T)1 / sqrt({0})", "Sigmoid": "(tanh({0} * (T)0.5) + (T)1) * (T)0.5",
         "SquaredDifference": "({0} - {1}) * ({0} - {1})",
         "ReluGrad": "{0} * (T)({1} > (T)0)", "BiasAdd": "{0} + {1}"}


def cuda_source(attrs: dict, num_inputs: int, name: str = "eagerlab_fused") -> dict:
    """The `cupy.ElementwiseKernel` arguments of a fused node: one CUDA loop for all members.

    Args:
        attrs: the `Fused` node's attrs.
        num_inputs: how many inputs the node has.
        name: the kernel's name.

    Returns:
        `{"in_params", "out_params", "operation", "name"}`.

    Example:
        >>> attrs = {"members": [{"type": "Mul", "inputs": [["input", 0], ["const", 2.0]],
        ...                       "shape": [4], "dtype": "float32"},
        ...                      {"type": "Exp", "inputs": [["member", 0]], "shape": [4],
        ...                       "dtype": "float32"}], "outputs": [1]}
        >>> print(engine.graph.fused_cuda.cuda_source(attrs, 1)["operation"])
        T m0 = i0 * (T)2.0;
        T m1 = exp(m0);
        o0 = m1;
    """
    lines = []
    for j, m in enumerate(attrs["members"]):
        args = []
        for ref in m["inputs"]:
            if ref[0] == "const":
                args.append(f"(T){float(ref[1])!r}")
            else:
                args.append(f"i{ref[1]}" if ref[0] == "input" else f"m{ref[1]}")
        lines.append(f"T m{j} = {_CUDA[m['type']].format(*args)};")
    outs = attrs["outputs"]
    lines += [f"o{k} = m{j};" for k, j in enumerate(outs)]
    return {"in_params": ", ".join(f"T i{k}" for k in range(num_inputs)),
            "out_params": ", ".join(f"T o{k}" for k in range(len(outs))),
            "operation": "\n".join(lines), "name": name}


def _full_shape_outputs(kernel, node, input_shapes: list, xp):
    """`kernel`, or a wrapper that cuts outputs smaller than the loop back to their shape.

    A `cupy.ElementwiseKernel` writes every output at the broadcast shape of all its
    arguments, while a fused group may also output a smaller member (Adam's scalar step
    size next to a weight-sized update). That member's value is the same along the
    broadcast axes, so its output is cut to one element along them.
    """
    shapes = [tuple(t._value.shape) for t in node.outputs]
    if any(d is None for shape in shapes + input_shapes for d in shape):
        return kernel
    full = np.broadcast_shapes(*input_shapes, *shapes)
    if all(shape == full for shape in shapes):
        return kernel
    lead = len(full)
    cuts = [None if shape == full else
            (0,) * (lead - len(shape)) + tuple(
                slice(0, 1) if d == 1 and f != 1 else slice(None)
                for d, f in zip(shape, full[lead - len(shape):]))
            for shape in shapes]
    contiguous = xp.ascontiguousarray

    def run(*arrays):
        outs = kernel(*arrays)
        if len(shapes) == 1:
            outs = (outs,)
        cut = tuple(out if c is None else contiguous(out[c]).reshape(shape)
                    for out, c, shape in zip(outs, cuts, shapes))
        return cut if len(shapes) > 1 else cut[0]

    run.kernel = kernel
    return run
