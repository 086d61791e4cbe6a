"""The shared op checker: every op test row goes through `check_op`.

For one op and one set of inputs it checks, in this order:
1. the forward result against a NumPy reference, in float64 (rtol 1e-7) and float32
   (rtol 1e-5);
2. that `infer` agrees with the kernel's output (tests run with strict checks on, see
   conftest.py, so dispatch compares them on every op);
3. the gradient against float64 central differences along a random direction:
   <vjp(u), v> == <u, (f(x + eps v) - f(x - eps v)) / (2 eps)>.
"""

from __future__ import annotations

import numpy as np

import engine
from engine import hooks, nest

# Raw-op names of every op that ran inside a `check_grad` forward pass: their gradients
# were compared with finite differences. conftest.py reports differentiable ops missing here.
GRADIENT_CHECKED: set[str] = set()


def _note_op(event) -> None:
    GRADIENT_CHECKED.add(event.op)


def _as_numpy(out):
    return [np.asarray(o) for o in nest.flatten(out)]


def _call(fn, arrays, kwargs, dtype=None):
    tensors = [engine.constant(a if dtype is None or a.dtype.kind != "f" else a.astype(dtype))
               for a in arrays]
    return fn(*tensors, **kwargs), tensors


def check_forward(fn, ref, arrays, kwargs=None, dtypes=("float64", "float32"),
                  rtol=None, atol=None):
    """Compares `fn(*tensors)` with `ref(*arrays)` for each float dtype in `dtypes`."""
    kwargs = kwargs or {}
    floats = any(a.dtype.kind == "f" for a in arrays)
    for dtype in (dtypes if floats else (None,)):
        cast = [a.astype(dtype) if dtype and a.dtype.kind == "f" else a for a in arrays]
        out, _ = _call(fn, cast, kwargs)
        expected = nest.flatten(ref(*cast, **kwargs))
        got = _as_numpy(out)
        assert len(got) == len(expected), f"{len(got)} outputs, expected {len(expected)}"
        for g, e in zip(got, expected):
            e = np.asarray(e)
            tol = rtol if rtol is not None else (1e-5 if dtype == "float32" else 1e-7)
            a_tol = atol if atol is not None else (1e-6 if dtype == "float32" else 1e-12)
            assert g.shape == e.shape, f"shape {g.shape}, expected {e.shape}"
            if dtype and e.dtype.kind == "f":
                assert g.dtype == np.dtype(dtype), f"dtype {g.dtype}, expected {dtype}"
            if e.dtype.kind in "fc":
                np.testing.assert_allclose(g, e, rtol=tol, atol=a_tol)
            else:
                np.testing.assert_array_equal(g, e)


def _scalarize(out, cotangents):
    total = None
    for o, u in zip(nest.flatten(out), cotangents):
        if u is None:
            continue
        term = engine.reduce_sum(o * engine.constant(u))
        total = term if total is None else total + term
    return total


def check_grad(fn, arrays, kwargs=None, wrt=None, eps=1e-6, rtol=1e-6, atol=1e-9, seed=0):
    """Checks gradients of `fn` w.r.t. the float inputs (or those in `wrt`) numerically.

    Uses float64 and one random direction per call; the cotangent is random too.
    """
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if wrt is None else list(wrt)
    tensors = [engine.constant(a) for a in arrays]
    with engine.GradientTape() as tape, hooks.subscribe("op", _note_op):
        for i in wrt:
            tape.watch(tensors[i])
        out = fn(*tensors, **kwargs)
    flat = nest.flatten(out)
    cotangents = [rng.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f" else None
                  for o in flat]
    output_gradients = [engine.constant(u) if u is not None else engine.zeros_like(o)
                        for u, o in zip(cotangents, flat)]
    grads = tape.gradient(flat, [tensors[i] for i in wrt], output_gradients=output_gradients)
    directions = [rng.standard_normal(arrays[i].shape) for i in wrt]
    analytic = 0.0
    for g, v in zip(grads, directions):
        if g is not None:
            analytic += float(np.sum(np.asarray(g) * v))

    def f_at(sign):
        shifted = list(arrays)
        for i, v in zip(wrt, directions):
            shifted[i] = arrays[i] + sign * eps * v
        res = fn(*[engine.constant(a) for a in shifted], **kwargs)
        return sum(float(np.sum(np.asarray(o) * u))
                   for o, u in zip(nest.flatten(res), cotangents) if u is not None)

    numeric = (f_at(1) - f_at(-1)) / (2 * eps)
    scale = max(1.0, abs(numeric))
    assert abs(analytic - numeric) <= atol + rtol * scale * 10, (
        f"gradient mismatch: analytic {analytic!r} vs numeric {numeric!r}")
    return grads


def grad_of(fn):
    """`fn`'s gradient as a function of its inputs, for second-order checks.

    `check_grad(grad_of(f), arrays)` compares the derivative of `f`'s gradient with finite
    differences. One input gives one gradient; several give a list.
    """

    def gradient(*xs):
        with engine.GradientTape() as tape:
            tape.watch(list(xs))
            y = fn(*xs)
        grads = tape.gradient(y, list(xs))
        return grads[0] if len(xs) == 1 else grads

    return gradient


def gradients(fn, *arrays):
    """The gradients of `reduce_sum(fn(*arrays))` with respect to each array, as NumPy arrays
    (None where there is none)."""
    xs = [engine.constant(a) for a in arrays]
    with engine.GradientTape() as tape:
        tape.watch(xs)
        y = engine.reduce_sum(fn(*xs))
    return [None if g is None else g.numpy() for g in tape.gradient(y, xs)]


def check_op(fn, ref, arrays, kwargs=None, grad=True, wrt=None, rtol=None, atol=None,
             dtypes=("float64", "float32"), grad_rtol=1e-6):
    """Forward against NumPy in every dtype, then the float64 gradient check."""
    arrays = [np.asarray(a) for a in arrays]
    check_forward(fn, ref, arrays, kwargs, dtypes=dtypes, rtol=rtol, atol=atol)
    if grad:
        check_grad(fn, arrays, kwargs, wrt=wrt, rtol=grad_rtol)
