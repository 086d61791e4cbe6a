"""Elementwise unary math ops: forward against NumPy, gradients against finite differences."""

import math

import numpy as np
import pytest

import engine
from tests.opcheck import check_op

R = np.random.default_rng(42)


def _pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def _any(*shape):
    return R.standard_normal(shape)


def _unit(*shape):
    return R.uniform(-0.9, 0.9, shape)


UNARY = [
    ("negative", engine.negative, np.negative, _any),
    ("abs", engine.abs, np.abs, _any),
    ("exp", engine.exp, np.exp, _any),
    ("expm1", engine.math.expm1, np.expm1, _any),
    ("log", engine.math.log, np.log, _pos),
    ("log1p", engine.math.log1p, np.log1p, _pos),
    ("sqrt", engine.sqrt, np.sqrt, _pos),
    ("rsqrt", engine.math.rsqrt, lambda x: 1 / np.sqrt(x), _pos),
    ("square", engine.square, np.square, _any),
    ("reciprocal", engine.math.reciprocal, np.reciprocal, _pos),
    ("sin", engine.sin, np.sin, _any),
    ("cos", engine.cos, np.cos, _any),
    ("tan", engine.tan, np.tan, _unit),
    ("asin", engine.asin, np.arcsin, _unit),
    ("acos", engine.acos, np.arccos, _unit),
    ("atan", engine.atan, np.arctan, _any),
    ("sinh", engine.sinh, np.sinh, _any),
    ("cosh", engine.cosh, np.cosh, _any),
    ("tanh", engine.tanh, np.tanh, _any),
    ("asinh", engine.asinh, np.arcsinh, _any),
    ("acosh", engine.acosh, np.arccosh, lambda *s: 1.5 + _pos(*s)),
    ("atanh", engine.atanh, np.arctanh, _unit),
    ("sigmoid", engine.sigmoid, lambda x: 1 / (1 + np.exp(-x)), _any),
    ("softplus", engine.math.softplus, lambda x: np.log1p(np.exp(x)), _any),
    ("erf", engine.math.erf, np.vectorize(math.erf), _any),
]


@pytest.mark.parametrize("name,fn,ref,gen", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, fn, ref, gen):
    check_op(fn, ref, [gen(2, 5)])


def test_rounding_and_checks():
    x = np.array([-1.5, -0.5, 0.5, 1.5, 2.5, np.nan, np.inf])
    np.testing.assert_array_equal(engine.round(x[:5]).numpy(), [-2, -0, 0, 2, 2])
    np.testing.assert_array_equal(engine.floor(x[:5]).numpy(), np.floor(x[:5]))
    np.testing.assert_array_equal(engine.ceil(x[:5]).numpy(), np.ceil(x[:5]))
    np.testing.assert_array_equal(engine.math.is_nan(x).numpy(), np.isnan(x))
    np.testing.assert_array_equal(engine.math.is_finite(x).numpy(), np.isfinite(x))
    np.testing.assert_array_equal(engine.sign(x[:5]).numpy(), np.sign(x[:5]))


def test_sigmoid_and_softplus_are_stable():
    x = engine.constant([-1e4, -50.0, 0.0, 50.0, 1e4])
    s = engine.sigmoid(x).numpy()
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0
    sp = engine.math.softplus(x).numpy()
    assert np.all(np.isfinite(sp))
    np.testing.assert_allclose(sp[-1], 1e4)


def test_second_order():
    x = engine.constant(0.7, engine.float64)
    with engine.GradientTape() as outer:
        outer.watch(x)
        with engine.GradientTape() as inner:
            inner.watch(x)
            y = engine.sin(x) * engine.exp(x)
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    expected = 2 * math.cos(0.7) * math.exp(0.7)
    np.testing.assert_allclose(float(d2y), expected, rtol=1e-12)
