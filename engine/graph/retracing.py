"""Why an `engine.function` traced again: the record per retrace, and the warning.

`RetraceLog` is a mixin of `engine.graph.function.Function`. Each trace after the first
records which arguments changed, from what to what, and the fix
(`engine.graph.signature.differences`); `explain_retracing()` returns those records.
From trace `RETRACE_WARNING_AFTER` on, a retrace warns once per argument and kind of
change, pointing at the user's line that called the function.
"""

from __future__ import annotations

import os
import sys
import warnings

from engine.graph import signature as _sig

__all__ = ["RetraceLog", "RETRACE_WARNING_AFTER"]

RETRACE_WARNING_AFTER = 3  # warn from this many traces of one function on
_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class RetraceLog:
    """The retrace record and warning of `engine.graph.function.Function`.

    It uses the function's `_name`, `_traces` (the leaves of each trace), `_retraces` (the
    records), `_warned` (the `(argument, kind)` pairs warned about) and `_warn_retracing`.
    """

    def explain_retracing(self) -> list[dict]:
        """Why each trace after the first happened, as data.

        Returns:
            One dict per retrace: `{"trace": n, "changes": [{"argument", "kind", "old",
            "new", "fix"}, ...]}`.
        """
        return [dict(r, changes=[dict(c) for c in r["changes"]]) for r in self._retraces]

    def _note_retrace(self, leaves: list) -> None:
        if not self._traces:
            return
        best = min((_sig.differences(old, leaves) for old in self._traces), key=len)
        record = {"trace": len(self._traces) + 1, "changes": best}
        self._retraces.append(record)
        if len(self._traces) + 1 < RETRACE_WARNING_AFTER or not self._warn_retracing:
            return
        fresh = [c for c in best if (c["argument"], c["kind"]) not in self._warned]
        if not fresh:
            return
        self._warned.update((c["argument"], c["kind"]) for c in fresh)
        lines = [f"engine.function {self._name!r} is being traced for time "
                 f"{len(self._traces) + 1}; tracing is slow, so calls should reuse "
                 "graphs. This trace happened because:"]
        for c in fresh:
            lines.append(f"  - argument `{c['argument']}` changed {c['kind']}: {c['old']} -> "
                         f"{c['new']}. Fix: {c['fix']}.")
        lines.append(f"{self._name}.explain_retracing() returns every reason as data.")
        warnings.warn("\n".join(lines), stacklevel=_stacklevel_outside_engine())


def _stacklevel_outside_engine() -> int:
    """The `stacklevel` for a warning raised by our caller that points at the first frame
    outside the engine package: the user's line, whichever entry point (`__call__`,
    `get_concrete_function`, a Keras `fit`) led here."""
    frame = sys._getframe(1)  # the caller of `warnings.warn`: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _ENGINE_DIR):
        frame = frame.f_back
        level += 1
    return level

