"""Fused kernels that update variables: in-place writes, and chunks that stay in cache.

The in-place pass (`engine.graph.passes.inplace`) gives a fused node `writes`: pairs
[member j, variable k] meaning "member j's result is variable k's new value", and member
inputs ["variable", k]: variable k's value when the node starts. The kernel then reads the
variable itself and writes the new value into the variable's own buffer when nothing else
can see that buffer (`_fits`), else into a copy that replaces it (`Variable.assign_add`'s
rule). An update whose members all have one large shape runs in chunks of `_CHUNK_BYTES`
per operand, so that its dozen passes stay in the L2 cache.

`engine.graph.fused.numpy_source` calls the helpers here to open the kernel
(`_variable_lines`) and to wrap its body in the chunk loop (`_chunk_length`,
`_chunk_names`, `_chunk_loop`).
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["variables_of", "EXCLUSIVE_REFERENCES"]

_CHUNK_BYTES = 1 << 18  # per operand; on W2 (1 MiB L2) 128-256 KiB were best, 64 and 512 slower


def _static(shape) -> bool:
    return shape is not None and all(d is not None for d in shape)


def _exclusive_references() -> int:
    """What `sys.getrefcount` says, in a kernel, of an array held only by its variable."""
    holder = type("Holder", (), {})()
    holder._value = np.empty(1)
    namespace = {"_h": holder, "_getrefcount": sys.getrefcount}
    exec("def probe():\n    x = _h._value\n    return _getrefcount(x)\n", namespace)  # noqa: S102
    return namespace["probe"]()


EXCLUSIVE_REFERENCES = _exclusive_references()  # 3 on CPython 3.11: attribute, local, argument


def _fits(array, shape: tuple, dtype) -> bool:
    """Whether `array` (held by nothing but its variable) may take its new value in place."""
    if type(array) is not np.ndarray or array.shape != shape or array.dtype != dtype:
        return False
    flags = array.flags
    return flags.c_contiguous and flags.owndata and flags.writeable


def variables_of(attrs: dict) -> set:
    """The indices of the variables a fused node reads or writes.

    Args:
        attrs: a `Fused` node's attrs.

    Returns:
        A set of indices into the graph's `variables`.

    Example:
        >>> sorted(engine.graph.fused_inplace.variables_of({"members": [], "writes": [[0, 2]]}))
        [2]
    """
    found = {k for _, k in attrs.get("writes", ())}
    for m in attrs["members"]:
        found.update(ref[1] for ref in m["inputs"] if ref[0] == "variable")
    return found


def _variable_lines(attrs, writes, members, variables, env) -> list:
    """The kernel's first lines: each variable's value, and for a variable it writes, the
    buffer to write: its own if nothing else holds it, else a private copy (so reading the
    old value from `w<k>` is right either way; `_plan` sees that no read comes too late)."""
    lines = []
    for k in sorted(variables_of(attrs)):
        env[f"_v{k}"] = variables[k]
        if k not in writes.values():
            lines.append(f"    x{k} = _v{k}._value")
            continue
        member = members[max(j for j, w in writes.items() if w == k)]
        env[f"_s{k}"] = tuple(member["shape"])
        env[f"_d{k}"] = np.dtype(member["dtype"])
        env.update(_getrefcount=sys.getrefcount, _fits=_fits, _copy=_copy)
        lines += [f"    _v{k}._tensor = None",  # a cached snapshot nobody else holds
                  f"    w{k} = _v{k}._value",
                  f"    if _getrefcount(w{k}) > {EXCLUSIVE_REFERENCES} or not "
                  f"_fits(w{k}, _s{k}, _d{k}):",
                  f"        w{k} = _copy(w{k}, _s{k}, _d{k})"]
    return lines


def _copy(array, shape: tuple, dtype) -> np.ndarray:
    copy = np.empty(shape, dtype)
    np.copyto(copy, array)
    return copy


def _chunk_length(attrs: dict, input_specs: list):
    """Elements per chunk for an update whose members and inputs all have one large static
    shape (inputs may also be scalars) and that returns nothing; else None."""
    members = attrs["members"]
    written = {k for _, k in attrs.get("writes", ())}
    if not written or attrs["outputs"] or variables_of(attrs) - written:
        return None  # a variable it only reads could have any shape
    shapes = {tuple(m["shape"]) if _static(m["shape"]) else None for m in members}
    if len(shapes) != 1 or None in shapes or () in shapes:
        return None
    (shape,) = shapes
    chunk = _CHUNK_BYTES // max(np.dtype(m["dtype"]).itemsize for m in members)
    size = int(np.prod(shape))
    specs_ok = all(_static(s) and tuple(s) in (shape, ()) for s, _ in input_specs)
    return chunk if size > chunk and specs_ok else None


def _chunk_names(attrs: dict, writes: dict, input_specs: list) -> dict:
    """Whole array -> chunk names: inputs `i<k>` -> `ci<k>` (not scalars), variables
    `w<k>`/`x<k>` -> `cw<k>`/`cx<k>`; scratch `b<j>` keeps its name (a chunk-sized array)."""
    rename = {f"i{k}": f"ci{k}" for k, (shape, _) in enumerate(input_specs) if len(shape)}
    written = set(writes.values())
    rename.update({f"w{k}": f"cw{k}" for k in sorted(written)})
    rename.update({f"x{k}": f"cx{k}" for k in sorted(variables_of(attrs) - written)})
    return rename


def _chunk_loop(chunk: int, rename: dict, members: list, plan: list, body: list, env: dict,
                module) -> list:
    """`body` (the members' calls on chunk names) wrapped in a loop over the chunks."""
    size = int(np.prod(members[0]["shape"]))
    scratch = sorted({p for p in plan if p and p.startswith("b")}, key=lambda b: int(b[1:]))
    env["_empty"] = module.empty
    lines = [f"    f{whole} = {whole}.reshape(-1)" for whole in rename]
    for b in scratch:
        env[f"_d{b}"] = np.dtype(members[int(b[1:])]["dtype"])
        lines.append(f"    {b} = _empty({chunk}, _d{b})")
    lines.append(f"    for s in range(0, {size}, {chunk}):")
    lines += [f"        {part} = f{whole}[s:s + {chunk}]" for whole, part in rename.items()]
    if scratch and size % chunk:
        lines.append(f"        if s + {chunk} > {size}:  # the last chunk is shorter")
        lines += [f"            {b} = {b}[:{size % chunk}]" for b in scratch]
    return lines + ["    " + line for line in body]
