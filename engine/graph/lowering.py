"""Code-generation choices of the executor: direct NumPy calls and literal attrs.

`Program` calls each node's registry kernel, except where `_lower` gives a direct NumPy
call that computes the same for the case at hand, and writes each attr into the
generated line as a literal where `_is_literal` says its repr reads back the same.
"""

from __future__ import annotations

import numpy as np

from engine.graph.ir import Node

__all__: list[str] = []


def _lower(node: Node):
    """A direct NumPy call for a few hot ops whose kernels only add Python around it.

    Each lowering computes exactly what the op's kernel computes for the static case it
    accepts (float dtypes, which excludes bfloat16, and for MatMul rank-2 operands); it
    saves the kernel's checks and argument handling, which dominate on small tensors.
    """
    ins = node.inputs
    dtype = node.outputs[0]._value.dtype if node.outputs else None
    if dtype is None or dtype.kind != "f":
        return None
    if node.type == "MatMul" and all(t._value.ndim == 2 for t in ins):
        a = node.attrs.get("transpose_a") or node.attrs.get("adjoint_a")
        b = node.attrs.get("transpose_b") or node.attrs.get("adjoint_b")
        return np.matmul, (), {}, [".T" if a else "", ".T" if b else ""]
    if node.type == "Sum":  # np.sum is add.reduce behind a Python wrapper
        return np.add.reduce, (), node.attrs, None
    if node.type == "Mean":
        from engine.ops.reduce_ops import float_mean  # noqa: PLC0415 - ops import graph

        return float_mean, (), node.attrs, None
    return None


def _is_literal(value) -> bool:
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is tuple:
        return all(_is_literal(v) for v in value)
    return False

