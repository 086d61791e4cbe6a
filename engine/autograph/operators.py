"""The run-time helpers that converted code calls, as the module it knows as `ag__`.

Each helper decides at run time: Python values (and eager tensors) get plain Python
semantics; symbolic tensors get graph control flow (`engine.cond`, `engine.while_loop`,
`engine.logical_and`, ...).
"""

from engine.autograph.conditionals import (  # noqa: F401
    and_,
    assert_stmt,
    if_exp,
    if_stmt,
    not_,
    or_,
    return_value,
)
from engine.autograph.conversion import converted_call  # noqa: F401
from engine.autograph.loops import for_stmt, range_call, while_stmt  # noqa: F401
from engine.autograph.values import Undefined  # noqa: F401

__all__ = ["and_", "assert_stmt", "if_exp", "if_stmt", "not_", "or_", "return_value",
           "for_stmt", "range_call", "while_stmt", "converted_call", "Undefined"]
