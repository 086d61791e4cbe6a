"""Array-level LSTM and GRU sequence kernels, forward and backprop through time, over `xp`.

`rnn_ops` registers them as the ops `LSTMSequence` / `LSTMSequenceGrad` and `GRUSequence` /
`GRUSequenceGrad`. One function serves NumPy and CuPy.

Design (what makes them fast on a CPU, where a step is a few dozen small array calls):
- The inputs' share of the gates (and the biases, through a ones column appended to the
  inputs) is one batched GEMM over all time steps; each step adds only `h @ U` (one
  batched GEMM) and does the gate math with `out=` buffers.
- In the time loop the gates are *gate-major*, `(gates, batch, units)`: each gate is a
  contiguous block, because NumPy's ufuncs run 3-4x slower on strided column slices of
  `(batch, 4 * units)` rows (a batched GEMM per gate costs what one wide GEMM does). The
  states `(time + 1, batch, units)` are the outputs themselves: no transposed copies.
- Sigmoids are tanhs: `sigmoid(a) = (1 + tanh(a / 2)) / 2`, with the `1/2` folded into the
  weights, so one `tanh` call activates every gate of a step.
- The backward pass copies each step's pre-activation gradients into one GEMM row per
  example (`(time, batch, gates * units)`), so that the step's `dh` and, after the loop,
  the weight and input gradients are one plain GEMM each.
- The forward pass returns a `reserve` buffer (activations, cell states) that only the
  backward kernel reads, as cuDNN's `reserve_space`.

Embedded inputs (`ids`): when the inputs are rows of a table, `x = table[ids]` (an
Embedding layer's output), the kernels take the table `(V, F)` as `x` and the integer `ids`
`(B, T)` (`(T, B)` if time-major). The inputs' share of the gates is then one GEMM over the
V table rows and a gather of its rows, and the backward pass sums the gate gradients per
id (a one-hot GEMM, `(V, T * B) @ (T * B, G)`) before the weight and table gradients, which
become GEMMs with V rows. With V below about twice F that replaces three GEMMs over the
`T * B` rows (projection, kernel gradient, input gradient) and the Embedding's segment sum;
`engine.keras.layers.rnn_kernels` decides when it pays.

Masks: `mask[b, t]` False keeps the state of example `b` unchanged at step `t`; the output
at that step is the kept state (Keras' conventions are applied by the layer). Keras gate
orders: LSTM `[i, f, c, o]`; GRU `[z, r, h]` with bias `(2, 3 * units)` (input and
recurrent biases, the `reset_after=True` formulation).
"""

from __future__ import annotations

from engine.backend import cupy_backend
from engine.ops.gather_kernels import check_range

# Internal gate orders, as indices into Keras' order: the LSTM keeps [g, i, f, o] so the
# three sigmoid gates are adjacent; the GRU projects the inputs as [h, z, r] so that a
# step's gradients [dh~, dz, dr, drec_h] hold the inputs' gates in columns :3U and the
# recurrent ones (Keras' [z, r, h]) in columns U:.
_LSTM_ORDER = (2, 0, 1, 3)
_GRU_X_ORDER = (2, 0, 1)


# The helpers below copy gate blocks one slice at a time rather than indexing with a list
# or joining arrays: on CuPy both copy a small table from the host, which a CUDA graph
# capture cannot record (engine.graph.cuda_graphs), and the blocks are few.
def _gates(xp, w, order):
    """`(rows, n * units)` Keras weights to gate-major `(n, rows, units)` in `order`."""
    rows = w.shape[0]
    blocks = w.reshape(rows, len(order), -1)
    out = xp.empty((len(order), rows, blocks.shape[2]), w.dtype)
    for k, gate in enumerate(order):
        out[k] = blocks[:, gate]
    return out


def _columns(xp, w, order):
    """`w` `(rows, n * units)` with its gate blocks of columns in `order`."""
    rows = w.shape[0]
    blocks = w.reshape(rows, len(order), -1)
    out = xp.empty(blocks.shape, w.dtype)
    for k, gate in enumerate(order):
        out[:, k] = blocks[:, gate]
    return out.reshape(rows, -1)


def _uncolumns(xp, w, order):
    """Undoes `_columns(xp, w, order)`."""
    return _columns(xp, w, tuple(order.index(k) for k in range(len(order))))


def _scaled(xp, n, sigmoids, dtype):
    """`(n, 1, 1)` factors: 1/2 for the gates in `sigmoids` (tanh-based sigmoids), else 1."""
    scale = xp.ones((n, 1, 1), dtype)
    for gate in sigmoids:
        scale[gate] = 0.5
    return scale


def _time_major(x, time_major):
    return x if time_major else x.swapaxes(0, 1)


def _step_mask(xp, mask, time_major):
    """`(T, B, 1)` keep-flags (True where the step is skipped), or None if none is.

    `mask` is `(B, T)` (`(T, B)` if `time_major`), or None for no mask."""
    if mask is None:
        return None
    m = _time_major(mask, time_major)
    if not cupy_backend.capturing() and bool(m.all()):  # a capture cannot read it back
        return None
    return xp.logical_not(m)[:, :, None]


def _inputs_with_ones(xp, x_tm):
    """`(T * B, F + 1)`: the inputs in time-major rows and a column of ones (for biases)."""
    t, b, f = x_tm.shape
    out = xp.empty((t, b, f + 1), x_tm.dtype)
    out[:, :, :f] = x_tm
    out[:, :, f] = 1.0
    return out.reshape(t * b, f + 1)


def _steps_batch(x, ids, time_major):
    """`(T, B)`: the number of steps and the batch size."""
    lead = (ids if ids is not None else x).shape[:2]
    return lead if time_major else lead[::-1]


def _flat_ids(xp, ids, limit, time_major):
    """The ids in time-major order, flat `(T * B,)`, checked to lie in [0, limit)."""
    check_range(xp, "LSTM/GRU sequence (embedded inputs)", ids, limit, 0)
    return xp.ascontiguousarray(_time_major(ids, time_major)).reshape(-1)


def _project_inputs(xp, x, ids, w, out, time_major):
    """Fills `out` `(gates, T * B, U)` with every step's input share of the gates, bias
    included: one GEMM over all steps' inputs, or with `ids` one over the table's rows
    and a gather of them."""
    if ids is None:
        xp.matmul(_inputs_with_ones(xp, _time_major(x, time_major)), w, out=out)
        return
    table = _inputs_with_ones(xp, x[None])                           # (V, F + 1)
    xp.take(xp.matmul(table, w), _flat_ids(xp, ids, x.shape[0], time_major), axis=1, out=out)


def _input_grads(xp, x, ids, kernel_t, rows, time_major):
    """`(dx, dw)`: the gradients of the inputs (or of the table, with `ids`) and of the
    kernel with the bias as its last row, from the gate gradients `rows` `(T * B, G)`
    (time-major rows) and `kernel_t` `(G, F)`, the kernel's transpose in their order."""
    t, b = _steps_batch(x, ids, time_major)
    if ids is not None:
        flat = _flat_ids(xp, ids, x.shape[0], time_major)
        one_hot = xp.equal(xp.arange(x.shape[0])[:, None], flat[None, :]).astype(rows.dtype)
        per_id = xp.matmul(one_hot, rows)                            # (V, G)
        return (xp.matmul(per_id, kernel_t),
                xp.matmul(_inputs_with_ones(xp, x[None]).T, per_id))
    dw = xp.matmul(_inputs_with_ones(xp, _time_major(x, time_major)).T, rows)
    dx = xp.matmul(rows, kernel_t).reshape(t, b, -1)
    return (dx if time_major else dx.swapaxes(0, 1)), dw


def _with_bias(xp, kernel, bias):
    """`(F + 1, G)`: the kernel with the bias as its last row."""
    out = xp.empty((kernel.shape[0] + 1, kernel.shape[1]), kernel.dtype)
    out[:-1] = kernel
    out[-1] = bias
    return out


def _outputs(states, time_major):
    """The outputs `(T, B, U)`: a view of the states `(T + 1, B, U)` when time-major, a
    contiguous batch-major copy otherwise (the next layer's GEMMs on a transposed view
    ran 2-3x slower: W4's Dense took 3.5 ms instead of 1.5 ms)."""
    y = states[1:]
    if time_major:
        return y
    return y.swapaxes(0, 1).copy()  # C order


def _split_masked(xp, grad, skipped, keep):
    """Moves the rows of `grad` where `keep` (a skipped step) into `skipped`."""
    skipped.fill(0)
    xp.copyto(skipped, grad, where=keep)
    xp.copyto(grad, 0.0, where=keep)


# --- LSTM ----------------------------------------------------------------------------------
def lstm_reserve_size(t, b, u):
    """Elements of the LSTM reserve buffer: activations, cell states, tanh of the cells."""
    return 4 * t * b * u + (t + 1) * b * u + t * b * u


def _lstm_views(reserve, t, b, u):
    n_a, n_c = 4 * t * b * u, (t + 1) * b * u
    acts = reserve[:n_a].reshape(4, t, b, u)
    cells = reserve[n_a:n_a + n_c].reshape(t + 1, b, u)
    tanh_cells = reserve[n_a + n_c:].reshape(t, b, u)
    return acts, cells, tanh_cells


def lstm_forward(xp, x, h0, c0, kernel, recurrent_kernel, bias, mask, time_major=False,
                 ids=None):
    """LSTM over a sequence: `(y, h_n, c_n, reserve)`; see the module docstring."""
    t, b = _steps_batch(x, ids, time_major)
    u = h0.shape[-1]
    dt = x.dtype
    scale = _scaled(xp, 4, (1, 2, 3), dt)                           # g is a plain tanh
    w = _gates(xp, _with_bias(xp, kernel, bias), _LSTM_ORDER) * scale
    rk = _gates(xp, recurrent_kernel, _LSTM_ORDER) * scale            # (4, U, U)
    reserve = xp.empty((lstm_reserve_size(t, b, u),), dt)
    acts, cells, tanh_cells = _lstm_views(reserve, t, b, u)
    _project_inputs(xp, x, ids, w, acts.reshape(4, t * b, u), time_major)
    h = xp.empty((t + 1, b, u), dt)
    h[0] = h0
    cells[0] = c0
    keep = _step_mask(xp, mask, time_major)
    rec = xp.empty((4, b, u), dt)
    ig = xp.empty((b, u), dt)
    for s in range(t):
        a = acts[:, s]                                               # (4, B, U)
        xp.matmul(h[s], rk, out=rec)
        a += rec
        xp.tanh(a, out=a)
        sig = a[1:]
        sig *= 0.5
        sig += 0.5
        g, i, f, o = a[0], a[1], a[2], a[3]
        c = cells[s + 1]
        xp.multiply(f, cells[s], out=c)
        xp.multiply(i, g, out=ig)
        c += ig
        xp.tanh(c, out=tanh_cells[s])
        xp.multiply(o, tanh_cells[s], out=h[s + 1])
        if keep is not None:
            xp.copyto(h[s + 1], h[s], where=keep[s])
            xp.copyto(c, cells[s], where=keep[s])
    return _outputs(h, time_major), h[t].copy(), cells[t].copy(), reserve


def lstm_backward(xp, x, h0, c0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n, dc_n,
                  time_major=False, ids=None):
    """Gradients `(dx, dh0, dc0, dkernel, drecurrent_kernel, dbias)` of `lstm_forward`
    (with `ids`, `dx` is the gradient of the table)."""
    t, b = _steps_batch(x, ids, time_major)
    u = h0.shape[-1]
    dt = x.dtype
    acts, cells, tanh_cells = _lstm_views(reserve, t, b, u)
    rk_t = _columns(xp, recurrent_kernel, _LSTM_ORDER).T                 # (4U, U)
    dys = xp.ascontiguousarray(_time_major(dy, time_major))          # (T, B, U)
    keep = _step_mask(xp, mask, time_major)
    rows = xp.empty((t, b, 4 * u), dt)       # every step's gate gradients, one GEMM row each
    ds = xp.empty((4, b, u), dt)             # this step's, gate-major for the gate math
    dh = xp.array(dh_n, dtype=dt)
    dc = xp.array(dc_n, dtype=dt)
    tmp = xp.empty((b, u), dt)
    sig_grad = xp.empty((3, b, u), dt)
    dh_skip = xp.empty((b, u), dt) if keep is not None else None
    dc_skip = xp.empty((b, u), dt) if keep is not None else None
    dg, di, df, do = ds[0], ds[1], ds[2], ds[3]
    ds_rows, step_rows = ds.transpose(1, 0, 2), rows.reshape(t, b, 4, u)
    for s in range(t - 1, -1, -1):
        a = acts[:, s]
        g, i, f, o = a[0], a[1], a[2], a[3]
        dh += dys[s]
        if keep is not None:  # a skipped step passes the gradients on to the step before
            _split_masked(xp, dh, dh_skip, keep[s])
            _split_masked(xp, dc, dc_skip, keep[s])
        xp.multiply(a[1:], a[1:], out=sig_grad)                      # s (1 - s): i, f, o
        xp.subtract(a[1:], sig_grad, out=sig_grad)
        tc = tanh_cells[s]
        xp.multiply(dh, tc, out=do)                                  # do = dh tc o (1 - o)
        do *= sig_grad[2]
        xp.multiply(tc, tc, out=tmp)                                 # dc += dh o (1 - tc^2)
        xp.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        xp.multiply(g, g, out=dg)                                    # dg = dc i (1 - g^2)
        xp.subtract(1.0, dg, out=dg)
        dg *= i
        xp.multiply(sig_grad[0], g, out=di)                          # di = dc g i (1 - i)
        xp.multiply(sig_grad[1], cells[s], out=df)                   # df = dc c' f (1 - f)
        gates = ds[:3]
        gates *= dc
        dc *= f
        xp.copyto(step_rows[s], ds_rows)
        xp.matmul(rows[s], rk_t, out=dh)
        if keep is not None:
            dh += dh_skip
            dc += dc_skip
    d2 = rows.reshape(t * b, 4 * u)
    dx, dw = _input_grads(xp, x, ids, _columns(xp, kernel, _LSTM_ORDER).T, d2, time_major)
    dw = _uncolumns(xp, dw, _LSTM_ORDER)
    y2 = xp.ascontiguousarray(_time_major(y, time_major)).reshape(t * b, u)
    drec = xp.matmul(y2[:(t - 1) * b].T, d2[b:])
    drec += xp.matmul(h0.T, d2[:b])
    return dx, dh, dc, dw[:-1], _uncolumns(xp, drec, _LSTM_ORDER), dw[-1]


# --- GRU -----------------------------------------------------------------------------------
def gru_reserve_size(t, b, u):
    """Elements of the GRU reserve: activations and the recurrent products of the candidate."""
    return 3 * t * b * u + t * b * u


def _gru_views(reserve, t, b, u):
    n = 3 * t * b * u
    return reserve[:n].reshape(3, t, b, u), reserve[n:].reshape(t, b, u)


def gru_forward(xp, x, h0, kernel, recurrent_kernel, bias, mask, time_major=False, ids=None):
    """GRU (`reset_after=True`) over a sequence: `(y, h_n, reserve)`."""
    t, b = _steps_batch(x, ids, time_major)
    u = h0.shape[-1]
    dt = x.dtype
    # The recurrent biases of z and r add to the inputs' ones; the candidate's recurrent
    # bias stays with its recurrent product (the reset gate multiplies both).
    x_bias = bias[0].copy()
    x_bias[:2 * u] += bias[1][:2 * u]
    w = _gates(xp, _with_bias(xp, kernel, x_bias), _GRU_X_ORDER) * _scaled(xp, 3, (1, 2), dt)
    rk = _gates(xp, recurrent_kernel, (0, 1, 2)) * _scaled(xp, 3, (0, 1), dt)
    rec_bias_h = bias[1][2 * u:]
    reserve = xp.empty((gru_reserve_size(t, b, u),), dt)
    acts, recs = _gru_views(reserve, t, b, u)                        # [hh, z, r]; rec_h
    _project_inputs(xp, x, ids, w, acts.reshape(3, t * b, u), time_major)
    h = xp.empty((t + 1, b, u), dt)
    h[0] = h0
    keep = _step_mask(xp, mask, time_major)
    rec_zr = xp.empty((2, b, u), dt)
    tmp = xp.empty((b, u), dt)
    for s in range(t):
        a, rec_h = acts[:, s], recs[s]
        xp.matmul(h[s], rk[:2], out=rec_zr)
        xp.matmul(h[s], rk[2], out=rec_h)
        rec_h += rec_bias_h
        zr = a[1:]
        zr += rec_zr
        xp.tanh(zr, out=zr)
        zr *= 0.5
        zr += 0.5
        hh, z, r = a[0], a[1], a[2]
        xp.multiply(r, rec_h, out=tmp)
        hh += tmp
        xp.tanh(hh, out=hh)
        xp.subtract(h[s], hh, out=tmp)                               # h = hh + z (h' - hh)
        tmp *= z
        xp.add(hh, tmp, out=h[s + 1])
        if keep is not None:
            xp.copyto(h[s + 1], h[s], where=keep[s])
    return _outputs(h, time_major), h[t].copy(), reserve


def gru_backward(xp, x, h0, kernel, recurrent_kernel, mask, y, reserve, dy, dh_n,
                 time_major=False, ids=None):
    """Gradients `(dx, dh0, dkernel, drecurrent_kernel, dbias)` of `gru_forward` (with `ids`,
    `dx` is the gradient of the table)."""
    t, b = _steps_batch(x, ids, time_major)
    u = h0.shape[-1]
    dt = x.dtype
    acts, recs = _gru_views(reserve, t, b, u)
    y_tm = _time_major(y, time_major)
    dys = xp.ascontiguousarray(_time_major(dy, time_major))
    keep = _step_mask(xp, mask, time_major)
    # Every step's gradients as one GEMM row: [dh~, dz, dr, drec_h]. Columns :3U are the
    # inputs' gates ([h, z, r] order), columns U: the recurrent ones (Keras' [z, r, h]).
    rows = xp.empty((t, b, 4 * u), dt)
    ds = xp.empty((4, b, u), dt)
    dxh, dz, dr, drh = ds[0], ds[1], ds[2], ds[3]
    dh = xp.array(dh_n, dtype=dt)
    tmp = xp.empty((b, u), dt)
    rec = xp.empty((b, u), dt)
    dh_skip = xp.empty((b, u), dt) if keep is not None else None
    ds_rows, step_rows = ds.transpose(1, 0, 2), rows.reshape(t, b, 4, u)
    for s in range(t - 1, -1, -1):
        a = acts[:, s]
        hh, z, r = a[0], a[1], a[2]
        h_prev = y_tm[s - 1] if s else h0
        dh += dys[s]
        if keep is not None:
            _split_masked(xp, dh, dh_skip, keep[s])
        xp.subtract(h_prev, hh, out=dz)                              # dz = dh (h' - hh) z (1-z)
        dz *= dh
        xp.multiply(z, z, out=tmp)
        xp.subtract(z, tmp, out=tmp)
        dz *= tmp
        xp.subtract(1.0, z, out=dxh)                                 # dh~ = dh (1-z) (1-hh^2)
        dxh *= dh
        xp.multiply(hh, hh, out=tmp)
        xp.subtract(1.0, tmp, out=tmp)
        dxh *= tmp
        xp.multiply(dxh, r, out=drh)                                 # drec_h = dh~ r
        xp.multiply(dxh, recs[s], out=dr)                            # dr = dh~ rec_h r (1-r)
        xp.multiply(r, r, out=tmp)
        xp.subtract(r, tmp, out=tmp)
        dr *= tmp
        dh *= z
        xp.copyto(step_rows[s], ds_rows)
        xp.matmul(rows[s, :, u:], recurrent_kernel.T, out=rec)
        dh += rec
        if keep is not None:
            dh += dh_skip
    d2 = rows.reshape(t * b, 4 * u)
    x_rows, rec_rows = d2[:, :3 * u], d2[:, u:]
    dx, dw = _input_grads(xp, x, ids, _columns(xp, kernel, _GRU_X_ORDER).T, x_rows, time_major)
    dw = _uncolumns(xp, dw, _GRU_X_ORDER)
    y2 = xp.ascontiguousarray(y_tm).reshape(t * b, u)
    drec = xp.matmul(y2[:(t - 1) * b].T, rec_rows[b:])
    drec += xp.matmul(h0.T, rec_rows[:b])
    # The recurrent biases of z and r get what the inputs' do (they add to them).
    dbias = xp.empty((2, dw.shape[1]), dw.dtype)
    dbias[0] = dw[-1]
    dbias[1, :2 * u] = dw[-1, :2 * u]
    dbias[1, 2 * u:] = d2[:, 3 * u:].sum(axis=0)
    return dx, dh, dw[:-1], drec, dbias
