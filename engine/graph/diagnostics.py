"""What a program says about its nodes: timing events, run-time checks and failures.

`ProgramDiagnostics` is a mixin of `engine.graph.executor.Program`. With op listeners
(the profiler), strict checks or `check_numerics` on, the program runs an instrumented
version of its generated function whose every call goes through `_step`: it times the
node, checks its outputs against what tracing promised (strict) and for NaN or Inf
(`check_numerics`), and emits an `OpEvent`. When a kernel fails, `_explain` finds the
failing instruction from the traceback's line in the generated function and names the
node, its inputs' shapes and the user's line that created it.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from engine import context, hooks
from engine import dtypes as _dt
from engine.errors import InvalidArgumentError, OpError
from engine.graph import fused_explain
from engine.graph.ir import Node

__all__ = ["ProgramDiagnostics"]

_G = context.GLOBAL


class ProgramDiagnostics:
    """The instrumented run and the failure explanation of `engine.graph.executor.Program`.

    It uses the program's `graph`, `instructions`, `_globals`, `_instrumented`, `_emit`,
    `_compile` and the `_filename` that `_compile` sets.
    """

    def _run_instrumented(self, arrays: list) -> tuple:
        if self._instrumented is None:
            self._globals["_step"] = self._step
            self._instrumented = self._compile(self._emit(instrumented=True), "run")
        try:
            return self._instrumented(*arrays)
        except Exception as exc:  # noqa: BLE001
            error = self._explain(exc)
            if error is exc:
                raise
            raise error from exc

    def _step(self, k: int, fn, /, *args, **keywords):
        ins = self.instructions[k]
        node = ins.node
        arrays = args[len(ins.leading):]
        listeners = hooks._listeners.get("op")
        start = time.perf_counter_ns()
        result = fn(*args, **keywords)
        end = time.perf_counter_ns()
        outs = result if isinstance(result, (tuple, list)) else (result,)
        if _G.strict:
            _check_outputs(node, outs)
        if _G.check_numerics:
            written = _written(node, self.graph.variables)
            values = list(outs) + [v._value for v in written]
            labels = [f"output {j}" for j in range(len(outs))] + [
                f"the new value of variable {v.name!r}" for v in written]
            for o, label in zip(values, labels):
                o = np.asarray(o) if not hasattr(o, "dtype") else o
                if o.dtype in _dt.INEXACT_NUMPY and not bool(
                        node.device.xp.isfinite(o).all()):
                    raise _node_error(node, f"check_numerics: graph node {node.name!r} "
                                            f"({node.type}) produced NaN or Inf in {label}"
                                            f"{_fused_members(node)}")
        if listeners:
            event = hooks.OpEvent(
                op=node.type, scope=node.scope, device=node.device.name,
                input_shapes=tuple(tuple(np.shape(a)) for a in arrays),
                input_dtypes=tuple(_dt.from_numpy(a.dtype).name for a in arrays
                                   if hasattr(a, "dtype")),
                start_ns=start, end_ns=end,
                bytes_out=sum(int(getattr(o, "nbytes", 0)) for o in outs),
                thread_id=threading.get_ident())
            for callback in listeners:
                callback(event)
        return result

    def _explain(self, exc: Exception) -> Exception:
        """The failing instruction's node, its inputs and the user's line, as an error.

        An error that already names its node (`error.node`: raised by `_step`'s checks or
        by a nested program) is returned as it is, so the node and its line appear once.
        """
        if getattr(exc, "node", None) is not None:
            return exc
        tb = exc.__traceback__
        frame_line = None
        frame = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self._filename:
                frame, frame_line = tb.tb_frame, tb.tb_lineno
            tb = tb.tb_next
        ins = next((i for i in self.instructions if i.line == frame_line), None)
        if ins is None:
            return exc
        node = ins.node
        arrays = [frame.f_locals.get(n, self._globals.get(n)) for n in ins.inputs]
        reason = exc if isinstance(exc, OpError) else None
        if reason is None and node.op is not None and all(a is not None for a in arrays):
            from engine.dispatch import explain_failure  # noqa: PLC0415

            reason = explain_failure(node.op, arrays, node.attrs, exc)
        text = reason.args[0] if reason is not None else f"{type(exc).__name__}: {exc}"
        if node.type == "Fused" and all(a is not None for a in arrays):
            text = fused_explain.explain(node, arrays, text)
        message = f"Graph node {node.name!r} ({node.type}) failed: {text}{_created_at(node)}"
        cls = type(reason) if isinstance(reason, OpError) else InvalidArgumentError
        try:
            error = cls(message, op=node.type)
        except TypeError:
            error = InvalidArgumentError(message, op=node.type)
        error.node = node
        return error


def _check_outputs(node: Node, outs) -> None:
    """Strict mode: each output must match the shape and dtype the graph promised."""
    if len(outs) != len(node.outputs):
        raise InvalidArgumentError(f"Graph node {node.name!r} ({node.type}) made {len(outs)} "
                                   f"outputs; the graph expects {len(node.outputs)}.")
    for k, (out, t) in enumerate(zip(outs, node.outputs)):
        shape = tuple(np.shape(out))
        dtype = np.asarray(out).dtype if not hasattr(out, "dtype") else out.dtype
        want = t._value.shape
        ok_shape = want is None or (len(want) == len(shape) and all(
            w is None or w == s for w, s in zip(want, shape)))
        if not ok_shape or dtype != t._value.dtype:
            raise _node_error(node, f"strict checks: graph node {node.name!r} ({node.type}) "
                                    f"output {k} is {shape} {dtype}; tracing promised "
                                    f"{t.shape} {t.dtype.name}")


def _written(node: Node, variables: list) -> list:
    """The variables a fused node updates (see `engine.graph.passes.inplace`)."""
    writes = node.attrs.get("writes") if node.type == "Fused" else None
    return [variables[k] for _, k in writes] if writes else []


def _node_error(node: Node, text: str) -> InvalidArgumentError:
    """An error about `node` that says where it was created, marked as explained."""
    error = InvalidArgumentError(f"{text}{_created_at(node)}", op=node.type)
    error.node = node  # `_explain` passes it on as it is
    return error


def _fused_members(node: Node) -> str:
    members = node.info.get("members") if node.type == "Fused" else None
    return f" (fused: {', '.join(members)})" if members else ""


def _created_at(node: Node) -> str:
    text = node.source_text()
    return f"\n  The node was created at {text}" if text else ""

