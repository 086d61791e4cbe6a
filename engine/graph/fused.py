"""Fused elementwise kernels: one generated function per `Fused` graph node.

The fusion pass (`engine.graph.passes.fusion`) replaces a group of elementwise nodes by
one `Fused` node whose attrs describe the members as plain data:

    {"members": [{"type": "Sub", "inputs": [["input", 0], ["input", 1]],
                  "shape": [784, 512], "dtype": "float32"},
                 {"type": "Mul", "inputs": [["const", 0.1], ["member", 0]], ...}, ...],
     "outputs": [2, 5]}

A member input is `["input", k]` (the fused node's k-th input), `["member", j]` (an
earlier member's result), `["const", x]` (a scalar constant of the member's dtype) or
`["variable", k]` (see "variable updates" below).
`outputs` lists the members whose results leave the node, in the order of its outputs.

`build(node, program)` (registered as `NODE_BUILDERS["Fused"]`) turns that into Python
source, one NumPy ufunc call per step, each writing with `out=` into a buffer that is
already there where it can: the result of a member whose value nothing reads any more,
or an input buffer the executor donated (see `Program.donations`). Relu compares with a
cached array of zeros of its shape, which NumPy's SIMD loops run about 3x faster than a
comparison with the scalar 0. The same recipes serve any array module with NumPy's
ufuncs; on a CuPy device the node instead becomes one `cupy.ElementwiseKernel`
(`engine.graph.fused_cuda.cuda_source` shows its code), compiled on first use.

A node may also update variables (`writes`, see `engine.graph.fused_inplace`): it writes
into the variables' own buffers, and runs in cache-sized chunks when all its members have
one large shape, so an Adam update of one weight (m, v and the weight) is one call that
allocates two small scratch buffers.

Every member computes exactly what its registry kernel computes, in the same order and
dtype, so a fused graph gives the same bits as the unfused one. When the kernel fails
anyway, `engine.graph.fused_explain` reruns the members one by one to name the one that
failed.
"""

from __future__ import annotations

import numpy as np

from engine.backend import numpy_backend
from engine.errors import InvalidArgumentError
from engine.graph import fused_jit
from engine.graph.fused_cuda import _CUDA, _full_shape_outputs, cuda_source  # noqa: F401
from engine.graph.fused_explain import explain, run_members  # noqa: F401 - re-exported
from engine.graph.fused_inplace import (  # noqa: F401 - re-exported
    _CHUNK_BYTES,
    EXCLUSIVE_REFERENCES,
    _chunk_length,
    _chunk_loop,
    _chunk_names,
    _static,
    _variable_lines,
    variables_of,
)

__all__ = ["ELEMENTWISE", "UFUNCS", "build", "numpy_source", "cuda_source", "run_members",
           "explain", "variables_of", "EXCLUSIVE_REFERENCES"]

# type -> steps. A step is (ufunc name, operand, ...) where an operand is an int (the
# member's input of that index; only the first step reads inputs, so a member may write
# over an input it is the last reader of), "r" (the running result), a float (a constant
# of the member's dtype), "zeros" (0, as an array where that is faster) or a nested step
# such as ("greater", 1, 0.0), a boolean mask.
_UNARY = {"Neg": "negative", "Abs": "absolute", "Exp": "exp", "Log": "log", "Log1p": "log1p",
          "Expm1": "expm1", "Sqrt": "sqrt", "Square": "square", "Reciprocal": "reciprocal",
          "Sin": "sin", "Cos": "cos", "Tan": "tan", "Tanh": "tanh", "Sinh": "sinh",
          "Cosh": "cosh", "Floor": "floor", "Ceil": "ceil", "Sign": "sign"}
_BINARY = {"AddV2": "add", "Sub": "subtract", "Mul": "multiply", "RealDiv": "true_divide",
           "Maximum": "maximum", "Minimum": "minimum", "Pow": "power"}
ELEMENTWISE: dict = {t: [(f, 0)] for t, f in _UNARY.items()}
ELEMENTWISE.update({t: [(f, 0, 1)] for t, f in _BINARY.items()})
ELEMENTWISE.update({
    "Relu": [("maximum", 0, "zeros")],
    "Rsqrt": [("sqrt", 0), ("reciprocal", "r")],
    # 0.5 * (1 + tanh(x / 2)), step by step as the Sigmoid kernel computes it.
    "Sigmoid": [("multiply", 0, 0.5), ("tanh", "r"), ("add", "r", 1.0),
                ("multiply", "r", 0.5)],
    "SquaredDifference": [("subtract", 0, 1), ("square", "r")],
    "ReluGrad": [("multiply", 0, ("greater", 1, 0.0))],
    "BiasAdd": [("add", 0, 1)],  # channel-last data formats only (see the fusion pass)
})


def _names(steps) -> set:
    names = set()
    for step in steps:
        names.add(step[0])
        names.update(_names(op for op in step[1:] if isinstance(op, tuple)))
    return names


# Every array-module function a fused kernel may call (all exist in CuPy too).
UFUNCS = frozenset(name for steps in ELEMENTWISE.values() for name in _names(steps))

_ZEROS: dict = {}  # (shape, dtype) -> a read-only array of zeros (Relu's second operand)
_ZEROS_MIN_SIZE = 4096


def _zeros(shape: tuple, dtype: np.dtype) -> np.ndarray:
    # NumPy's maximum runs ~3x faster against an array of the same shape than against
    # the scalar 0 (no SIMD loop for a scalar operand); the values are the same.
    key = (shape, dtype)
    zeros = _ZEROS.get(key)
    if zeros is None:
        zeros = _ZEROS[key] = np.zeros(shape, dtype)
        zeros.flags.writeable = False
    return zeros


# --- planning: which member writes into which buffer -------------------------------------
def _plan(members: list, outputs: list, input_specs: list, donate: frozenset,
          writes: dict | None = None) -> list:
    """The buffer each member writes: a variable name already holding a dead buffer of the
    right shape and dtype, or None to allocate. Returns one entry per member.

    A member in `writes` (member -> variable index k) writes `w<k>`, which is the variable's
    own buffer when that may be overwritten, so nothing may read what it held afterwards
    (the variable's old value, or an earlier member written there); raises ValueError if
    something does."""
    writes = writes or {}
    last_read: dict = {}
    for j, m in enumerate(members):
        for ref in m["inputs"]:
            if ref[0] != "const":
                last_read[tuple(ref)] = j
    exported = {("member", j) for j in outputs}
    # variable name -> (shape, dtype, the value it holds now)
    buffers = {f"i{k}": (tuple(input_specs[k][0]), np.dtype(input_specs[k][1]), ("input", k))
               for k in sorted(donate)}
    held = {k: ("variable", k) for k in writes.values()}  # what each w<k> holds
    plan = []
    for j, m in enumerate(members):
        if j in writes:
            k = writes[j]
            if ("member", j) in exported or last_read.get(held[k], -1) > j:
                raise ValueError(f"fused: member {j} cannot write variable {k} in place: "
                                 f"{held[k]} is read after it, or the member is an output.")
            held[k] = ("member", j)
            plan.append(f"w{k}")
            continue
        shape = None if m["shape"] is None else tuple(m["shape"])
        dtype = np.dtype(m["dtype"])
        operands = {tuple(ref) for ref in m["inputs"] if ref[0] != "const"}
        target = None
        if shape is not None and len(shape) > 0:
            for name, (bshape, bdtype, value) in buffers.items():
                free = value not in exported and last_read.get(value, -1) <= j
                if not free or bdtype != dtype:
                    continue
                if bshape == shape and _static(shape):
                    target = name
                    break
                if value in operands and _keeps_shape(m, value, members, input_specs):
                    target = name  # unknown dims, but the result has this operand's shape
                    break
        if target is None and shape is not None and len(shape) > 0:
            target = f"b{j}"
        plan.append(target)
        if target is not None:
            buffers[target] = (shape, dtype, ("member", j))
    return plan


def _keeps_shape(member: dict, value: tuple, members: list, input_specs: list) -> bool:
    """Whether the member's result has the shape of operand `value` whatever the dims."""
    others = [ref for ref in member["inputs"] if tuple(ref) != value]
    for ref in others:
        if ref[0] == "const":
            continue
        if ref[0] == "variable":
            return False
        spec = members[ref[1]]["shape"] if ref[0] == "member" else input_specs[ref[1]][0]
        if spec is None or len(spec) != 0:
            return False
    return True


# --- NumPy (and any array module with NumPy's ufuncs) --------------------------------------
def numpy_source(attrs: dict, input_specs: list, donate=frozenset(), module=np,
                 name: str = "fused", variables=None) -> tuple[str, dict]:
    """The Python source of a fused node's kernel and the globals it needs.

    Args:
        attrs: the `Fused` node's attrs (`members`, `outputs`, and `writes` for an update).
        input_specs: `(shape, dtype name)` of each input.
        donate: indices of inputs whose buffers the kernel may overwrite.
        module: the array module whose ufuncs it calls: NumPy, or one that works like it
            (a test's fake GPU); CuPy devices get `cuda_source` instead. The names it
            uses are `UFUNCS`.
        name: the function's name.
        variables: the graph's variables (indexed by the `["variable", k]` references and
            `writes`); needed only by a node that updates variables.

    Returns:
        `(source, globals)`.

    Example:
        >>> attrs = {"members": [{"type": "AddV2", "inputs": [["input", 0], ["input", 1]],
        ...                       "shape": [3], "dtype": "float32"},
        ...                      {"type": "Relu", "inputs": [["member", 0]], "shape": [3],
        ...                       "dtype": "float32"}], "outputs": [1]}
        >>> print(engine.graph.fused.numpy_source(attrs, [([3], "float32")] * 2)[0])
        def fused(i0, i1):
            b0 = add(i0, i1)
            maximum(b0, _c0, out=b0)
            return b0
        <BLANKLINE>
    """
    members, outputs = attrs["members"], attrs["outputs"]
    writes = {j: k for j, k in attrs.get("writes", ())}
    written = set(writes.values())
    chunk = _chunk_length(attrs, input_specs) if module is np else None
    if chunk is not None:
        donate = ()  # chunk-sized scratch stays in the cache; a donated input would not
    plan = _plan(members, outputs, input_specs, frozenset(donate), writes)
    env: dict = {"_numpy": module is np and chunk is None}
    consts: dict = {}
    names: dict = {}
    head = [f"def {name}({', '.join(f'i{k}' for k in range(len(input_specs)))}):"]
    head += _variable_lines(attrs, writes, members, variables, env)
    rename = {}  # in a chunked kernel: the whole arrays' names -> their chunks' names
    if chunk is not None:
        rename = _chunk_names(attrs, writes, input_specs)
    lines: list = []

    def ufunc(fname: str) -> str:
        env.setdefault(fname, getattr(module, fname))
        return fname

    def constant(value, dtype) -> str:
        key = (repr(float(value)), dtype.str)  # repr keeps -0.0 apart from 0.0
        if key not in consts:
            consts[key] = f"_c{len(consts)}"
            env[consts[key]] = dtype.type(value)
        return consts[key]

    def operand(ref, dtype) -> str:
        if ref[0] == "const":
            return constant(ref[1], dtype)
        if ref[0] == "member":
            return names[ref[1]]
        if ref[0] == "input":
            whole = f"i{ref[1]}"
        else:  # a variable's value when the kernel starts (see `_variable_lines`)
            whole = f"w{ref[1]}" if ref[1] in written else f"x{ref[1]}"
        return rename.get(whole, whole)

    for j, m in enumerate(members):
        dtype = np.dtype(m["dtype"])
        args = [operand(ref, dtype) for ref in m["inputs"]]
        shape = None if m["shape"] is None or chunk else tuple(m["shape"])
        target = rename.get(plan[j], plan[j])
        current = None  # the running result
        for step in ELEMENTWISE[m["type"]]:
            parts = [_step_operand(op, args, current, shape, dtype, env, constant, ufunc)
                     for op in step[1:]]
            call = f"{ufunc(step[0])}({', '.join(parts)}"
            if target is None:  # a scalar: no buffer to write into
                lines.append(f"    m{j} = {call})")
                current = f"m{j}"
            elif current is None and target == f"b{j}" and chunk is None:  # a new buffer
                lines.append(f"    {target} = {call})")
                current = target
            else:  # NumPy deprecates a positional `out` for maximum and minimum only
                out = f"out={target}" if step[0] in ("maximum", "minimum") else target
                lines.append(f"    {call}, {out})")
                current = target
        names[j] = current
    if chunk is not None:
        lines = _chunk_loop(chunk, rename, members, plan, lines, env, module)
    outs = []
    for j in outputs:
        shape = members[j]["shape"]
        outs.append(names[j] if shape else f"_asarray({names[j]})")
    if any(o.startswith("_asarray") for o in outs):
        env["_asarray"] = module.asarray
    tail = [f"    _v{k}._value = w{k}" for k in sorted(written)]
    tail.append(f"    return {', '.join(outs) if outs else '()'}")
    return "\n".join(head + lines + tail) + "\n", env


def _step_operand(op, args: list, current, shape, dtype, env: dict, constant, ufunc) -> str:
    if op == "r":
        return current
    if isinstance(op, int):
        return args[op]
    if isinstance(op, float):
        return constant(op, dtype)
    if isinstance(op, tuple):  # a nested step: a mask
        inner = [_step_operand(o, args, current, shape, dtype, env, constant, ufunc)
                 for o in op[1:]]
        return f"{ufunc(op[0])}({', '.join(inner)})"
    # "zeros": an array of zeros for large static shapes on the CPU, else the scalar 0
    if env.get("_numpy") and _static(shape) and int(np.prod(shape)) >= _ZEROS_MIN_SIZE:
        name = f"_z{sum(1 for k in env if k.startswith('_z'))}"
        env[name] = _zeros(shape, dtype)
        return name
    return constant(0.0, dtype)


# --- the builder --------------------------------------------------------------------------
def build(node, program):
    """`NODE_BUILDERS["Fused"]`: the callable that runs a `Fused` node on its device."""
    device = program._run_device(node)
    specs = [(t._value.shape, t._value.dtype.name) for t in node.inputs]
    safe = "".join(c if c.isalnum() else "_" for c in node.name)
    variables = program.graph.variables
    if device.backend is numpy_backend:
        donate = program.donations(node)
        source, env = numpy_source(node.attrs, specs, donate, np, f"fused_{safe}", variables)
        fn = _exec(source, env, node, safe)
        return fused_jit.tiered(fn, node.attrs, specs, f"fused_{safe}", variables)
    elif variables_of(node.attrs):  # the in-place pass rewrites CPU nodes only
        raise InvalidArgumentError(f"Fused node {node.name!r} updates variables in place, "
                                   f"which runs on the CPU only; it is on {device.name}.")
    elif getattr(device.backend, "name", None) == "cupy":
        kernel_args = cuda_source(node.attrs, len(specs), f"eagerlab_fused_{safe}")
        kernel = device.xp.ElementwiseKernel(**kernel_args)  # compiled on its first call
        return _full_shape_outputs(kernel, node, [shape for shape, _ in specs], device.xp)
    else:  # another array module with NumPy's ufuncs (a test's fake GPU)
        source, env = numpy_source(node.attrs, specs, frozenset(), device.xp, f"fused_{safe}")
    return _exec(source, env, node, safe)


def _exec(source: str, env: dict, node, safe: str):
    code = compile(source, f"<fused kernel {node.name}>", "exec")
    exec(code, env)  # noqa: S102 - generated from the node's attrs
    fn = env[f"fused_{safe}"]
    fn.source = source
    return fn

