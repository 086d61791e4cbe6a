"""Sub-graphs and the control-flow nodes that run them: `If`, `Case`, `While`, `WhileGrad`.

A control-flow node keeps its branches (or its loop's condition and body) as graphs stored
by name in the enclosing graph's `functions`, so its attrs stay JSON-able and
`Graph.as_dict` / `Graph.from_dict` carry them. The executor compiles each sub-graph into
its own `Program`; the node's kernel calls the one it needs.

Captures. A `SubGraph` is traced inside an outer graph. When one of its ops uses a tensor
of an enclosing graph, `capture_foreign` makes a placeholder for it and records the pair
(outer tensor, placeholder); the node passes the outer tensors in as inputs, so a
sub-graph is a closed function of its inputs. A tensor from further out is first captured
by each graph in between (a cond in a cond). Variables are shared by the whole tree: a
sub-graph's variable indices point into the root graph's `variables`.

Tapes. A sub-graph traced while a `GradientTape` is active gets its own persistent tape,
which watches its placeholders, so that the node's gradient can replay its records later
(`control_flow_grad`). The node itself goes on the outer tapes as one record whose op is
a `ControlFlowOp`, an `OpDef` stand-in whose `vjp` is the rule in `GRADIENTS`.

Exports. A gradient sub-graph reads values computed in the forward sub-graph it
differentiates. Its `exporter` turns each such tensor into an input: an extra output of
the forward `If`/`Case` node, or a per-iteration accumulator of the forward `While` or
`WhileGrad` (`sliced`: the gradient loop reads one slice per iteration). Slice `i` of an
accumulator is iteration `i`'s value, whichever order the loop runs in.
"""

from __future__ import annotations

import contextlib
import operator

import numpy as np

from engine import context
from engine.backend import devices as _devices
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import InvalidArgumentError
from engine.graph.executor import NODE_BUILDERS, Program
from engine.graph.ir import SymbolicTensor, register_node_type
from engine.graph.trace import FuncGraph, user_source
from engine.registry import get
from engine.tape import GradientTape
from engine.tensor import Tensor
from engine.tensor_shape import TensorSpec

__all__ = ["SubGraph", "building", "as_graph_tensor", "add_branch_node", "add_loop_node",
           "record", "outside_sources", "align_inputs", "spec_of", "GRADIENTS"]

_THREAD = context.THREAD

# node type -> rule(node, ctx, grads) returning one gradient per recorded input;
# control_flow_grad fills it.
GRADIENTS: dict = {}


class SubGraph(FuncGraph):
    """A branch, loop condition or loop body, traced inside an outer graph.

    Attributes:
        outer: the graph the node that runs this sub-graph belongs to.
        lead: placeholders the node passes first (loop variables, carried gradients).
        captures: `(outer tensor, placeholder)` pairs, one per captured tensor.
        sliced: `(outer accumulator, placeholder)` pairs: the placeholder gets one slice
            of the accumulator per loop iteration (gradient loops only).
        tape: a persistent `GradientTape` recording this graph's ops, or None.
        forward: the sub-graph this one differentiates, or None.
        exporter: `exporter(self, tensor)` makes a tensor of `forward` an input here.
    """

    def __init__(self, name: str, outer: FuncGraph, taped: bool = False, forward=None,
                 exporter=None):
        super().__init__(name)
        self.outer = outer
        self.root = getattr(outer, "root", outer)
        self.variables = self.root.variables
        self._variable_index = self.root._variable_index
        self.allow_variable_creation = self.root.allow_variable_creation
        self.lead: list = []
        self.captures: list = []
        self.sliced: list = []
        self._captured: dict = {}
        self.tape = GradientTape(persistent=True) if taped else None
        self.forward = forward
        self.exporter = exporter
        if taped:  # what the enclosing tapes watch from outside graphs: ops here may use it
            for tape in _THREAD.tapes:
                for item in tape._watched.values():
                    if _is_outside(item):
                        self.tape.watch(item)

    def on_variable_created(self, variable) -> None:
        """Variables belong to the root graph (see `FuncGraph.on_variable_created`)."""
        self.root.on_variable_created(variable)

    def new_input(self, spec: TensorSpec, name: str, device=_devices.CPU0) -> SymbolicTensor:
        """A placeholder, watched by this graph's tape."""
        placeholder = self.placeholder(spec, name, device)
        if self.tape is not None:
            self.tape.watch(placeholder)
        return placeholder

    def capture_foreign(self, tensor: SymbolicTensor) -> SymbolicTensor:
        """The placeholder standing for `tensor`, a tensor of an enclosing (or forward) graph."""
        hit = self._captured.get(id(tensor))
        if hit is not None:
            return hit[1]
        if self.forward is not None and tensor._node.graph is self.forward:
            inner = self.exporter(self, tensor)
        else:
            inner = self.add_capture(self.to_outer(tensor))
        self._captured[id(tensor)] = (tensor, inner)  # keeps `tensor` alive: ids stay unique
        return inner

    def to_outer(self, tensor: SymbolicTensor) -> SymbolicTensor:
        """`tensor` as a tensor of the outer graph, captured there first if needed."""
        if tensor._node.graph is self.outer:
            return tensor
        return self.outer.capture_foreign(tensor)  # the root graph refuses strangers

    def add_capture(self, outer: SymbolicTensor, sliced: bool = False) -> SymbolicTensor:
        """A new placeholder fed by `outer` (one slice of it per iteration if `sliced`)."""
        shape = outer._value.shape
        if sliced and shape is not None:
            shape = shape[1:]
        placeholder = self.new_input(TensorSpec(shape, outer.dtype), "capture", outer._device)
        (self.sliced if sliced else self.captures).append((outer, placeholder))
        return placeholder

    def is_stateful(self) -> bool:
        """Whether running this graph reads or changes state (variables, random draws)."""
        return any(node.stateful for node in self.nodes)


@contextlib.contextmanager
def building(graph: SubGraph):
    """Makes `graph` the target of `dispatch`, with its own tape (if any) as the only tape."""
    saved_graph, saved_tapes = _THREAD.graph, _THREAD.tapes
    _THREAD.graph, _THREAD.tapes = graph, []
    context.enter_slow()
    if graph.tape is not None:
        graph.tape._push()
    try:
        yield graph
    finally:
        if graph.tape is not None and graph.tape._active:
            graph.tape._pop()
        context.exit_slow()
        _THREAD.graph, _THREAD.tapes = saved_graph, saved_tapes


def as_graph_tensor(graph: FuncGraph, value, dtype=None) -> SymbolicTensor:
    """`value` (a tensor, variable, number or array) as a tensor of `graph`, which is being
    built (`context.THREAD.graph`)."""
    if isinstance(value, SymbolicTensor):
        return value if value._node.graph is graph else graph.capture_foreign(value)
    is_variable = getattr(value, "_is_variable", False)
    if getattr(graph, "tape", None) is not None and (is_variable or type(value) is Tensor):
        # An `Identity` op, not a bare constant or read, so that the graph's tape sees the
        # variable or watched eager tensor (e.g. `cond(p, lambda: v, ...)`).
        return dispatch(get("Identity"), (value,))
    if isinstance(value, Tensor):
        return graph.constant(value)
    if is_variable:
        return graph.read_variable(value)
    return graph.constant(convert_to_tensor(value, dtype=dtype))


def spec_of(tensor) -> TensorSpec:
    """The static shape and dtype of a (symbolic) tensor."""
    return TensorSpec(tensor._value.shape, tensor.dtype)


def align_inputs(graphs: list) -> tuple[list, list]:
    """Gives `graphs` one input list: `lead`, then sliced, then captured tensors.

    A tensor that only some of the graphs capture gets an unused placeholder in the
    others, so one node feeds them all.

    Returns:
        `(sliced outer tensors, captured outer tensors)`, in input order.
    """
    unions = []
    for kind in ("sliced", "captures"):
        union, seen = [], set()
        for g in graphs:
            for outer, _ in getattr(g, kind):
                if id(outer) not in seen:
                    seen.add(id(outer))
                    union.append(outer)
        unions.append(union)
    for g in graphs:
        inputs = list(g.lead)
        for kind, union in zip(("sliced", "captures"), unions):
            mine = {id(outer): ph for outer, ph in getattr(g, kind)}
            for outer in union:
                ph = mine.get(id(outer))
                inputs.append(ph if ph is not None else g.add_capture(outer, kind == "sliced"))
        g.inputs = inputs
    return unions[0], unions[1]


def _function_key(graph, base: str, sub: SubGraph) -> str:
    # No "/" in keys: `Graph.as_dict` prefixes a function's arrays with "key/".
    key = graph.unique_name(base.replace("/", "_"))
    sub.name = key
    graph.functions[key] = sub
    return key


def _device(inputs: list):
    if _THREAD.devices:
        return _THREAD.devices[-1]
    return next((t._device for t in inputs if t._device is not _devices.CPU0), _devices.CPU0)


def add_branch_node(kind: str, selector, branches: list, name: str):
    """Adds an `If` (bool `selector`, branches then/else) or `Case` (int32 index) node.

    Each branch's `outputs` must be set; output shapes merge to the most specific shape
    that fits every branch. Returns the node.
    """
    graph = _THREAD.graph
    selector = as_graph_tensor(graph, selector)
    _, captures = align_inputs(branches)
    specs = []
    for k in range(len(branches[0].outputs)):
        shape = branches[0].outputs[k].shape
        for b in branches[1:]:
            shape = shape.most_specific_compatible_shape(b.outputs[k].shape)
        specs.append(TensorSpec(shape, branches[0].outputs[k].dtype))
    keys = [_function_key(graph, f"{name}_branch{b}", g) for b, g in enumerate(branches)]
    attrs = {"branches": keys, "outputs": [[k] * len(branches) for k in range(len(specs))]}
    inputs = [selector] + captures
    return graph.add_node(kind, inputs, attrs, specs, device=_device(inputs),
                          source=user_source(), scope=context.current_name_scope(),
                          stateful=any(g.is_stateful() for g in branches), name=name)


def add_loop_node(kind: str, carried: list, limit, sliced: list, captures: list, body,
                  cond, name: str, reverse: bool = False):
    """Adds a `While` (with a `cond` graph) or a counted `WhileGrad` loop node.

    Inputs: `carried` (the loop variables), `limit` (the most iterations, or None),
    `sliced` (accumulators read one slice per iteration), `captures`. Returns the node.
    """
    graph = _THREAD.graph
    attrs = {"body": _function_key(graph, f"{name}_body", body),
             "cond": None if cond is None else _function_key(graph, f"{name}_cond", cond),
             "n_vars": len(carried), "has_limit": limit is not None,
             "n_sliced": len(sliced), "reverse": reverse, "extras": []}
    inputs = list(carried) + ([limit] if limit is not None else []) + sliced + captures
    specs = [spec_of(t) for t in body.lead]
    stateful = body.is_stateful() or (cond is not None and cond.is_stateful())
    return graph.add_node(kind, inputs, attrs, specs, device=_device(inputs),
                          source=user_source(), scope=context.current_name_scope(),
                          stateful=stateful, name=name)


class ControlFlowOp:
    """Stands in for an `OpDef` in the tape records of one control-flow node."""

    broadcasts = False

    def __init__(self, node):
        self.node = node
        self.name = node.name
        self.tf_name = node.type
        self.num_outputs = len(node.outputs)
        self.stateful = node.stateful

    def vjp(self, ctx, *grads):
        return GRADIENTS[self.node.type](self.node, ctx, grads)


def record(node, keys: list, outside: list, outputs) -> None:
    """Records `node` on the active tapes.

    Args:
        node: the control-flow node.
        keys: per node input, what tapes know it as (a tensor or variable), or None for
            inputs without a gradient.
        outside: variables and eager tensors its sub-graphs use directly (see
            `outside_sources`): extra differentiable inputs of the record.
        outputs: the differentiable outputs; an `If`/`Case` passes `node.outputs` itself,
            so outputs added later for gradients (see `control_flow_grad`) are seen too.
    """
    tapes = _THREAD.tapes
    if not tapes:
        return
    op = ControlFlowOp(node)
    inputs = list(node.inputs) + list(outside)
    for tape in tapes:
        tape._record(op, list(keys) + list(outside), inputs, outputs, node.attrs)


def _is_outside(item) -> bool:
    """A variable or eager tensor: what a graph uses without capturing it."""
    return type(item) is Tensor or getattr(item, "_is_variable", False)


def outside_sources(graphs: list) -> list:
    """What the tapes of `graphs` differentiate that is not a node input, each once: the
    variables (trainable ones read there, or watched ones) and watched eager tensors that
    their ops used."""
    seen = {}
    for g in graphs:
        if g is None or g.tape is None:
            continue
        used = {k for rec in g.tape._records for k in rec[1]}
        for key, item in g.tape._watched.items():
            if key in used and key not in seen and _is_outside(item):
                seen[key] = item
    return list(seen.values())


# --- the executor's side ------------------------------------------------------------------
def _subprogram(graph, key: str) -> Program:
    sub = graph.functions[key]
    sub.variables = graph.variables  # a graph rebuilt by Graph.from_dict shares them again
    return Program(sub)


def _filler(t: SymbolicTensor):
    """Zeros shaped like `t` (unknown dimensions 0), without allocating: what a branch
    gives for an output that only another branch computes (its gradient never reads it)."""
    xp = t._device.xp
    shape = t._value.shape
    dims = () if shape is None else tuple(0 if d is None else d for d in shape)
    return xp.broadcast_to(xp.zeros((), t._value.dtype), dims)


def _picker(node, branch: int):
    """Turns branch `branch`'s program results into the node's outputs."""
    columns = [m[branch] for m in node.attrs["outputs"]]
    if not columns:  # no outputs: the executor's strict checks count a tuple's items
        return lambda results: ()
    if columns == list(range(len(columns))):
        return operator.itemgetter(0) if len(columns) == 1 else tuple
    fillers = [None if j >= 0 else _filler(t) for j, t in zip(columns, node.outputs)]

    def pick(results):
        out = tuple(results[j] if j >= 0 else f for j, f in zip(columns, fillers))
        return out[0] if len(out) == 1 else out

    return pick


def _build_branches(node, program):
    programs = [_subprogram(program.graph, key) for key in node.attrs["branches"]]
    pickers = [_picker(node, b) for b in range(len(programs))]
    last = len(programs) - 1

    if node.type == "If":
        def run(pred, *args):
            b = 0 if pred else 1
            return pickers[b](programs[b](args))
    else:
        def run(index, *args):
            b = int(index)
            if b < 0 or b > last:  # out of range: the default, i.e. the last branch
                b = last
            return pickers[b](programs[b](args))
    return run


def _stack(values: list, like: SymbolicTensor, xp):
    if not values:
        shape = like._value.shape or (0,)
        return xp.zeros(tuple(0 if d is None else d for d in shape), like._value.dtype)
    try:
        return xp.stack(values)
    except ValueError:
        raise InvalidArgumentError(
            f"while_loop gradient: a value of the loop body {like.name} has different shapes "
            f"in different iterations ({sorted({tuple(v.shape) for v in values})}), so its "
            "values cannot be stacked for the backward pass. Differentiating a loop whose "
            "shapes change between iterations is not supported.", op="While") from None


def _build_loop(node, program):
    attrs = node.attrs
    body = _subprogram(program.graph, attrs["body"])
    cond = _subprogram(program.graph, attrs["cond"]) if attrs["cond"] else None
    n, has_limit, n_sliced = attrs["n_vars"], attrs["has_limit"], attrs["n_sliced"]
    reverse = attrs["reverse"]
    extras = [tuple(e) for e in attrs["extras"]]
    acc_columns = [e[1] for e in extras if e[0] == "acc"]
    xp = node.device.xp
    single = len(node.outputs) == 1

    def run(*args):
        state = list(args[:n])
        limit = max(int(args[n]), 0) if has_limit else -1
        start = n + has_limit
        sliced = args[start:start + n_sliced]
        invariant = list(args[start + n_sliced:])
        accs = [[] for _ in acc_columns]
        if cond is None:  # a counted loop (gradients): `limit` iterations
            steps = range(limit - 1, -1, -1) if reverse else range(limit)
            for i in steps:
                results = body(state + [s[i] for s in sliced] + invariant)
                state = list(results[:n])
                for acc, j in zip(accs, acc_columns):
                    acc.append(results[j])
            if reverse:  # slice i of an accumulator holds iteration i's value
                for acc in accs:
                    acc.reverse()
            count = limit
        else:
            count = 0
            while count != limit and cond(state + invariant)[0]:
                results = body(state + invariant)
                state = list(results[:n])
                for acc, j in zip(accs, acc_columns):
                    acc.append(results[j])
                count += 1
        accs = iter(accs)
        outs = state
        for k, extra in enumerate(extras):
            if extra[0] == "count":
                outs.append(xp.asarray(count, dtype=np.int32))
            else:
                outs.append(_stack(next(accs), node.outputs[n + k], xp))
        return outs[0] if single else tuple(outs)

    return run


for _type in ("If", "Case"):
    register_node_type(_type)
    NODE_BUILDERS[_type] = _build_branches
for _type in ("While", "WhileGrad"):
    register_node_type(_type)
    NODE_BUILDERS[_type] = _build_loop
del _type
