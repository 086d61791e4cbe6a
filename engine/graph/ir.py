"""The graph IR: nodes, symbolic tensors and graphs, as plain data.

A `Graph` is an ordered list of `Node`s. The order is the order in which tracing created
them, which is also a valid execution order: every node comes after its inputs, and
stateful nodes (variable reads and writes, random draws, prints) keep the program order
of the Python code that created them. Passes keep this invariant; the executor runs the
nodes in list order.

A node holds:
- `type`: TensorFlow's op name (`"MatMul"`), or a graph-level node type (`"Placeholder"`,
  `"Const"`, `"ReadVariableOp"`, `"AssignVariableOp"`, `"PrintV2"`, `"Fused"`, ...);
- `inputs`: symbolic tensors (outputs of earlier nodes);
- `attrs`: static, JSON-able values (a `Const` keeps its array in `graph.arrays`, a
  variable node the index of the variable in `graph.variables`);
- `outputs`: symbolic tensors with shape (dimensions may be None) and dtype;
- `scope` (the name scope, i.e. the layer path), `device`, and `source` (the user's file,
  line and function that created it).

Nothing in a node is a Python closure: `Graph.as_dict()` gives JSON plus arrays, and
`Graph.from_dict` rebuilds the graph (variables are bound again by name). Those and the
other exports (`as_text`, `as_graph_data`) live in `engine.graph.ir_export`.
"""

from __future__ import annotations

import linecache

import numpy as np

from engine import dtypes as _dt
from engine.backend import devices as _devices
from engine.errors import TracingError
from engine.graph.ir_export import GraphExport
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["Graph", "Node", "SymbolicTensor"]

# Node types whose outputs depend on state or that change it; passes never merge, fold,
# drop or reorder them. Registry ops flagged `stateful` (random draws) join this set.
STATEFUL_TYPES = frozenset({
    "ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp",
    "PrintV2", "EagerPyFunc",
})
VARIABLE_WRITES = frozenset({"AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"})


class SymbolicValue:
    """What a symbolic tensor holds instead of an array: the static shape and dtype.

    It answers `.shape`, `.dtype`, `.ndim` and `.size` like an array does, with None for
    unknown dimensions, so code that asks an array for its shape works while tracing.
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple | None, dtype: np.dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def size(self) -> int | None:
        if self.shape is None or None in self.shape:
            return None
        return int(np.prod(self.shape, dtype=np.int64))


def _no_value(tensor, what: str):
    return TracingError(
        f"{what}: {tensor.name} is a symbolic tensor inside engine.function; it has no value "
        "while the function is traced. Use engine ops on it (they become graph nodes), "
        "engine.print(t) to print it when the graph runs, or engine.py_function to call "
        "Python on its value. To debug with real values, run the function eagerly: "
        "engine.config.run_functions_eagerly(True) or engine.function(f, run_eagerly=True).")


def _user_line() -> str:
    """`file:line: code` of the innermost caller outside the engine package, or ''."""
    import os  # noqa: PLC0415
    import sys  # noqa: PLC0415

    engine_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(engine_dir):
        frame = frame.f_back
    if frame is None:
        return ""
    filename, line = frame.f_code.co_filename, frame.f_lineno
    return f"{filename}:{line}: {linecache.getline(filename, line).strip()}"


class SymbolicTensor(Tensor):
    """An output of a graph node: shape and dtype are known, the value is not.

    Symbolic tensors exist only while a function is traced. Ops on them add nodes to the
    graph; asking for a value (`numpy()`, `bool(t)`, `float(t)`) raises `TracingError`.
    """

    __slots__ = ("_node", "_index")

    def __init__(self, node: Node, index: int, spec: TensorSpec, device):
        shape = spec.shape.dims
        self._value = SymbolicValue(None if shape is None else tuple(shape),
                                    spec.dtype._np)
        self._device = device
        self._node = node
        self._index = index

    @property
    def shape(self) -> TensorShape:
        """The static shape; None for dimensions known only at run time."""
        return TensorShape(self._value.shape)

    def get_shape(self) -> TensorShape:
        """Alias of `shape`."""
        return self.shape

    def set_shape(self, shape) -> None:
        """Refines the static shape with `shape` (None entries leave a dimension as is).

        Raises:
            ValueError: when `shape` is incompatible with the known shape.
        """
        Tensor.set_shape(self, shape)
        merged = self.shape.merge_with(TensorShape(shape))
        self._value.shape = None if merged.rank is None else tuple(merged.as_list())

    @property
    def dtype(self) -> _dt.DType:
        """The element type."""
        return _dt.from_numpy(self._value.dtype)

    @property
    def ndim(self) -> int | None:
        """The rank, or None if unknown."""
        return self._value.ndim

    @property
    def op(self) -> Node:
        """The node that produces this tensor."""
        return self._node

    @property
    def graph(self) -> Graph:
        """The graph this tensor belongs to."""
        return self._node.graph

    @property
    def value_index(self) -> int:
        """Which output of its node this tensor is."""
        return self._index

    @property
    def name(self) -> str:
        """`node_name:index`, as in TensorFlow."""
        return f"{self._node.name}:{self._index}"

    def numpy(self):
        raise _no_value(self, "numpy()")

    def __array__(self, dtype=None, copy=None):
        raise _no_value(self, "Converting to a NumPy array")

    def __bool__(self):
        error = _no_value(self, "Using a tensor as a Python bool (if/while/and/or/not)")
        where = _user_line()
        if where:
            error.args = (
                f"{error.args[0]}\n  at {where}\n  autograph converts `if`, `while` and `for` "
                "statements written directly in the traced function; a tensor used as a bool "
                "anywhere else (a comprehension, lambda, chained comparison such as "
                "`a < t < b`, `any(...)`, or code run with autograph=False) cannot be "
                "converted. Write it as an `if`/`while` statement, or use engine.cond, "
                "engine.where or engine.while_loop.",)
        raise error

    def __float__(self):
        raise _no_value(self, "float()")

    def __int__(self):
        raise _no_value(self, "int()")

    def __index__(self):
        raise _no_value(self, "Using a tensor as a Python index")

    def __len__(self):
        shape = self._value.shape
        if shape is None or not shape or shape[0] is None:
            raise TracingError(f"len(): {self.name} has shape {self.shape}, whose first "
                               "dimension is unknown while tracing. Use engine.shape(t)[0].")
        return shape[0]

    def __reduce__(self):
        raise TypeError("A symbolic tensor cannot be pickled; it exists only while tracing.")

    def __repr__(self) -> str:
        return (f"<engine.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name} "
                "(symbolic)>")

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


class Node:
    """One operation in a graph (TensorFlow calls it an Operation).

    Attributes:
        graph: the graph that holds it.
        type: the op type, e.g. `"MatMul"`.
        name: unique in its graph, prefixed by the name scope (`"dense/MatMul"`).
        inputs: the symbolic tensors it reads.
        outputs: the symbolic tensors it produces.
        attrs: static attributes (JSON-able).
        control_inputs: nodes that must run before it (program order of stateful nodes).
        device: where it runs.
        source: `(filename, line, function)` of the user code that created it, or None.
    """

    __slots__ = ("graph", "type", "op", "name", "inputs", "attrs", "outputs",
                 "control_inputs", "device", "source", "scope", "stateful", "info")

    def __init__(self, graph: Graph, type_: str, op, name: str, inputs: list, attrs: dict,
                 device, source, scope: str, stateful: bool):
        self.graph = graph
        self.type = type_
        self.op = op
        self.name = name
        self.inputs = list(inputs)
        self.attrs = attrs
        self.outputs: list[SymbolicTensor] = []
        self.control_inputs: list[Node] = []
        self.device = device
        self.source = source
        self.scope = scope
        self.stateful = stateful
        self.info: dict = {}  # what passes record about the node (e.g. fused members)

    def get_attr(self, name: str):
        """The value of attribute `name`."""
        try:
            return self.attrs[name]
        except KeyError:
            raise ValueError(f"Node {self.name!r} ({self.type}) has no attr {name!r}; it has "
                             f"{sorted(self.attrs)}.") from None

    @property
    def value(self) -> np.ndarray:
        """A `Const` node's array."""
        if self.type != "Const":
            raise ValueError(f"Node {self.name!r} is a {self.type}, not a Const.")
        return self.graph.arrays[self.attrs["array"]]

    def source_text(self) -> str:
        """`file:line in function: code` of the user line that created the node, or ''."""
        if self.source is None:
            return ""
        filename, line, function = self.source
        code = linecache.getline(filename, line).strip()
        where = f"{filename}:{line} in {function}"
        return f"{where}: {code}" if code else where

    def __repr__(self) -> str:
        return f"<Node {self.name!r} type={self.type}>"


class Graph(GraphExport):
    """A traced computation: nodes in execution order, its inputs, outputs and captures.

    Build one with `engine.function`; `concrete.graph` gives it. Inspect it with
    `get_operations()`, `as_text()`, `as_graph_data()` (nodes and edges for drawing) and
    `as_dict()` (JSON-able, with arrays alongside).

    Example:
        >>> @engine.function
        ... def f(x):
        ...     return engine.matmul(x, x) * 2.0
        >>> g = f.get_concrete_function(engine.TensorSpec([3, 3], engine.float32)).graph
        >>> [op.type for op in g.get_operations()]
        ['Placeholder', 'MatMul', 'Const', 'Mul']
    """

    def __init__(self, name: str = "graph"):
        self.name = name
        self.nodes: list[Node] = []
        self.inputs: list[SymbolicTensor] = []
        self.outputs: list = []
        self.variables: list = []
        self._variable_index: dict[int, int] = {}
        self.arrays: dict[str, np.ndarray] = {}
        self.functions: dict[str, Graph] = {}
        self._names: dict[str, int] = {}
        self._last_stateful: Node | None = None
        self.control_stack: list = []  # `engine.control_dependencies` blocks: lists of nodes
        self.allow_variable_creation = True
        self.created_variables: list = []

    # --- building -----------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """`base`, or `base_1`, `base_2`, ... if taken."""
        count = self._names.get(base)
        if count is None:
            self._names[base] = 1
            return base
        while True:
            name = f"{base}_{count}"
            count += 1
            if name not in self._names:
                self._names[base] = count
                self._names[name] = 1
                return name

    def add_node(self, type_: str, inputs: list, attrs: dict, specs: list, *, op=None,
                 device=_devices.CPU0, source=None, scope: str = "", stateful: bool = False,
                 name: str | None = None) -> Node:
        """Appends a node with outputs described by `specs`; returns it."""
        base = name or type_
        full = self.unique_name(f"{scope}/{base}" if scope else base)
        node = Node(self, type_, op, full, inputs, attrs, device, source, scope, stateful)
        node.outputs = [SymbolicTensor(node, k, spec, device) for k, spec in enumerate(specs)]
        if stateful:
            if self._last_stateful is not None:
                node.control_inputs.append(self._last_stateful)
            self._last_stateful = node
        for block in self.control_stack:
            for control in block:
                if control not in node.control_inputs:
                    node.control_inputs.append(control)
        self.nodes.append(node)
        return node

    def add_array(self, array: np.ndarray, hint: str) -> str:
        """Stores a constant's array under a new key; returns the key."""
        key = self.unique_name(f"array/{hint}")
        self.arrays[key] = array
        return key

    def capture_variable(self, variable) -> int:
        """The index of `variable` in `self.variables`, adding it on first use."""
        index = self._variable_index.get(id(variable))
        if index is None:
            index = self._variable_index[id(variable)] = len(self.variables)
            self.variables.append(variable)
        return index

    # --- inspection ---------------------------------------------------------------------
    def get_operations(self) -> list[Node]:
        """The nodes in execution order."""
        return list(self.nodes)

    def get_operation_by_name(self, name: str) -> Node:
        """The node called `name`."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"Graph {self.name!r} has no node named {name!r}.")

    def get_tensor_by_name(self, name: str) -> SymbolicTensor:
        """The tensor called `node_name:index`."""
        node_name, _, index = name.rpartition(":")
        if not node_name or not index.isdigit():
            raise ValueError(f"Tensor names look like 'node:0'; got {name!r}.")
        return self.get_operation_by_name(node_name).outputs[int(index)]


# Node types that the executor runs itself (not registry ops). Other modules add theirs
# (control flow, fused kernels) with `register_node_type`.
GRAPH_NODE_TYPES = {"Placeholder", "Const", "ReadVariableOp", "AssignVariableOp",
                    "AssignAddVariableOp", "AssignSubVariableOp", "PrintV2", "EagerPyFunc",
                    "Fused"}


def register_node_type(name: str, stateful: bool = False) -> None:
    """Declares a graph-level node type that the executor builds itself."""
    GRAPH_NODE_TYPES.add(name)

