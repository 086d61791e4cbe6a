"""Rearranging ops: pad, tile, split, reverse, roll, repeat and meshgrid."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.errors import ShapeError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(5)
X = R.standard_normal((3, 4, 5))
SPEC = engine.TensorSpec


PADS = [
    ([[1, 2], [0, 1], [2, 0]], "CONSTANT", {}),
    ([[0, 0], [3, 0], [1, 1]], "constant", {"constant_values": 2.5}),
    ([[1, 1], [2, 3], [4, 0]], "REFLECT", {}),
    ([[2, 3], [4, 4], [0, 5]], "SYMMETRIC", {}),
]


@pytest.mark.parametrize("paddings,mode,kwargs", PADS)
def test_pad(paddings, mode, kwargs):
    check_op(lambda t: engine.pad(t, paddings, mode, **kwargs),
             lambda a: np.pad(a, paddings, mode=mode.lower(), **kwargs), [X])


def test_pad_errors_and_infer():
    x = engine.constant(X)
    with pytest.raises(ShapeError, match=r"pad: got paddings of shape \(3,\).*expected integers "
                                         r"of shape \(rank, 2\)"):
        engine.pad(x, [1, 2, 3])
    with pytest.raises(ShapeError, match=r"pad: got 2 rows of paddings for a tensor of shape "
                                         r"\(3, 4, 5\)"):
        engine.pad(x, [[1, 1], [1, 1]])
    with pytest.raises(ShapeError, match=r"paddings\[0\] = \[3, 0\] is too large"):
        engine.pad(x, [[3, 0], [0, 0], [0, 0]], "REFLECT")
    with pytest.raises(ShapeError, match="negative"):
        engine.pad(x, [[-1, 0], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="expected 'CONSTANT', 'REFLECT' or 'SYMMETRIC'"):
        engine.pad(x, [[0, 0]] * 3, "WRAP")
    spec = engine.registry.get("PadV2").infer(SPEC([None, 2], engine.float32),
                                              SPEC([], engine.float32), paddings=((1, 1), (0, 2)))
    assert spec.shape.as_list() == [None, 4]


def test_tile_split_concat():
    check_op(lambda t: engine.tile(t, [2, 1, 3]), lambda a: np.tile(a, (2, 1, 3)), [X])
    check_op(lambda t: engine.split(t, [1, -1, 2], axis=2),
             lambda a: np.split(a, [1, 3], axis=2), [X])
    check_op(lambda t: engine.split(t, 2, axis=-2), lambda a: np.split(a, 2, axis=1), [X])
    check_op(lambda a, b: engine.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
             [X, X[:, :2]])
    with pytest.raises(ShapeError, match=r"split: size_splits \[2, 2\] sum to 4, but the split "
                                         r"dimension of shape \(3, 4, 5\) has size 5"):
        engine.split(engine.constant(X), [2, 2], axis=2)
    with pytest.raises(ShapeError, match="into 3 equal pieces"):
        engine.split(engine.constant(X), 3, axis=1)
    with pytest.raises(ShapeError, match="at most one -1"):
        engine.split(engine.constant(X), [-1, -1], axis=1)
    with pytest.raises(ShapeError, match="tile: got multiples"):
        engine.tile(engine.constant(X), [2])
    specs = engine.registry.get("SplitV").infer(SPEC([None, 6], engine.float32),
                                                size_splits=(2, -1), axis=1)
    assert [s.shape.as_list() for s in specs] == [[None, 2], [None, 4]]
    specs = engine.registry.get("SplitV").infer(SPEC([6, None], engine.float32),
                                                size_splits=(2, -1), axis=1)
    assert [s.shape.as_list() for s in specs] == [[6, 2], [6, None]]



def test_reverse_roll_repeat_meshgrid():
    check_op(lambda t: engine.reverse(t, [0, -1]), lambda a: a[::-1, :, ::-1], [X])
    check_op(lambda t: engine.roll(t, [2, -1], [1, 2]),
             lambda a: np.roll(a, (2, -1), (1, 2)), [X])
    check_op(lambda t: engine.repeat(t, 2, axis=1), lambda a: np.repeat(a, 2, axis=1), [X])
    check_op(lambda t: engine.repeat(t, [1, 0, 3], axis=0),
             lambda a: np.repeat(a, [1, 0, 3], axis=0), [X])
    check_op(lambda t: engine.repeat(t, 2), lambda a: np.repeat(a, 2), [X[0]])
    for indexing in ("xy", "ij"):
        check_op(lambda a, b, c: engine.meshgrid(a, b, c, indexing=indexing),
                 lambda a, b, c: np.meshgrid(a, b, c, indexing=indexing),
                 [np.arange(2.0), np.arange(3.0), np.arange(4.0)])
    with pytest.raises(ShapeError, match="reverse"):
        engine.reverse(engine.constant(X), [0, 0])
    with pytest.raises(ShapeError, match="repeat: got repeats"):
        engine.repeat(engine.constant(X), [1, 2], axis=0)


def test_second_order_gather_pad_tile():
    idx = np.array([3, 0, 3])

    def first_gradient(q):
        with engine.GradientTape() as tape:
            tape.watch(q)
            y = engine.reduce_sum(engine.tile(engine.gather(q, idx), [1, 2]) ** 3)
        return engine.pad(tape.gradient(y, q), [[1, 0], [0, 2]], "SYMMETRIC")

    # check_grad's tape records the inner gradient computation: a second-order check.
    check_grad(first_gradient, [R.standard_normal((4, 3))])


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_pad_and_tile_shapes(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    mode = data.draw(st.sampled_from(["CONSTANT", "REFLECT", "SYMMETRIC"]))
    limit = {"CONSTANT": 3, "REFLECT": 0, "SYMMETRIC": 1}[mode]
    paddings = [[data.draw(st.integers(0, d - 1 + limit if mode != "CONSTANT" else 3))
                 for _ in range(2)] for d in shape]
    np.testing.assert_array_equal(engine.pad(a, paddings, mode).numpy(),
                                  np.pad(a, paddings, mode.lower()))
    multiples = [data.draw(st.integers(0, 2)) for _ in shape]
    np.testing.assert_array_equal(engine.tile(a, multiples).numpy(), np.tile(a, multiples))
