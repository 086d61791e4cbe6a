"""`GradientTape`: records ops eagerly and computes gradients by walking them backwards.

While a tape is active, `dispatch` calls `tape._record(...)` for every differentiable op
with at least one watched input; the outputs become watched in turn. `gradient()` walks the
records in reverse, calling each op's `vjp` rule. The rules are written with engine ops,
so an outer tape records the gradient computation itself: nested tapes give higher-order
derivatives.

Tensors are keyed by identity: a record keeps its inputs and outputs alive, so ids stay
unique for the tape's lifetime. A variable is keyed by the variable object, so gradients
from every read of it add up. So is the tensor an op read from it: gradient rules compute
with that tensor, and an outer tape must see those ops as ops on the variable for
second-order gradients of variables (`outer.gradient(inner.gradient(y, v), v)`).
"""

from __future__ import annotations

import enum

import numpy as np

from engine import context, nest
from engine.dispatch import dispatch
from engine.dtypes import INEXACT_NUMPY as _INEXACT
from engine.jacobians import Jacobians
from engine.registry import OpContext, get
from engine.scopes import name_scope
from engine.tensor import Tensor, wrap
from engine.tensor_shape import TensorSpec

__all__ = ["GradientTape", "UnconnectedGradients"]

_THREAD = context.THREAD


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on.

    Example:
        >>> x, unused = engine.Variable(1.0), engine.Variable(2.0)
        >>> with engine.GradientTape(persistent=True) as tape:
        ...     y = 3.0 * x
        >>> print(tape.gradient(y, unused))
        None
        >>> tape.gradient(y, unused, unconnected_gradients=engine.UnconnectedGradients.ZERO)
        <engine.Tensor: shape=(), dtype=float32, numpy=0.0>
    """

    NONE = "none"
    ZERO = "zero"


def _op(name):
    return get(name)


def _ones_like(t: Tensor) -> Tensor:
    return dispatch(_op("OnesLike"), (t,))


def _zeros_like(t: Tensor) -> Tensor:
    return dispatch(_op("ZerosLike"), (t,))


def _add(a: Tensor, b: Tensor) -> Tensor:
    return dispatch(_op("AddV2"), (a, b))


def _unbroadcast(grad: Tensor, x: Tensor, ctx: OpContext) -> Tensor:
    """Sums `grad` over the axes along which input `x` of the broadcasting op of `ctx` was
    broadcast.

    Leading axes are summed away and size-1 axes summed with keepdims, so the result has
    exactly `x`'s shape without a reshape. While tracing, a dimension of `x` known only at
    run time may be 1 (broadcast) where the gradient's is not; unless the op's shape rule
    shows the output's size there is `x`'s own, one `SumToShape(grad, shape(x))` node sums
    the right axes when the graph runs (as TensorFlow's BroadcastGradientArgs does), and
    so it does for unknown ranks.
    """
    shape = x._value.shape
    gshape = grad._value.shape
    if gshape == shape and shape is not None and None not in shape:
        return grad
    if shape is None or gshape is None:
        return _sum_to_shape(grad, x)
    lead = len(gshape) - len(shape)
    axes = []
    for i, d in enumerate(shape):
        if d == 1:
            if gshape[lead + i] != 1:
                axes.append(i)
        elif d is None and gshape[lead + i] != 1 and not _own_size(ctx, x, lead + i, gshape):
            return _sum_to_shape(grad, x)
    if lead:
        grad = dispatch(_op("Sum"), (grad,), {"axis": tuple(range(lead)), "keepdims": False})
    if axes:
        grad = dispatch(_op("Sum"), (grad,), {"axis": tuple(axes), "keepdims": True})
    return grad


def _own_size(ctx: OpContext, x: Tensor, axis: int, gshape: tuple) -> bool:
    """Whether the op's output has `x`'s own size at gradient axis `axis` (so `x` was not
    broadcast there): asks the op's `infer` for the output shape with `x`'s size there set
    to 1, and sees whether the output's size is then 1 as well (no other input widens it).
    """
    own = axis - (len(gshape) - len(x._value.shape))
    specs = []
    for t in ctx.inputs:
        dims = t._value.shape
        if t is x:
            dims = dims[:own] + (1,) + dims[own + 1:]
        specs.append(TensorSpec(dims, t.dtype))
    try:
        out = ctx.op.infer(*specs, **ctx.attrs)
    except Exception:  # noqa: BLE001 - no proof: the graph decides when it runs
        return False
    for spec in (out if isinstance(out, (tuple, list)) else (out,)):
        if spec.shape.rank == len(gshape):
            return spec.shape.as_list()[axis] == 1
    return False


def _sum_to_shape(grad: Tensor, x: Tensor) -> Tensor:
    """`SumToShape(grad, shape(x))`: the broadcast axes are decided when the graph runs."""
    dims = x._value.shape
    if dims is not None and None not in dims:
        target = wrap(np.asarray(dims, np.int32))
    else:
        target = dispatch(_op("Shape"), (x,), {"out_type": "int32"})
    return dispatch(_op("SumToShape"), (grad, target), {"dims": dims})


class GradientTape(Jacobians):
    """Records operations for automatic differentiation.

    Args:
        persistent: allow several `gradient` / `jacobian` calls (and record the gradient
            computation itself when called inside the tape's context).
        watch_accessed_variables: watch every trainable variable read in the context.

    Example:
        >>> x = engine.constant(3.0)
        >>> with engine.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> float(tape.gradient(y, x))
        6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._watched: dict[int, object] = {}
        self._variables: dict[int, object] = {}
        # id(tensor read from a variable) -> the variable's key; the records keep the
        # tensors alive, so the ids stay unique.
        self._reads: dict[int, int] = {}
        self._records: list[tuple] = []
        self._active = False
        self._used = False

    # --- context management -------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        if self._active:
            raise RuntimeError("GradientTape: this tape is already recording; tapes do not nest "
                               "with themselves. Create a second tape for higher orders.")
        self._push()
        return self

    def __exit__(self, *exc) -> None:
        if self._active:
            self._pop()

    def _push(self) -> None:
        _THREAD.tapes.append(self)
        context.enter_slow()
        self._active = True

    def _pop(self) -> None:
        _THREAD.tapes.remove(self)
        context.exit_slow()
        self._active = False

    class _Paused:
        def __init__(self, tape):
            self.tape = tape
            self.was_active = False

        def __enter__(self):
            self.was_active = self.tape._active
            if self.was_active:
                self.tape._pop()

        def __exit__(self, *exc):
            if self.was_active:
                self.tape._push()

    def stop_recording(self):
        """A context manager in which this tape records nothing.

        Example:
            >>> with engine.GradientTape() as tape:
            ...     with tape.stop_recording():
            ...         pass  # ops here are not differentiated
        """
        if not self._active:
            raise RuntimeError("GradientTape.stop_recording: the tape is not recording; "
                               "use it inside the tape's `with` block.")
        return GradientTape._Paused(self)

    def reset(self) -> None:
        """Forgets everything recorded so far (the tape keeps recording if active)."""
        self._watched.clear()
        self._variables.clear()
        self._reads.clear()
        self._records.clear()
        self._used = False

    # --- watching and recording ---------------------------------------------------------
    def watch(self, tensor) -> None:
        """Makes the tape track `tensor` (a tensor, variable, or nested structure of them).

        Raises:
            ValueError: for something that is not a tensor or variable.
        """
        for item in nest.flatten(tensor):
            if isinstance(item, Tensor):
                self._watched[id(item)] = item
            elif getattr(item, "_is_variable", False):
                self._watched[id(item)] = item
                self._variables[id(item)] = item
            else:
                raise ValueError(f"GradientTape.watch: got {type(item).__name__} {item!r}; "
                                 "expected a Tensor or Variable (convert numbers and arrays "
                                 "with engine.constant first).")

    def watched_variables(self) -> tuple:
        """The variables watched so far, in order of first access."""
        return tuple(self._variables.values())

    def _record(self, op, sources, tensors, outputs, attrs) -> None:
        watched = self._watched
        reads = self._reads
        hit = False
        keys = []
        for s in sources:
            if s is None:
                keys.append(None)
                continue
            k = reads.get(id(s), id(s))
            keys.append(k)
            if k in watched:
                hit = True
            elif self._watch_accessed and getattr(s, "_is_variable", False) and s.trainable:
                watched[k] = s
                self._variables[k] = s
                hit = True
        if not hit:
            return
        for s, t, k in zip(sources, tensors, keys):
            if t is not s and k is not None and k in self._variables:
                # `t` is the value this op read from variable `s`. Gradient rules compute
                # with `t` (the value at read time), so an op on `t` (while an inner tape
                # differentiates) is an op on `s`: higher-order gradients reach the variable.
                reads[id(t)] = k
        for out in outputs:
            if out._value.dtype in _INEXACT:
                watched[id(out)] = out
        self._records.append((op, tuple(keys), tuple(tensors), outputs, attrs,
                              context.current_name_scope()))

    # --- differentiation ----------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of `target` with respect to `sources`.

        Args:
            target: a tensor or nested structure of tensors to differentiate (summed).
            sources: a tensor, variable, or nested structure of them.
            output_gradients: the gradient flowing into each target (default ones).
            unconnected_gradients: `UnconnectedGradients.NONE` (None for sources the
                target does not depend on) or `.ZERO`.

        Returns:
            Gradients shaped like `sources`; None for integer sources.

        Raises:
            RuntimeError: when a non-persistent tape is used twice.
        """
        self._check_usable("gradient")
        unconnected = UnconnectedGradients(unconnected_gradients)
        flat_sources = nest.flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor) and not getattr(s, "_is_variable", False):
                raise ValueError(f"GradientTape.gradient: sources must be tensors or "
                                 f"variables; got {type(s).__name__}.")
        flat_targets = nest.flatten(target)
        flat_out = None if output_gradients is None else nest.flatten(output_gradients)
        with self._compute():
            grads = self._backprop(flat_targets, flat_sources, flat_out, unconnected)
        self._finish()
        return nest.pack_sequence_as(sources, grads)

    def _check_usable(self, what: str) -> None:
        if self._used and not self._persistent:
            raise RuntimeError(f"GradientTape.{what}: a non-persistent GradientTape can only "
                               "compute one set of gradients. Create it with "
                               "GradientTape(persistent=True) to call it several times.")

    def _compute(self):
        # A persistent tape keeps recording so that its gradients can be differentiated.
        if self._active and not self._persistent:
            return GradientTape._Paused(self)
        return _NullContext()

    def _finish(self) -> None:
        if not self._persistent:
            self._used = True
            self._records = []
            self._watched = {}
            self._reads = {}

    def _backprop(self, targets, sources, output_gradients, unconnected):
        # Only watched sources (and tensors computed from them) receive gradients, as in TF:
        # an unwatched tensor or non-trainable variable gets None even if it was an input.
        watched = self._watched
        # A source that is itself a target gets the target's gradient even when unwatched,
        # as in TF: `tape.gradient(v, v)` is ones.
        target_keys = {id(t) for t in targets}
        source_keys = {id(s) for s in sources if id(s) in watched or id(s) in target_keys}
        pending: dict[int, Tensor] = {}
        for i, t in enumerate(targets):
            if not isinstance(t, Tensor) and not getattr(t, "_is_variable", False):
                raise ValueError(f"GradientTape.gradient: target must be tensors; got "
                                 f"{type(t).__name__}.")
            og = output_gradients[i] if output_gradients is not None else None
            if og is None:
                og = _ones_like(t if isinstance(t, Tensor) else t._read())
            elif not isinstance(og, Tensor):
                og = _on_device(np.asarray(_to_host(og), t._value.dtype), t)
            _accumulate(pending, id(t), og)
        relevant = set(source_keys)
        useful = []
        for record in self._records:
            if any(k in relevant for k in record[1] if k is not None):
                relevant.update(id(o) for o in record[3])
                useful.append(record)
        for op, keys, inputs, outputs, attrs, scope in reversed(useful):
            out_grads = []
            any_grad = False
            for o in outputs:
                k = id(o)
                g = pending.get(k) if k in source_keys else pending.pop(k, None)
                out_grads.append(g)
                any_grad = any_grad or g is not None
            if not any_grad:
                continue
            if len(outputs) > 1:
                out_grads = [g if g is not None else _zeros_like(o)
                             for g, o in zip(out_grads, outputs)]
            needs = tuple(k is not None and k in relevant for k in keys)
            ctx = OpContext(op, inputs, outputs, attrs, needs)
            if scope:  # gradient ops carry the forward op's layer path, as in TF
                with name_scope(f"gradient_tape/{scope}/"):
                    in_grads = op.vjp(ctx, *out_grads)
            else:
                in_grads = op.vjp(ctx, *out_grads)
            if len(in_grads) != len(inputs):
                raise RuntimeError(f"{op.name}: gradient rule returned {len(in_grads)} "
                                   f"gradients for {len(inputs)} inputs")
            for k, x, g in zip(keys, inputs, in_grads):
                if k is None or g is None or k not in relevant:
                    continue
                if op.broadcasts:
                    g = _unbroadcast(g, x, ctx)
                _accumulate(pending, k, g)
        results = []
        for s in sources:
            g = pending.get(id(s)) if id(s) in source_keys else None
            if s._value.dtype not in _INEXACT:
                g = None  # integer sources have no gradient: None, or zeros when asked
            if g is None and unconnected is UnconnectedGradients.ZERO:
                results.append(_zeros_like(s if isinstance(s, Tensor) else s._read()))
            else:
                results.append(g)
        return results


class _NullContext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def _on_device(array: np.ndarray, like) -> Tensor:
    from engine.backend import devices  # noqa: PLC0415

    device = like._device
    if device is devices.CPU0:
        return wrap(array)
    return wrap(devices.transfer(array, devices.CPU0, device), device)


def _to_host(value):
    from engine.backend import devices  # noqa: PLC0415

    return devices.backend_of(value).to_host(value)


def _accumulate(pending: dict, key: int, grad: Tensor) -> None:
    current = pending.get(key)
    pending[key] = grad if current is None else _add(current, grad)
