"""Fused kernels compiled for the CPU with Numba, when Numba is installed.

A NumPy fused kernel (`engine.graph.fused.numpy_source`) makes one pass over memory per
ufunc call: an Adam update of one weight is a dozen passes. Where Numba is importable,
a large fused node instead becomes one compiled loop that reads each input once, computes
every member per element, and writes each result once (Adam on a 784 x 512 weight:
~0.07 ms instead of ~0.45 ms). Numba stays optional, as CuPy is: `engine` imports and
runs with NumPy alone, and the NumPy kernel remains the reference and the fallback.

Which nodes: only members whose operations IEEE 754 rounds exactly (add, subtract,
multiply, divide, sqrt and the comparisons, negations, min/max, floor/ceil built from
them: `EXPRESSIONS`), all in one float dtype, each member rounded to that dtype as its
registry kernel rounds it, so a compiled kernel gives the same numbers as the NumPy one
(tests compare them bit for bit; only the sign of a zero from a max/min may differ). A
member with exp, log, tanh, pow... keeps its NumPy kernel (libm's and NumPy's last bits
differ). The node also needs static shapes, outputs of the loop's full shape, at least
`MIN_ELEMENTS` elements or `MIN_MEMBERS` members (below both a compiled call saves little),
and inputs that are full, scalars, or broadcast along leading or trailing axes only (a bias
row, a per-sample column).

When and how it compiles, and the switches: `engine.graph.cpu_jit`.
"""

from __future__ import annotations

import numpy as np

from engine.graph import cpu_jit
from engine.graph.fused_inplace import _static, _variable_lines

__all__ = ["EXPRESSIONS", "jit_source", "eligible", "tiered", "build_single"]

# A node is compiled when it has MIN_ELEMENTS elements, or MIN_MEMBERS members on any size
# (an optimizer's update of a bias: a dozen ufunc calls of ~1 us against one call of ~3 us).
MIN_ELEMENTS = 1 << 14
MIN_MEMBERS = 6

# Member type -> a Python expression over its operands {0}, {1}; `_zero` and `_one` are
# constants of the member's dtype. Each is what the NumPy kernel computes, NaNs included.
EXPRESSIONS = {
    "Neg": "-{0}", "Abs": "abs({0})", "Sqrt": "np.sqrt({0})", "Square": "{0} * {0}",
    "Reciprocal": "_one / {0}", "Floor": "np.floor({0})", "Ceil": "np.ceil({0})",
    "Sign": "(_one if {0} > _zero else (-_one if {0} < _zero else {0}))",
    "AddV2": "{0} + {1}", "BiasAdd": "{0} + {1}", "Sub": "{0} - {1}", "Mul": "{0} * {1}",
    "RealDiv": "{0} / {1}",
    # NumPy's maximum and minimum return NaN when either operand is NaN.
    "Maximum": "({0} if ({0} >= {1} or {0} != {0}) else {1})",
    "Minimum": "({0} if ({0} <= {1} or {0} != {0}) else {1})",
    "Relu": "({0} if ({0} >= _zero or {0} != {0}) else _zero)",
    "Rsqrt": "_one / _t(np.sqrt({0}))",
    "SquaredDifference": "_t({0} - {1}) * _t({0} - {1})",
    "ReluGrad": "{0} * (_one if {1} > _zero else _zero)",  # NumPy: g * (x > 0)
}
_FLOATS = {"float32": "float32", "float64": "float64"}

# --- which nodes ----------------------------------------------------------------------------
def eligible(attrs: dict, input_specs: list):
    """The loop's plan for a fused node, or the reason it keeps its NumPy kernel.

    Args:
        attrs: the `Fused` node's attrs.
        input_specs: `(shape, dtype name)` of each input.

    Returns:
        `(plan, None)` with `plan = {"shape", "split", "dtype", "inputs"}` (`split`: the
        axis where the loop's rows end and its columns begin; `inputs`: one of "full",
        "scalar", "row", "column" per input), or `(None, reason)`.

    Example:
        >>> attrs = {"members": [{"type": "AddV2", "inputs": [["input", 0], ["input", 1]],
        ...                       "shape": [256, 512], "dtype": "float32"}], "outputs": [0]}
        >>> plan, why = engine.graph.fused_jit.eligible(
        ...     attrs, [([256, 512], "float32"), ([512], "float32")])
        >>> plan["split"], plan["inputs"]
        (1, ['full', 'row'])
    """
    members = attrs["members"]
    if any(ref[0] == "variable" and ref[1] not in {k for _, k in attrs.get("writes", ())}
           for m in members for ref in m["inputs"]):
        return None, "it reads a variable it does not write (any shape at run time)"
    for m in members:
        if m["type"] not in EXPRESSIONS:
            return None, f"{m['type']} is not rounded exactly (libm and NumPy may differ)"
        if m["dtype"] not in _FLOATS:
            return None, f"dtype {m['dtype']} (float32 and float64 only)"
        if not _static(m["shape"]):
            return None, "a member's shape is not static"
    dtypes = {m["dtype"] for m in members} | {d for _, d in input_specs}
    if len(dtypes) != 1:
        return None, f"mixed dtypes {sorted(dtypes)}"
    if not all(_static(s) for s, _ in input_specs):
        return None, "an input's shape is not static"
    shapes = [tuple(m["shape"]) for m in members] + [tuple(s) for s, _ in input_specs]
    try:
        full = np.broadcast_shapes(*shapes)
    except ValueError:
        return None, "shapes do not broadcast"
    size = int(np.prod(full))
    if size < MIN_ELEMENTS and len(members) < MIN_MEMBERS:
        return None, (f"{size} elements and {len(members)} members (compiled from "
                      f"{MIN_ELEMENTS} elements or {MIN_MEMBERS} members)")
    writes = {j for j, _ in attrs.get("writes", ())}
    if any(tuple(members[j]["shape"]) != full for j in list(attrs["outputs"]) + list(writes)):
        return None, "an output or variable is smaller than the loop"
    for split in range(len(full) + 1):
        kinds = [_kind(tuple(s), full, split) for s, _ in input_specs]
        if None not in kinds:
            return {"shape": full, "split": split, "dtype": members[0]["dtype"],
                    "inputs": kinds}, None
    return None, "an input broadcasts along inner and outer axes at once"


def _kind(shape: tuple, full: tuple, split: int):
    """How an input of `shape` is indexed in a loop over `full` cut at axis `split`."""
    if int(np.prod(shape)) == 1:
        return "scalar"
    padded = (1,) * (len(full) - len(shape)) + shape
    if padded == full:
        return "full"
    if padded[:split] == (1,) * split and padded[split:] == full[split:]:
        return "row"
    if padded[:split] == full[:split] and padded[split:] == (1,) * (len(full) - split):
        return "column"
    return None


# --- the compiled loop ----------------------------------------------------------------------
def jit_source(attrs: dict, plan: dict) -> str:
    """The Python source of a node's Numba kernel (a module defining `kernel`).

    The kernel takes `(rows, cols, *inputs, *written variables, *outputs)`, all flattened
    to 1-D, and runs `rows x cols` elements; per element it reads every operand, computes
    the members in order, each rounded to the dtype, then writes.

    Args:
        attrs: the `Fused` node's attrs.
        plan: what `eligible` returned.

    Returns:
        The module's source.

    Example:
        >>> attrs = {"members": [{"type": "Mul", "inputs": [["input", 0], ["const", 2.0]],
        ...                       "shape": [65536], "dtype": "float32"}], "outputs": [0]}
        >>> plan, _ = engine.graph.fused_jit.eligible(attrs, [([65536], "float32")])
        >>> print(engine.graph.fused_jit.jit_source(attrs, plan).split("def ")[1].strip())
        kernel(rows, cols, i0, o0):
            for r in range(rows):
                base = r * cols
                for c in range(cols):
                    e = base + c
                    m0 = _t(i0[e] * _c0)
                    o0[e] = m0
    """
    members, dtype = attrs["members"], _FLOATS[plan["dtype"]]
    writes = {j: k for j, k in attrs.get("writes", ())}
    written = sorted(set(writes.values()))
    consts: dict = {}

    def constant(value) -> str:
        key = repr(float(value))
        consts.setdefault(key, f"_c{len(consts)}")
        return consts[key]

    index = {"full": "[e]", "row": "[c]", "column": "[r]"}
    pre, body = [], []
    for k, kind in enumerate(plan["inputs"]):
        if kind == "scalar":
            pre.append(f"    s{k} = i{k}[0]")
    reads = {}
    for k, kind in enumerate(plan["inputs"]):
        reads[("input", k)] = f"s{k}" if kind == "scalar" else f"i{k}{index[kind]}"
    for k in written:
        body.append(f"            x{k} = w{k}[e]")  # the value when the kernel starts
        reads[("variable", k)] = f"x{k}"
    for j, m in enumerate(members):
        args = [constant(ref[1]) if ref[0] == "const" else
                f"m{ref[1]}" if ref[0] == "member" else reads[tuple(ref)]
                for ref in m["inputs"]]
        body.append(f"            m{j} = _t({EXPRESSIONS[m['type']].format(*args)})")
    for k in written:
        body.append(f"            w{k}[e] = m{max(j for j, w in writes.items() if w == k)}")
    for n, j in enumerate(attrs["outputs"]):
        body.append(f"            o{n}[e] = m{j}")
    params = ([f"i{k}" for k in range(len(plan["inputs"]))] + [f"w{k}" for k in written]
              + [f"o{n}" for n in range(len(attrs["outputs"]))])
    head = ["import numpy as np", "from numba import njit", "",
            f"_t = np.{dtype}", f"_zero = np.{dtype}(0.0)", f"_one = np.{dtype}(1.0)"]
    head += [f"{name} = np.{dtype}({value})" for value, name in consts.items()]
    return "\n".join(head + [
        "", "",
        "@njit(cache=True, error_model='numpy', nogil=True)",
        f"def kernel(rows, cols, {', '.join(params)}):",
        *pre,
        "    for r in range(rows):",
        "        base = r * cols",
        "        for c in range(cols):",
        "            e = base + c",
        *body]) + "\n"


# --- the tiered kernel ----------------------------------------------------------------------
def wrapper_source(attrs: dict, plan: dict, num_inputs: int, name: str, variables,
                   env: dict) -> str:
    """The Python function that runs a compiled kernel the way the NumPy kernel runs:
    variables written in their own buffers when nothing else holds them (the same
    `_variable_lines`), outputs in new arrays (or the guard falls back to `_numpy`)."""
    members = attrs["members"]
    writes = {j: k for j, k in attrs.get("writes", ())}
    written = sorted(set(writes.values()))
    args = [f"i{k}" for k in range(num_inputs)]
    full, split = plan["shape"], plan["split"]
    rows, cols = int(np.prod(full[:split])), int(np.prod(full[split:]))
    env.update(_empty=np.empty, _dtype=np.dtype(plan["dtype"]))
    guard = " and ".join(f"{a}.flags.c_contiguous" for a in args) or "True"
    lines = [f"def {name}({', '.join(args)}):",
             f"    if not ({guard}):",
             f"        return _numpy({', '.join(args)})"]
    lines += _variable_lines(attrs, writes, members, variables, env)
    outs = [f"o{n}" for n in range(len(attrs["outputs"]))]
    lines += [f"    {o} = _empty({tuple(full)!r}, _dtype)" for o in outs]
    flat = ([f"{a}.reshape(-1)" for a in args] + [f"w{k}.reshape(-1)" for k in written]
            + [f"{o}.reshape(-1)" for o in outs])
    lines.append(f"    _kernel({rows}, {cols}, {', '.join(flat)})")
    lines += [f"    _v{k}._value = w{k}" for k in written]
    lines.append(f"    return {', '.join(outs) if outs else '()'}")
    return "\n".join(lines) + "\n"


def tiered(numpy_fn, attrs: dict, input_specs: list, name: str, variables):
    """`numpy_fn`, or a function that runs it for a few calls, then a compiled kernel
    (`engine.graph.cpu_jit.tiered`).

    Args:
        numpy_fn: the node's NumPy kernel (`engine.graph.fused.numpy_source`).
        attrs: the `Fused` node's attrs.
        input_specs: `(shape, dtype name)` of each input.
        name: the node's kernel name.
        variables: the graph's variables.

    Returns:
        A callable with the NumPy kernel's signature and results;
        `engine.graph.cpu_jit.status(fn)` says which kernel it runs.
    """
    plan, why = eligible(attrs, input_specs)
    if plan is None or not cpu_jit.enabled():
        numpy_fn.jit_status = f"numpy: {why}" if plan is None else "numpy: no numba"
        return numpy_fn
    kernel_source = jit_source(attrs, plan)
    count = len(plan["inputs"]) + len({k for _, k in attrs.get("writes", ())}) + len(
        attrs["outputs"])

    def make_compiled():
        def prepare(module, numba):
            array = numba.types.Array(numba.from_dtype(np.dtype(plan["dtype"])), 1, "C")
            module.kernel.compile((numba.types.int64, numba.types.int64) + (array,) * count)

        env: dict = {"_numpy": numpy_fn}
        source = wrapper_source(attrs, plan, len(input_specs), name, variables, env)
        env["_kernel"] = cpu_jit.load(kernel_source, prepare).kernel
        exec(compile(source, f"<fused jit kernel {name}>", "exec"), env)  # noqa: S102
        return env[name]

    run = cpu_jit.tiered(numpy_fn, make_compiled, name)
    run.source = getattr(numpy_fn, "source", None)
    run.jit_source = kernel_source
    return run


def build_single(node):
    """`cpu_jit.BUILDERS` entry: a lone exactly rounded elementwise node (a ReluGrad that
    feeds two nodes, as after a pooling or before a bias gradient, fuses with nothing) as a
    one-member fused kernel; None when it does not qualify (`eligible`)."""
    out = node.outputs[0]._value
    attrs = {"members": [{"type": node.type, "inputs": [["input", k] for k in
                                                        range(len(node.inputs))],
                          "shape": list(out.shape), "dtype": out.dtype.name}],
             "outputs": [0]}
    specs = [(list(t._value.shape), t._value.dtype.name) for t in node.inputs]
    if eligible(attrs, specs)[0] is None:
        return None
    safe = "".join(c if c.isalnum() else "_" for c in node.name)
    return tiered(cpu_jit.numpy_kernel(node), attrs, specs, f"single_{safe}", [])


cpu_jit.BUILDERS["ReluGrad"] = build_single
