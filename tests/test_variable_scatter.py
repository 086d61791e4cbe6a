"""Variable.scatter_* / sparse_read / gather_nd and engine.IndexedSlices (TF 2's sparse
variable methods), eagerly and traced."""

import numpy as np
import pytest

import engine


def test_scatter_methods_match_numpy():
    start = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    v = engine.Variable(start)
    want = start.copy()
    assert v.scatter_nd_update([[1], [3]], np.ones((2, 3), np.float32)) is v
    want[[1, 3]] = 1.0
    v.scatter_nd_add([[0, 2], [0, 2]], [5.0, 5.0])            # repeated: both add
    want[0, 2] += 10.0
    v.scatter_nd_sub([[2, 0]], [1.5])
    want[2, 0] -= 1.5
    v.scatter_update(engine.IndexedSlices(np.full((1, 3), 7.0, np.float32), [2]))
    want[2] = 7.0
    v.scatter_add(engine.IndexedSlices(np.ones((2, 3), np.float32), [0, 0]))
    want[0] += 2.0
    v.scatter_sub(engine.IndexedSlices(np.ones((1, 3), np.float32), [3]))
    want[3] -= 1.0
    np.testing.assert_array_equal(v.numpy(), want)
    np.testing.assert_array_equal(v.sparse_read([3, 0]).numpy(), want[[3, 0]])
    np.testing.assert_array_equal(v.gather_nd([[1, 2], [0, 0]]).numpy(), want[[1, 0], [2, 0]])


def test_traced_in_program_order_and_reads_have_gradients():
    v = engine.Variable([1.0, 2.0, 3.0])

    @engine.function
    def step(i, x):
        v.scatter_nd_update(engine.reshape(i, [1, 1]), engine.reshape(x, [1]))
        with engine.GradientTape() as tape:
            loss = engine.reduce_sum(v.sparse_read(engine.stack([i, i])) * 3.0)
        return loss, tape.gradient(loss, v)

    loss, grad = step(engine.constant(1), engine.constant(10.0))
    assert float(loss) == 60.0 and v.numpy().tolist() == [1.0, 10.0, 3.0]
    np.testing.assert_array_equal(engine.convert_to_tensor(grad).numpy(), [0.0, 6.0, 0.0])


def test_bad_arguments_say_what_to_pass():
    v = engine.Variable([[1.0], [2.0]])
    with pytest.raises(TypeError, match="scatter_update: got tuple; expected an engine.Ind"):
        v.scatter_update(([[1.0]], [0]))
    with pytest.raises(TypeError, match="IndexedSlices: got indices of dtype float32"):
        engine.IndexedSlices([[1.0]], [0.5])
