"""Fused LSTM/GRU ops reading an embedding table through `ids` (the Embedding fold).

With `ids`, `x` is a table and the steps read `x[ids]`: the outputs must equal NumPy's on
the gathered inputs, and the gradients (the table's included) finite differences.
"""

import numpy as np
import pytest

import engine
from engine import registry
from engine.errors import DTypeError, InvalidIndexError
from engine.ops import rnn_ops
from tests.opcheck import check_grad, check_op, grad_of
from tests.ops.test_rnn_ops import BATCH, FEATURES, TIME, UNITS, _mask, _np_gru, _np_lstm

R = np.random.default_rng(23)
ROWS = 6


def _ids(time_major=False):
    ids = R.integers(0, ROWS, (BATCH, TIME)).astype(np.int32)
    ids[0, :2] = ROWS - 1                       # repeated ids: their gradients add up
    return ids.T.copy() if time_major else ids


def _table():
    return R.standard_normal((ROWS, FEATURES))


def _states(n):
    return [R.standard_normal((BATCH, UNITS)) for _ in range(n)]


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_lstm_with_ids_equals_the_gathered_inputs(time_major, masked):
    ids = _ids(time_major)
    args = [_table(), ids, *_states(2), R.standard_normal((FEATURES, 4 * UNITS)) * 0.6,
            R.standard_normal((UNITS, 4 * UNITS)) * 0.6, R.standard_normal(4 * UNITS) * 0.5]
    if masked:
        args.append(_mask(time_major))

    def fn(table, ids, *rest, time_major):
        return rnn_ops.lstm_sequence(table, *rest, time_major=time_major, ids=ids)

    def ref(table, ids, *rest, time_major):
        return _np_lstm(table[ids], *rest, time_major=time_major)

    check_op(fn, ref, args, {"time_major": time_major}, wrt=[0, 2, 3, 4, 5, 6])


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_gru_with_ids_equals_the_gathered_inputs(time_major, masked):
    ids = _ids(time_major)
    args = [_table(), ids, *_states(1), R.standard_normal((FEATURES, 3 * UNITS)) * 0.6,
            R.standard_normal((UNITS, 3 * UNITS)) * 0.6, R.standard_normal((2, 3 * UNITS)) * 0.5]
    if masked:
        args.append(_mask(time_major))

    def fn(table, ids, *rest, time_major):
        return rnn_ops.gru_sequence(table, *rest, time_major=time_major, ids=ids)

    def ref(table, ids, *rest, time_major):
        return _np_gru(table[ids], *rest, time_major=time_major)

    check_op(fn, ref, args, {"time_major": time_major}, wrt=[0, 2, 3, 4, 5])


def test_second_order_gradients_with_ids():
    ids = engine.constant(_ids())
    h, c = (engine.constant(a) for a in _states(2))
    rk, b = (engine.constant(R.standard_normal(s) * 0.5) for s in [(UNITS, 4 * UNITS),
                                                                  (4 * UNITS,)])
    check_grad(grad_of(lambda table, k: engine.reduce_sum(
        rnn_ops.lstm_sequence(table, h, c, k, rk, b, ids=ids)[0] ** 2)),
        [_table(), R.standard_normal((FEATURES, 4 * UNITS)) * 0.5])


def test_traced_with_unknown_batch_and_length_equals_eager():
    f32 = engine.float32
    table = engine.constant(_table().astype(np.float32))
    weights = [engine.constant((R.standard_normal(s) * 0.5).astype(np.float32))
               for s in [(FEATURES, 3 * UNITS), (UNITS, 3 * UNITS), (2, 3 * UNITS)]]

    def step(ids, h):
        with engine.GradientTape() as tape:
            tape.watch(table)
            y, _ = rnn_ops.gru_sequence(table, h, *weights, ids=ids)
            loss = engine.reduce_sum(y * y)
        return y, tape.gradient(loss, table)

    args = (engine.constant(_ids()), engine.constant(_states(1)[0].astype(np.float32)))
    traced = engine.function(step, input_signature=[
        engine.TensorSpec([None, None], engine.int32), engine.TensorSpec([None, UNITS], f32)])
    assert traced.get_concrete_function().structured_outputs[0].shape.as_list() == [
        None, None, UNITS]
    for got, want in zip(traced(*args), step(*args)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_infer_takes_the_steps_from_the_ids():
    f32 = engine.float32
    specs = [engine.TensorSpec([ROWS, FEATURES], f32), engine.TensorSpec([None, UNITS], f32),
             engine.TensorSpec([None, UNITS], f32), engine.TensorSpec([FEATURES, 4 * UNITS], f32),
             engine.TensorSpec([UNITS, 4 * UNITS], f32), engine.TensorSpec([4 * UNITS], f32),
             engine.TensorSpec([], engine.bool), engine.TensorSpec([None, 7], engine.int64)]
    y, h, _, reserve = registry.get("LSTMSequence").infer(*specs)
    assert y.shape.as_list() == [None, 7, UNITS] and h.shape.as_list() == [None, UNITS]
    specs[-1] = engine.TensorSpec([3, 7], f32)
    with pytest.raises(DTypeError, match="lstm_sequence: got ids of dtype float32"):
        registry.get("LSTMSequence").infer(*specs)


def test_ids_outside_the_table_raise():
    table, (h, c) = engine.constant(_table()), (engine.constant(a) for a in _states(2))
    weights = [engine.constant(R.standard_normal(s)) for s in
               [(FEATURES, 4 * UNITS), (UNITS, 4 * UNITS), (4 * UNITS,)]]
    for bad in (ROWS, -1):
        ids = _ids()
        ids[1, 2] = bad
        with pytest.raises(InvalidIndexError, match=rf"indices\[1, 2\] = {bad} is not in "
                                                    rf"\[0, {ROWS}\)"):
            rnn_ops.lstm_sequence(table, h, c, *weights, ids=engine.constant(ids))
