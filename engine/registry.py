"""The op registry: every operation is one `OpDef`.

An `OpDef` carries everything the engine needs to know about an op:
- `name` (engine's, e.g. `"matmul"`) and `tf_name` (TensorFlow's raw op, `"MatMul"`);
- `inputs`: the names of its tensor inputs (TensorFlow's argument names), `attrs`: its
  static attributes with defaults;
- `infer(*specs, **attrs)`: output `TensorSpec`(s) from input specs whose shapes may have
  unknown dimensions; it raises `ShapeError` / `DTypeError` with a clear message. Tracing
  uses it to build graphs; eager execution calls it to explain a failing kernel;
- `kernel(xp, *arrays, **attrs)`: one function over an array module (`numpy` or `cupy`),
  or `ufunc="add"` to call `xp.add` directly;
- `vjp(ctx, *grads)`: one gradient per input (None where there is none), written with
  engine ops so that gradients are recorded by outer tapes, trace and run on any device.

Eager dispatch, `GradientTape`, `raw_ops`, op listeners and device placement (and, later, the
tracer) all read this one entry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from engine import dtypes as _dt

__all__ = ["OpDef", "OpContext", "register", "get", "all_ops"]

_OPS: dict[str, OpDef] = {}

FLOAT = frozenset(d for d in (_dt.float16, _dt.bfloat16, _dt.float32, _dt.float64) if d)
COMPLEX = frozenset((_dt.complex64, _dt.complex128))
INTEGER = frozenset((_dt.int8, _dt.int16, _dt.int32, _dt.int64, _dt.uint8, _dt.uint16,
                     _dt.uint32, _dt.uint64))
SIGNED = frozenset((_dt.int8, _dt.int16, _dt.int32, _dt.int64))
REAL = FLOAT | INTEGER
NUMERIC = REAL | COMPLEX
INEXACT = FLOAT | COMPLEX
BOOL = frozenset((_dt.bool,))
ANY = None


class OpDef:
    """One operation: its signature, shape inference, kernels and gradient.

    Args:
        name: the engine's snake_case name (`"add"`).
        tf_name: TensorFlow's raw-op name (`"AddV2"`); `engine.raw_ops` exposes it.
        inputs: names of the tensor inputs in order. A name starting with `*` is a list
            (`("*values",)` for `concat`); then the op takes any number of tensors.
        attrs: static attributes and their defaults (Python values, JSON-able).
        infer: `infer(*specs, **attrs)` → `TensorSpec` or a tuple of them.
        kernel: `kernel(xp, *arrays, **attrs)` → array or tuple of arrays.
        ufunc: instead of `kernel`, the name of an array-module function called directly.
        vjp: `vjp(ctx, *grads)` → tuple with one gradient (or None) per input.
        num_outputs: 1, or the number of outputs (None: decided by the kernel).
        dtypes: the dtypes the op accepts for the inputs in `same_dtype` (None: any).
        same_dtype: indices of inputs that must share one dtype (None: all inputs; `()`
            for none); Python values given there adopt that dtype.
        broadcasts: whether input gradients may need summing back to the input's shape.
        gpu: whether a GPU kernel exists (else the op falls back to the CPU there).
        stateful: whether the op has side effects (random draws, prints).
        tf_args: TensorFlow argument names for `raw_ops` that differ from ours, mapped to
            ours (`{"keep_dims": "keepdims"}`).
        doc: one line for `raw_ops` help.
    """

    def __init__(self, name: str, tf_name: str, inputs: tuple, infer: Callable,
                 kernel: Callable | None = None, *, ufunc: str | None = None,
                 vjp: Callable | None = None, attrs: dict | None = None,
                 num_outputs: int | None = 1, dtypes: frozenset | None = ANY,
                 same_dtype: tuple | None = None, broadcasts: bool = False,
                 gpu: bool = True, stateful: bool = False, tf_args: dict | None = None,
                 doc: str = ""):
        if (kernel is None) == (ufunc is None):
            raise ValueError(f"OpDef {name}: give exactly one of kernel= or ufunc=")
        self.name = name
        self.tf_name = tf_name
        self.inputs = tuple(inputs)
        self.variadic = any(n.startswith("*") for n in self.inputs)
        self.attrs = dict(attrs or {})
        self.infer = infer
        self.kernel = kernel
        self.ufunc = ufunc
        self.vjp = vjp
        self.num_outputs = num_outputs
        self.dtypes = dtypes
        self.same_dtype = None if same_dtype is None else tuple(same_dtype)
        self.broadcasts = broadcasts
        self.gpu = gpu
        self.stateful = stateful
        self.tf_args = dict(tf_args or {})
        self.doc = doc
        self._kernels: dict = {}
        self.cpu_kernel = self.kernel_for(np)
        # NumPy dtypes the op takes (strings as object arrays), and those its fast path may
        # run without further checks (no strings).
        self.np_dtypes = frozenset(d._np for d in (dtypes if dtypes is not None else ()))
        self.fast_np_dtypes = frozenset(
            d._np for d in (dtypes if dtypes is not None else ()) if d is not _dt.string)

    def kernel_for(self, xp) -> Callable:
        """The kernel bound to array module `xp`: `f(*arrays, **attrs)`."""
        bound = self._kernels.get(xp)
        if bound is None:
            if self.ufunc is not None:
                bound = getattr(xp, self.ufunc)
            else:
                bound = functools.partial(self.kernel, xp)
            self._kernels[xp] = bound
        return bound

    def __repr__(self) -> str:
        return f"OpDef({self.name!r}, tf_name={self.tf_name!r})"


class OpContext:
    """What a gradient rule sees: the op's input and output tensors and its attrs.

    `needs_input_grad[i]` is False when nothing asked for input `i`'s gradient (a constant
    image into the first convolution, say); rules may skip that work and return None.
    None means every gradient is needed.
    """

    __slots__ = ("op", "inputs", "outputs", "attrs", "needs_input_grad")

    def __init__(self, op: OpDef, inputs: tuple, outputs: tuple, attrs: dict,
                 needs_input_grad: tuple | None = None):
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.attrs = attrs
        self.needs_input_grad = needs_input_grad


def register(op: OpDef) -> OpDef:
    """Adds an op to the registry (under both names) and returns it."""
    for key in {op.name, op.tf_name}:
        if key in _OPS and _OPS[key] is not op:
            raise ValueError(f"register: an op named {key!r} is already registered")
        _OPS[key] = op
    return op


def get(name: str) -> OpDef:
    """The op registered as `name` (engine or TensorFlow name).

    Raises:
        KeyError: naming close matches when the op does not exist.
    """
    op = _OPS.get(name)
    if op is None:
        import difflib

        close = difflib.get_close_matches(name, list(_OPS), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"No op named {name!r} is registered.{hint}")
    return op


def all_ops() -> list[OpDef]:
    """Every registered op, once each, sorted by TensorFlow name."""
    unique = {id(op): op for op in _OPS.values()}
    return sorted(unique.values(), key=lambda op: op.tf_name)
