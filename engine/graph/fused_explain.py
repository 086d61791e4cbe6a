"""Why a fused node failed: its members rerun one by one to find the one that fails.

A `Fused` node runs as one generated kernel, so a NumPy error inside it would name no
op. The executor then calls `explain`, which runs the members with their registry kernels
on the same inputs and names the first member that fails, its op type and the user's line
that created it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["run_members", "explain"]

def run_members(attrs: dict, arrays: list, xp=np, variables=()):
    """Runs a fused node's members one by one with their registry kernels.

    Used to explain a failure: returns `(index, exception, member_inputs)` for the first
    member that fails on `arrays` (and the current values of `variables`, the graph's), or
    None when all succeed.
    """
    from engine import registry  # noqa: PLC0415 - graph modules sit above the registry

    values: list = []
    for j, m in enumerate(attrs["members"]):
        dtype = np.dtype(m["dtype"])
        args = [dtype.type(ref[1]) if ref[0] == "const" else arrays[ref[1]] if ref[0] == "input"
                else variables[ref[1]]._value if ref[0] == "variable" else values[ref[1]]
                for ref in m["inputs"]]
        try:
            values.append(registry.get(m["type"]).kernel_for(xp)(*args))
        except Exception as exc:  # noqa: BLE001 - handed back to explain the node's error
            return j, exc, args
    return None


def explain(node, arrays: list, text: str) -> str:
    """The error text of a failing fused node, naming the member that fails and its line.

    Args:
        node: the `Fused` node.
        arrays: its input arrays.
        text: the error as the executor has it.

    Returns:
        The text to put after "Graph node ... failed: ".
    """
    from engine import registry  # noqa: PLC0415
    from engine.dispatch import explain_failure  # noqa: PLC0415
    from engine.errors import OpError  # noqa: PLC0415

    members = node.info.get("members") or []
    found = run_members(node.attrs, arrays, node.device.xp, node.graph.variables)
    if found is None or found[0] >= len(members):
        return f"{text} (fused: {', '.join(members)})"
    index, exc, args = found
    member = node.attrs["members"][index]
    reason = exc if isinstance(exc, OpError) else explain_failure(
        registry.get(member["type"]), args, {}, exc)
    sources = node.info.get("sources") or []
    where = sources[index] if index < len(sources) else None
    at = f", created at {where[0]}:{where[1]} in {where[2]}" if where else ""
    return (f"fused member {members[index]!r} ({member['type']}{at}) failed: "
            f"{reason.args[0]} (fused: {', '.join(members)})")
