"""Tracing: `FuncGraph` records the ops that `dispatch` hands it while a function traces.

While `tracing(graph)` is active, `context.THREAD.graph` is the graph, so `dispatch`
calls `graph.add_op(op, inputs, attrs)` instead of running a kernel. `add_op` converts
the inputs as eager dispatch does (Python numbers adopt the dtype of the tensors they
meet; eager tensors become `Const` nodes; variables become `ReadVariableOp` nodes),
infers the outputs' shapes and dtypes with the op's `infer`, and records the op on any
`GradientTape` active inside the function, so that `tape.gradient` traces the backward
pass into the same graph.
"""

from __future__ import annotations

import contextlib
import os
import sys

from engine import context
from engine import dtypes as _dt
from engine.backend import devices as _devices
from engine.convert import _contains_tensors, convert_to_tensor
from engine.errors import DTypeError, ShapeError, TracingError
from engine.graph.ir import Graph, SymbolicTensor
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["FuncGraph", "tracing", "init_scope", "user_source"]

_THREAD = context.THREAD
_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_CONTEXTLIB = os.path.dirname(contextlib.__file__) + os.sep


def user_source(skip: int = 2):
    """`(filename, line, function)` of the innermost frame outside the engine package."""
    frame = sys._getframe(skip)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_ENGINE_DIR) and not filename.startswith(_CONTEXTLIB):
            return filename, frame.f_lineno, frame.f_code.co_name
        frame = frame.f_back
    return None


class FuncGraph(Graph):
    """The graph a function is traced into; `dispatch` adds nodes to it."""

    def __init__(self, name: str = "graph"):
        super().__init__(name)
        self._consts: dict[int, tuple] = {}

    # --- nodes from dispatch ------------------------------------------------------------
    def add_op(self, op, inputs: tuple, attrs: dict):
        """Adds a registry op's node; returns its symbolic output(s)."""
        from engine.dispatch import _convert_python_inputs, _pick_device  # noqa: PLC0415

        n = len(inputs)
        tensors = [None] * n
        sources = [None] * n
        for i, x in enumerate(inputs):
            if isinstance(x, SymbolicTensor):
                if x._node.graph is not self:
                    x = self.capture_foreign(x)
                tensors[i] = sources[i] = x
            elif isinstance(x, Tensor):
                sources[i] = x
                tensors[i] = x
            elif hasattr(x, "_read"):
                tensors[i] = self.read_variable(x)
                sources[i] = x
            elif (type(x) is list or type(x) is tuple) and _contains_tensors(x):
                tensors[i] = sources[i] = convert_to_tensor(x)  # a Pack node of the parts
        _convert_python_inputs(op, inputs, tensors)
        for i, t in enumerate(tensors):
            if not isinstance(t, SymbolicTensor):
                tensors[i] = self.constant(t)
        device = _pick_device(op, tensors, _THREAD)
        specs = [TensorSpec(t._value.shape, _dt.from_numpy(t._value.dtype)) for t in tensors]
        inferred = op.infer(*specs, **attrs)
        if isinstance(inferred, TensorSpec):
            inferred = (inferred,)
        node = self.add_node(op.tf_name, tensors, dict(attrs), list(inferred), op=op,
                             device=device, source=user_source(),
                             scope=context.current_name_scope(), stateful=op.stateful)
        outputs = tuple(node.outputs)
        if _THREAD.tapes and op.vjp is not None:
            for tape in _THREAD.tapes:
                tape._record(op, sources, tensors, outputs, attrs)
        return outputs[0] if op.num_outputs == 1 else outputs

    def capture_foreign(self, tensor: SymbolicTensor) -> SymbolicTensor:
        """A tensor of another graph used here: an error (nested graphs capture it)."""
        raise TracingError(
            f"{tensor.name} belongs to graph {tensor.graph.name!r}, not to {self.name!r}, "
            "which is being traced. A symbolic tensor cannot leave the function that made it: "
            "return it from that function instead of storing it (e.g. in a list or an "
            "attribute) and using it in another call.")

    def constant(self, tensor: Tensor) -> SymbolicTensor:
        """A `Const` node holding an eager tensor's value (one node per tensor)."""
        key = id(tensor)
        hit = self._consts.get(key)
        if hit is not None and hit[0] is tensor:
            return hit[1]
        array = tensor._value
        if tensor._device is not _devices.CPU0:
            host = _devices.transfer(array, tensor._device, _devices.CPU0)
        else:
            host = array
        array_key = self.add_array(host, "const")
        spec = TensorSpec(array.shape, _dt.from_numpy(array.dtype))
        node = self.add_node("Const", [], {"array": array_key}, [spec], device=tensor._device,
                             source=None, scope="")
        out = node.outputs[0]
        self._consts[key] = (tensor, out)  # keeps the tensor alive, so ids stay unique
        return out

    def placeholder(self, spec: TensorSpec, name: str, device=_devices.CPU0) -> SymbolicTensor:
        """An input of the graph."""
        node = self.add_node("Placeholder", [], {"shape": spec.shape.dims,
                                                 "dtype": spec.dtype.name},
                             [spec], device=device, name=name)
        self.inputs.append(node.outputs[0])
        return node.outputs[0]

    # --- variables ----------------------------------------------------------------------
    def read_variable(self, variable) -> SymbolicTensor:
        """A `ReadVariableOp` node: the variable's value when the graph runs."""
        index = self.capture_variable(variable)
        spec = TensorSpec(variable.shape, variable.dtype)
        node = self.add_node("ReadVariableOp", [], {"variable": index}, [spec],
                             device=variable._device, source=user_source(),
                             scope=context.current_name_scope(), stateful=True)
        return node.outputs[0]

    def assign_variable(self, variable, value, kind: str) -> None:
        """An `AssignVariableOp` (`kind` "assign"), `AssignAddVariableOp` ("assign_add") or
        `AssignSubVariableOp` ("assign_sub") node, in program order."""
        what = f"Variable.{kind}"
        if isinstance(value, SymbolicTensor):
            if value._node.graph is not self:
                value = self.capture_foreign(value)
        elif isinstance(value, Tensor):
            value = self.constant(value)
        elif hasattr(value, "_read"):
            value = self.read_variable(value)
        else:
            from engine.convert import convert_to_tensor  # noqa: PLC0415

            value = self.constant(convert_to_tensor(value, dtype=variable.dtype))
        if value.dtype is not variable.dtype:
            raise DTypeError(f"{what}: variable {variable.name!r} has dtype "
                             f"{variable.dtype.name}, got a value of dtype {value.dtype.name}. "
                             f"Cast it with engine.cast(value, {variable.dtype!r}).")
        vshape = variable.shape
        if kind == "assign":
            ok = vshape.is_compatible_with(value.shape)
        else:
            ok = _broadcastable(value._value.shape, vshape.dims)
        if not ok:
            raise ShapeError(f"{what}: variable {variable.name!r} has shape {vshape}, got a "
                             f"value of shape {value.shape} while tracing. Reshape the value.")
        index = self.capture_variable(variable)
        type_ = {"assign": "AssignVariableOp", "assign_add": "AssignAddVariableOp",
                 "assign_sub": "AssignSubVariableOp"}[kind]
        self.add_node(type_, [value], {"variable": index}, [], device=variable._device,
                      source=user_source(), scope=context.current_name_scope(), stateful=True)

    def on_variable_created(self, variable) -> None:
        """Called by `Variable.__init__` while tracing; refuses after the first trace."""
        if not self.allow_variable_creation:
            raise ValueError(
                f"engine.function {self.name!r} created variable {variable.name!r} on a call "
                "after the first trace. Variables may be created only on the first call (as "
                "in TensorFlow): create them outside the function, or once, e.g. "
                "`if self.v is None: self.v = engine.Variable(...)`.")
        self.created_variables.append(variable)


def _broadcastable(src, dst) -> bool:
    if src is None or dst is None:
        return True
    if len(src) > len(dst):
        return False
    return all(s is None or d is None or s in (1, d) for s, d in zip(reversed(src), reversed(dst)))


@contextlib.contextmanager
def tracing(graph: FuncGraph):
    """Makes `graph` the target of `dispatch` in this thread."""
    saved = _THREAD.graph
    saved_tapes = _THREAD.tapes
    _THREAD.graph = graph
    _THREAD.tapes = []  # outer eager tapes do not see graph nodes
    context.enter_slow()
    try:
        yield graph
    finally:
        context.exit_slow()
        _THREAD.graph = saved
        _THREAD.tapes = saved_tapes


@contextlib.contextmanager
def init_scope():
    """Leaves the graph being traced (if any): ops inside run eagerly.

    Variable initializers run here, as in TensorFlow's `init_scope`.

    Returns:
        A context manager.

    Example:
        >>> with engine.init_scope():
        ...     engine.executing_eagerly()
        True
    """
    saved = _THREAD.graph
    saved_tapes = _THREAD.tapes
    if saved is None:
        yield
        return
    _THREAD.graph = None
    _THREAD.tapes = []
    try:
        yield
    finally:
        _THREAD.graph = saved
        _THREAD.tapes = saved_tapes

