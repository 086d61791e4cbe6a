"""Reading a mixed layer's float32 weights in its compute dtype while its `call` runs.

Under a mixed policy (`"mixed_float16"`, `"mixed_bfloat16"`) a layer keeps its weights in
float32, but inside `call` they must meet float16 (or bfloat16) inputs. Keras 2 wraps
such weights in an `AutoCastVariable`; here the layer itself does the casting, so that
nothing changes on the float32 path:

- `track` (called by `add_weight`) lists a new trainable float weight of a mixed layer.
- `Scope`, entered (by `call`, for `Layer.__call__`) around a mixed layer's `call` only,
  first moves the listed weights of the layer and its sublayers out of their instance
  `__dict__`s into `_autocast_weights` (`relocate`), then pushes the compute dtype on a
  thread-local stack.
- The relocated layer's class becomes a subclass of its own with a `__getattr__`
  (`_autocast_class`), which Python calls only for names the instance `__dict__` lacks:
  it finds `self.kernel` there and returns `read(variable)`: inside a mixed call, the
  variable cast to the compute dtype (an ordinary `Cast` op on the variable, so tapes and
  traced graphs see it and gradients arrive in float32); outside, the variable itself.

A plain (float32) layer keeps its class, has no relocated weights and never enters a
`Scope`: its attribute reads, variable reads and ops run exactly as before. Within one
outermost mixed call each weight is cast once per graph and tape depth (recurrent cells
read their kernels at every step) and the cast is reused.

Non-trainable weights (moving statistics, counters) are not cast: `call` updates them
with `assign`, which needs the variable. `add_weight(..., experimental_autocast=False)`
opts a weight out, `experimental_autocast=True` opts a non-trainable one in.
"""

from __future__ import annotations

import threading

from engine import context
from engine import dtypes as _dt
from engine.errors import DTypeError
from engine.scopes import name_scope
from engine.tensor import Tensor

__all__ = ["Scope", "call", "track", "relocate", "read", "autocast_dtype"]

_STATE = threading.local()
_THREAD = context.THREAD
_GLOBAL = context.GLOBAL
_HALF = (_dt.float16, _dt.bfloat16)
# The number of weights `track` has listed so far: a mixed layer whose `_autocast_seen`
# differs rescans its sublayers for weights to relocate (once, after they were built).
_created = [0]


def track(layer, variable) -> None:
    """Lists `variable`, a float weight `layer` just created, to be read autocast."""
    pending = layer.__dict__.get("_autocast_pending")
    if pending is None:
        pending = layer._autocast_pending = []
    pending.append(variable)
    _created[0] += 1


def relocate(layer) -> None:
    """Moves the listed weights of `layer` and its sublayers into `_autocast_weights`,
    and gives each such layer the class that reads them (`_autocast_class`)."""
    for sub in layer._flatten_layers():
        pending = sub.__dict__.get("_autocast_pending")
        if not pending:
            continue
        attrs = sub.__dict__
        weights = attrs.get("_autocast_weights")
        if weights is None:
            weights = sub._autocast_weights = {}
        for name, value in list(attrs.items()):
            if any(value is v for v in pending):
                weights[name] = value
                del attrs[name]
        sub.__class__ = _autocast_class(type(sub))
    layer._autocast_seen = _created[0]


_classes: dict = {}


def _autocast_class(cls):
    """`cls` with a `__getattr__` that finds relocated weights, made once per class.

    Only mixed layers get it: a class-level `__getattr__` slows every attribute read of
    its instances a little, which plain layers must not pay. It keeps the name, module
    and docstring of `cls`; pickling and copying give a `cls` instance back (`_reduce`).
    """
    if "_autocast_base" in cls.__dict__:
        return cls
    made = _classes.get(cls)
    if made is None:
        made = _classes[cls] = type(cls)(cls.__name__, (cls,), {
            "__getattr__": _getattr, "__reduce_ex__": _reduce, "_autocast_base": cls,
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__})
    return made


def _getattr(layer, name):
    # Python calls it only for names the instance and its class lack.
    weights = layer.__dict__.get("_autocast_weights")
    if weights is not None and name in weights:
        return read(weights[name])
    if hasattr(type(layer), name):  # a property that raised AttributeError: let it say why
        return object.__getattribute__(layer, name)
    raise AttributeError(f"{type(layer).__name__!r} object has no attribute {name!r}",
                         name=name, obj=layer)


def _reduce(layer, protocol):
    """Pickles (and copies) a mixed layer as its original class, weights back in place;
    its next mixed call relocates them again."""
    state = dict(layer.__dict__)
    state.update(state.pop("_autocast_weights", {}))
    state["_autocast_seen"] = -1
    return _new_instance, (type(layer)._autocast_base,), state


def _new_instance(cls):
    return cls.__new__(cls)


def autocast_dtype():
    """The dtype weights are read in right now (None outside mixed layers' calls)."""
    stack = getattr(_STATE, "stack", None)
    return stack[-1] if stack else None


def read(variable):
    """`variable` as the current mixed layer's compute dtype, or itself outside one."""
    stack = getattr(_STATE, "stack", None)
    if not stack:
        return variable
    dtype = stack[-1]
    key = (id(variable), id(_THREAD.graph), len(_THREAD.tapes), dtype)
    cache = _STATE.cache
    hit = cache.get(key)
    if hit is not None:
        return hit[1]
    from engine.ops import math_ops  # noqa: PLC0415 - ops sit above the layers' imports

    value = math_ops.cast(variable, dtype)
    cache[key] = (variable, value)  # the variable is kept alive, so its id stays unique
    return value


def call(layer, training_scope, inputs, rest: tuple, kwargs: dict):
    """`layer.call(inputs, *rest, **kwargs)` for `Layer.__call__`, with weights autocast.

    A layer that creates its weights inside `call` (MultiHeadAttention builds from the
    shapes of all its inputs there) meets them as float32 on its first call, before they
    can be relocated: when such a call fails on a dtype, it runs once more with them
    relocated.
    """
    scope = Scope(layer, training_scope, layer._autocast_dtype)
    created = _created[0]
    try:
        return _run(layer, scope, inputs, rest, kwargs)
    except DTypeError:
        if _created[0] == created:
            raise
    return _run(layer, scope, inputs, rest, kwargs)


def _run(layer, scope, inputs, rest, kwargs):
    if _GLOBAL.slow or _THREAD.graph is not None:
        # Name scopes only show in graphs and to op listeners, as in Layer.__call__.
        with name_scope(layer.name), scope:
            return layer.call(inputs, *rest, **kwargs)
    with scope:
        return layer.call(inputs, *rest, **kwargs)


class Scope:
    """Wraps a layer call's other scope: weights read in `dtype` while it is entered."""

    __slots__ = ("layer", "inner", "dtype")

    def __init__(self, layer, inner, dtype):
        self.layer = layer
        self.inner = inner
        self.dtype = dtype

    def __enter__(self):
        if self.layer._autocast_seen != _created[0]:
            relocate(self.layer)
        stack = getattr(_STATE, "stack", None)
        if stack is None:
            stack = _STATE.stack = []
            _STATE.cache = {}
        stack.append(self.dtype)
        self.inner.__enter__()

    def __exit__(self, *exc):
        try:
            self.inner.__exit__(*exc)
        finally:
            stack = _STATE.stack
            stack.pop()
            if not stack:
                _STATE.cache.clear()


def float32_predictions(y_pred):
    """`y_pred` with float16/bfloat16 tensors cast to float32 (Keras masks kept), so that
    `Model.compute_loss` computes losses in float32; other structures come back as is."""
    if isinstance(y_pred, Tensor):  # the common case, checked without nest
        if y_pred.dtype not in _HALF:
            return y_pred
        return _widen(y_pred)
    from engine import nest  # noqa: PLC0415

    flat = nest.flatten(y_pred)
    if not any(isinstance(t, Tensor) and t.dtype in _HALF for t in flat):
        return y_pred
    return nest.pack_sequence_as(y_pred, [
        _widen(t) if isinstance(t, Tensor) and t.dtype in _HALF else t for t in flat])


def _widen(t):
    from engine.ops import math_ops  # noqa: PLC0415

    mask = getattr(t, "_keras_mask", None)
    out = math_ops.cast(t, _dt.float32)
    if mask is not None:
        out._keras_mask = mask
    return out
