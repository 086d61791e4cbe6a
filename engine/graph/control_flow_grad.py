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
  variables. Second derivatives through a loop are not supported.
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


# --- While ---------------------------------------------------------------------------------
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
    """A `While` output stacking `t`, a tensor of the body, over the iterations."""
    body = node.graph.functions[node.attrs["body"]]
    j = next((j for j, out in enumerate(body.outputs) if out is t), None)
    if j is None:
        body.outputs.append(t)
        j = len(body.outputs) - 1
    shape = t._value.shape
    spec = TensorSpec(None if shape is None else (None,) + shape, t.dtype)
    return _extra_output(node, ["acc", j], spec)


def _body_exporter(node):
    body = node.graph.functions[node.attrs["body"]]
    n, first_capture = node.attrs["n_vars"], node.attrs["n_vars"] + node.attrs["has_limit"]

    def export(grad_graph, t):
        if t._node.type == "Const":
            return _copy_constant(grad_graph, t)
        for i, placeholder in enumerate(body.inputs[n:]):
            if placeholder is t:  # loop-invariant: the node's captured input
                outer = node.inputs[first_capture + i]
                return grad_graph.add_capture(grad_graph.to_outer(outer))
        acc = _accumulator(node, t)
        return grad_graph.add_capture(grad_graph.to_outer(acc), sliced=True)

    return export


def _while_grad(node, ctx, grads):
    """The gradient of a `While` node: a `WhileGrad` loop over the iterations, reversed."""
    attrs = node.attrs
    n, first_capture = attrs["n_vars"], attrs["n_vars"] + attrs["has_limit"]
    n_inputs = len(node.inputs)
    body = node.graph.functions[attrs["body"]]
    needs = _needs(ctx, len(ctx.inputs))
    loop = [k for k in range(n) if _inexact(node.outputs[k])]
    captured = [i for i in range(first_capture, n_inputs)
                if needs[i] and _inexact(node.inputs[i])]
    outside = [(n_inputs + j, v) for j, v in enumerate(ctx.inputs[n_inputs:])
               if needs[n_inputs + j]]  # variables and eager tensors (outside_sources)
    if not (loop or captured or outside):
        return (None,) * len(ctx.inputs)
    count = _extra_output(node, ["count"], TensorSpec((), "int32"))
    grad_body = SubGraph(f"{attrs['body']}_grad", _THREAD.graph, forward=body,
                         exporter=_body_exporter(node))
    with building(grad_body):
        seeds = [grad_body.new_input(spec_of(node.outputs[k]), "grad") for k in loop]
        sums = [grad_body.new_input(spec_of(node.inputs[i]), "grad_sum") for i in captured]
        sums += [grad_body.new_input(TensorSpec(v.shape, v.dtype), "grad_sum")
                 for _, v in outside]
        grad_body.lead = seeds + sums
        sources = ([body.inputs[k] for k in loop]
                   + [body.inputs[n + i - first_capture] for i in captured]
                   + [v for _, v in outside])
        result = body.tape.gradient([body.outputs[k] for k in loop], sources,
                                    output_gradients=seeds)
        carried = [g if g is not None else zeros_like(body.inputs[k])
                   for g, k in zip(result, loop)]
        carried += [s if g is None else s + g for s, g in zip(sums, result[len(loop):])]
        grad_body.outputs = [as_graph_tensor(grad_body, t) for t in carried]
    sliced, captures = _sg.align_inputs([grad_body])
    init = ([as_graph_tensor(_THREAD.graph, grads[k]) for k in loop]
            + [zeros_like(node.inputs[i]) for i in captured]
            + [_zeros_for(v) for _, v in outside])
    init = [as_graph_tensor(_THREAD.graph, t) for t in init]
    grad_node = _sg.add_loop_node("WhileGrad", init, as_graph_tensor(_THREAD.graph, count),
                                  sliced, captures, grad_body, None,
                                  f"{node.name.replace('/', '_')}_grad", reverse=True)
    # Recorded so that differentiating it again fails clearly (see _no_second_order).
    _sg.record(grad_node, list(grad_node.inputs), [], tuple(grad_node.outputs))
    out = [None] * len(ctx.inputs)
    positions = loop + captured + [i for i, _ in outside]
    for position, t in zip(positions, grad_node.outputs):
        out[position] = t
    return tuple(out)


def _no_second_order(node, ctx, grads):
    raise UnimplementedError(
        f"Differentiating the gradient of a while_loop ({node.name}) is not supported: "
        "second derivatives through engine.while_loop are not implemented. Compute the "
        "inner gradient outside the outer tape, or unroll the loop in Python.",
        op=node.type)


_sg.GRADIENTS["If"] = _sg.GRADIENTS["Case"] = _branch_grad
_sg.GRADIENTS["While"] = _while_grad
_sg.GRADIENTS["WhileGrad"] = _no_second_order
