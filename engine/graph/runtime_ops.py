"""Python at run time: `engine.print` and `engine.py_function`.

Inside `engine.function`, Python code runs once, while tracing. These two run on every
call of the graph:
- `engine.print(*values)` adds a `PrintV2` node that formats and prints the values each
  time the graph runs (eagerly it prints at once);
- `engine.py_function(func, inp, Tout)` adds an `EagerPyFunc` node that calls `func` on
  eager tensors each time the graph runs. Its gradient is a second `EagerPyFunc` node that
  calls `func` again under an eager `GradientTape` and returns the vector-Jacobian product
  (`_PyFunctionGradient`); that node is differentiable the same way, so gradients nest.

Both are stateful nodes: they run in program order with variable updates and are never
removed as dead code.
"""

from __future__ import annotations

import functools
import itertools
import sys

import numpy as np

from engine import context, nest
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, InvalidArgumentError
from engine.graph.executor import NODE_BUILDERS
from engine.graph.ir import SymbolicTensor
from engine.ops.fill_ops import zeros_like
from engine.tape import GradientTape
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorSpec

__all__ = ["print", "py_function"]

_THREAD = context.THREAD
_STREAMS = {"stdout", "stderr"}
# py_function callables by key: a graph keeps the key (attrs stay JSON-able).
_PY_FUNCTIONS: dict[str, object] = {}
_keys = itertools.count()


class _Slot:
    """Marks where a tensor's text goes inside a formatted structure."""

    def __init__(self, index: int):
        self.index = index

    def __repr__(self) -> str:
        return f"\x00{self.index}\x00"


def _stream_name(output_stream) -> str:
    if output_stream is None or output_stream is sys.stdout:
        return "stdout"
    if output_stream is sys.stderr:
        return "stderr"
    if isinstance(output_stream, str) and (output_stream in _STREAMS
                                           or output_stream.startswith("file://")):
        return output_stream
    raise ValueError(f"engine.print: output_stream={output_stream!r}; expected sys.stdout, "
                     "sys.stderr, 'stdout', 'stderr' or 'file:///path/to/file'.")


def _template(values: tuple) -> tuple[list, list]:
    """`(parts, tensors)`: text parts with {"tensor": i} entries, and the tensors."""
    tensors: list = []

    def slot(x):
        if isinstance(x, Tensor) or getattr(x, "_is_variable", False):
            tensors.append(x)
            return _Slot(len(tensors) - 1)
        return x

    parts = []
    for value in values:
        if isinstance(value, Tensor) or getattr(value, "_is_variable", False):
            parts.append([{"tensor": len(tensors)}])
            tensors.append(value)
            continue
        text = str(value) if not nest.is_nested(value) else repr(
            nest.map_structure(slot, value))
        pieces = []
        for k, chunk in enumerate(text.split("\x00")):
            if k % 2:
                pieces.append({"tensor": int(chunk)})
            elif chunk:
                pieces.append({"text": chunk})
        parts.append(pieces)
    return parts, tensors


def _format_array(array, summarize: int) -> str:
    array = np.asarray(array)
    if array.ndim == 0:
        return str(array[()])
    threshold = sys.maxsize if summarize is None or summarize < 0 else summarize * 2
    edge = 3 if summarize is None or summarize < 0 else summarize
    return np.array2string(array, threshold=threshold, edgeitems=edge, separator=" ",
                           max_line_width=sys.maxsize)


def _emit(parts: list, arrays, sep: str, end: str, stream: str, summarize: int) -> None:
    texts = []
    for pieces in parts:
        texts.append("".join(p["text"] if "text" in p else
                             _format_array(arrays[p["tensor"]], summarize) for p in pieces))
    line = sep.join(texts) + end
    if stream.startswith("file://"):
        with open(stream[len("file://"):], "a", encoding="utf-8") as f:
            f.write(line)
        return
    target = sys.stdout if stream == "stdout" else sys.stderr
    target.write(line)
    target.flush()


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """Prints tensors (and other values) each time it runs, also inside a graph.

    Eagerly it prints at once. Inside `engine.function` it becomes a node that prints on
    every call of the graph, in program order; Python's `print` there runs only while the
    function is traced. Unlike `tf.print`, the default stream is standard output (TF's
    default, standard error, shows up as error text in notebooks).

    Args:
        *inputs: tensors, variables, Python values, or nested structures of them.
        output_stream: `sys.stdout` (default), `sys.stderr`, or `"file:///path"` to append.
        summarize: elements shown at each end of every dimension (-1 or None: all).
        sep: the text between inputs.
        end: the text after the last input.
        name: ignored (TensorFlow compatibility).

    Returns:
        None.

    Example:
        >>> engine.print("x:", engine.constant([1, 2, 3]))
        x: [1 2 3]
    """
    stream = _stream_name(output_stream)
    parts, tensors = _template(inputs)
    graph = _THREAD.graph
    if graph is None:
        arrays = [np.asarray(t) for t in tensors]
        _emit(parts, arrays, sep, end, stream, summarize)
        return None
    symbolic = [_in_graph(graph, t) for t in tensors]
    attrs = {"parts": parts, "sep": sep, "end": end, "output_stream": stream,
             "summarize": summarize}
    graph.add_node("PrintV2", symbolic, attrs, [], source=_source(),
                   scope=context.current_name_scope(), stateful=True)
    return None


def _build_print(node, program):
    attrs = node.attrs
    parts, sep, end = attrs["parts"], attrs["sep"], attrs["end"]
    stream, summarize = attrs["output_stream"], attrs["summarize"]

    def run(*arrays):
        host = [node.device.backend.to_host(a) if hasattr(a, "__cuda_array_interface__")
                else a for a in arrays]
        _emit(parts, host, sep, end, stream, summarize)
        return ()

    return run


def py_function(func, inp, Tout, name=None):  # noqa: N803 - TensorFlow's argument name
    """Calls a Python function on tensors' values, also each time a graph runs.

    Eagerly it is a plain call. Inside `engine.function` it becomes a node that calls
    `func` with eager tensors when the graph runs; `func` may use `.numpy()`, NumPy and
    engine ops. The outputs' shapes are unknown to the graph. Gradients flow through the
    engine ops `func` runs: eagerly a tape records them as usual; inside a graph the
    gradient is a node that runs `func` again under a tape (as TensorFlow does). An input
    that `func` does not differentiably use gets a zero gradient inside a graph (its use
    is known only when the graph runs) and None eagerly.

    Args:
        func: a Python callable taking tensors.
        inp: a list of tensors (or values convertible to tensors).
        Tout: an output dtype, or a list of dtypes (then a list is returned); None or []
            for no output.
        name: ignored.

    Returns:
        A tensor, a list of tensors, or None, as `Tout` says.

    Raises:
        DTypeError: if `func` returns a value that cannot have the declared dtype.

    Example:
        >>> @engine.function
        ... def f(x):
        ...     return engine.py_function(lambda t: t.numpy().cumsum(), [x], engine.float32)
        >>> f(engine.constant([1.0, 2.0, 3.0])).numpy()
        array([1., 3., 6.], dtype=float32)
    """
    if not callable(func):
        raise TypeError(f"py_function: func must be callable; got {type(func).__name__}.")
    if isinstance(inp, (Tensor,)) or not isinstance(inp, (list, tuple)):
        inp = [inp]
    as_list = isinstance(Tout, (list, tuple))
    touts = [_dt.as_dtype(d) for d in (Tout if as_list else ([] if Tout is None else [Tout]))]
    graph = _THREAD.graph
    if graph is None:
        tensors = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in inp]
        outs = _convert_results(func(*tensors), touts, func)
        return outs if as_list else (outs[0] if outs else None)
    symbolic = [_in_graph(graph, x) for x in inp]
    key, outs = _add_py_node(graph, func, symbolic, [TensorSpec(None, d) for d in touts])
    if _THREAD.tapes and outs:
        sources = [x if isinstance(x, Tensor) or getattr(x, "_is_variable", False) else None
                   for x in inp]
        step = _PyFunctionGradient(func, touts, key)
        for tape in _THREAD.tapes:
            tape._record(step, sources, symbolic, tuple(outs), {})
    return outs if as_list else (outs[0] if outs else None)


def _add_py_node(graph, func, inputs: list, specs: list, gradient_of: str = "") -> tuple:
    """`(key, outputs)` of a new `EagerPyFunc` node calling `func`; the graph keeps the key,
    not the callable. A gradient's key names the function it differentiates."""
    key = f"py_function_{next(_keys)}"
    if gradient_of:
        key = f"{key}_grad_of_{gradient_of}"
    _PY_FUNCTIONS[key] = func
    node = graph.add_node("EagerPyFunc", inputs,
                          {"func": key, "Tout": [s.dtype.name for s in specs]},
                          specs, source=_source(), scope=context.current_name_scope(),
                          stateful=True)
    return key, list(node.outputs)


class _PyFunctionGradient:
    """Stands in for an `OpDef` in the tape records of a traced `py_function`.

    Its `vjp` adds a node that, when the graph runs, calls `func` on the same inputs under
    an eager tape and returns the gradients of the inputs the target depends on.
    """

    broadcasts = False
    tf_name = "EagerPyFunc"

    def __init__(self, func, touts: list, key: str):
        self.name = f"py_function({getattr(func, '__name__', 'func')})"
        self.func = func
        self.touts = touts
        self.key = key

    def vjp(self, ctx, *grads):
        inputs, needs = ctx.inputs, ctx.needs_input_grad
        wanted = [i for i, x in enumerate(inputs)
                  if (needs is None or needs[i]) and x.dtype.is_differentiable]
        # Only outputs a tape can differentiate carry gradients back into `func`.
        carried = [j for j, d in enumerate(self.touts) if d.is_differentiable]
        if not wanted or not carried:
            return (None,) * len(inputs)
        run = functools.partial(_vjp_at_run_time, self.func, self.touts, len(inputs),
                                wanted, carried)
        specs = [TensorSpec(inputs[i].shape, inputs[i].dtype) for i in wanted]
        sources = list(inputs) + [grads[j] for j in carried]
        key, found = _add_py_node(_THREAD.graph, run, sources, specs, gradient_of=self.key)
        if _THREAD.tapes:  # an outer tape differentiates the gradient again
            step = _PyFunctionGradient(run, [s.dtype for s in specs], key)
            for tape in _THREAD.tapes:
                tape._record(step, sources, sources, tuple(found), {})
        in_grads = [None] * len(inputs)
        for i, g in zip(wanted, found):
            in_grads[i] = g
        return tuple(in_grads)


def _vjp_at_run_time(func, touts, n_inputs, wanted, carried, *tensors):
    """`func`'s vector-Jacobian product at `tensors[:n_inputs]`, for the upstream gradients
    `tensors[n_inputs:]` (one per output in `carried`); zeros where `func` does not
    differentiably use an input."""
    xs, upstream = tensors[:n_inputs], tensors[n_inputs:]
    with GradientTape() as tape:
        for i in wanted:
            tape.watch(xs[i])
        outs = _convert_results(func(*xs), touts, func)
    found = tape.gradient([outs[j] for j in carried], [xs[i] for i in wanted],
                          output_gradients=list(upstream))
    return [g if g is not None else zeros_like(xs[i]) for i, g in zip(wanted, found)]


def _convert_results(result, touts: list, func) -> list:
    if not touts:
        return []
    values = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(values) != len(touts):
        raise InvalidArgumentError(
            f"py_function: {getattr(func, '__name__', func)!r} returned {len(values)} values; "
            f"Tout declares {len(touts)} ({', '.join(d.name for d in touts)}).")
    out = []
    for value, dtype in zip(values, touts):
        try:
            out.append(convert_to_tensor(value, dtype=dtype) if not isinstance(value, Tensor)
                       else _check_dtype(value, dtype))
        except (DTypeError, ValueError, TypeError) as exc:
            raise DTypeError(f"py_function: {getattr(func, '__name__', func)!r} returned "
                             f"{type(value).__name__}; Tout says {dtype.name}: {exc}") from None
    return out


def _check_dtype(value: Tensor, dtype) -> Tensor:
    if value.dtype is not dtype:
        raise DTypeError(f"got a {value.dtype.name} tensor")
    return value


def _build_py_function(node, program):
    key = node.attrs["func"]
    func = _PY_FUNCTIONS.get(key)
    if func is None:
        raise InvalidArgumentError(
            f"Graph node {node.name!r} calls Python function {key!r}, which this process does "
            "not have (a reloaded graph cannot carry Python functions); trace the function "
            "again.")
    touts = [_dt.as_dtype(d) for d in node.attrs["Tout"]]
    device = node.device

    def run(*arrays):
        tensors = [wrap(a, device) for a in arrays]
        outs = _convert_results(func(*tensors), touts, func)
        if len(outs) == 1:
            return outs[0]._value
        return tuple(o._value for o in outs)

    return run


def _in_graph(graph, value) -> SymbolicTensor:
    if isinstance(value, SymbolicTensor):
        return value if value._node.graph is graph else graph.capture_foreign(value)
    if getattr(value, "_is_variable", False):
        return graph.read_variable(value)
    if not isinstance(value, Tensor):
        value = convert_to_tensor(value)
    return graph.constant(value)


def _source():
    from engine.graph.trace import user_source  # noqa: PLC0415

    return user_source(3)


NODE_BUILDERS["PrintV2"] = _build_print
NODE_BUILDERS["EagerPyFunc"] = _build_py_function
