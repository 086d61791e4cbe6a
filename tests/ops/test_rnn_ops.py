"""Fused LSTM/GRU sequence ops: forward against NumPy, BPTT against finite differences."""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, ShapeError, UnimplementedError
from engine.ops import rnn_ops
from tests.opcheck import check_grad, check_op, grad_of

R = np.random.default_rng(11)
BATCH, TIME, FEATURES, UNITS = 3, 4, 5, 2


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _np_lstm(x, h, c, kernel, recurrent, bias, mask=None, time_major=False):
    xs = x if time_major else x.swapaxes(0, 1)                       # (T, B, F)
    ms = None if mask is None else (mask if time_major else mask.T)
    u, ys = h.shape[1], []
    for t in range(xs.shape[0]):
        z = xs[t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
        c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h_new = _sigmoid(o) * np.tanh(c_new)
        keep = np.ones((len(h), 1), bool) if ms is None else ms[t][:, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        ys.append(h)
    y = np.stack(ys, 0 if time_major else 1)
    return y, h, c


def _np_gru(x, h, kernel, recurrent, bias, mask=None, time_major=False):
    xs = x if time_major else x.swapaxes(0, 1)
    ms = None if mask is None else (mask if time_major else mask.T)
    ys = []
    for t in range(xs.shape[0]):
        xz, xr, xh = np.split(xs[t] @ kernel + bias[0], 3, axis=1)
        rz, rr, rh = np.split(h @ recurrent + bias[1], 3, axis=1)
        z, r = _sigmoid(xz + rz), _sigmoid(xr + rr)
        hh = np.tanh(xh + r * rh)
        h_new = z * h + (1 - z) * hh
        keep = np.ones((len(h), 1), bool) if ms is None else ms[t][:, None]
        h = np.where(keep, h_new, h)
        ys.append(h)
    return np.stack(ys, 0 if time_major else 1), h


def _lstm_args(time_major=False, batch=BATCH, time=TIME, units=UNITS):
    x = R.standard_normal((time, batch, FEATURES) if time_major else (batch, time, FEATURES))
    return [x, R.standard_normal((batch, units)), R.standard_normal((batch, units)),
            R.standard_normal((FEATURES, 4 * units)) * 0.6,
            R.standard_normal((units, 4 * units)) * 0.6, R.standard_normal(4 * units) * 0.5]


def _gru_args(time_major=False):
    x = R.standard_normal((TIME, BATCH, FEATURES) if time_major else (BATCH, TIME, FEATURES))
    return [x, R.standard_normal((BATCH, UNITS)), R.standard_normal((FEATURES, 3 * UNITS)) * 0.6,
            R.standard_normal((UNITS, 3 * UNITS)) * 0.6, R.standard_normal((2, 3 * UNITS)) * 0.5]


def _mask(time_major=False):
    mask = R.random((BATCH, TIME)) > 0.35
    mask[0] = [True, False, False, True]        # skipped steps in the middle
    mask[1, -1] = False                          # and at the end
    return mask.T if time_major else mask


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_lstm_sequence(time_major, masked):
    args = _lstm_args(time_major)
    kwargs = {"time_major": time_major}
    if masked:
        args.append(_mask(time_major))

    def fn(*a, time_major):
        return rnn_ops.lstm_sequence(*a, time_major=time_major)

    check_op(fn, _np_lstm, args, kwargs, wrt=range(6))


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_gru_sequence(time_major, masked):
    args = _gru_args(time_major)
    kwargs = {"time_major": time_major}
    if masked:
        args.append(_mask(time_major))

    def fn(*a, time_major):
        return rnn_ops.gru_sequence(*a, time_major=time_major)

    check_op(fn, _np_gru, args, kwargs, wrt=range(5))


def test_gradient_of_one_output_only():
    # return_sequences=False uses only the final state: the other gradients are zeros.
    args = _lstm_args()
    check_grad(lambda *a: rnn_ops.lstm_sequence(*a)[1], args)
    check_grad(lambda *a: rnn_ops.gru_sequence(*a)[0], _gru_args())


def test_second_order_gradients_use_the_composite():
    args = _lstm_args(time=3)
    check_grad(grad_of(lambda x, w: engine.reduce_sum(
        rnn_ops.lstm_sequence(x, *[engine.constant(a) for a in args[1:3]], w,
                              *[engine.constant(a) for a in args[4:]])[0] ** 2)),
        [args[0], args[3]])
    g, mask = _gru_args(), engine.constant(_mask())
    check_grad(grad_of(lambda h0, u: engine.reduce_sum(rnn_ops.gru_sequence(
        engine.constant(g[0]), h0, engine.constant(g[2]), u, engine.constant(g[4]),
        mask=mask)[1] ** 3)), [g[1], g[3]])


def test_traced_equals_eager_with_unknown_dims():
    args = [engine.constant(a.astype(np.float32)) for a in _lstm_args()]
    mask = engine.constant(_mask())

    def step(x, h, c, k, rk, b, m):
        with engine.GradientTape() as tape:
            tape.watch([x, k])
            y, h_n, c_n = rnn_ops.lstm_sequence(x, h, c, k, rk, b, mask=m)
            loss = engine.reduce_sum(y * y) + engine.reduce_sum(h_n * c_n)
        return [y, h_n, c_n] + tape.gradient(loss, [x, k])

    eager = step(*args, mask)
    specs = [engine.TensorSpec([None, None, FEATURES]), engine.TensorSpec([None, UNITS])] * 1
    specs += [engine.TensorSpec([None, UNITS])] + [engine.TensorSpec(a.shape) for a in args[3:]]
    specs.append(engine.TensorSpec([None, None], engine.bool))
    traced = engine.function(step, input_signature=specs)
    concrete = traced.get_concrete_function()
    assert concrete.structured_outputs[0].shape.as_list() == [None, None, UNITS]
    for got, want in zip(traced(*args, mask), eager):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_infer_with_unknown_dims():
    f32 = engine.float32
    specs = [engine.TensorSpec([None, None, 5], f32), engine.TensorSpec([None, 2], f32),
             engine.TensorSpec([None, 2], f32), engine.TensorSpec([5, 8], f32),
             engine.TensorSpec([2, 8], f32), engine.TensorSpec([8], f32),
             engine.TensorSpec([], engine.bool), engine.TensorSpec([], engine.int32)]
    y, h, c, reserve = registry.get("LSTMSequence").infer(*specs, time_major=True)
    assert y.shape.as_list() == [None, None, 2] and h.shape.as_list() == [None, 2]
    assert reserve.shape.as_list() == [None]
    gru = [specs[0], specs[1], engine.TensorSpec([5, 6], f32), engine.TensorSpec([2, 6], f32),
           engine.TensorSpec([2, 6], f32), engine.TensorSpec([None, None], engine.bool),
           specs[-1]]
    y, h, reserve = registry.get("GRUSequence").infer(*gru)
    assert y.shape.as_list() == [None, None, 2] and reserve.shape.as_list() == [None]


def test_errors_name_the_op_and_the_argument():
    x, h, c, k, rk, b = (engine.constant(a.astype(np.float32)) for a in _lstm_args())
    with pytest.raises(ShapeError, match="lstm_sequence: the inputs' features and the kernel"):
        rnn_ops.lstm_sequence(x[:, :, :3], h, c, k, rk, b)
    with pytest.raises(ShapeError, match="lstm_sequence: the bias size and 4 \\* units"):
        rnn_ops.lstm_sequence(x, h, c, k, rk, b[:3])
    with pytest.raises(ShapeError, match="the mask's and the inputs' second dimensions"):
        rnn_ops.lstm_sequence(x, h, c, k, rk, b, mask=engine.ones([BATCH, 2], engine.bool))
    with pytest.raises(DTypeError, match="expected bool"):
        rnn_ops.lstm_sequence(x, h, c, k, rk, b, mask=engine.ones([BATCH, TIME]))
    with pytest.raises(DTypeError, match="gru_sequence"):
        rnn_ops.gru_sequence(engine.cast(x, engine.int32), h, k, rk, b)
    g = [engine.constant(a.astype(np.float32)) for a in _gru_args()]
    with pytest.raises(ShapeError, match="gru_sequence: the bias rows"):
        rnn_ops.gru_sequence(*g[:4], engine.zeros([3, 3 * UNITS]))


def test_second_order_needs_static_time_steps():
    args = [engine.constant(a.astype(np.float32)) for a in _lstm_args()]

    def grad2(x, *rest):
        with engine.GradientTape() as outer:
            outer.watch(x)
            with engine.GradientTape() as inner:
                inner.watch(x)
                y = rnn_ops.lstm_sequence(x, *rest)[0]
            g = inner.gradient(y, x)
        return outer.gradient(g, x)

    specs = [engine.TensorSpec([BATCH, None, FEATURES])] + [
        engine.TensorSpec(a.shape) for a in args[1:]]
    with pytest.raises(UnimplementedError, match="static number of time steps"):
        engine.function(grad2, input_signature=specs)(*args)
