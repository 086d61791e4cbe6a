"""Autograph: Python `if`, `while` and `for` on tensors become graph control flow.

While `engine.function` traces a function, a Python `if` whose condition is a symbolic
tensor cannot pick a branch: the value is not known yet. `convert` rewrites the function's
source (its AST) so that every `if`, `while` and `for` calls a run-time helper that looks
at the condition: a Python value runs the statement as Python (conditions on Python
arguments, shapes and flags keep working and leave no trace in the graph); a symbolic
tensor builds `engine.cond` or `engine.while_loop`. `for i in engine.range(n)` and
`for row in tensor` become graph loops; `for` over Python iterables is unrolled.
`break`, `continue` and `return` inside converted statements become flag variables, and
`and`/`or`/`not` and `a if c else b` on tensors become `engine.logical_*` and
`engine.cond`.

What stays Python: `print` and other Python side effects run once per trace (use
`engine.print` to print on every call); comprehensions, lambdas and functions called from
the traced function are not converted (a tensor used as a bool there raises a
`TracingError` naming the line).

- `source`: finding and parsing a function's source (files, notebook cells);
- `analysis`, `lowering`, `transformer`: the rewrite;
- `conversion`: `convert`, `to_code`, `do_not_convert`;
- `operators` (`conditionals`, `loops`, `values`): what converted code calls at run time.
"""

from engine.autograph.conversion import convert, do_not_convert, to_code
from engine.autograph.debugging import get_verbosity, set_verbosity, to_graph, trace

__all__ = ["convert", "do_not_convert", "to_code", "get_verbosity", "set_verbosity",
           "to_graph", "trace"]
