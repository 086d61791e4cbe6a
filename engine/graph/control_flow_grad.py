"""Gradients of the control-flow nodes, built as control-flow nodes themselves.

Each forward sub-graph was traced with its own tape (see `subgraph`). A node's gradient
replays that tape backwards inside a new *gradient sub-graph*, which reads the forward
values it needs through its `exporter` instead of recomputing them (so variable updates
and random draws in a branch or body run once):

- `If` / `Case`: the gradient is an `If` / `Case` on the same predicate or index, whose
  branch `b` differentiates forward branch `b`. A forward value `t` of branch `b` becomes
  an extra output of the forward node (the other branches give a zero filler there, which
  the gradient never reads), unless it is a captured input (then the node's input is used)
  or a constant (copied). The node's tape record holds `node.outputs` itself, so those
  extra outputs get gradients too, and the gradient node is recorded like any other: this
  gives higher-order derivatives.
- `While`: the forward loop also outputs its iteration count and, for each body value
  the backward pass reads, an accumulator stacking that value over the iterations (the
  executor collects them while looping). The gradient is a `WhileGrad` loop that runs the
  body's gradient once per iteration in reverse, reading slice `i` of each accumulator,
  carrying the loop variables' gradients and summing those of captured tensors and
  variables.
- `WhileGrad`: a loop too, with the same rule (`_loop_grad`). Its body was traced with a
  tape whenever an outer tape was recording, so its gradient is another `WhileGrad`,
  running the iterations in the opposite order. It reads the first gradient loop's own
  accumulators, and gives the gradients of the accumulators that loop read, one per
  iteration, stacked. Those flow back into the forward `While` as gradients of its
  accumulator outputs (both loops are recorded with their live output lists), which its
  gradient reads slice by slice. So nested tapes give second and higher derivatives.
"""

from __future__ import annotations

from engine import context
from engine.dtypes import INEXACT_NUMPY
from engine.errors import UnimplementedError
from engine.graph import subgraph as _sg
from engine.graph.ir import SymbolicTensor
from engine.graph.subgraph import SubGraph, as_graph_tensor, building, spec_of
from engine.ops.fill_ops import zeros, zeros_like
from engine.tensor import wrap
from engine.tensor_shape import TensorSpec

__all__ = []

_THREAD = context.THREAD


def _inexact(t) -> bool:
    return t._value.dtype in INEXACT_NUMPY


def _is_zero(g) -> bool:
    """A gradient the tape filled in with zeros (an output nothing depended on)."""
    return isinstance(g, SymbolicTensor) and g._node.type == "ZerosLike"


def _needs(ctx, n: int) -> tuple:
    return ctx.needs_input_grad if ctx.needs_input_grad is not None else (True,) * n


def _zeros_for(value):
    """Zeros shaped like a node input, an eager tensor or a variable."""
    if getattr(value, "_is_variable", False) and value.shape.is_fully_defined():
        return zeros(value.shape.as_list(), value.dtype)
    return zeros_like(value)


def _copy_constant(graph, t):
    return graph.constant(wrap(t._node.value, t._device))


# --- If and Case ---------------------------------------------------------------------------
def _branch_output(node, b: int, t) -> SymbolicTensor:
    """The output of `node` that carries `t`, a tensor of branch `b`, adding one if needed."""
    branch = node.graph.functions[node.attrs["branches"][b]]
    columns = node.attrs["outputs"]
    for k, column in enumerate(columns):
        if column[b] >= 0 and branch.outputs[column[b]] is t:
            return node.outputs[k]
    branch.outputs.append(t)
    columns.append([len(branch.outputs) - 1 if c == b else -1
                    for c in range(len(node.attrs["branches"]))])
    out = SymbolicTensor(node, len(node.outputs), spec_of(t), node.device)
    node.outputs.append(out)
    return out


def _branch_exporter(node, b: int):
    branch = node.graph.functions[node.attrs["branches"][b]]

    def export(grad_graph, t):
        if t._node.type == "Const":
            return _copy_constant(grad_graph, t)
        for i, placeholder in enumerate(branch.inputs):
            if placeholder is t:  # a captured tensor: the node's own input
                return grad_graph.add_capture(grad_graph.to_outer(node.inputs[1 + i]))
        return grad_graph.add_capture(grad_graph.to_outer(_branch_output(node, b, t)))

    return export


def _branch_grad(node, ctx, grads):
    """The gradient of an `If` or `Case` node: one of the same kind over gradient branches."""
    n_inputs = len(node.inputs)
    outside = list(ctx.inputs[n_inputs:])  # variables and eager tensors (outside_sources)
    needs = _needs(ctx, len(ctx.inputs))
    wanted = [i for i in range(1, n_inputs) if needs[i] and _inexact(node.inputs[i])]
    wanted += [n_inputs + j for j in range(len(outside)) if needs[n_inputs + j]]
    if not wanted:
        return (None,) * len(ctx.inputs)
    keys = node.attrs["branches"]
    taped = bool(_THREAD.tapes)
    graphs, results = [], []
    for b, key in enumerate(keys):
        branch = node.graph.functions[key]
        grad_graph = SubGraph(f"{key}_grad", _THREAD.graph, taped=taped, forward=branch,
                              exporter=_branch_exporter(node, b))
        with building(grad_graph):
            results.append(_branch_gradients(node, b, branch, grads, wanted, outside))
        graphs.append(grad_graph)
    kept = [k for k in range(len(wanted)) if any(r[k] is not None for r in results)]
    if not kept:
        return (None,) * len(ctx.inputs)
    for grad_graph, result in zip(graphs, results):
        with building(grad_graph):  # a branch without some gradient gives zeros for it
            grad_graph.outputs = [
                as_graph_tensor(grad_graph, result[k] if result[k] is not None
                                else _zeros_for(ctx.inputs[wanted[k]]))
                for k in kept]
    grad_node = _sg.add_branch_node(node.type, node.inputs[0], graphs,
                                    f"{node.name.replace('/', '_')}_grad")
    _sg.record(grad_node, [None] + grad_node.inputs[1:], _sg.outside_sources(graphs),
               grad_node.outputs)
    out = [None] * len(ctx.inputs)
    for k, t in zip(kept, grad_node.outputs):
        out[wanted[k]] = t
    return tuple(out)


def _branch_gradients(node, b, branch, grads, wanted, outside) -> list:
    """Inside branch `b`'s gradient graph: the gradients of the wanted inputs (or None)."""
    targets, seeds = [], []
    for k, g in enumerate(grads):
        j = node.attrs["outputs"][k][b]
        if j < 0 or g is None or _is_zero(g) or not _inexact(branch.outputs[j]):
            continue
        targets.append(branch.outputs[j])
        seeds.append(g)
    n_inputs = len(node.inputs)
    sources = [branch.inputs[i - 1] if i < n_inputs else outside[i - n_inputs]
               for i in wanted]
    if not targets:
        return [None] * len(sources)
    return branch.tape.gradient(targets, sources, output_gradients=seeds)


# --- While and WhileGrad ------------------------------------------------------------------
def _layout(node) -> tuple[int, int, int]:
    """`(n_vars, first sliced input, first captured input)` of a loop node's inputs.

    Inputs are the loop variables, the limit (if any), the sliced accumulators, then the
    captures; the body's inputs are the same without the limit.
    """
    attrs = node.attrs
    first_sliced = attrs["n_vars"] + attrs["has_limit"]
    return attrs["n_vars"], first_sliced, first_sliced + attrs["n_sliced"]


def _body_input(node, body, i: int):
    """The body placeholder fed by input `i` of `node` (any input but the limit)."""
    n = node.attrs["n_vars"]
    return body.inputs[i if i < n else i - node.attrs["has_limit"]]


def _extra_output(node, extra: list, spec: TensorSpec) -> SymbolicTensor:
    n = node.attrs["n_vars"]
    extras = node.attrs["extras"]
    for k, e in enumerate(extras):
        if list(e) == extra:
            return node.outputs[n + k]
    extras.append(extra)
    out = SymbolicTensor(node, len(node.outputs), spec, node.device)
    node.outputs.append(out)
    return out


def _accumulator(node, t) -> SymbolicTensor:
    """A loop output stacking `t`, a tensor of the body, over the iterations: slice `i`
    holds its value in iteration `i`, whichever order the loop runs them in."""
    body = node.graph.functions[node.attrs["body"]]
    j = next((j for j, out in enumerate(body.outputs) if out is t), None)
    if j is None:
        body.outputs.append(t)
        j = len(body.outputs) - 1
    shape = t._value.shape
    spec = TensorSpec(None if shape is None else (None,) + shape, t.dtype)
    return _extra_output(node, ["acc", j], spec)


def _iteration_count(node) -> SymbolicTensor:
    """How many iterations `node` ran: a `While`'s extra output, a `WhileGrad`'s limit."""
    if node.attrs["cond"] is None:
        return node.inputs[node.attrs["n_vars"]]
    return _extra_output(node, ["count"], TensorSpec((), "int32"))


def _body_exporter(node):
    body = node.graph.functions[node.attrs["body"]]
    n, first_sliced, first_capture = _layout(node)

    def export(grad_graph, t):
        if t._node.type == "Const":
            return _copy_constant(grad_graph, t)
        for i, placeholder in enumerate(body.inputs[n:], start=first_sliced):
            if placeholder is t:  # a slice the loop reads, or a loop-invariant capture
                outer = grad_graph.to_outer(node.inputs[i])
                return grad_graph.add_capture(outer, sliced=i < first_capture)
        acc = _accumulator(node, t)
        return grad_graph.add_capture(grad_graph.to_outer(acc), sliced=True)

    return export


def _stacked_grads(node, grads) -> list:
    """`(body output index, gradient)` for each accumulator output that has a gradient
    (second order: the first gradient loop read the accumulator)."""
    n = node.attrs["n_vars"]
    pairs = []
    for k, extra in enumerate(node.attrs["extras"][:max(len(grads) - n, 0)]):
        g = grads[n + k]
        if extra[0] == "acc" and g is not None and not _is_zero(g) \
                and _inexact(node.outputs[n + k]):
            pairs.append((extra[1], g))
    return pairs


def _as_target(body, t):
    """`t`, or the variable it was read from: a value read from a variable in the body
    carries its gradient to the variable (the read itself is not on the tape)."""
    key = body.tape._reads.get(id(t))
    return t if key is None else body.tape._watched.get(key, t)


def _loop_grad(node, ctx, grads):
    """The gradient of a `While` or `WhileGrad` node: a `WhileGrad` loop that runs the body's
    gradient over the same iterations in the opposite order.

    It carries the loop variables' gradients and sums those of captured tensors and
    variables; the gradients of a `WhileGrad`'s sliced inputs, one per iteration, come out
    stacked. Gradients arriving at accumulator outputs are read one slice per iteration.
    """
    attrs = node.attrs
    n, first_sliced, first_capture = _layout(node)
    n_inputs = len(node.inputs)
    body = node.graph.functions[attrs["body"]]
    needs = _needs(ctx, len(ctx.inputs))
    loop = [k for k in range(n) if _inexact(node.outputs[k])]
    sliced = [i for i in range(first_sliced, first_capture)
              if needs[i] and _inexact(node.inputs[i])]
    captured = [i for i in range(first_capture, n_inputs)
                if needs[i] and _inexact(node.inputs[i])]
    outside = [(n_inputs + j, v) for j, v in enumerate(ctx.inputs[n_inputs:])
               if needs[n_inputs + j]]  # variables and eager tensors (outside_sources)
    if not (loop or sliced or captured or outside):
        return (None,) * len(ctx.inputs)
    if body.tape is None:
        raise UnimplementedError(
            f"{node.name}: its body was built without a gradient tape, so it cannot be "
            "differentiated. Start the GradientTape before the loop is traced.", op=node.type)
    graph = _THREAD.graph
    stacked = [(j, as_graph_tensor(graph, g)) for j, g in _stacked_grads(node, grads)]
    count = as_graph_tensor(graph, _iteration_count(node))
    grad_body = SubGraph(f"{attrs['body']}_grad", graph, taped=bool(_THREAD.tapes),
                         forward=body, exporter=_body_exporter(node))
    with building(grad_body):
        seeds = [grad_body.new_input(spec_of(node.outputs[k]), "grad") for k in loop]
        sums = [grad_body.new_input(spec_of(node.inputs[i]), "grad_sum") for i in captured]
        sums += [grad_body.new_input(TensorSpec(v.shape, v.dtype), "grad_sum")
                 for _, v in outside]
        grad_body.lead = seeds + sums
        slices = [grad_body.add_capture(grad_body.to_outer(g), sliced=True)
                  for _, g in stacked]
        targets = ([body.outputs[k] for k in loop]
                   + [_as_target(body, body.outputs[j]) for j, _ in stacked])
        sources = ([body.inputs[k] for k in loop]
                   + [_body_input(node, body, i) for i in sliced + captured]
                   + [v for _, v in outside])
        result = body.tape.gradient(targets, sources, output_gradients=seeds + slices)
        carried = [g if g is not None else zeros_like(body.inputs[k])
                   for g, k in zip(result, loop)]
        rest = result[len(loop):]
        carried += [s if g is None else s + g for s, g in zip(sums, rest[len(sliced):])]
        per_iteration = [g if g is not None else zeros_like(_body_input(node, body, i))
                         for g, i in zip(rest, sliced)]
        grad_body.outputs = [as_graph_tensor(grad_body, t) for t in carried + per_iteration]
    sliced_inputs, captures = _sg.align_inputs([grad_body])
    init = ([grads[k] if grads[k] is not None else zeros_like(node.outputs[k]) for k in loop]
            + [zeros_like(node.inputs[i]) for i in captured]
            + [_zeros_for(v) for _, v in outside])
    init = [as_graph_tensor(graph, t) for t in init]
    grad_node = _sg.add_loop_node("WhileGrad", init, count, sliced_inputs, captures,
                                  grad_body, None, f"{node.name.replace('/', '_')}_grad",
                                  reverse=not attrs["reverse"])
    stacks = [_accumulator(grad_node, t) for t in grad_body.outputs[len(carried):]]
    # Recorded with its live output list, like the forward loop: differentiating it again
    # (a second derivative) reads its accumulators too.
    _sg.record(grad_node, list(grad_node.inputs), _sg.outside_sources([grad_body]),
               grad_node.outputs)
    out = [None] * len(ctx.inputs)
    positions = loop + captured + [i for i, _ in outside]
    for position, t in zip(positions, grad_node.outputs):
        out[position] = t
    for i, t in zip(sliced, stacks):
        out[i] = t
    return tuple(out)


_sg.GRADIENTS["If"] = _sg.GRADIENTS["Case"] = _branch_grad
_sg.GRADIENTS["While"] = _sg.GRADIENTS["WhileGrad"] = _loop_grad
