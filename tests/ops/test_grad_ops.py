"""Gradient ops (the ops other gradients are made of) have correct gradients themselves."""

import numpy as np

import engine
from tests.opcheck import check_grad

R = np.random.default_rng(11)


def test_mirror_pad_grad_gradient():
    paddings = ((1, 2), (2, 1))
    for mode in ("REFLECT", "SYMMETRIC"):
        check_grad(lambda t, mode=mode: engine.raw_ops.MirrorPadGrad(
            input=t, paddings=paddings, mode=mode), [R.standard_normal((6, 7))])


def test_take_along_last_axis_gradient():
    indices = engine.constant(np.array([[2, 0], [1, 3]], np.int32))
    check_grad(lambda t: engine.raw_ops._TakeAlongLastAxis(values=t, indices=indices),
               [R.standard_normal((2, 4))])
