"""Run-time state that dispatch reads on every op.

Two kinds of state live here:
- `GLOBAL.slow`: how many reasons there are, in any thread, to leave dispatch's fast path
  (an active tape, a device scope, an op listener, strict checks, tracing). While it is
  zero, binary operators on CPU tensors go straight to the kernel.
- `THREAD`: per-thread stacks (tapes, device scopes, name scopes, the tracing graph).

Every module that turns on a feature calls `enter_slow()` / `exit_slow()` around it, so
dispatch needs one integer test to know it can skip all of them.
"""

from __future__ import annotations

import threading


class _Global:
    __slots__ = ("slow", "strict", "check_numerics")

    def __init__(self):
        self.slow = 0
        self.strict = False
        self.check_numerics = False


class _ThreadState(threading.local):
    def __init__(self):
        self.tapes = []          # active GradientTapes, innermost last
        self.devices = []        # device scopes, innermost last
        self.scopes = []         # name scope components
        self.saved_scopes = []   # what each open `name_scope` restores on exit
        self.graph = None        # the graph being traced, if any


GLOBAL = _Global()
THREAD = _ThreadState()
_lock = threading.Lock()


def enter_slow() -> None:
    """Turns the dispatch fast path off until the matching `exit_slow`."""
    with _lock:
        GLOBAL.slow += 1


def exit_slow() -> None:
    """Undoes one `enter_slow`."""
    with _lock:
        GLOBAL.slow -= 1


def executing_eagerly() -> bool:
    """True unless a function is being traced into a graph.

    Returns:
        A bool: False inside a function being traced into a graph.

    Example:
        >>> engine.executing_eagerly()
        True
    """
    return THREAD.graph is None


def current_name_scope() -> str:
    """The current name scope as a `/`-joined path, '' at top level."""
    return "/".join(THREAD.scopes)
