"""TensorFlow 2's graph-flavoured top-level functions.

`case`, `group`, `tuple`, `no_op`, `parallel_stack`, `gradients`, `hessians`,
`inside_function`, `is_symbolic_tensor` and `get_current_name_scope`.

`gradients(ys, xs)` works as in TF 2: only inside `engine.function`. There the graph being
traced already holds every op that computed `ys`, with its inputs, outputs and attrs: the
same facts a `GradientTape` record holds. So `gradients` turns the graph's registry-op nodes
into tape records and runs the tape's own backward walk over them; the gradient ops it
emits become nodes of the same graph, which is why `hessians` (gradients of gradients)
works too. Control-flow nodes (`If`, `While`) between `xs` and `ys` are not walked: use a
`GradientTape` inside the function for those (the error says so).
"""

from __future__ import annotations

import builtins

from engine import context, nest
from engine import dtypes as _dt
from engine.errors import InvalidArgumentError, TracingError
from engine.graph.control_deps import control_dependencies
from engine.graph.control_flow import cond
from engine.graph.ir import SymbolicTensor
from engine.graph.subgraph import as_graph_tensor
from engine.ops import array_ops as _a
from engine.ops import math_ops as _m
from engine.ops.assert_ops import Assert
from engine.ops.fill_ops import zeros, zeros_like
from engine.ops.join_ops import stack
from engine.ops.reduce_ops import reduce_any, reduce_sum
from engine.tape import GradientTape, UnconnectedGradients

__all__ = ["no_op", "group", "tuple", "case", "parallel_stack", "gradients", "hessians",
           "inside_function", "is_symbolic_tensor", "get_current_name_scope"]

_THREAD = context.THREAD
_EAGER_GRADIENTS = ("engine.gradients is not supported when eager execution is enabled. Use "
                    "engine.GradientTape instead.")


def no_op(name=None) -> None:
    """Does nothing; returns None (TF 2 returns None eagerly too).

    Example:
        >>> print(engine.no_op())
        None
    """
    return None


def group(*inputs, name=None) -> None:
    """Groups ops to run together; returns None.

    Eagerly every op has already run. Inside `engine.function` stateful nodes run in program
    order and values run when used, so there is nothing left to wait for (TF returns an
    `Operation` there; use `engine.control_dependencies` on the tensors themselves).

    Args:
        *inputs: tensors (or None).
        name: ignored.

    Example:
        >>> print(engine.group(engine.constant(1.0), engine.constant(2.0)))
        None
    """
    return None


def tuple(tensors, control_inputs=None, name=None):  # noqa: A001 - TensorFlow's name
    """The `tensors`, each available only after all of them (and `control_inputs`).

    Args:
        tensors: a list of tensors (None entries stay None).
        control_inputs: more tensors to wait for, or None.
        name: ignored.

    Returns:
        A list of tensors with the same values.

    Raises:
        TypeError: if `tensors` is not a list or tuple.

    Example:
        >>> [t.numpy() for t in engine.tuple([engine.constant(1.0)])]
        [np.float32(1.0)]
    """
    if not isinstance(tensors, (list, builtins.tuple)):
        raise TypeError(f"tuple: got {type(tensors).__name__}; expected a list of tensors.")
    waits = [t for t in list(tensors) + list(control_inputs or []) if t is not None]
    with control_dependencies(waits if _THREAD.graph is not None else []):
        return [None if t is None else _a.identity(t) for t in tensors]


def _case_pairs(pred_fn_pairs) -> list:
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else pred_fn_pairs
    if not isinstance(pairs, (list, builtins.tuple)):
        raise TypeError(f"case: got pred_fn_pairs of type {type(pred_fn_pairs).__name__}; "
                        "expected a list of (pred, fn) pairs.")
    pairs = list(pairs)
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (list, builtins.tuple)) or len(pair) != 2 or not callable(pair[1]):
            raise TypeError(f"case: pred_fn_pairs[{i}] is {pair!r}; expected a (pred, fn) "
                            "pair whose fn is callable.")
    return pairs


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """Runs the `fn` of the first pair whose `pred` is true, else `default()`.

    Built from nested `engine.cond`, so it works eagerly and inside `engine.function`.

    Args:
        pred_fn_pairs: a list of `(pred, fn)` pairs (or a dict): scalar bool tensors or
            Python bools, and functions of no arguments returning the same structure.
        default: a function run when no `pred` holds. None: the last pair's `fn` is the
            default and one of the predicates must hold.
        exclusive: check that at most one predicate holds.
        strict: accepted for TensorFlow parity.
        name: the nodes' name while tracing.

    Returns:
        What the chosen function returns.

    Raises:
        InvalidArgumentError: when `exclusive` and several predicates hold, or when there
            is no `default` and no predicate holds.
        TypeError: for a malformed `pred_fn_pairs`.

    Example:
        >>> x = engine.constant(5)
        >>> int(engine.case([(x < 0, lambda: -1), (x > 3, lambda: 1)], default=lambda: 0))
        1
    """
    pairs = _case_pairs(pred_fn_pairs)
    if not pairs:
        if default is None:
            raise ValueError("case: got no pred_fn_pairs and no default; expected at least one "
                             "of them.")
        return default()
    preds = [_m.cast(p, _dt.bool) for p, _ in pairs]
    if exclusive and len(preds) > 1:
        count = reduce_sum(_m.cast(stack(preds), _dt.int32))
        Assert(_m.less_equal(count, 1), ["Input error: exclusive=True: more than 1 conditions "
                                         "evaluated as True:", stack(preds)])
    if default is None:
        last_pred, default = preds[-1], pairs[-1][1]
        preds, pairs = preds[:-1], pairs[:-1]
        others = stack(preds) if preds else None
        condition = last_pred if others is None else _m.logical_or(
            last_pred, reduce_any(others))
        Assert(condition, ["Input error: None of conditions evaluated as True:",
                           stack(preds + [last_pred])])
    chosen = default
    for pred, (_, fn) in reversed(list(zip(preds, pairs))):
        chosen = _branch(pred, fn, chosen, name)
    return chosen()


def _branch(pred, fn, otherwise, name):
    return lambda: cond(pred, fn, otherwise, name=name)


def parallel_stack(values, name="parallel_stack"):
    """`engine.stack(values)` inside `engine.function`; eagerly an error, as in TensorFlow.

    Args:
        values: a list of tensors of one shape and dtype.
        name: ignored.

    Returns:
        The stacked tensor, with a new first axis.

    Raises:
        RuntimeError: when called eagerly.

    Example:
        >>> f = engine.function(lambda a, b: engine.parallel_stack([a, b]))
        >>> f(engine.constant(1.0), engine.constant(2.0)).numpy()
        array([1., 2.], dtype=float32)
    """
    if _THREAD.graph is None:
        raise RuntimeError("engine.parallel_stack() is not compatible with eager execution. "
                           "Use engine.stack, or call it inside engine.function.")
    return stack(values)


def inside_function() -> bool:
    """True while a function is being traced into a graph (`engine.function`).

    Returns:
        A bool.

    Example:
        >>> engine.inside_function()
        False
    """
    return _THREAD.graph is not None


def is_symbolic_tensor(tensor) -> bool:
    """True for a symbolic (graph) tensor, False for eager tensors and other values.

    Args:
        tensor: anything.

    Returns:
        A bool.

    Example:
        >>> engine.is_symbolic_tensor(engine.constant(1.0))
        False
    """
    return isinstance(tensor, SymbolicTensor)


def get_current_name_scope() -> str:
    """The current name scope: '' at top level, 'outer/inner' inside nested scopes.

    Returns:
        A str.

    Example:
        >>> with engine.name_scope("block"):
        ...     engine.get_current_name_scope()
        'block'
    """
    return context.current_name_scope()


# --- gradients from the graph being traced ----------------------------------------------------
def _source_keys(graph, xs) -> tuple:
    """What each x is in the graph: its symbolic tensor, or every read of a variable."""
    aliases = {}  # id(graph tensor) -> id(x)
    for x in xs:
        if isinstance(x, SymbolicTensor):
            continue
        if getattr(x, "_is_variable", False):
            index = graph._variable_index.get(id(x))
            for node in graph.nodes:
                if node.type == "ReadVariableOp" and node.attrs.get("variable") == index:
                    aliases[id(node.outputs[0])] = id(x)
            continue
        hit = graph._consts.get(id(x))
        if hit is None or hit[0] is not x:
            raise TypeError(f"gradients: got a {type(x).__name__} among xs that the traced "
                            "function never used; expected its tensors or variables.")
        aliases[id(hit[1])] = id(x)
    return aliases


def _ancestors(ys) -> set:
    seen, stack_ = set(), [y._node for y in ys]
    while stack_:
        node = stack_.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack_.extend(t._node for t in node.inputs)
    return seen


def _graph_tape(graph, ys, xs) -> GradientTape:
    """A tape whose records are the graph's differentiable nodes between `xs` and `ys`."""
    aliases = _source_keys(graph, xs)
    tape = GradientTape(persistent=True, watch_accessed_variables=False)
    for x in xs:
        tape._watched[id(x)] = x
        if getattr(x, "_is_variable", False):
            tape._variables[id(x)] = x
    needed = _ancestors(ys)
    relevant = {id(x) for x in xs}
    for node in graph.nodes:
        if id(node) not in needed:
            continue
        keys = builtins.tuple(aliases.get(id(t), id(t)) for t in node.inputs)
        if not any(k in relevant for k in keys):
            continue
        op = node.op
        if op is None:
            raise TracingError(
                f"gradients: the path from xs to ys goes through {node.type} node "
                f"{node.name!r}, which engine.gradients does not differentiate. Compute "
                "the gradient with an engine.GradientTape inside the function instead.")
        if getattr(op, "vjp", None) is None:
            continue
        relevant.update(id(o) for o in node.outputs)
        tape._records.append((op, keys, builtins.tuple(node.inputs), builtins.tuple(node.outputs),
                              node.attrs, ""))
    return tape


def gradients(ys, xs, grad_ys=None, name="gradients", gate_gradients=False,
              aggregation_method=None, stop_gradients=None,
              unconnected_gradients=UnconnectedGradients.NONE):
    """The gradients of `sum(ys)` with respect to each of `xs`, inside `engine.function`.

    Args:
        ys: a tensor or list of tensors computed in the function.
        xs: a tensor, variable, or list of them.
        grad_ys: the gradient flowing into each y (default ones).
        name, gate_gradients, aggregation_method: accepted for TensorFlow parity.
        stop_gradients: tensors to treat as constants.
        unconnected_gradients: `UnconnectedGradients.NONE` or `.ZERO`.

    Returns:
        A list with one gradient (or None) per x.

    Raises:
        RuntimeError: when called eagerly (as TF 2); use `engine.GradientTape`.
        TracingError: when control flow lies between `xs` and `ys`.

    Example:
        >>> @engine.function
        ... def slope(x):
        ...     return engine.gradients(x * x, x)[0]
        >>> float(slope(engine.constant(3.0)))
        6.0
    """
    graph = _THREAD.graph
    if graph is None:
        raise RuntimeError(_EAGER_GRADIENTS)
    flat_ys = [as_graph_tensor(graph, y) for y in nest.flatten(ys)]
    flat_xs = nest.flatten(xs)
    stops = nest.flatten(stop_gradients) if stop_gradients is not None else []
    tape = _graph_tape(graph, flat_ys, flat_xs)
    if stops:
        cut = {id(s) for s in stops}
        tape._records = [r for r in tape._records if not any(id(o) in cut for o in r[3])]
    og = None if grad_ys is None else nest.flatten(grad_ys)
    return tape._backprop(flat_ys, flat_xs, og, UnconnectedGradients(unconnected_gradients))


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False,
             aggregation_method=None):
    """The Hessian of `sum(ys)` for each x: a tensor of shape `x.shape + x.shape`.

    As in TF 2, `ys` as tensors works inside `engine.function` (there the graph holds how
    they were computed). Eagerly nothing has recorded that, so pass `ys` as a function of
    no arguments instead: it is then run under nested `GradientTape`s (this also works
    inside `engine.function`).

    Args:
        ys: a tensor or list of tensors (inside `engine.function`), or a function of no
            arguments returning them (anywhere).
        xs: a tensor, variable, or list of them, with known shapes.
        name, colocate_gradients_with_ops, gate_gradients, aggregation_method: accepted
            for TensorFlow parity.

    Returns:
        A list with one Hessian per x.

    Raises:
        RuntimeError: for tensors `ys` eagerly; pass a function.

    Example:
        >>> x = engine.constant([1.0, 2.0])
        >>> engine.hessians(lambda: engine.reduce_sum(x ** 3), x)[0].numpy()
        array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    flat_xs = nest.flatten(xs)
    if callable(ys):
        return [_tape_hessian(ys, x) for x in flat_xs]
    if _THREAD.graph is None:
        raise RuntimeError(_EAGER_GRADIENTS + " Or pass ys as a function of no arguments: "
                           "engine.hessians(lambda: loss(x), x).")
    firsts = gradients(ys, flat_xs)
    out = []
    for g, x in zip(firsts, flat_xs):
        out.append(_rows(g, x, lambda gi, x=x: gradients(gi, x)[0]))
    return out


def _static_size(x) -> list:
    dims = x.shape.as_list() if x.shape.rank is not None else None
    if dims is None or None in dims:
        raise InvalidArgumentError(f"hessians: got x of shape {x.shape}; expected a fully "
                                   "known shape (the Hessian is built row by row).")
    return dims


def _rows(g, x, grad_of):
    dims = _static_size(x)
    if g is None:
        return zeros(dims + dims, x.dtype)
    flat = _a.reshape(g, [-1])
    rows = []
    for i in range(_count(dims)):
        row = grad_of(flat[i])
        rows.append(zeros(dims, x.dtype) if row is None else row)
    return _a.reshape(stack(rows), dims + dims)


def _count(dims) -> int:
    total = 1
    for d in dims:
        total *= d
    return total


def _tape_hessian(fn, x):
    with GradientTape(persistent=True) as outer:
        outer.watch(x)
        with GradientTape() as inner:
            inner.watch(x)
            y = fn()
        g = inner.gradient(y, x)
        dims = _static_size(x)
        flat = None if g is None else _a.reshape(g, [-1])
        rows = [None if flat is None else flat[i] for i in range(_count(dims))]
    if flat is None:
        return zeros(dims + dims, x.dtype)
    return _a.reshape(stack([_zero_if_none(outer.gradient(r, x), x) for r in rows]),
                      dims + dims)


def _zero_if_none(g, x):
    return zeros_like(x) if g is None else g
