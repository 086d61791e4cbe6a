"""`custom_gradient`: a function whose gradient you define yourself.

The decorated function runs with the tapes paused (a private tape only notes which
trainable variables it reads); its result is then recorded on every active tape as one
step whose gradient rule is the user's `grad_fn`, standing in for an `OpDef`. Inside
`engine.function` the same happens on symbolic tensors, so `grad_fn` traces into the graph
when `tape.gradient` runs.
"""

from __future__ import annotations

import functools
import inspect

from engine import context, dispatch, nest, registry
from engine.tape import GradientTape
from engine.tensor import Tensor, wrap

__all__ = ["custom_gradient"]

_THREAD = context.THREAD


class _CustomGradientOp:
    """Stands in for an OpDef in tape records made by `custom_gradient`."""

    broadcasts = False
    tf_name = "CustomGradient"

    def __init__(self, name, grad_fn, n_inputs, variables, n_outputs):
        self.name = name
        self.grad_fn = grad_fn
        self.n_inputs = n_inputs
        self.variables = variables
        self.n_outputs = n_outputs

    def vjp(self, ctx, *grads):
        upstream = grads if self.n_outputs > 1 else grads[0]
        if self.variables and not _accepts_variables(self.grad_fn):
            names = ", ".join(repr(v.name) for v in self.variables)
            raise TypeError(f"custom_gradient {self.name}: the function reads the trainable "
                            f"variables {names}, so its grad_fn must accept a keyword argument "
                            "`variables` and return (input_grads, variable_grads): "
                            "def grad_fn(dy, variables=None).")
        if self.variables:
            result = (self.grad_fn(*upstream, variables=self.variables) if self.n_outputs > 1
                      else self.grad_fn(upstream, variables=self.variables))
            input_grads, var_grads = result
        else:
            input_grads = (self.grad_fn(*upstream) if self.n_outputs > 1
                           else self.grad_fn(upstream))
            var_grads = []
        input_grads = list(nest.flatten(input_grads)) if isinstance(
            input_grads, (list, tuple)) else [input_grads]
        if len(input_grads) != self.n_inputs:
            raise ValueError(f"custom_gradient {self.name}: grad_fn returned "
                             f"{len(input_grads)} gradients for {self.n_inputs} inputs.")
        if len(var_grads) != len(self.variables):
            raise ValueError(f"custom_gradient {self.name}: grad_fn returned "
                             f"{len(var_grads)} variable gradients for "
                             f"{len(self.variables)} variables.")
        return tuple(input_grads) + tuple(var_grads)


def _accepts_variables(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return True
    return any(p.name == "variables" or p.kind == p.VAR_KEYWORD for p in params)


class _AccessRecorder(GradientTape):
    """A tape that only notes which trainable variables are read."""

    def _record(self, op, sources, tensors, outputs, attrs) -> None:
        for s in sources:
            if getattr(s, "_is_variable", False) and s.trainable:
                self._variables[id(s)] = s


def _fresh_output(tensor: Tensor) -> Tensor:
    """A new tensor with `tensor`'s value, for the custom step to own on the tapes.

    Eagerly that is a second `Tensor` on the same array. While tracing, the value is a
    `SymbolicValue` of the graph, so the new tensor must be a graph node too (an
    `Identity`, added with the tapes paused): wrapping the symbolic value in an eager
    `Tensor` would make it a `Const` node and hand `SymbolicValue`s to the kernels.
    """
    if _THREAD.graph is None:
        return wrap(tensor._value, tensor._device)
    saved = _THREAD.tapes[:]
    _THREAD.tapes[:] = []
    try:
        return dispatch.dispatch(registry.get("Identity"), (tensor,))
    finally:
        _THREAD.tapes[:] = saved


def custom_gradient(f):
    """Decorator: defines a function's gradient yourself.

    `f(*inputs)` returns `(y, grad_fn)`. `grad_fn(dy)` returns one gradient per input; if
    `f` reads trainable variables, `grad_fn(dy, variables=None)` must return
    `(input_grads, variable_grads)`.

    Args:
        f: a function of tensors returning `(y, grad_fn)`.

    Returns:
        A function with `f`'s signature that returns `y` and records `grad_fn` on tapes.

    Example:
        >>> @engine.custom_gradient
        ... def clip_grad(x):
        ...     def grad(dy):
        ...         return engine.clip_by_value(dy, -1.0, 1.0)
        ...     return engine.identity(x), grad
        >>> x = engine.constant(3.0)
        >>> with engine.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = 5.0 * clip_grad(x)
        >>> float(tape.gradient(y, x))
        1.0
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        tapes = list(_THREAD.tapes)
        if not tapes:
            y, _ = f(*args, **kwargs)
            return y
        recorder = _AccessRecorder()
        saved = _THREAD.tapes[:]
        _THREAD.tapes[:] = [recorder]
        try:
            y, grad_fn = f(*args, **kwargs)
        finally:
            _THREAD.tapes[:] = saved
        flat_args = [a for a in nest.flatten((args, kwargs))
                     if isinstance(a, Tensor) or getattr(a, "_is_variable", False)]
        arg_ids = {id(a) for a in flat_args}
        variables = [v for k, v in recorder._variables.items() if k not in arg_ids]
        fresh = [_fresh_output(t) if isinstance(t, Tensor) else t for t in nest.flatten(y)]
        outputs = tuple(t for t in fresh if isinstance(t, Tensor))
        op = _CustomGradientOp(getattr(f, "__name__", "custom_gradient"), grad_fn,
                               len(flat_args), variables, len(outputs))
        sources = flat_args + variables
        snapshots = [a if isinstance(a, Tensor) else a._read() for a in sources]
        for tape in tapes:
            tape._record(op, sources, snapshots, outputs, {})
        return nest.pack_sequence_as(y, fresh)

    return wrapper
