"""How recurrent layers run: the fused sequence ops, or the generic loop over a cell.

As in TensorFlow 2 there is one `LSTM` and one `GRU` layer. Each call picks:
- the fused kernel (`engine.ops.rnn_ops`: `LSTMSequence` / `GRUSequence`, one op for the
  whole sequence with a hand-written backprop through time, NumPy or CuPy) when the
  configuration is the one it computes: activations tanh / sigmoid, `recurrent_dropout=0`,
  `use_bias=True`, `unroll=False`, floating inputs, and for the GRU `reset_after=True`.
  Masks, `go_backwards`, `time_major`, input `dropout` and states are handled around it.
  When the inputs are an Embedding's output `table[ids]` with a small table (fewer rows than
  about twice its width, as in a character model), the fused op takes the table and the ids
  instead: the input projection is then a GEMM over the table's rows and a gather, and the
  gradients of the kernel and of the table are GEMMs over those rows (see
  `engine.ops.rnn_kernels`). W4's char LSTM steps about 15 % faster this way (benchmarks/
  README.md: "W4 fit" against "W4 fit unfolded", 53.7 vs 46.9 steps/s). The switch is
  `engine.config.optimizer.set_experimental_options({"embedding_folding": False})`;
- otherwise the generic loop below, which calls the cell once per time step with engine
  ops, and logs once per layer which condition ruled the fused kernel out.
Both compute the same numbers (tests/keras/test_rnn_fused.py compares them, gradients
included).

The generic loop: with a static number of time steps (always eagerly, and when traced
shapes know it) it unrolls in Python, one op sequence per step; traced, that is
straight-line graph code the executor runs with no interpretation per step. With an
unknown number of steps in a traced function (a functional model on
`Input(shape=(None, features))`, say) it is one `engine.while_loop`, writing each step's
output into a `(time, batch, units)` buffer.
"""

from __future__ import annotations

import logging

import numpy as np

from engine import dtypes as _dt
from engine import nest
from engine.convert import convert_to_tensor
from engine.graph import passes
from engine.graph.control_flow import while_loop
from engine.keras import activations
from engine.ops import (
    array_ops,
    fill_ops,
    gather_ops,
    join_ops,
    manip_ops,
    math_ops,
    reduce_ops,
    rnn_ops,
    scan_ops,
)
from engine.ops.fill_ops import zeros_like
from engine.ops.select_ops import where
from engine.tensor import Tensor

__all__ = ["generic_loop", "fused_unavailable_reason", "report_fallback", "run_fused_lstm",
           "run_fused_gru"]

LOGGER = logging.getLogger("engine.keras.layers.recurrent")
_FUSED_DTYPES = (_dt.float16, _dt.bfloat16, _dt.float32, _dt.float64)


# --- the generic loop ----------------------------------------------------------------------
def generic_loop(step, inputs, initial_states, mask=None, go_backwards=False, unroll=False,
                 zero_output_for_mask=False, time_major=False, return_sequences=True):
    """Runs `step(x_t, states) -> (output_t, new_states)` over the time axis of `inputs`.

    Args:
        step: the per-step function; `x_t` has the structure of `inputs` and `states` is a
            flat list of tensors; the output may be a nest of tensors.
        inputs: `(batch, time, ...)` (`(time, batch, ...)` if `time_major`), or a nest of
            such tensors, all with the same number of steps.
        initial_states: a flat list of `(batch, ...)` tensors.
        mask: None or `(batch, time)` (time first if `time_major`); a masked step keeps
            the states and outputs the previous output (zeros if `zero_output_for_mask`).
        go_backwards: process the steps last to first (outputs in that order).
        unroll: require a static number of steps (unrolled in Python).
        zero_output_for_mask: output zeros at masked steps.
        time_major: whether time is the first axis.
        return_sequences: whether to collect every step's output.

    Returns:
        `(last_output, outputs or None, final_states)`; the outputs in the structure of one
        step's output.
    """
    axis = 0 if time_major else 1
    if mask is not None and mask.dtype is not _dt.bool:
        mask = math_ops.cast(mask, _dt.bool)
    flat_inputs = nest.flatten(inputs)
    steps = flat_inputs[0].shape[axis]
    if steps is None:
        if unroll:
            raise ValueError(f"unroll=True needs a static number of time steps; got inputs of "
                             f"shape {flat_inputs[0].shape}. Give the time dimension, or "
                             "unroll=False.")
        return _while_loop(step, inputs, initial_states, mask, go_backwards,
                           zero_output_for_mask, axis, return_sequences)
    if len(flat_inputs) == 1 and not nest.is_nested(inputs):
        xs = join_ops.unstack(inputs, axis=axis)
    else:
        per_input = [join_ops.unstack(x, axis=axis) for x in flat_inputs]
        xs = [nest.pack_sequence_as(inputs, list(parts)) for parts in zip(*per_input)]
    masks = [None] * steps if mask is None else [
        array_ops.expand_dims(m, 1) for m in join_ops.unstack(mask, axis=axis)]
    if go_backwards:
        xs, masks = xs[::-1], masks[::-1]
    states, outputs, previous = list(initial_states), [], None
    wide = [bool(s.ndim and s.ndim > 2) for s in states]  # states of (batch, a, b, ...)
    for x_t, m in zip(xs, masks):
        output, new_states = step(x_t, states)
        if m is not None:
            states = [where(_mask_like(m, n) if w else m, n, s)
                      for n, s, w in zip(new_states, states, wide)]
            output = _masked_output(m, output, None if zero_output_for_mask else previous)
        else:
            states = list(new_states)
        previous = output
        outputs.append(output)
    stacked = None
    if return_sequences:
        stacked = join_ops.stack(outputs, axis=axis) if not nest.is_nested(outputs[0]) else \
            nest.map_structure(lambda *steps_t: join_ops.stack(steps_t, axis=axis), *outputs)
    return outputs[-1], stacked, states


def _masked_output(m, output, previous):
    """The step's output where `m` (batch, 1) is set, else `previous` (None: zeros)."""
    if isinstance(output, Tensor) or not nest.is_nested(output):
        fill = zeros_like(output) if previous is None else previous
        return where(_mask_like(m, output), output, fill)
    if previous is None:
        previous = nest.map_structure(zeros_like, output)
    return nest.map_structure(lambda o, p: where(_mask_like(m, o), o, p), output, previous)


def _mask_like(m, value):
    """The `(batch, 1)` step mask `m` with as many axes as `value` (`(batch, 1, 1)` ...)."""
    if not value.ndim or value.ndim <= 2:  # ndim, not shape.rank: no TensorShape per step
        return m
    return array_ops.reshape(m, [-1] + [1] * (value.shape.rank - 1))


def _while_loop(step, inputs, initial_states, mask, go_backwards, zero_output_for_mask, axis,
                return_sequences):
    """The generic loop for an unknown number of steps: one `While` node."""
    flat = nest.flatten(inputs)
    if axis == 1:
        flat = [array_ops.transpose(x, [1, 0] + list(range(2, x.shape.rank))) for x in flat]
        mask = None if mask is None else array_ops.transpose(mask, [1, 0])
    if go_backwards:
        flat = [manip_ops.reverse(x, [0]) for x in flat]
        mask = None if mask is None else manip_ops.reverse(mask, [0])
    steps = array_ops.shape(flat[0])[0]
    positions = _positions(flat[0])

    def select(t):
        return nest.pack_sequence_as(inputs, [_select_step(x, positions, t) for x in flat])

    # The first step runs outside the loop: it fixes the outputs' shapes and dtypes.
    output, states = _masked_step(step, select(0), list(initial_states),
                                  None if mask is None else mask[0], None,
                                  zero_output_for_mask)
    flat_out = nest.flatten(output)
    n_out = len(flat_out)
    collect = [_output_buffer(flat[0], o) for o in flat_out] if return_sequences else []

    def cond(t, *_):
        return t < steps

    def body(t, *rest):
        m = None if mask is None else gather_ops.gather(mask, t)
        previous = nest.pack_sequence_as(output, list(rest[:n_out]))
        out, new = _masked_step(step, select(t), list(rest[n_out + len(collect):]), m,
                                previous, zero_output_for_mask)
        out = nest.flatten(out)
        buffers = [gather_ops.tensor_scatter_nd_update(
            buf, array_ops.reshape(t, [1, 1]), array_ops.expand_dims(o, 0))
            for buf, o in zip(rest[n_out:n_out + len(collect)], out)]
        return [t + 1] + out + buffers + new

    result = while_loop(cond, body,
                        [convert_to_tensor(np.int32(1))] + flat_out + collect + states)
    last = nest.pack_sequence_as(output, list(result[1:1 + n_out]))
    final_states = list(result[1 + n_out + len(collect):])
    if not collect:
        return last, None, final_states
    outputs = list(result[1 + n_out:1 + n_out + len(collect)])
    if axis == 1:
        outputs = [array_ops.transpose(o, [1, 0] + list(range(2, o.shape.rank)))
                   for o in outputs]
    return last, nest.pack_sequence_as(output, outputs), final_states


def _positions(inputs):
    """`[0, 1, ..., time - 1]` for time-major `inputs` of unknown length."""
    lead = inputs[(slice(None),) + (0,) * (inputs.shape.rank - 1)]
    return scan_ops.cumsum(fill_ops.ones_like(lead, dtype=_dt.int32), 0) - 1


def _select_step(inputs, positions, t):
    """`inputs[t]` as a masked sum: unlike gather or slicing, its gradient needs no static
    length (a fallback path: O(time) per step)."""
    pick = math_ops.cast(math_ops.equal(positions, t), inputs.dtype)
    pick = array_ops.reshape(pick, [-1] + [1] * (inputs.shape.rank - 1))
    return reduce_ops.reduce_sum(inputs * pick, axis=0)


def _output_buffer(inputs, output):
    """`(time, batch, *output features)` zeros holding `output` as step 0."""
    dims = output.shape.as_list()[1:]
    if None in dims:
        raise ValueError(f"RNN: a step output of unknown shape {output.shape} with an unknown "
                         "number of time steps; give the feature dimensions.")
    lead = zeros_like(inputs[(slice(None), slice(None)) + (0,) * (inputs.shape.rank - 2)],
                      dtype=output.dtype)                            # (time, batch)
    for _ in dims:
        lead = array_ops.expand_dims(lead, -1)
    buffer = lead + fill_ops.zeros(dims, output.dtype)
    return gather_ops.tensor_scatter_nd_update(buffer, [[0]], array_ops.expand_dims(output, 0))


def _masked_step(step, x_t, states, m, previous, zero_output_for_mask):
    output, new_states = step(x_t, states)
    if m is None:
        return output, list(new_states)
    m = array_ops.expand_dims(m, 1)
    states = [where(_mask_like(m, n), n, s) for n, s in zip(new_states, states)]
    return _masked_output(m, output, None if zero_output_for_mask else previous), states


# --- choosing the fused kernel -------------------------------------------------------------
def fused_unavailable_reason(layer, inputs) -> str | None:
    """Why `layer` (an LSTM or GRU) cannot use its fused kernel on `inputs`; None if it can."""
    cell = layer.cell
    checks = [
        (activations.serialize(cell.activation) == "tanh",
         f"activation={activations.serialize(cell.activation)!r} (needs 'tanh')"),
        (activations.serialize(cell.recurrent_activation) == "sigmoid",
         f"recurrent_activation={activations.serialize(cell.recurrent_activation)!r} "
         "(needs 'sigmoid')"),
        (cell.recurrent_dropout == 0, f"recurrent_dropout={cell.recurrent_dropout} (needs 0)"),
        (not layer.unroll, "unroll=True"),
        (cell.use_bias, "use_bias=False"),
        (getattr(cell, "reset_after", True), "reset_after=False"),
        (inputs.dtype in _FUSED_DTYPES, f"dtype {inputs.dtype.name} (needs a float)"),
        (inputs.shape.rank == 3, f"inputs of rank {inputs.shape.rank} (needs 3)"),
        (type(cell).call is layer._cell_class.call, "a cell with an overridden call"),
    ]
    for ok, reason in checks:
        if not ok:
            return reason
    return None


def report_fallback(layer, reason: str) -> None:
    """Logs once per layer that the fused kernel is not used, and why."""
    if getattr(layer, "_fallback_reported", False):
        return
    layer._fallback_reported = True
    LOGGER.warning("%s: not using the fused %s kernel because of %s; running the generic "
                   "cell loop instead (same results, slower).", layer.name,
                   type(layer).__name__, reason)


def _folded_rows(layer, inputs, training):
    """`(table, ids)` when `inputs` are an Embedding's rows `table[ids]` and passing the
    table and the ids to the fused op costs fewer FLOPs; otherwise None.

    Per step row the unfolded op does 2F + 1 multiply-adds per gate column (the projection,
    the kernel's and the inputs' gradients); folded it does V for the per-id sums of the
    gradients, plus 2F + 1 per table row. So fold when `V (N + 2F) < N (2F + 1)` for `N`
    rows of ids (`V <= F` when `N` is unknown).
    """
    source = getattr(inputs, "_keras_fold", None)
    if (source is None or source[0] != "rows" or (training and layer.cell.dropout > 0)
            or not passes.get_experimental_options()["embedding_folding"]):
        return None
    _, table, ids = source
    if ids.shape.rank != 2 or table.dtype != inputs.dtype:
        return None
    rows, features = table.shape
    n = ids.shape.num_elements()
    if n is None:
        return (table, ids) if rows <= features else None
    return (table, ids) if rows * (n + 2 * features) < n * (2 * features + 1) else None


def _fused_inputs(layer, inputs, mask, training):
    """Inputs with input dropout applied (one mask for all steps), go_backwards applied:
    `(inputs, mask, ids)`, where with `ids` the inputs are the table of an Embedding."""
    cell = layer.cell
    folded = _folded_rows(layer, inputs, training)
    ids = None
    if folded is not None:
        inputs, ids = folded
    elif training and cell.dropout > 0:
        axis = 0 if layer.time_major else 1
        template = inputs[0] if axis == 0 else inputs[:, 0]
        keep = cell.get_dropout_mask_for_cell(template, training)
        inputs = inputs * array_ops.expand_dims(keep, axis)
    if mask is not None and mask.dtype is not _dt.bool:
        mask = math_ops.cast(mask, _dt.bool)
    if layer.go_backwards:
        axis = 0 if layer.time_major else 1
        if ids is None:
            inputs = manip_ops.reverse(inputs, [axis])
        else:
            ids = manip_ops.reverse(ids, [axis])
        mask = None if mask is None else manip_ops.reverse(mask, [axis])
    return inputs, mask, ids


def _finish(layer, outputs, last, mask):
    """Keras' output conventions around a fused kernel's `(outputs, final_h)`.

    The kernel outputs the state at every step (kept at masked steps). Keras outputs the
    previous *output* there, which is zeros before an example's first unmasked step (the
    initial state is not an output), or zeros at every masked step with
    `zero_output_for_mask`.
    """
    if mask is None:
        return last, outputs
    axis = 0 if layer.time_major else 1
    if not layer.zero_output_for_mask:  # zeros only before the first unmasked step
        mask = math_ops.greater(scan_ops.cumsum(math_ops.cast(mask, _dt.int32), axis), 0)
    last_mask = mask[-1] if axis == 0 else mask[:, -1]
    last = where(array_ops.expand_dims(last_mask, 1), last, zeros_like(last))
    outputs = where(array_ops.expand_dims(mask, -1), outputs, zeros_like(outputs))
    return last, outputs


def run_fused_lstm(layer, inputs, mask, training, initial_states):
    """`(last_output, outputs, [h, c])` of an `LSTM` layer through `LSTMSequence`."""
    cell = layer.cell
    x, mask, ids = _fused_inputs(layer, inputs, mask, training)
    h0, c0 = initial_states
    outputs, h, c = rnn_ops.lstm_sequence(x, h0, c0, cell.kernel, cell.recurrent_kernel,
                                          cell.bias, mask=mask, time_major=layer.time_major,
                                          ids=ids)
    last, outputs = _finish(layer, outputs, h, mask)
    return last, outputs, [h, c]


def run_fused_gru(layer, inputs, mask, training, initial_states):
    """`(last_output, outputs, [h])` of a `GRU` layer through `GRUSequence`."""
    cell = layer.cell
    x, mask, ids = _fused_inputs(layer, inputs, mask, training)
    outputs, h = rnn_ops.gru_sequence(x, initial_states[0], cell.kernel, cell.recurrent_kernel,
                                      cell.bias, mask=mask, time_major=layer.time_major,
                                      ids=ids)
    last, outputs = _finish(layer, outputs, h, mask)
    return last, outputs, [h]
