"""CUDA graph capture: a compiled program on a CuPy GPU replayed as one graph launch.

A traced function whose every node runs on one CuPy GPU, with static shapes and no
host-side work, is captured into a CUDA graph after `WARMUP_CALLS` ordinary calls (which
compile CuPy's kernels and fill its memory pool), and from then on each call is: copy the
inputs into the graph's own input buffers, launch the graph, copy the outputs out. That
removes the per-kernel launch cost and the executor's Python per node, which dominate
small GPU steps.

What makes a replay compute the same as a normal call:
- Inputs: the graph reads fixed addresses, so each call copies its arrays into buffers
  allocated at capture time (device-to-device, ordered before the launch).
- Outputs: they live in the graph's buffers, which the next replay overwrites, so each call
  returns copies.
- Variables: a read is captured at the address the variable held then. An assignment that
  rebinds a variable to a new array inside the graph is followed, at the end of the
  graph, by a copy back into the variable's original buffer, and the variable is bound to
  that buffer again; so every replay reads and writes the same buffers. When code outside
  the graph rebinds a variable (an eager `assign`, `set_weights`, `load_weights`, Keras
  resetting its metrics at each epoch), the next call notices (by identity), copies the
  new value into the graph's buffer and binds the variable to it again; only a new shape
  makes it capture again. As replays write variables in place, an eager read of a
  captured variable (`variable.value()`, an eager op on it) takes a copy, so that a
  snapshot keeps its value across later calls, as on the CPU.
- Memory: the capture allocates from a memory pool of its own, kept with the graph, so
  no other code is handed a buffer that a replay writes.
- Matrix products: CuPy refuses cuBLAS calls during a capture, so the capture records
  them through `engine.backend.cublas_capture` (cuBLAS's GEMM on a handle of its own).

Not captured (the reason is in `ConcreteFunction.cuda_graph_status`): graphs with a node
on the CPU or another device, shapes unknown at trace time, random draws (a replay would
repeat the same numbers), host callbacks (`engine.print`, `py_function`), control flow
(its conditions are read on the host), or a node whose kernel synchronizes with the host
(found when the capture fails: the call then runs normally, and later calls too).

While the profiler or strict checks are on, calls run the program's instrumented path,
never the graph. `engine.config.optimizer.set_experimental_options({"cuda_graphs": False})`
turns capture off for functions traced from then on.
"""

from __future__ import annotations

import threading

from engine import context, hooks
from engine.backend import cublas_capture, cupy_backend
from engine.graph.executor import NODE_BUILDERS
from engine.graph.ir import SymbolicTensor

__all__ = ["WARMUP_CALLS", "MAX_CAPTURES", "runner_for", "CapturedProgram",
           "ineligibility"]

WARMUP_CALLS = 2  # ordinary calls before the capture
MAX_CAPTURES = 4  # captures (first + re-captures) before giving up on a function

_G = context.GLOBAL
_HOST_NODES = {"PrintV2": "prints on the host", "EagerPyFunc": "calls Python"}


def runner_for(program, enabled: bool = True):
    """What a `ConcreteFunction` calls: `program` itself, or a `CapturedProgram` around it.

    Args:
        program: an `engine.graph.executor.Program`.
        enabled: the `cuda_graphs` option when the function was traced.

    Returns:
        `(runner, reason)`: `reason` is None when the runner captures, else why not.
    """
    device = _gpu_device(program)
    if device is None:
        return program, "the graph does not run on a CuPy GPU"
    if not enabled:
        return program, "turned off (engine.config.optimizer: cuda_graphs=False)"
    reason = ineligibility(program, device)
    if reason is not None:
        return program, reason
    return CapturedProgram(program, device), None


def _gpu_device(program):
    graph = program.graph
    devices = {t._device for t in graph.outputs if isinstance(t, SymbolicTensor)}
    devices |= {t._device for t in graph.inputs}
    devices |= {program._run_device(n) for n in graph.nodes
                if n.type not in ("Placeholder", "Const")}
    if len(devices) != 1:
        return None
    (device,) = devices
    if device.device_type != "GPU" or device.backend is not cupy_backend:
        return None
    return device


def ineligibility(program, device) -> str | None:
    """Why `program` cannot be captured on `device`, or None when it can.

    Args:
        program: an `engine.graph.executor.Program` whose nodes all run on `device`.
        device: the CuPy GPU device.

    Returns:
        A sentence naming the first node (or variable) that rules capture out, or None.
    """
    graph = program.graph
    for t in graph.inputs:
        if any(d is None for d in t._value.shape):
            return (f"input {t.name!r} has shape {t.shape}: capture needs static shapes "
                    "(trace with a fully defined input_signature)")
    for var in graph.variables:
        if var._device is not device:
            return f"variable {var.name!r} lives on {var._device.name}, not {device.name}"
    for node in graph.nodes:
        if node.type in _HOST_NODES:
            return f"node {node.name!r} ({node.type}) {_HOST_NODES[node.type]} at run time"
        if node.type in NODE_BUILDERS and node.type != "Fused":
            return (f"node {node.name!r} ({node.type}) is control flow, whose condition is "
                    "read on the host")
        if node.op is not None and node.op.stateful:
            return (f"node {node.name!r} ({node.type}) is stateful (random draws would "
                    "repeat in every replay)")
        for t in node.outputs:
            if any(d is None for d in t._value.shape):
                return (f"node {node.name!r} ({node.type}) has an output of shape "
                        f"{t.shape}: capture needs static shapes")
    if "_tr(" in program.source:
        return "the graph copies tensors between devices"
    return None


def _failing_node(program, exc: Exception) -> str:
    """` at node 'name' (Type)` for the instruction whose line raised `exc`, else ''."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == program._filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    ins = next((i for i in program.instructions if i.line == line), None)
    return "" if ins is None else f" at node {ins.node.name!r} ({ins.node.type})"


class CapturedProgram:
    """A `Program` on a CuPy GPU that is captured into a CUDA graph and replayed.

    Call it like the program (a list of input arrays; returns the output arrays).
    `status` says where it is: warming up, captured, or why it runs uncaptured.
    """

    def __init__(self, program, device):
        self.program = program
        self.graph = program.graph
        self._device = device
        self._calls = 0
        self._captures = 0
        self._exec = None  # the cupy.cuda.Graph
        self._lock = threading.Lock()
        self.replays = 0
        self.rebinds = 0  # variables copied back into the graph's buffers (`_rebind`)
        self.capture_error = None  # the exception of a failed capture
        self.status = "warming up"

    def __call__(self, arrays: list) -> tuple:
        if _G.slow and (hooks._listeners.get("op") or _G.check_numerics or _G.strict):
            return self.program(arrays)  # the profiler, strict checks: instrumented
        if self._exec is not None:
            for var, original in self._bindings:
                if var._value is not original and not self._rebind(var, original):
                    self._drop(f"variable {var.name!r} was rebound outside the graph "
                               "to another shape")
                    return self.program(arrays)
            return self._replay(arrays)
        if self._captures >= MAX_CAPTURES or not self.status.startswith("warming"):
            return self.program(arrays)
        self._calls += 1
        if self._calls <= WARMUP_CALLS:
            return self.program(arrays)
        with self._lock:
            if self._exec is None and self._capture(arrays):
                return self._replay(arrays)
        return self.program(arrays)

    def _rebind(self, var, original) -> bool:
        """Code outside the graph gave `var` a new array (an eager `assign`: Keras resets
        its metrics so at every epoch): copies it into the buffer the graph reads and binds
        `var` to that buffer again. False when the shape changed: capture again."""
        value = var._value
        if value.shape != original.shape or value.dtype != original.dtype:
            return False
        cupy = cupy_backend._module()
        with cupy.cuda.Device(self._device.index):
            cupy.copyto(original, value)  # on the stream the replay then launches on
        var._value, var._tensor = original, None
        self.rebinds += 1
        return True

    def _drop(self, why: str) -> None:
        self._exec = self._pool = self._outputs = self._inputs = None
        self._bindings = ()
        self._calls = 0
        if self._captures >= MAX_CAPTURES:
            self.status = f"not captured: {why} (captured {self._captures} times; gave up)"
        else:
            self.status = f"warming up (re-capture: {why})"

    def _capture(self, arrays: list) -> bool:
        cupy = cupy_backend._module()
        graph = self.graph
        originals = [(var, var._value) for var in graph.variables]
        for var, value in originals:
            if not (isinstance(value, cupy.ndarray) and value.flags.c_contiguous):
                self.status = (f"not captured: variable {var.name!r} is not a C-contiguous "
                               "CuPy array")
                return False
        pool = cupy.cuda.MemoryPool()
        self._captures += 1
        with cupy.cuda.Device(self._device.index):
            stream = cupy.cuda.Stream(non_blocking=True)
            if cublas_capture.available():
                cublas_capture.bind(stream, self._device.index)
        with cupy.cuda.Device(self._device.index), cupy.cuda.using_allocator(pool.malloc):
            inputs = [cupy.ascontiguousarray(a).copy() for a in arrays]
            cupy.cuda.get_current_stream().synchronize()  # the inputs are ready
            try:
                cupy_backend._capturing = True
                with stream, cublas_capture.patched():
                    stream.begin_capture()
                    try:
                        outputs = self.program._fn(*inputs)
                        for var, original in originals:
                            if var._value is not original:
                                if var._value.shape != original.shape:
                                    raise ValueError(f"variable {var.name!r} changes shape")
                                cupy.copyto(original, var._value)
                    finally:
                        captured = stream.end_capture()
            except Exception as exc:  # noqa: BLE001 - a host sync or an unsupported call
                for var, original in originals:  # nothing ran: the old values stand
                    var._value, var._tensor = original, None
                self.capture_error = exc
                first = str(exc).splitlines()[0] if str(exc) else ""
                where = _failing_node(self.program, exc)
                self.status = (f"not captured: the capture failed{where} "
                               f"({type(exc).__name__}: {first}); calls run the program")
                return False
            finally:
                cupy_backend._capturing = False
        for var, original in originals:
            if var._value is not original:
                var._value = original
            var._tensor = None
            var._written_in_place = True  # snapshots copy from now on (Variable._read)
        self._exec, self._pool, self._inputs = captured, pool, inputs
        self._outputs = outputs
        self._bindings = originals
        self.status = "captured"
        return True

    def _replay(self, arrays: list) -> tuple:
        cupy = cupy_backend._module()
        with cupy.cuda.Device(self._device.index):
            stream = cupy.cuda.get_current_stream()
            for buffer, array in zip(self._inputs, arrays):
                if array.flags.c_contiguous:
                    buffer.data.copy_from_device_async(array.data, buffer.nbytes, stream)
                else:
                    cupy.copyto(buffer, array)
            self._exec.launch(stream)
            for var, _ in self._bindings:
                var._tensor = None
            self.replays += 1
            return tuple(None if out is None else out.copy() for out in self._outputs)
