"""Variable writes in a compiled program: the executor's counterparts of `Variable.assign*`.

A program's `AssignVariableOp`, `AssignAddVariableOp` and `AssignSubVariableOp` nodes
become one line each in the generated function, `_assign_add(v3, t5)`, calling these
functions directly. `assign_add` and `assign_sub` update the variable's buffer in place
when nothing but the variable holds it (by reference count, the rule of
`Variable.assign_add`), so a snapshot read earlier never changes; otherwise they rebind
the variable to a new array.
"""

from __future__ import annotations

import sys

from engine.graph.fused_inplace import EXCLUSIVE_REFERENCES
from engine.graph.ir import SymbolicTensor

__all__: list[str] = []

_getrefcount = sys.getrefcount
_EXCLUSIVE = EXCLUSIVE_REFERENCES  # getrefcount of an array only its variable holds


def _aliases_user_memory(t: SymbolicTensor) -> bool:
    """Whether a value may share memory with something outside the graph."""
    return t._node.type in ("Placeholder", "Const", "ReadVariableOp")


def _assign(var, value) -> None:
    var._tensor = None
    xp = var._device.xp
    # A kernel may return a NumPy scalar for a 0-d result; a variable keeps an array.
    var._value = value if isinstance(value, xp.ndarray) else xp.asarray(value)


def _assign_add(var, delta) -> None:
    var._tensor = None
    current = var._value
    xp = var._device.xp
    # References: the attribute, `current`, getrefcount's argument (on CPython 3.11).
    if _getrefcount(current) <= _EXCLUSIVE and _owner(current):
        xp.add(current, delta, out=current)
    else:
        var._value = xp.asarray(xp.add(current, delta))  # 0-d inputs give a NumPy scalar


def _assign_sub(var, delta) -> None:
    var._tensor = None
    current = var._value
    xp = var._device.xp
    if _getrefcount(current) <= _EXCLUSIVE and _owner(current):
        xp.subtract(current, delta, out=current)
    else:
        var._value = xp.asarray(xp.subtract(current, delta))


def _owner(array) -> bool:
    flags = getattr(array, "flags", None)
    return flags is not None and flags.owndata and getattr(flags, "writeable", True)


_ASSIGNS = {"AssignVariableOp": "_assign", "AssignAddVariableOp": "_assign_add",
            "AssignSubVariableOp": "_assign_sub"}
