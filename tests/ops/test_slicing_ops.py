"""Slicing ops: strided_slice (with its gradient op StridedSliceGrad) and slice.

`tensor[key]`, which runs StridedSlice, is tested in test_getitem.py.
"""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.opcheck import check_op

R = np.random.default_rng(5)
X = R.standard_normal((3, 4, 5))
SPEC = engine.TensorSpec


STRIDED = [  # (begin, end, strides, masks, the same slice in NumPy)
    ([1], [3], [1], {}, np.s_[1:3]),
    ([0, 3], [0, 0], [1, -1], {"begin_mask": 1, "end_mask": 3}, np.s_[:, ::-1]),
    ([-1, 0, 4], [0, 4, 0], [1, 2, -2], {"shrink_axis_mask": 1, "end_mask": 4},
     np.s_[-1, 0:4:2, 4::-2]),
    ([0, 1], [0, 2], [1, 1], {"ellipsis_mask": 1}, np.s_[..., 1:2]),
    ([0, 0, 2], [0, 0, 0], [1, 1, 1], {"new_axis_mask": 2, "ellipsis_mask": 1,
                                       "shrink_axis_mask": 4}, np.s_[..., None, 2]),
    ([5, -7], [-9, 9], [-1, 1], {}, np.s_[5:-9:-1, -7:9]),
    ([1, 2], [2, 3], [1, 1], {"new_axis_mask": 1, "shrink_axis_mask": 2}, np.s_[None, 2]),
]


@pytest.mark.parametrize("begin,end,strides,masks,key", STRIDED)
def test_strided_slice(begin, end, strides, masks, key):
    check_op(lambda t: engine.strided_slice(t, begin, end, strides, **masks),
             lambda a: a[key], [X])


def test_strided_slice_grad_is_differentiable_and_errors():
    check_op(lambda g: engine.raw_ops.StridedSliceGrad(dy=g, shape=(3, 4, 5), begin=(1,),
                                                        end=(0,), strides=(-1,), end_mask=1),
             lambda g: np.concatenate([g[::-1], np.zeros((1, 4, 5))]), [X[:2]])
    with pytest.raises(ShapeError, match="strided_slice_grad: got dy of shape"):
        engine.raw_ops.StridedSliceGrad(dy=engine.zeros([2]), shape=(3,), begin=(0,), end=(3,),
                                        strides=(1,))
    with pytest.raises(ShapeError, match="equal lengths"):
        engine.strided_slice(engine.constant(X), [0, 1], [1], [1, 1])
    with pytest.raises(ShapeError, match="positive stride"):
        engine.strided_slice(engine.constant(X), [0], [1], [-1], shrink_axis_mask=1)


def test_slice():
    check_op(lambda t: engine.slice(t, [1, 0, 2], [2, -1, 3]), lambda a: a[1:3, :, 2:5], [X])
    check_op(lambda t: engine.slice(t, engine.constant([0, 1, 0]), [3, 0, 5]),
             lambda a: a[:, 1:1], [X])
    with pytest.raises(ShapeError, match=r"slice: begin\[1\] = 2 and size\[1\] = 3 do not fit"):
        engine.slice(engine.constant(X), [0, 2, 0], [1, 3, 1])
    with pytest.raises(ShapeError, match="expected 3 entries"):
        engine.slice(engine.constant(X), [0], [1])
    spec = engine.registry.get("Slice").infer(SPEC([None, 4], engine.float32), begin=(1, 1),
                                              size=(-1, 2))
    assert spec.shape.as_list() == [None, 2]
