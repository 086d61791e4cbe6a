"""Higher-order functions over axis 0: `map_fn`, `scan`, `foldl`, `foldr`, `vectorized_map`.

All five are composites of engine ops, so tapes, tracing and devices need nothing new.
`elems` is a tensor or a nested structure (tuple, list, dict) of tensors that share their
length along axis 0; `fn` sees one slice of each, packed like `elems`. How the loop runs:

- eagerly: a Python loop over the slices (one `Unpack` per tensor), then one `Pack` per
  result; a `GradientTape` records every op;
- in `engine.function`, with a length known when tracing and at most `UNROLL_LIMIT` (16):
  the same loop, unrolled into the graph (static shapes, no per-iteration overhead);
- in `engine.function`, with a longer length or one known only when the graph runs (an
  `input_signature` with `None` along axis 0): one `While` node whose body reads slice `i`
  from a `TensorArray` and writes `fn`'s result into another, so the graph holds one copy
  of `fn` however long the input is. `while_loop` is differentiable, so gradients flow.
  Each write copies the array, so a loop over n slices costs O(n^2) copying. Results of
  a shape known only when the graph runs grow a flat buffer instead (see `_new_rows`).

Where the result's shape is needed before `fn` runs (a While loop, empty `elems`), `fn` is
also traced once into a graph that never runs. `vectorized_map` is `map_fn` (no pfor here).
"""

from __future__ import annotations

from engine import context, nest
from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.custom_grad import custom_gradient
from engine.errors import DTypeError, ShapeError
from engine.graph.control_flow import while_loop
from engine.graph.subgraph import SubGraph, building
from engine.graph.tensor_array import TensorArray
from engine.graph.trace import FuncGraph
from engine.ops.array_ops import reshape, stop_gradient
from engine.ops.fill_ops import zeros
from engine.ops.gather_ops import gather
from engine.ops.join_ops import concat, stack, unstack
from engine.ops.sequence_ops import range as range_
from engine.ops.shape_ops import shape
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["map_fn", "scan", "foldl", "foldr", "vectorized_map"]

_THREAD = context.THREAD
# Traced lengths up to this are unrolled; longer ones become one While node (smaller graph).
UNROLL_LIMIT = 16


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """Applies `fn` to each slice of `elems` along axis 0 and stacks the results.

    As in TensorFlow, `fn` must return the structure and dtypes of `elems` unless
    `fn_output_signature` describes what it returns.

    Args:
        fn: a function of one slice (structured like `elems`) returning a tensor or a
            nested structure of tensors.
        elems: a tensor or nested structure of tensors of one length along axis 0.
        dtype: the deprecated name of `fn_output_signature`.
        parallel_iterations, swap_memory, infer_shape: accepted for TensorFlow compatibility
            (slices run in order; results must share a shape).
        back_prop: False stops gradients through the result.
        name: the While node's name, when one is built.
        fn_output_signature: a dtype, `TensorSpec`, or nested structure of them: `fn`'s
            result.

    Returns:
        `fn`'s results stacked along a new axis 0, structured like `fn`'s result.

    Raises:
        ShapeError, ValueError, DTypeError: for elems of different lengths, of rank 0 or
            empty, or results that do not fit the signature.

    Example:
        >>> from engine.graph.functional_ops import map_fn
        >>> map_fn(lambda x: x * x, engine.constant([1.0, 2.0, 3.0])).numpy()
        array([1., 4., 9.], dtype=float32)
        >>> out = map_fn(lambda p: (p[0] + p[1], p[0] > 1), (engine.constant([1, 2]),
        ...              engine.constant([10, 20])), fn_output_signature=(engine.int32,
        ...              engine.bool))
        >>> [o.numpy().tolist() for o in out]
        [[11, 22], [False, True]]
    """
    signature = fn_output_signature if fn_output_signature is not None else dtype
    flat, structure = _elements("map_fn", elems)
    if signature is None:
        specs = nest.pack_sequence_as(structure, [TensorSpec(None, e.dtype) for e in flat])
        hint = ("map_fn assumes fn returns elems' structure and dtypes; pass "
                "fn_output_signature= describing fn's result (e.g. (engine.float32, "
                "engine.int32))")
    else:
        specs = nest.map_structure(lambda s: s if isinstance(s, TensorSpec) else TensorSpec(
            None, _dt.as_dtype(s)), signature)
        hint = "make fn return what fn_output_signature describes, or change it"
    return _map("map_fn", fn, flat, structure, specs, hint, back_prop, name)


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """Applies `fn` to each slice of `elems` along axis 0: `map_fn`, as there is no pfor.

    TensorFlow vectorizes `fn` with pfor. eagerlab has no such transform: this runs
    `map_fn`, with the result's structure and dtypes taken from `fn`. The results are
    TensorFlow's; the speed is `map_fn`'s.

    Args:
        fn: a function of one slice (structured like `elems`).
        elems: a tensor or nested structure of tensors of one length along axis 0.
        fallback_to_while_loop: must be True (the loop is the only implementation).
        warn: accepted for TensorFlow compatibility (nothing is logged).

    Returns:
        `fn`'s results stacked along a new axis 0.

    Raises:
        ValueError: for `fallback_to_while_loop=False`; for `elems` as in `map_fn`.

    Example:
        >>> from engine.graph.functional_ops import vectorized_map
        >>> vectorized_map(lambda x: engine.reduce_sum(x * x), engine.ones([2, 3])).numpy()
        array([3., 3.], dtype=float32)
    """
    if not fallback_to_while_loop:
        raise ValueError("vectorized_map: vectorization (pfor) is not available in eagerlab; "
                         "fn always runs as a loop over the elements (map_fn). Pass "
                         "fallback_to_while_loop=True (the default).")
    flat, structure = _elements("vectorized_map", elems)
    hint = "fn must return one structure, dtype and shape for every slice"
    return _map("vectorized_map", fn, flat, structure, None, hint, True, None)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """Accumulates `acc = fn(acc, x)` over the slices `x` of `elems`; stacks every `acc`.

    Without `initializer`, the first slice (the last with `reverse`) is the initial
    accumulator and the result's first (last) entry: the result has `elems`' length.

    Args:
        fn: `fn(acc, x)` returning the next accumulator, with the structure, dtypes and
            shapes of `initializer` (of a slice of `elems` without one).
        elems: a tensor or nested structure of tensors of one length along axis 0.
        initializer: the initial accumulator (a tensor or nested structure), or None.
        parallel_iterations, swap_memory, infer_shape: accepted for TensorFlow compatibility
            (slices run in order; accumulators keep one shape).
        back_prop: False stops gradients through the result.
        reverse: scan from the last slice to the first (results stay in `elems`' order).
        name: the While node's name, when one is built.

    Returns:
        The accumulators stacked along a new axis 0, structured like the accumulator.

    Raises:
        ShapeError, ValueError, DTypeError: as `map_fn`, or for an `fn` that does not
            return the accumulator's structure, dtypes and shapes.

    Example:
        >>> from engine.graph.functional_ops import scan
        >>> scan(lambda a, x: a + x, engine.constant([1, 2, 3, 4])).numpy()
        array([ 1,  3,  6, 10], dtype=int32)
        >>> scan(lambda a, x: a * x, engine.constant([1, 2, 3]), reverse=True).numpy()
        array([6, 6, 3], dtype=int32)
    """
    return _accumulate("scan", fn, elems, initializer, reverse, True, back_prop, name)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """Folds `acc = fn(acc, x)` over the slices of `elems`, first to last; the last `acc`.

    Args:
        fn: `fn(acc, x)` returning the next accumulator (same structure, dtypes, shapes).
        elems: a tensor or nested structure of tensors of one length along axis 0.
        initializer: the initial accumulator; None starts from the first slice.
        parallel_iterations, swap_memory: accepted for TensorFlow compatibility.
        back_prop: False stops gradients through the result.
        name: the While node's name, when one is built.

    Returns:
        The final accumulator.

    Raises:
        ShapeError, ValueError, DTypeError: as `scan`.

    Example:
        >>> from engine.graph.functional_ops import foldl
        >>> int(foldl(lambda a, x: a - x, engine.constant([1, 2, 3]), initializer=10))
        4
    """
    return _accumulate("foldl", fn, elems, initializer, False, False, back_prop, name)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """Folds `acc = fn(acc, x)` over the slices of `elems`, last to first; the last `acc`.

    Args:
        fn: `fn(acc, x)` returning the next accumulator (same structure, dtypes, shapes).
        elems: a tensor or nested structure of tensors of one length along axis 0.
        initializer: the initial accumulator; None starts from the last slice.
        parallel_iterations, swap_memory: accepted for TensorFlow compatibility.
        back_prop: False stops gradients through the result.
        name: the While node's name, when one is built.

    Returns:
        The final accumulator.

    Raises:
        ShapeError, ValueError, DTypeError: as `scan`.

    Example:
        >>> from engine.graph.functional_ops import foldr
        >>> int(foldr(lambda a, x: a * 10 + x, engine.constant([1, 2, 3])))
        321
    """
    return _accumulate("foldr", fn, elems, initializer, True, False, back_prop, name)


# --- the front halves -----------------------------------------------------------------------
def _map(api, fn, flat, structure, specs, hint, back_prop, name):
    """`map_fn` over flat `elems`; `specs` None takes the signature from fn's first result."""
    n_static, n = _length(api, flat)
    if (_is_looped(n_static) or n_static == 0) and not _fully_defined(specs):
        # Loop buffers and empty results need the result's shape before fn runs: trace it.
        probed = _probe(fn, flat, structure)
        if specs is not None:
            probed = _conform(api, probed, specs, hint)
        specs = nest.map_structure(_spec_of, probed)
    state = {"specs": specs}

    def step(acc, x):
        out = fn(x)
        if state["specs"] is None:
            state["specs"] = nest.map_structure(_spec_of, out)
        return acc, _conform(api, out, state["specs"], hint)

    _, out = _drive(step, flat, structure, n_static, n, (), specs, False, name)
    return out if back_prop else nest.map_structure(stop_gradient, out)


def _accumulate(api, fn, elems, initializer, reverse, collect, back_prop, name):
    flat, structure = _elements(api, elems)
    n_static, n = _length(api, flat)
    acc = None if initializer is None else nest.map_structure(convert_to_tensor, initializer)
    if acc is None and n_static == 0:
        raise ValueError(f"{api}: elems has length 0 and there is no initializer, so there "
                         "is no initial accumulator; pass initializer=.")
    specs = nest.map_structure(_spec_of, acc) if acc is not None else nest.pack_sequence_as(
        structure, [_spec_of(e, drop=1) for e in flat])
    hint = f"{api}'s fn must return the accumulator's structure, dtypes and shapes"

    def step(acc, x):
        new = _conform(api, fn(acc, x), specs, hint, like=specs)
        return new, (new if collect else ())

    acc, out = _drive(step, flat, structure, n_static, n, acc, specs if collect else (),
                      reverse, name)
    result = out if collect else acc
    return result if back_prop else nest.map_structure(stop_gradient, result)


# --- running the loop -----------------------------------------------------------------------
def _drive(step, flat, structure, n_static, n, acc, out_specs, reverse, name):
    """Runs `acc, out = step(acc, x)` over the slices; returns `(acc, stacked outs)`. With
    `acc` None, the first slice in loop order starts the accumulator (and a scan's output)."""
    if _is_looped(n_static):
        return _looped(step, flat, structure, n, acc, out_specs, reverse, name)
    slices = [unstack(e, num=n_static) for e in flat]
    order = list(range(n_static))[::-1] if reverse else list(range(n_static))
    outs = [None] * n_static
    if acc is None:
        acc = nest.pack_sequence_as(structure, [s[order[0]] for s in slices])
        outs[order.pop(0)] = acc if nest.flatten(out_specs) else ()
    for i in order:
        acc, outs[i] = step(acc, nest.pack_sequence_as(structure, [s[i] for s in slices]))
    if n_static == 0:
        leaves = [zeros([0] + s.shape.as_list(), s.dtype) for s in nest.flatten(out_specs)]
        return acc, nest.pack_sequence_as(out_specs, leaves)
    columns = zip(*[nest.flatten(o) for o in outs])
    return acc, nest.pack_sequence_as(outs[0], [stack(list(c)) for c in columns])


def _looped(step, flat, structure, n, acc, out_specs, reverse, name):
    """`_drive` as one While node: slices come from TensorArrays, results go into others."""
    inputs = [TensorArray(e.dtype, size=n, element_shape=e.shape[1:]).unstack(e) for e in flat]
    specs = nest.flatten(out_specs)
    outputs = [_new_rows(s, n) for s in specs]

    def index(i):
        return n - 1 - i if reverse else i

    def read(i):
        return nest.pack_sequence_as(structure, [ta.read(i) for ta in inputs])

    start = 0
    if acc is None:  # the first slice in loop order starts the accumulator
        acc, start = read(index(0)), 1
        outputs = [_put(r, index(0), a, reverse) for r, a in zip(outputs, nest.flatten(acc))]
    acc_structure, out_structure = acc, [out_specs]

    def body(i, acc_flat, outputs):
        j = index(i)
        new, out_structure[0] = step(nest.pack_sequence_as(acc_structure, acc_flat), read(j))
        written = [_put(r, j, o, reverse) for r, o in zip(outputs, nest.flatten(
            out_structure[0]))]
        return i + 1, nest.flatten(new), written

    invariants = (None, [None] * len(nest.flatten(acc)),
                  [None if isinstance(r, TensorArray) else (TensorShape([None]), None)
                   for r in outputs])
    _, acc_flat, outputs = while_loop(lambda i, a, o: i < n, body,
                                      (start, nest.flatten(acc), outputs),
                                      shape_invariants=invariants, name=name or "map")
    stacked = [_stacked(r, s, n) for r, s in zip(outputs, specs)]
    return (nest.pack_sequence_as(acc_structure, acc_flat),
            nest.pack_sequence_as(out_structure[0], stacked))


# Results go into a TensorArray when their shape is known while tracing: it needs the shape
# for its buffer. Results whose shape is known only when the graph runs grow a flat buffer
# instead, `(values, one result's shape)`, reshaped after the loop.
def _new_rows(spec: TensorSpec, n):
    if spec.shape.is_fully_defined():
        return TensorArray(spec.dtype, size=n, element_shape=spec.shape)
    if spec.shape.rank is None:
        raise ShapeError(f"map_fn, scan: fn's result has unknown rank ({spec}); a While loop "
                         "needs it. Give fn_output_signature=engine.TensorSpec(shape, dtype).")
    return zeros([0], spec.dtype), zeros([spec.shape.rank], _dt.int32)


def _put(rows, j, value, reverse):
    if isinstance(rows, TensorArray):
        return rows.write(j, value)
    values, piece = rows[0], reshape(value, [-1])
    # A reverse loop visits the last index first, so prepending keeps index order.
    return (_joined(piece, values) if reverse else _joined(values, piece)), shape(value)


@custom_gradient
def _joined(front, back):
    """`concat([front, back], 0)` of 1-D tensors growing in a loop. The gradient splits at
    `front`'s length, a scalar: a while_loop's backward pass keeps, per iteration, what it
    reads, which must keep one shape (concat's own rule would keep the growing tensors)."""
    split = shape(front)[0]
    total = split + shape(back)[0]

    def grad(upstream):
        return gather(upstream, range_(split)), gather(upstream, range_(split, total))

    return concat([front, back], 0), grad


def _stacked(rows, spec: TensorSpec, n):
    if isinstance(rows, TensorArray):
        return rows.stack()
    values, dims = rows
    known = spec.shape.as_list()
    return reshape(values, [n] + [dims[k] if d is None else d for k, d in enumerate(known)])


def _is_looped(n_static) -> bool:
    traced = _THREAD.graph is not None
    return traced and (n_static is None or n_static == 0 or n_static > UNROLL_LIMIT)


def _probe(fn, flat, structure):
    """`fn`'s symbolic result for one slice, traced into a graph that never runs."""
    probe = SubGraph("map_fn_probe", _THREAD.graph or FuncGraph("map_fn_probe"))
    with building(probe):
        return fn(nest.pack_sequence_as(structure, [probe.new_input(_spec_of(e, drop=1),
                                                                    "slice") for e in flat]))


# --- checking values ------------------------------------------------------------------------
def _elements(api, elems):
    """`elems` as flat tensors of rank >= 1, and the structure to pack slices into."""
    flat = nest.flatten(elems)
    if flat in ([], [None]):
        raise ValueError(f"{api}: elems is empty ({elems!r}); pass a tensor or a nested "
                         "structure of tensors to iterate over along axis 0.")
    tensors = [convert_to_tensor(e) for e in flat]
    for (path, _), t in zip(nest.flatten_with_paths(elems), tensors):
        if t.shape.rank == 0:
            raise ShapeError(f"{api}: elems{_path(path)} is a scalar; slices are taken along "
                             "axis 0, so every tensor in elems needs rank >= 1.")
    return tensors, nest.pack_sequence_as(elems, tensors)


def _length(api, flat):
    """`(length if known while tracing, else None; length as an int or int32 scalar)`."""
    dims = [None if e.shape.rank is None else e.shape[0] for e in flat]
    known = sorted({d for d in dims if d is not None})
    if len(known) > 1:
        raise ShapeError(f"{api}: the tensors in elems have different lengths along axis 0 "
                         f"({', '.join(map(str, dims))}); expected one length. Slice or pad "
                         "them to match.")
    if known and None not in dims:
        return known[0], known[0]
    return None, (known[0] if known else shape(flat[0])[0])


def _conform(api, value, specs, hint, like=None):
    """`value` checked against `specs` (structure, dtypes, shapes), packed like `like`."""
    try:
        nest.assert_same_structure(specs, value, check_types=False)
    except (TypeError, ValueError) as exc:
        expected = nest.map_structure(lambda spec: spec.dtype.name, specs)
        raise ValueError(f"{api}: fn's result does not match the expected structure "
                         f"{expected!r}: {str(exc).rstrip('.')}. Fix: {hint}.") from None
    leaves = []
    for (path, spec), v in zip(nest.flatten_with_paths(specs), nest.flatten(value)):
        where = f"fn's result{_path(path)}"
        if v is None:
            raise ValueError(f"{api}: {where} is None; expected a {spec.dtype.name} tensor. "
                             f"Fix: {hint}.")
        t = _as_tensor(v, spec.dtype)
        if t.dtype is not spec.dtype:
            raise DTypeError(f"{api}: {where} has dtype {t.dtype.name}; expected "
                             f"{spec.dtype.name}. Fix: {hint}, or cast it with "
                             f"engine.cast(value, engine.{spec.dtype.name}).")
        if not spec.shape.is_compatible_with(t.shape):
            raise ShapeError(f"{api}: {where} has shape {t.shape}; expected {spec.shape}. "
                             f"Fix: {hint}.")
        leaves.append(t)
    return nest.pack_sequence_as(value if like is None else like, leaves)


def _spec_of(value, drop: int = 0) -> TensorSpec:
    t = _as_tensor(value)
    return TensorSpec(None if t.shape.dims is None else t.shape.dims[drop:], t.dtype)


def _fully_defined(specs) -> bool:
    return specs is not None and all(s.shape.is_fully_defined() for s in nest.flatten(specs))


def _as_tensor(value, dtype=None):
    """A tensor as it is (the caller checks its dtype), a variable's value, or converted."""
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "_read"):
        return value.read_value()
    return convert_to_tensor(value, dtype)


def _path(path: tuple) -> str:
    return "".join(f"[{p!r}]" for p in path)
