"""`dispatch`: the one place where every op runs.

`dispatch(op, inputs, attrs)`:
1. hands the op to the graph being traced, if any (`context.THREAD.graph`: the hook for
   `engine.function`, which does not exist yet; eagerly it is always None);
2. converts inputs (tensors, variables, NumPy arrays, Python numbers; numbers adopt the
   dtype of the tensors they meet) and checks dtypes;
3. picks the device (the innermost `engine.device` scope, else the first input's device),
   copies inputs there, and falls back to the CPU when the op has no GPU kernel (copying
   the results back to the GPU);
4. runs the kernel; when it fails, the op's `infer` explains the error;
5. records the op on active `GradientTape`s and tells op listeners (`engine.hooks`).

Steps 1 and 5 cost nothing while no tape, listener or tracer is active: `context.GLOBAL.slow`
counts the reasons to take the full path, and `make_binary` / `make_unary` build operator
functions that go straight to the NumPy kernel while it is zero.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np

from engine import context, hooks
from engine import dtypes as _dt
from engine.backend import devices as _devices
from engine.backend import numpy_backend
from engine.convert import _contains_tensors, convert_to_tensor, to_array
from engine.errors import DTypeError, InternalError, InvalidArgumentError, OpError
from engine.registry import OpDef
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["dispatch", "make_binary", "make_unary", "describe_inputs", "cast_target"]

_G = context.GLOBAL
_THREAD = context.THREAD
_CPU0 = _devices.CPU0
_ndarray = np.ndarray
_new = object.__new__
_asarray = np.asarray
_EMPTY: dict = {}
_warned_fallback: set = set()
_perf_ns = time.perf_counter_ns
# NotImplementedError: CuPy's answer for cases it does not support.
_KERNEL_ERRORS = (ValueError, TypeError, IndexError, np.linalg.LinAlgError, ZeroDivisionError,
                  OverflowError, AttributeError, NotImplementedError)


_OBJECT = np.dtype(object)


def dispatch(op: OpDef, inputs: tuple, attrs: dict = _EMPTY):
    """Runs `op` on `inputs` with `attrs`; returns a Tensor or a tuple of Tensors.

    Args:
        op: the registry entry.
        inputs: the tensor inputs in order (tensors, variables, arrays or Python values).
        attrs: the op's static attributes.

    Raises:
        DTypeError, ShapeError, InvalidArgumentError: with the op's name and the fix.
    """
    thread = _THREAD
    if thread.graph is not None:
        return thread.graph.add_op(op, inputs, attrs)
    n = len(inputs)
    tensors = [None] * n
    sources = [None] * n
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if type(x) is not Tensor and getattr(x, "_node", None) is not None:
                return _symbolic_outside_trace(op, inputs, attrs, x)
            tensors[i] = sources[i] = x
        elif hasattr(x, "_read"):  # a Variable: tapes key on the variable itself
            tensors[i] = x._read()
            sources[i] = x
        elif (type(x) is list or type(x) is tuple) and _contains_tensors(x):
            tensors[i] = sources[i] = convert_to_tensor(x)  # a stack: gradients flow
    _convert_python_inputs(op, inputs, tensors)
    device = _pick_device(op, tensors, thread)
    run_on = device if op.gpu or device.device_type != "GPU" else _cpu_fallback(op)
    try:
        arrays = [t._value if t._device is run_on else
                  _devices.transfer(t._value, t._device, run_on) for t in tensors]
    except DTypeError as exc:  # e.g. a string tensor copied to a GPU
        raise DTypeError(f"{op.name}: {exc}") from None
    kernel = op.cpu_kernel if run_on.backend is numpy_backend else op.kernel_for(run_on.xp)
    listeners = hooks._listeners.get("op")
    start = _perf_ns() if listeners else 0
    try:
        result = kernel(*arrays, **attrs)
    except OpError:
        raise
    except _KERNEL_ERRORS as exc:
        raise explain_failure(op, arrays, attrs, exc) from exc
    end = _perf_ns() if listeners else 0
    if type(result) is tuple or type(result) is list:
        outputs = tuple(_wrap_out(r, run_on) for r in result)
    else:
        outputs = (_wrap_out(result, run_on),)
    if run_on is not device:  # a CPU fallback: results go back to the requested device,
        # except strings, which no GPU array holds (they stay on /CPU:0, as in TensorFlow)
        outputs = tuple(o if o._value.dtype == _OBJECT else
                        _wrap_out(_devices.transfer(o._value, run_on, device), device)
                        for o in outputs)
    if _G.strict:
        _check_inference(op, tensors, arrays, attrs, outputs)
    if _G.check_numerics:
        _check_finite(op, outputs)
    if thread.tapes and op.vjp is not None:
        for tape in thread.tapes:
            tape._record(op, sources, tensors, outputs, attrs)
    if listeners:
        _emit(op, tensors, outputs, run_on, start, end, listeners)
    return outputs[0] if op.num_outputs == 1 else outputs


def _symbolic_outside_trace(op: OpDef, inputs: tuple, attrs: dict, tensor):
    """An op on a symbolic tensor while nothing is traced: functional-API wiring (Keras
    tensors) adds the op to the Keras graph; any other symbolic tensor has leaked."""
    graph = tensor._node.graph
    if getattr(graph, "is_keras_graph", False):
        return graph.add_op(op, inputs, attrs)
    from engine.errors import TracingError  # noqa: PLC0415

    raise TracingError(
        f"{op.name}: {tensor.name} is a symbolic tensor of the traced function "
        f"{graph.name!r}, used after tracing ended. Return it from the function instead of "
        "storing it (in a list, a global or an attribute).")


def _wrap_out(value, device):
    if device is _CPU0:
        if type(value) is not _ndarray:
            # a string element (a 0-d string result) stays a Python object: asarray would
            # make it NumPy's fixed-width bytes ('S1'), not engine.string
            value = _string_scalar(value) if isinstance(value, (bytes, str)) else _asarray(
                value)
    elif not device.backend.is_native(value):
        # A kernel that returned a host array or a scalar: keep outputs on the device.
        value = _devices.transfer(_asarray(value), _CPU0, device)
    tensor = _new(Tensor)
    tensor._value = value
    tensor._device = device
    return tensor


def host_array(value) -> np.ndarray:
    """A kernel's NumPy result as an array: NumPy scalars as 0-d arrays, and a string
    element (bytes or str) as a 0-d object array of bytes (engine.string), not `S1`."""
    if type(value) is _ndarray:
        return value
    return _string_scalar(value) if isinstance(value, (bytes, str)) else _asarray(value)


def _string_scalar(value) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return out


def _convert_python_inputs(op: OpDef, inputs: tuple, tensors: list) -> None:
    """Fills `tensors` for non-tensor inputs and checks the shared-dtype group."""
    group = range(len(inputs)) if op.same_dtype is None else op.same_dtype
    dtype = None
    first = None
    for i in group:
        t = tensors[i]
        if t is None:
            continue
        d = t._value.dtype
        if dtype is None:
            dtype, first = d, i
        elif d != dtype:
            raise DTypeError(_mixed_dtype_message(op, first, dtype, i, d))
    if dtype is not None and op.dtypes is not None and dtype not in op.np_dtypes:
        allowed = ", ".join(sorted(d.name for d in op.dtypes))
        raise DTypeError(f"{op.name}: got dtype {_dt.from_numpy(dtype).name} for "
                         f"{_input_name(op, first)}; expected one of: {allowed}. "
                         "Cast the input with engine.cast.")
    group_dtype = None if dtype is None else _dt.from_numpy(dtype)
    in_group = set(group)
    for i, t in enumerate(tensors):
        if t is None:
            try:
                array = to_array(inputs[i], group_dtype if i in in_group else None)
            except (DTypeError, ValueError) as exc:
                raise type(exc)(f"{op.name}: {_input_name(op, i)}: {exc}") from None
            if group_dtype is None and i in in_group and op.dtypes is not None and (
                    array.dtype not in op.np_dtypes):
                allowed = ", ".join(sorted(d.name for d in op.dtypes))
                raise DTypeError(f"{op.name}: got {_dt.from_numpy(array.dtype).name} value "
                                 f"{inputs[i]!r} for {_input_name(op, i)}; expected one of: "
                                 f"{allowed}.")
            tensor = _new(Tensor)
            tensor._value = array
            tensor._device = _CPU0
            tensors[i] = tensor
            if group_dtype is None and i in in_group:
                group_dtype = _dt.from_numpy(array.dtype)


def _input_name(op: OpDef, index: int) -> str:
    if op.variadic:
        return f"{op.inputs[0].lstrip('*')}[{index}]"
    return f"`{op.inputs[index]}`" if index < len(op.inputs) else f"input {index}"


def _argument(op: OpDef, index: int) -> str:
    """The input's name as code (`a`, `values[1]`), for a suggested `engine.cast`."""
    return _input_name(op, index).strip("`").replace("input ", "input_")


def cast_target(a: _dt.DType, b: _dt.DType) -> _dt.DType:
    """The dtype two mismatched operands should both have: the one that loses less.

    Complex beats float beats integer beats bool; within a kind the wider wins; on a tie
    (int8 and uint8, float16 and bfloat16) `a` wins.

    Args:
        a: the first operand's dtype.
        b: the second operand's dtype.

    Returns:
        `a` or `b`.

    Example:
        >>> from engine.dispatch import cast_target
        >>> cast_target(engine.uint8, engine.float32).name
        'float32'
    """
    def rank(d: _dt.DType) -> tuple:
        kind = 3 if d.is_complex else 2 if d.is_floating else 1 if d.is_integer else 0
        return kind, d.size

    return b if rank(b) > rank(a) else a


def _mixed_dtype_message(op, i, di, j, dj) -> str:
    a, b = _dt.from_numpy(di), _dt.from_numpy(dj)
    target = cast_target(a, b)
    # Cast the operand that loses less when it changes: an integer input to the float
    # weights, not the weights to the integer type.
    cast = j if target is a else i
    return (f"{op.name}: got {_input_name(op, i)} of dtype {a.name} and {_input_name(op, j)} "
            f"of dtype {b.name}; expected the same dtype (eagerlab never upcasts silently). "
            f"Cast one of them, e.g. engine.cast({_argument(op, cast)}, "
            f"engine.{target.name}).")


def _pick_device(op: OpDef, tensors: list, thread) -> _devices.Device:
    """The innermost `engine.device` scope, else the first input not on /CPU:0."""
    if thread.devices:
        return thread.devices[-1]
    for t in tensors:
        if t._device is not _CPU0:
            return t._device
    return _CPU0


def _cpu_fallback(op: OpDef) -> _devices.Device:
    """Where an op without a GPU kernel runs instead of a GPU; warns once per op."""
    if op.name not in _warned_fallback:
        _warned_fallback.add(op.name)
        warnings.warn(f"{op.name} has no GPU kernel; it runs on /CPU:0 (inputs are copied "
                      "there and the results back). This warning is shown once per op.",
                      stacklevel=4)
    return _CPU0


def describe_inputs(arrays) -> str:
    """`shapes (2, 3) and (4, 5)`-style text for error messages."""
    shapes = [tuple(a.shape) for a in arrays]
    if len(shapes) == 1:
        return f"shape {shapes[0]}"
    return "shapes " + ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}"


def explain_failure(op: OpDef, arrays, attrs: dict, exc: Exception) -> Exception:
    """Turns a kernel's exception into an engine error, asking `infer` for the reason."""
    specs = [TensorSpec(a.shape, _dt.from_numpy(a.dtype)) for a in arrays]
    try:
        op.infer(*specs, **attrs)
    except (OpError, ValueError, TypeError) as reason:
        return reason
    return InvalidArgumentError(
        f"{op.name}: the kernel failed on {describe_inputs(arrays)} with attrs {attrs}: "
        f"{type(exc).__name__}: {exc}", op=op.tf_name)


def _check_inference(op, tensors, arrays, attrs, outputs) -> None:
    specs = [TensorSpec(a.shape, _dt.from_numpy(a.dtype)) for a in arrays]
    inferred = op.infer(*specs, **attrs)
    if isinstance(inferred, TensorSpec):
        inferred = (inferred,)
    if len(inferred) != len(outputs):
        raise InternalError(f"{op.name}: infer returned {len(inferred)} specs for "
                            f"{len(outputs)} outputs")
    for k, (spec, out) in enumerate(zip(inferred, outputs)):
        if spec.dtype is not out.dtype or not spec.shape.is_compatible_with(out.shape):
            raise InternalError(
                f"{op.name}: infer says output {k} is {spec.shape} {spec.dtype.name}, the "
                f"kernel made {out.shape} {out.dtype.name} from {describe_inputs(arrays)} "
                f"with attrs {attrs}")


def _check_finite(op: OpDef, outputs) -> None:
    for k, out in enumerate(outputs):
        value = out._value
        if value.dtype in _dt.INEXACT_NUMPY and not bool(
                out._device.xp.isfinite(value).all()):
            scope = context.current_name_scope() or "<top level>"
            raise InvalidArgumentError(
                f"check_numerics: {op.name} ({op.tf_name}) produced NaN or Inf in output {k} "
                f"(shape {tuple(value.shape)}) in name scope {scope!r}.", op=op.tf_name)


def _emit(op, tensors, outputs, device, start, end, listeners) -> None:
    event = hooks.OpEvent(
        op=op.tf_name, scope=context.current_name_scope(), device=device.name,
        input_shapes=tuple(tuple(t._value.shape) for t in tensors),
        input_dtypes=tuple(_dt.from_numpy(t._value.dtype).name for t in tensors),
        start_ns=start, end_ns=end,
        bytes_out=sum(int(o._value.nbytes) for o in outputs),
        thread_id=threading.get_ident())
    for callback in listeners:
        callback(event)


# --- fast paths for operators -------------------------------------------------------------
def make_binary(op: OpDef):
    """Returns `(f, rf)`: `f(x, y)` and the reflected `rf(y, x)` for operator methods.

    On the fast path (nothing slow active, CPU tensors of one allowed dtype, or a Python
    number that keeps the tensor's dtype) they call the NumPy kernel directly; anything
    else, including every error, goes through `dispatch`, which checks and explains.

    The few lines that wrap a result into a Tensor are repeated inline on purpose: a
    helper call would cost about a tenth of the whole operator (W1 in benchmarks/).
    """
    kernel = op.cpu_kernel
    ok = op.fast_np_dtypes
    # bfloat16 (dtype kind "V") is left out on purpose: NumPy computes bfloat16 and a
    # Python float in float32, so `dispatch` converts the number to bfloat16 first.
    floats = frozenset(d for d in ok if d.kind == "f")
    numbers = frozenset(d for d in ok if d.kind in "fiu")
    g = _G

    def binary(x, y):
        if not g.slow and type(x) is Tensor and x._device is _CPU0:
            xv = x._value
            ty = type(y)
            if ty is Tensor:
                yv = y._value
                if y._device is _CPU0 and xv.dtype is yv.dtype and xv.dtype in ok:
                    try:
                        r = kernel(xv, yv)
                    except _KERNEL_ERRORS:
                        return dispatch(op, (x, y))
                    if type(r) is not _ndarray:
                        r = _asarray(r)
                    t = _new(Tensor)
                    t._value = r
                    t._device = _CPU0
                    return t
            elif (ty is float and xv.dtype in floats) or (ty is int and xv.dtype in numbers):
                try:
                    r = kernel(xv, y)
                except _KERNEL_ERRORS:
                    return dispatch(op, (x, y))
                if type(r) is not _ndarray:
                    r = _asarray(r)
                t = _new(Tensor)
                t._value = r
                t._device = _CPU0
                return t
        return dispatch(op, (x, y))

    def reflected(y, x):
        if not g.slow and type(y) is Tensor and y._device is _CPU0:
            yv = y._value
            tx = type(x)
            if (tx is float and yv.dtype in floats) or (tx is int and yv.dtype in numbers):
                try:
                    r = kernel(x, yv)
                except _KERNEL_ERRORS:
                    return dispatch(op, (x, y))
                if type(r) is not _ndarray:
                    r = _asarray(r)
                t = _new(Tensor)
                t._value = r
                t._device = _CPU0
                return t
        return dispatch(op, (x, y))

    binary.__name__ = op.name
    reflected.__name__ = "r" + op.name
    return binary, reflected


def make_unary(op: OpDef):
    """Returns `f(x)` that runs `op` with the NumPy kernel directly on the fast path."""
    kernel = op.cpu_kernel
    ok = op.fast_np_dtypes
    g = _G

    def unary(x):
        if not g.slow and type(x) is Tensor and x._device is _CPU0 and x._value.dtype in ok:
            try:
                r = kernel(x._value)
            except _KERNEL_ERRORS:
                return dispatch(op, (x,))
            if type(r) is not _ndarray:
                r = _asarray(r)
            t = _new(Tensor)
            t._value = r
            t._device = _CPU0
            return t
        return dispatch(op, (x,))

    unary.__name__ = op.name
    return unary
