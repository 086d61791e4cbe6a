"""Control flow: `engine.cond`, `engine.switch_case` and `engine.while_loop`.

Eagerly (and wherever the predicate is a Python value) they are plain Python: `cond` calls
the chosen branch, `while_loop` loops, and a `GradientTape` records the ops that ran.

While a function is traced with a symbolic predicate, index or loop variables, each traces
its functions into sub-graphs (`engine.graph.subgraph`) and adds one node to the graph:
`If`, `Case` or `While`. Only the chosen branch runs when the graph runs, so variable
updates and random draws in a branch happen only when it is taken. The node is recorded
on the active tapes as one step, differentiated by `engine.graph.control_flow_grad`.
`engine.TensorArray` (`engine.graph.tensor_array`) is exported from here too.
"""

from __future__ import annotations

import functools

import numpy as np

from engine import context, nest
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import DTypeError, ShapeError
from engine.graph import control_flow_grad  # noqa: F401 - registers the gradient rules
from engine.graph import subgraph as _sg
from engine.graph.ir import SymbolicTensor
from engine.graph.subgraph import SubGraph, as_graph_tensor, building, spec_of
from engine.graph.tensor_array import TensorArray
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["cond", "switch_case", "while_loop", "TensorArray"]

_THREAD = context.THREAD
_INDEX_DTYPES = (_dt.int32, _dt.int64)


def cond(pred, true_fn=None, false_fn=None, name=None):
    """Returns `true_fn()` if `pred` is true, else `false_fn()`.

    Eagerly, or with a Python bool, only the chosen function runs. Inside `engine.function`
    with a symbolic `pred`, both are traced into an `If` node that runs one of them per
    call; they must then return the same structure and dtypes (shapes may differ: the
    result has the most specific shape that fits both). Gradients flow through either.

    Args:
        pred: a Python bool or a scalar bool tensor.
        true_fn: a function of no arguments, run when `pred` is true.
        false_fn: a function of no arguments, run when `pred` is false.
        name: the node's name while tracing.

    Returns:
        What the chosen function returns.

    Raises:
        TypeError: for a branch that is not callable or a `pred` that is not a bool.
        ShapeError, DTypeError: for a non-scalar `pred`, or branches whose results differ.

    Example:
        >>> x = engine.constant(2.0)
        >>> float(engine.cond(x > 0, lambda: x * 10.0, lambda: -x))
        20.0
        >>> f = engine.function(lambda x: engine.cond(x > 0, lambda: x * 10.0, lambda: -x))
        >>> float(f(engine.constant(-3.0)))
        3.0
    """
    _check_callable("cond", "true_fn", true_fn)
    _check_callable("cond", "false_fn", false_fn)
    if not _is_symbolic(pred):
        return true_fn() if _truth("cond", "pred", pred) else false_fn()
    pred = as_graph_tensor(_THREAD.graph, pred)
    if pred.dtype is not _dt.bool or pred.ndim not in (0, None):
        error = DTypeError if pred.dtype is not _dt.bool else ShapeError
        raise error(f"cond: pred must be a scalar bool tensor; got a {pred.dtype.name} tensor "
                    f"of shape {pred.shape}. Compare to get a bool (e.g. x > 0) and reduce it "
                    "to a scalar (engine.reduce_all or engine.reduce_any).")
    return _branch("If", "cond", pred, [true_fn, false_fn], ["true_fn", "false_fn"],
                   name or "cond")


def switch_case(branch_index, branch_fns, default=None, name=None):
    """Runs `branch_fns[branch_index]()`; an index out of range runs `default`.

    Without `default`, the last branch is the default (as in TensorFlow). Inside
    `engine.function` with a symbolic index, all branches are traced into one `Case` node;
    they must return the same structure and dtypes.

    Args:
        branch_index: a Python int or a scalar int32/int64 tensor.
        branch_fns: a list of functions of no arguments, a list of `(index, function)`
            pairs, or a dict `{index: function}`; the indices must be 0, 1, ..., n - 1.
        default: the function run for an index out of range (default: the last branch).
        name: the node's name while tracing.

    Returns:
        What the chosen function returns.

    Raises:
        TypeError, ValueError: for malformed `branch_fns` or a non-integer index.

    Example:
        >>> fns = [lambda: engine.constant(10), lambda: engine.constant(20)]
        >>> int(engine.switch_case(engine.constant(1), fns))
        20
        >>> int(engine.switch_case(7, fns, default=lambda: engine.constant(-1)))
        -1
    """
    fns, labels = _canonical_branches(branch_fns, default)
    if not _is_symbolic(branch_index):
        index = _static_index("switch_case", "branch_index", branch_index)
        return fns[index if 0 <= index < len(fns) else len(fns) - 1]()
    index = as_graph_tensor(_THREAD.graph, branch_index)
    if index.dtype not in _INDEX_DTYPES or index.ndim not in (0, None):
        raise TypeError(f"switch_case: branch_index must be a scalar int32 or int64 tensor; "
                        f"got a {index.dtype.name} tensor of shape {index.shape}. Cast it "
                        "with engine.cast(i, engine.int32).")
    if len(fns) == 1:  # nothing to choose: TF runs the only branch too
        return fns[0]()
    return _branch("Case", "switch_case", index, fns, labels, name or "switch_case")


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` is true.

    Eagerly this is a Python loop. Inside `engine.function` it becomes one `While` node:
    `cond` and `body` are traced once, and each loop variable must keep its dtype and
    shape unless `shape_invariants` allows the shape to change. A `TensorArray` can be a
    loop variable (`ta = ta.write(i, x)` in the body). Gradients flow through the loop
    (the forward pass keeps, per iteration, what the backward pass needs).

    Args:
        cond: a function of the loop variables returning a scalar bool.
        body: a function of the loop variables returning new values of the same structure.
        loop_vars: a tensor, or a (nested) list or tuple of tensors and `TensorArray`s.
        shape_invariants: shapes (same structure as `loop_vars`) each loop variable may take
            on; None dimensions may change between iterations.
        parallel_iterations: accepted for TensorFlow compatibility (iterations run in order).
        back_prop: False stops gradients through the loop.
        swap_memory: accepted for TensorFlow compatibility (no effect).
        maximum_iterations: the most iterations to run (an int or scalar int tensor).
        name: the node's name while tracing.

    Returns:
        The loop variables after the last iteration, structured like `loop_vars`.

    Raises:
        TypeError: for a `cond` or `body` that is not callable.
        ShapeError, DTypeError: when the body changes a loop variable's shape or dtype.

    Example:
        >>> i, total = engine.while_loop(lambda i, t: i < 4, lambda i, t: (i + 1, t + i),
        ...                              (engine.constant(0), engine.constant(0)))
        >>> int(total)
        6
        >>> f = engine.function(lambda x: engine.while_loop(lambda x: x < 100.0,
        ...                                                  lambda x: x * 2.0, [x]))
        >>> float(f(engine.constant(3.0))[0])
        192.0
    """
    _check_callable("while_loop", "cond", cond)
    _check_callable("while_loop", "body", body)
    packed = not isinstance(loop_vars, (list, tuple))
    args = (loop_vars,) if packed else loop_vars
    if not nest.flatten(args):
        raise ValueError("while_loop: loop_vars is empty; pass the loop variables, e.g. "
                         "loop_vars=(i, x).")
    if _THREAD.graph is None:
        return _eager_loop(cond, body, args, packed, maximum_iterations)
    result = _traced_loop(cond, body, args, packed, shape_invariants, maximum_iterations,
                          back_prop, name or "while")
    return result[0] if packed else result


# --- branches ------------------------------------------------------------------------------
def _branch(kind: str, api: str, selector, fns: list, labels: list, name: str):
    """Traces `fns` into sub-graphs and adds one `If`/`Case` node choosing among them."""
    graph = _THREAD.graph
    taped = bool(_THREAD.tapes)
    subs, results = [], []
    for label, fn in zip(labels, fns):
        sub = SubGraph(f"{name}_{label}", graph, taped=taped)
        with building(sub):
            results.append(fn())
        subs.append(sub)
    structure = results[0]
    for label, result in zip(labels[1:], results[1:]):
        _same_structure(f"{api}: {labels[0]} and {label} must return the same structure",
                        structure, result)
    paths = [_path_text(p) for p, _ in nest.flatten_with_paths(structure)]
    columns = list(zip(*[nest.flatten(r) for r in results]))
    kept = [k for k, col in enumerate(columns) if not all(v is None for v in col)]
    hints = [_dtype_hint(columns[k]) for k in kept]
    for sub, label, result in zip(subs, labels, results):
        flat = nest.flatten(result)
        with building(sub):
            sub.outputs = [_output_tensor(api, sub, label, paths[k], flat[k], hint)
                           for k, hint in zip(kept, hints)]
    for j, k in enumerate(kept):
        dtypes = [sub.outputs[j].dtype for sub in subs]
        if any(d is not dtypes[0] for d in dtypes):
            text = ", ".join(f"{label} returns {d.name}" for label, d in zip(labels, dtypes))
            raise DTypeError(f"{api}: the branches return different dtypes at {paths[k]}: "
                             f"{text}. Cast one, e.g. engine.cast(value, engine.{dtypes[0].name}).")
    node = _sg.add_branch_node(kind, selector, subs, name)
    _sg.record(node, [None] + node.inputs[1:], _sg.outside_sources(subs), node.outputs)
    outputs = dict(zip(kept, node.outputs))
    leaves = [_rebuild(col[0], outputs.get(k)) for k, col in enumerate(columns)]
    return nest.pack_sequence_as(structure, leaves)


def _output_tensor(api, graph, label, path, value, dtype):
    if value is None:
        raise ValueError(f"{api}: {label} returns None at {path}, where another branch "
                         "returns a value. Return a value (or None) from every branch.")
    if isinstance(value, TensorArray):
        buffer = value._loop_buffer()
        if buffer is None:
            raise ValueError(f"{api}: {label} returns a TensorArray at {path} whose element "
                             "shape is still unknown; pass element_shape= when creating it.")
        value = buffer
    elif callable(value) and not isinstance(value, Tensor) and not hasattr(value, "_read"):
        raise TypeError(f"{api}: {label} returns a function at {path}; branches must return "
                        "tensors (call the function inside the branch).")
    return as_graph_tensor(graph, value, dtype)


def _dtype_hint(column):
    for v in column:
        if isinstance(v, (Tensor, TensorArray)) or hasattr(v, "_read"):
            return v.dtype
    return None


def _rebuild(template, tensor):
    if isinstance(template, TensorArray):
        return template._with_buffer(tensor)
    return tensor


def _canonical_branches(branch_fns, default):
    if isinstance(branch_fns, dict):
        pairs = list(branch_fns.items())
    elif isinstance(branch_fns, (list, tuple)):
        pairs = [item if isinstance(item, tuple) else (k, item)
                 for k, item in enumerate(branch_fns)]
    else:
        raise TypeError(f"switch_case: branch_fns must be a list or dict of functions; got "
                        f"{type(branch_fns).__name__}.")
    if not pairs:
        raise ValueError("switch_case: branch_fns is empty; give at least one function.")
    keys = [k for k, _ in pairs]
    if any(not isinstance(k, (int, np.integer)) or isinstance(k, bool) for k in keys):
        raise TypeError(f"switch_case: branch indices must be ints; got {keys}.")
    if sorted(keys) != list(range(len(keys))):
        raise ValueError(f"switch_case: branch indices must be 0, 1, ..., {len(keys) - 1}; "
                         f"got {sorted(keys)}.")
    fns = [fn for _, fn in sorted(pairs, key=lambda p: p[0])]
    labels = [f"branch_fns[{k}]" for k in range(len(fns))]
    if default is not None:
        fns.append(default)
        labels.append("default")
    for fn, label in zip(fns, labels):
        _check_callable("switch_case", label, fn)
    return fns, labels


# --- loops ---------------------------------------------------------------------------------
def _eager_loop(cond, body, args, packed, maximum_iterations):
    limit = None if maximum_iterations is None else _static_index(
        "while_loop", "maximum_iterations", maximum_iterations)
    state = args
    count = 0
    while (limit is None or count < limit) and _truth("while_loop", "cond's result",
                                                      cond(*state)):
        state = _body_result(body(*state), args, packed)
        count += 1
    return state[0] if packed else state


def _body_result(result, args, packed):
    """The body's result as loop variables structured like `args`."""
    if packed or (len(args) == 1 and not isinstance(result, (list, tuple))):
        result = (result,)
    _same_structure("while_loop: body must return the structure of loop_vars", args, result)
    return nest.pack_sequence_as(args, nest.flatten(result))


def _traced_loop(cond, body, args, packed, shape_invariants, maximum_iterations, back_prop,
                 name):
    graph = _THREAD.graph
    flat = nest.flatten_with_paths(args)
    paths = [_loop_var_text(p, packed) for p, _ in flat]
    leaves = [leaf for _, leaf in flat]
    invariants = _flat_invariants(shape_invariants, args, packed, len(leaves))
    init, keys, specs = [], [], []
    for path, leaf, invariant in zip(paths, leaves, invariants):
        if isinstance(leaf, TensorArray):
            buffer = leaf._loop_buffer()
            t = None if buffer is None else as_graph_tensor(graph, buffer)
            specs.append(None if t is None else leaf._loop_spec(t))
            keys.append(t)
        else:
            t = as_graph_tensor(graph, leaf)
            specs.append(_invariant_spec(path, t, invariant))
            eager = isinstance(leaf, Tensor) and not isinstance(leaf, SymbolicTensor)
            keys.append(leaf if eager or hasattr(leaf, "_read") else t)
        init.append(t)
    taped = back_prop and bool(_THREAD.tapes)
    body_graph = SubGraph(f"{name}_body", graph, taped=taped)
    placeholders = [None] * len(leaves)

    def make_placeholder(k, spec):  # a TensorArray's buffer, once its first write tells
        specs[k] = spec
        placeholders[k] = body_graph.new_input(spec, "loop_var")
        return placeholders[k]

    with building(body_graph):
        inner = []
        for k, leaf in enumerate(leaves):
            if specs[k] is None:
                inner.append(leaf._deferred(functools.partial(make_placeholder, k)))
                continue
            placeholders[k] = body_graph.new_input(specs[k], "loop_var")
            inner.append(_loop_value(leaf, placeholders[k]))
        result = nest.flatten(_body_result(body(*nest.pack_sequence_as(args, inner)), args,
                                           packed))
        outputs = [_body_output(path, leaf, value, spec) for path, leaf, value, spec
                   in zip(paths, leaves, result, specs)]
    for k, (path, out) in enumerate(zip(paths, outputs)):
        if specs[k] is None:
            raise ValueError(f"while_loop: the TensorArray {path} has an unknown element shape "
                             "and the body does not write to it; pass element_shape= when "
                             "creating it.")
        if init[k] is None:
            specs[k] = leaves[k]._settled_spec(specs[k], placeholders[k], out)
            init[k] = keys[k] = leaves[k]._initial_buffer(specs[k])
        _check_loop_var(path, specs[k], out)
    body_graph.lead, body_graph.outputs = placeholders, outputs
    cond_graph = _trace_cond(cond, name, graph, args, leaves, specs)
    limit = None
    if maximum_iterations is not None:
        limit = as_graph_tensor(graph, maximum_iterations, _dt.int32)
        if limit.dtype not in _INDEX_DTYPES or limit.ndim not in (0, None):
            raise TypeError(f"while_loop: maximum_iterations must be a scalar int; got a "
                            f"{limit.dtype.name} tensor of shape {limit.shape}.")
    _, captures = _sg.align_inputs([cond_graph, body_graph])
    node = _sg.add_loop_node("While", init, limit, [], captures, body_graph, cond_graph, name)
    if taped:
        # The live output list: accumulators a gradient adds later get gradients too.
        _sg.record(node, keys + [None] * (limit is not None) + captures,
                   _sg.outside_sources([body_graph]), node.outputs)
    final = [_rebuild(leaf, t) for leaf, t in zip(leaves, node.outputs)]
    return nest.pack_sequence_as(args, final)


def _trace_cond(cond, name, graph, args, leaves, specs):
    cond_graph = SubGraph(f"{name}_cond", graph)
    with building(cond_graph):
        cond_graph.lead = [cond_graph.new_input(spec, "loop_var") for spec in specs]
        inner = [_loop_value(leaf, ph) for leaf, ph in zip(leaves, cond_graph.lead)]
        value = cond(*nest.pack_sequence_as(args, inner))
        if isinstance(value, (bool, np.bool_)):
            value = convert_to_tensor(value)
        if not isinstance(value, Tensor) and not hasattr(value, "_read"):
            raise TypeError(f"while_loop: cond must return a scalar bool tensor; got "
                            f"{type(value).__name__} {value!r}.")
        value = as_graph_tensor(cond_graph, value)
        if value.dtype is not _dt.bool or value.ndim not in (0, None):
            raise TypeError(f"while_loop: cond must return a scalar bool tensor; got a "
                            f"{value.dtype.name} tensor of shape {value.shape}. Compare to "
                            "get a bool and reduce it with engine.reduce_all.")
        cond_graph.outputs = [value]
    return cond_graph


def _loop_value(leaf, tensor):
    return leaf._with_buffer(tensor) if isinstance(leaf, TensorArray) else tensor


def _body_output(path, leaf, value, spec):
    graph = _THREAD.graph
    if isinstance(leaf, TensorArray):
        if not isinstance(value, TensorArray):
            raise TypeError(f"while_loop: loop variable {path} is a TensorArray, but the body "
                            f"returns {type(value).__name__} for it; return the TensorArray "
                            "(e.g. ta = ta.write(i, x)).")
        buffer = value._loop_buffer()
        if buffer is None:
            return None  # never written: the error names it after the body
        return as_graph_tensor(graph, buffer)
    if isinstance(value, TensorArray):
        raise TypeError(f"while_loop: the body returns a TensorArray for loop variable {path},"
                        " which was not one before the loop.")
    return as_graph_tensor(graph, value, None if spec is None else spec.dtype)


def _invariant_spec(path: str, t, invariant) -> TensorSpec:
    if invariant is None:
        return spec_of(t)
    shape = TensorShape(invariant)
    if not shape.is_compatible_with(t.shape):
        raise ShapeError(f"while_loop: the shape invariant {shape} of loop variable {path} "
                         f"does not fit its initial value, of shape {t.shape}. Use a shape "
                         "compatible with both (None for dimensions that vary).")
    return TensorSpec(shape, t.dtype)


def _flat_invariants(shape_invariants, args, packed, n):
    if shape_invariants is None:
        return [None] * n
    if packed:
        shape_invariants = (shape_invariants,)
    try:
        return nest.flatten_up_to(args, shape_invariants, check_types=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"while_loop: shape_invariants must have the structure of loop_vars "
                         f"(one shape per loop variable): {_reason(exc)}") from None


def _check_loop_var(path: str, spec: TensorSpec, out) -> None:
    if out.dtype is not spec.dtype:
        raise DTypeError(f"while_loop: loop variable {path} has dtype {spec.dtype.name} before "
                         f"the loop and {out.dtype.name} after the body. Keep its dtype, e.g. "
                         f"engine.cast(value, engine.{spec.dtype.name}).")
    want, got = spec.shape.dims, out.shape.dims
    if want is None or (got is not None and len(got) == len(want) and all(
            w is None or w == g for w, g in zip(want, got))):
        return
    relaxed = spec.shape.most_specific_compatible_shape(out.shape)
    raise ShapeError(f"while_loop: loop variable {path} has shape {spec.shape} before the loop "
                     f"and shape {out.shape} after one iteration of the body. Keep its shape, "
                     f"or let it change by passing shape_invariants with "
                     f"engine.TensorShape({relaxed.dims}) for {path}.")


# --- small helpers -------------------------------------------------------------------------
def _check_callable(api: str, what: str, fn) -> None:
    if not callable(fn):
        raise TypeError(f"{api}: {what} must be callable (a function of no arguments for "
                        f"cond/switch_case branches); got {type(fn).__name__} {fn!r}. Pass "
                        "a function, e.g. lambda: x * 2.")


def _is_symbolic(value) -> bool:
    if _THREAD.graph is None:
        return False
    return isinstance(value, SymbolicTensor) or hasattr(value, "_read")


def _truth(api: str, what: str, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if hasattr(value, "_read"):
        value = value._read()
    if isinstance(value, np.ndarray):
        value = convert_to_tensor(value)
    if not isinstance(value, Tensor):
        raise TypeError(f"{api}: {what} must be a Python bool or a scalar bool tensor; got "
                        f"{type(value).__name__} {value!r}.")
    if value.dtype is not _dt.bool or value.shape.rank != 0:
        error = DTypeError if value.dtype is not _dt.bool else ShapeError
        raise error(f"{api}: {what} must be a scalar bool tensor; got a {value.dtype.name} "
                    f"tensor of shape {value.shape}. Compare to get a bool (e.g. x > 0) and "
                    "reduce it to a scalar (engine.reduce_all or engine.reduce_any).")
    return bool(value._value)


def _static_index(api: str, what: str, value) -> int:
    if hasattr(value, "_read"):
        value = value._read()
    array = np.asarray(value._value if isinstance(value, Tensor) else value)
    if array.shape != () or array.dtype.kind not in "iu":
        raise TypeError(f"{api}: {what} must be a Python int or a scalar int32/int64 tensor; "
                        f"got {value!r}.")
    return int(array)


def _same_structure(what: str, a, b) -> None:
    try:
        nest.assert_same_structure(a, b, check_types=False)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{what}; {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _path_text(path: tuple) -> str:
    return "".join(f"[{p!r}]" for p in path) or "the result"


def _loop_var_text(path: tuple, packed: bool) -> str:
    return "loop_vars" + "".join(f"[{p!r}]" for p in (path[1:] if packed else path))
