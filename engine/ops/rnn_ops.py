"""Fused recurrent sequence ops: a whole LSTM or GRU layer over time as one op.

Primitives: `LSTMSequence`, `GRUSequence` (forward, also returning a `reserve` buffer for
the backward pass, as cuDNN's `reserve_space`), and their hand-written backprop-through-time
ops `LSTMSequenceGrad`, `GRUSequenceGrad`. The kernels live in `rnn_kernels` (one `xp`
implementation for NumPy and CuPy).

Gradients: the forward ops' rule runs the fused backward op. When that gradient is itself
being differentiated (a tape is recording while the gradient is computed), the rule instead
differentiates the same recurrence written with engine ops, so higher orders nest as for
any composite; that path needs a static number of time steps. The backward ops have no
gradient of their own. The `reserve` output carries no gradient.

Weights follow Keras: the LSTM's gates are `[i, f, c, o]` along the last axis of `kernel`
`(features, 4 * units)`, `recurrent_kernel` `(units, 4 * units)` and `bias` `(4 * units,)`;
the GRU's are `[z, r, h]` with `bias` `(2, 3 * units)` (input and recurrent biases: Keras'
`reset_after=True`). A `mask` is bool `(batch, time)` (`(time, batch)` when `time_major`)
or a scalar True for none; a False entry keeps that example's state for that step and
repeats it as the output. `ids`: integer `(batch, time)` (`(time, batch)` when
`time_major`), or a scalar for none; when given, `x` is a table `(rows, features)` and
the inputs are `x[ids]` (an Embedding's output, folded into the input projection: see
`rnn_kernels`), and the gradient of `x` is that of the table.
"""

from __future__ import annotations

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.dispatch import dispatch
from engine.errors import DTypeError, ShapeError, UnimplementedError
from engine.ops import infer as _inf
from engine.ops import rnn_kernels as _k
from engine.ops.array_ops import expand_dims
from engine.ops.gather_ops import gather
from engine.ops.join_ops import stack, unstack
from engine.ops.manip_ops import split
from engine.ops.math_ops import add, multiply, subtract
from engine.ops.matmul_ops import matmul
from engine.ops.select_ops import where
from engine.ops.unary_ops import sigmoid, tanh
from engine.registry import FLOAT, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["lstm_sequence", "gru_sequence"]

_FLOATS = FLOAT
_THREAD = context.THREAD
_FLOAT32 = np.dtype(np.float32)


# --- shape inference -----------------------------------------------------------------------
def _dims(op: str, what: str, spec: TensorSpec, rank: int) -> list:
    if spec.shape.rank is None:
        return [None] * rank
    if spec.shape.rank != rank:
        raise ShapeError(f"{op}: got {what} of shape {spec.shape}; expected rank {rank}.")
    return spec.shape.as_list()


def _same(op: str, a, b, what: str):
    """The dimension that `a` and `b` (either may be None) agree on."""
    if a is not None and b is not None and a != b:
        raise ShapeError(f"{op}: {what} disagree ({a} != {b}). Check that the weights and "
                         "states were made for these inputs (units, features, batch size).")
    return a if a is not None else b


def _check_mask(op: str, mask: TensorSpec, lead: list) -> None:
    if mask.dtype is not _dt.bool:
        raise DTypeError(f"{op}: got a mask of dtype {mask.dtype.name}; expected bool. "
                         "Cast it with engine.cast(mask, engine.bool).")
    if mask.shape.rank == 0:
        return
    dims = _dims(op, "mask", mask, 2)
    _same(op, dims[0], lead[0], "the mask's and the inputs' first dimensions")
    _same(op, dims[1], lead[1], "the mask's and the inputs' second dimensions")


def _sequence_specs(op, x, h0, kernel, recurrent_kernel, gates, time_major):
    """Checks the shared inputs; returns `(y_spec, state_spec, (t, b, u))`."""
    _inf.check_dtype(op, x, _FLOATS, "inputs")
    dtype = _inf.same_dtype(op, x, h0, kernel, recurrent_kernel)
    xd = _dims(op, "inputs", x, 3)
    t, b = (xd[0], xd[1]) if time_major else (xd[1], xd[0])
    hd = _dims(op, "initial state", h0, 2)
    kd = _dims(op, "kernel", kernel, 2)
    rd = _dims(op, "recurrent_kernel", recurrent_kernel, 2)
    b = _same(op, b, hd[0], "the batch sizes of the inputs and the initial state")
    _same(op, xd[2], kd[0], "the inputs' features and the kernel's rows")
    u = _same(op, hd[1], rd[0], "the state's units and the recurrent kernel's rows")
    g = _same(op, kd[1], rd[1], "the kernel's and the recurrent kernel's columns")
    if g is not None:
        if g % gates:
            raise ShapeError(f"{op}: the kernels have {g} columns; expected {gates} * units.")
        u = _same(op, u, g // gates, f"the units and the kernels' columns / {gates}")
    y = [t, b, u] if time_major else [b, t, u]
    return TensorSpec(y, dtype), TensorSpec([b, u], dtype), (t, b, u)


def _step_inputs(op: str, x: TensorSpec, ids: TensorSpec) -> TensorSpec:
    """The spec of the inputs the steps read: `x`, or with `ids` the gathered `x[ids]`."""
    if ids.shape.rank == 0:
        return x
    if ids.dtype not in (_dt.int32, _dt.int64):
        raise DTypeError(f"{op}: got ids of dtype {ids.dtype.name}; expected int32 or int64 "
                         "row numbers of the table.")
    table = _dims(op, "table (inputs with ids)", x, 2)
    return TensorSpec(_dims(op, "ids", ids, 2) + [table[1]], x.dtype)


def _reserve_spec(size_fn, t, b, u, dtype) -> TensorSpec:
    known = None not in (t, b, u)
    return TensorSpec([size_fn(t, b, u) if known else None], dtype)


def _lstm_infer(x, h0, c0, kernel, recurrent_kernel, bias, mask, ids, time_major=False):
    op = "lstm_sequence"
    x = _step_inputs(op, x, ids)
    y, state, (t, b, u) = _sequence_specs(op, x, h0, kernel, recurrent_kernel, 4, time_major)
    _inf.same_dtype(op, x, c0, bias)
    cd = _dims(op, "initial cell state", c0, 2)
    _same(op, state.shape[0], cd[0], "the batch sizes of the states")
    _same(op, u, cd[1], "the units of the states")
    (bd,) = _dims(op, "bias", bias, 1)
    _same(op, None if u is None else 4 * u, bd, "the bias size and 4 * units")
    _check_mask(op, mask, x.shape.as_list()[:2] if x.shape.rank else [None, None])
    return y, state, state, _reserve_spec(_k.lstm_reserve_size, t, b, u, x.dtype)


def _gru_infer(x, h0, kernel, recurrent_kernel, bias, mask, ids, time_major=False):
    op = "gru_sequence"
    x = _step_inputs(op, x, ids)
    y, state, (t, b, u) = _sequence_specs(op, x, h0, kernel, recurrent_kernel, 3, time_major)
    _inf.same_dtype(op, x, bias)
    bd = _dims(op, "bias", bias, 2)
    _same(op, bd[0], 2, "the bias rows (input and recurrent biases) and 2")
    _same(op, None if u is None else 3 * u, bd[1], "the bias size and 3 * units")
    _check_mask(op, mask, x.shape.as_list()[:2] if x.shape.rank else [None, None])
    return y, state, _reserve_spec(_k.gru_reserve_size, t, b, u, x.dtype)


def _lstm_grad_infer(x, h0, c0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n, dc_n,
                     ids, time_major=False):
    op = "lstm_sequence_grad"
    _sequence_specs(op, _step_inputs(op, x, ids), h0, kernel, recurrent_kernel, 4, time_major)
    bias = [None if kernel.shape.rank is None else kernel.shape[1]]
    return x, h0, c0, kernel, recurrent_kernel, TensorSpec(bias, x.dtype)


def _gru_grad_infer(x, h0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n, ids,
                    time_major=False):
    op = "gru_sequence_grad"
    _sequence_specs(op, _step_inputs(op, x, ids), h0, kernel, recurrent_kernel, 3, time_major)
    bias = [2, None if kernel.shape.rank is None else kernel.shape[1]]
    return x, h0, kernel, recurrent_kernel, TensorSpec(bias, x.dtype)


# --- kernels -------------------------------------------------------------------------------
def _in_float32(kernel):
    """Runs `kernel` in float32 for float16 and bfloat16 inputs (as TensorFlow's CPU kernels
    do: NumPy's half-precision matmuls are slow loops and its sums round at every step),
    and rounds the outputs back."""
    def run(xp, x, *arrays, **attrs):
        dtype = x.dtype
        if dtype.itemsize >= 4:
            return kernel(xp, x, *arrays, **attrs)
        wide = [a.astype(_FLOAT32) if a.dtype == dtype else a for a in (x, *arrays)]
        return tuple(o.astype(dtype) for o in kernel(xp, *wide, **attrs))

    return run


def _mask_or_none(mask):
    return None if mask.ndim == 0 else mask


_ids_or_none = _mask_or_none


def _check_kernel_shapes(x, h0, kernel, recurrent_kernel, mask, ids, time_major, gates):
    """Raises ValueError (which `infer` then explains) for inconsistent shapes."""
    if ids.ndim:
        if x.ndim != 2 or ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError("ranks do not fit")
        shape = ids.shape + x.shape[1:]
    else:
        shape = x.shape
    if len(shape) != 3 or h0.ndim != 2:
        raise ValueError("ranks do not fit")
    b = shape[1] if time_major else shape[0]
    u = h0.shape[1]
    if (h0.shape != (b, u) or kernel.shape != (shape[2], gates * u)
            or recurrent_kernel.shape != (u, gates * u)
            or (mask.ndim != 0 and mask.shape != shape[:2])):
        raise ValueError("shapes do not fit")


@_in_float32
def _lstm_kernel(xp, x, h0, c0, kernel, recurrent_kernel, bias, mask, ids, time_major=False):
    _check_kernel_shapes(x, h0, kernel, recurrent_kernel, mask, ids, time_major, 4)
    if c0.shape != h0.shape or bias.shape != (kernel.shape[1],):
        raise ValueError("shapes do not fit")
    return _k.lstm_forward(xp, x, h0, c0, kernel, recurrent_kernel, bias, _mask_or_none(mask),
                           time_major, _ids_or_none(ids))


@_in_float32
def _lstm_grad_kernel(xp, x, h0, c0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n,
                      dc_n, ids, time_major=False):
    return _k.lstm_backward(xp, x, h0, c0, kernel, recurrent_kernel, _mask_or_none(mask), y,
                            reserve, dy, dh_n, dc_n, time_major, _ids_or_none(ids))


@_in_float32
def _gru_kernel(xp, x, h0, kernel, recurrent_kernel, bias, mask, ids, time_major=False):
    _check_kernel_shapes(x, h0, kernel, recurrent_kernel, mask, ids, time_major, 3)
    if bias.shape != (2, kernel.shape[1]):
        raise ValueError("shapes do not fit")
    return _k.gru_forward(xp, x, h0, kernel, recurrent_kernel, bias, _mask_or_none(mask),
                          time_major, _ids_or_none(ids))


@_in_float32
def _gru_grad_kernel(xp, x, h0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n, ids,
                     time_major=False):
    return _k.gru_backward(xp, x, h0, kernel, recurrent_kernel, _mask_or_none(mask), y,
                           reserve, dy, dh_n, time_major, _ids_or_none(ids))


# --- the same recurrences in engine ops (for higher-order gradients) -----------------------
def _steps(x, mask, ids, time_major):
    """The inputs per step and the masks per step (None entries when unmasked)."""
    if ids.shape.rank != 0:
        x = gather(x, ids)
    if x.shape.rank != 3 or x.shape[0 if time_major else 1] is None:
        raise UnimplementedError(
            "the gradient of a fused LSTM/GRU gradient (a second-order derivative) needs a "
            f"static number of time steps; got inputs of shape {x.shape}. Trace with a fixed "
            "sequence length, or run the cell loop (engine.keras.layers.RNN(cell)).")
    axis = 0 if time_major else 1
    xs = unstack(x, axis=axis)
    if mask.shape.rank == 0:
        return xs, [None] * len(xs)
    return xs, [expand_dims(m, 1) for m in unstack(mask, axis=axis)]


def _lstm_composite(x, h0, c0, kernel, recurrent_kernel, bias, mask, ids, time_major=False):
    xs, masks = _steps(x, mask, ids, time_major)
    h, c, ys = h0, c0, []
    for x_t, m in zip(xs, masks):
        z = add(add(matmul(x_t, kernel), matmul(h, recurrent_kernel)), bias)
        i, f, g, o = split(z, 4, axis=1)
        c_new = add(multiply(sigmoid(f), c), multiply(sigmoid(i), tanh(g)))
        h_new = multiply(sigmoid(o), tanh(c_new))
        h, c = (h_new, c_new) if m is None else (where(m, h_new, h), where(m, c_new, c))
        ys.append(h)
    return stack(ys, axis=0 if time_major else 1), h, c


def _gru_composite(x, h0, kernel, recurrent_kernel, bias, mask, ids, time_major=False):
    xs, masks = _steps(x, mask, ids, time_major)
    b_in, b_rec = unstack(bias, axis=0)
    h, ys = h0, []
    for x_t, m in zip(xs, masks):
        xz, xr, xh = split(add(matmul(x_t, kernel), b_in), 3, axis=1)
        rz, rr, rh = split(add(matmul(h, recurrent_kernel), b_rec), 3, axis=1)
        z = sigmoid(add(xz, rz))
        r = sigmoid(add(xr, rr))
        hh = tanh(add(xh, multiply(r, rh)))
        h_new = add(hh, multiply(z, subtract(h, hh)))
        h = h_new if m is None else where(m, h_new, h)
        ys.append(h)
    return stack(ys, axis=0 if time_major else 1), h


def _recomputed_vjp(composite, ctx, grads):
    """Input gradients by differentiating `composite` (engine ops, so outer tapes see it)."""
    from engine.tape import GradientTape  # noqa: PLC0415 - the tape sits beside dispatch

    inputs = list(ctx.inputs[:-2])  # not the mask and the ids
    with GradientTape() as tape:
        tape.watch(inputs)
        outs = composite(*ctx.inputs, **ctx.attrs)
    return (*tape.gradient(list(outs), inputs, output_gradients=list(grads)), None, None)


# --- registration --------------------------------------------------------------------------
def _lstm_vjp(ctx, dy, dh_n, dc_n, _reserve):
    if _THREAD.tapes:  # the gradient is being differentiated: use the composite
        return _recomputed_vjp(_lstm_composite, ctx, (dy, dh_n, dc_n))
    x, h0, c0, kernel, recurrent_kernel, _, mask, ids = ctx.inputs
    y, _, _, reserve = ctx.outputs
    grads = dispatch(_LSTM_GRAD, (x, h0, c0, kernel, recurrent_kernel, mask, y, reserve, dy,
                                  dh_n, dc_n, ids), ctx.attrs)
    return (*grads, None, None)


def _gru_vjp(ctx, dy, dh_n, _reserve):
    if _THREAD.tapes:
        return _recomputed_vjp(_gru_composite, ctx, (dy, dh_n))
    x, h0, kernel, recurrent_kernel, _, mask, ids = ctx.inputs
    y, _, reserve = ctx.outputs
    grads = dispatch(_GRU_GRAD, (x, h0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n,
                                 ids), ctx.attrs)
    return (*grads, None, None)


_ATTRS = {"time_major": False}
_LSTM = register(OpDef(
    "lstm_sequence", "LSTMSequence",
    ("x", "h0", "c0", "kernel", "recurrent_kernel", "bias", "mask", "ids"), _lstm_infer,
    _lstm_kernel,
    vjp=_lstm_vjp, attrs=dict(_ATTRS), num_outputs=4, dtypes=_FLOATS,
    same_dtype=(0, 1, 2, 3, 4, 5),
    doc="An LSTM over a sequence: outputs, final h and c, and a reserve buffer."))
_LSTM_GRAD = register(OpDef(
    "lstm_sequence_grad", "LSTMSequenceGrad",
    ("x", "h0", "c0", "kernel", "recurrent_kernel", "mask", "y", "reserve", "dy", "dh_n",
     "dc_n", "ids"), _lstm_grad_infer, _lstm_grad_kernel, attrs=dict(_ATTRS), num_outputs=6,
    dtypes=_FLOATS, same_dtype=(0, 1, 2, 3, 4, 6, 7, 8, 9, 10),
    doc="Backprop through time of LSTMSequence: gradients of x, h0, c0 and the weights."))
_GRU = register(OpDef(
    "gru_sequence", "GRUSequence",
    ("x", "h0", "kernel", "recurrent_kernel", "bias", "mask", "ids"),
    _gru_infer, _gru_kernel, vjp=_gru_vjp, attrs=dict(_ATTRS), num_outputs=3, dtypes=_FLOATS,
    same_dtype=(0, 1, 2, 3, 4),
    doc="A GRU (reset_after) over a sequence: outputs, final h and a reserve buffer."))
_GRU_GRAD = register(OpDef(
    "gru_sequence_grad", "GRUSequenceGrad",
    ("x", "h0", "kernel", "recurrent_kernel", "mask", "y", "reserve", "dy", "dh_n", "ids"),
    _gru_grad_infer, _gru_grad_kernel, attrs=dict(_ATTRS), num_outputs=5, dtypes=_FLOATS,
    same_dtype=(0, 1, 2, 3, 5, 6, 7, 8),
    doc="Backprop through time of GRUSequence: gradients of x, h0 and the weights."))


def _mask_input(mask):
    return np.True_ if mask is None else mask


def _ids_input(ids):
    return _NO_IDS if ids is None else ids


_NO_IDS = np.int32(-1)


def lstm_sequence(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, mask=None,
                  time_major=False, name=None, ids=None):
    """Runs an LSTM over a whole sequence as one fused op (`LSTMSequence`).

    Per step: `[i, f, g, o] = x_t @ kernel + h @ recurrent_kernel + bias`,
    `c = sigmoid(f) * c + sigmoid(i) * tanh(g)`, `h = sigmoid(o) * tanh(c)`.

    Args:
        inputs: floating `(batch, time, features)` (`(time, batch, features)` if
            `time_major`).
        initial_h, initial_c: the initial states, `(batch, units)`.
        kernel: `(features, 4 * units)`, gates `[i, f, c, o]` as Keras.
        recurrent_kernel: `(units, 4 * units)`.
        bias: `(4 * units,)`.
        mask: None, or bool `(batch, time)` (`(time, batch)` if `time_major`); where False,
            the step keeps the previous states and outputs the previous `h`.
        time_major: whether time is the first axis of `inputs` and of the outputs.
        name: ignored in eager mode.
        ids: None, or integer `(batch, time)` (`(time, batch)` if `time_major`): then
            `inputs` is a table `(rows, features)` and the steps read `inputs[ids]` (what
            an Embedding outputs), at the cost of a GEMM over the table's rows instead of
            one over every step's inputs; ids outside `[0, rows)` raise on a CPU.

    Returns:
        `(outputs, final_h, final_c)`: the `h` of every step, shaped like `inputs` with
        `units` features, and the final states `(batch, units)`.

    Raises:
        ShapeError: when the shapes of the inputs, states and weights disagree.

    Example:
        >>> from engine.ops import rnn_ops
        >>> x = engine.ones([2, 5, 3])                    # (batch, time, features)
        >>> h0 = engine.zeros([2, 4])
        >>> y, h, c = rnn_ops.lstm_sequence(x, h0, h0, engine.ones([3, 16]) * 0.1,
        ...                                 engine.zeros([4, 16]), engine.zeros([16]))
        >>> y.shape, h.shape
        (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """
    y, h, c, _ = dispatch(_LSTM, (inputs, initial_h, initial_c, kernel, recurrent_kernel, bias,
                                  _mask_input(mask), _ids_input(ids)),
                          {"time_major": bool(time_major)})
    return y, h, c


def gru_sequence(inputs, initial_h, kernel, recurrent_kernel, bias, mask=None,
                 time_major=False, name=None, ids=None):
    """Runs a GRU (Keras' `reset_after=True` form) over a sequence as one fused op.

    Per step: `z = sigmoid(x_z + h_z)`, `r = sigmoid(x_r + h_r)`, `hh = tanh(x_h + r * h_h)`,
    `h = z * h + (1 - z) * hh`, where `x_* = x_t @ kernel + bias[0]` and
    `h_* = h @ recurrent_kernel + bias[1]` are split into `[z, r, h]` thirds.

    Args:
        inputs: floating `(batch, time, features)` (`(time, batch, features)` if
            `time_major`).
        initial_h: the initial state, `(batch, units)`.
        kernel: `(features, 3 * units)`, gates `[z, r, h]` as Keras.
        recurrent_kernel: `(units, 3 * units)`.
        bias: `(2, 3 * units)`: the input bias, then the recurrent bias.
        mask: None, or bool `(batch, time)` (`(time, batch)` if `time_major`); where False,
            the step keeps the previous state and outputs it.
        time_major: whether time is the first axis of `inputs` and of the outputs.
        name: ignored in eager mode.
        ids: None, or integer ids with `inputs` a table, as for `lstm_sequence`.

    Returns:
        `(outputs, final_h)`.

    Raises:
        ShapeError: when the shapes of the inputs, state and weights disagree.

    Example:
        >>> from engine.ops import rnn_ops
        >>> y, h = rnn_ops.gru_sequence(engine.ones([2, 5, 3]), engine.zeros([2, 4]),
        ...                             engine.ones([3, 12]) * 0.1, engine.zeros([4, 12]),
        ...                             engine.zeros([2, 12]))
        >>> y.shape, h.shape
        (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """
    y, h, _ = dispatch(_GRU, (inputs, initial_h, kernel, recurrent_kernel, bias,
                              _mask_input(mask), _ids_input(ids)),
                       {"time_major": bool(time_major)})
    return y, h

