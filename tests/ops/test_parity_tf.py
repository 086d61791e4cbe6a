"""Regressions found by differential testing against TensorFlow 2 (TF's results as the
reference). Several kernels validated less than their `infer`: tests run with strict checks
(which also run `infer`), so those cases turn strict checks off to see what users get."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError


@pytest.fixture
def lenient():
    """Runs a test without strict checks: only the kernels validate (the default)."""
    engine.config.experimental.set_strict_checks(False)


def test_divide_of_integers_divides_in_floating_point():
    out = engine.math.divide(engine.constant([1, 3]), engine.constant([2, 2]))
    assert out.dtype == engine.float64
    np.testing.assert_array_equal(out.numpy(), [0.5, 1.5])
    small = engine.divide(1, engine.constant([2], engine.int8))
    assert small.dtype == engine.float32
    assert engine.divide([1, 3], 2).dtype == engine.float64
    assert engine.divide(engine.constant([1.0]), 2).dtype == engine.float32


@pytest.mark.usefixtures("lenient")
@pytest.mark.parametrize("scan", [engine.cumsum, engine.math.cumprod])
def test_scan_rejects_an_axis_out_of_range(scan):
    with pytest.raises(ShapeError, match="axis 2 is out of range"):
        scan(engine.constant([1, 2]), axis=2)
    with pytest.raises(ShapeError, match="axis -3 is out of range"):
        scan(engine.ones([2, 2]), axis=-3)


@pytest.mark.usefixtures("lenient")
def test_top_k_rejects_k_larger_than_the_axis():
    with pytest.raises(ShapeError, match="top_k: got k=3"):
        engine.math.top_k(engine.constant([1, 3]), k=3)


@pytest.mark.usefixtures("lenient")
def test_argmax_rejects_a_scalar():
    with pytest.raises(ShapeError, match="argmax: got a scalar"):
        engine.argmax(engine.constant(1.0))


def test_argmax_accepts_tensorflows_16_bit_output_types():
    out = engine.argmax(engine.constant([1, 2]), output_type=engine.int16)
    assert out.dtype == engine.int16 and int(out) == 1
    with pytest.raises(DTypeError, match="output_type int8"):
        engine.argmin(engine.constant([1, 2]), output_type=engine.int8)


@pytest.mark.usefixtures("lenient")
def test_one_hot_rejects_float_indices():
    with pytest.raises(DTypeError, match="one_hot: got indices of dtype float32"):
        engine.one_hot(engine.constant([0.0]), 2)


def test_stack_converts_plain_values_as_one_list():
    out = engine.stack([1, 2.5])
    assert out.dtype == engine.float32
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.5])
    assert engine.stack([[1, 2], [3.5, 4]]).dtype == engine.float32
    with pytest.raises(ShapeError, match="stack: got shapes"):
        engine.stack([[1, 2], [3]])


def test_where_with_a_numeric_condition_gives_nonzero_coordinates():
    np.testing.assert_array_equal(engine.where(engine.constant([0, 3, -1])).numpy(), [[1], [2]])
    np.testing.assert_array_equal(engine.where(engine.constant([0.0, 0.5])).numpy(), [[1]])
    with pytest.raises(DTypeError, match="where"):
        engine.where(engine.constant([1, 0]), 1, 2)  # selecting still needs a bool condition


def test_clip_by_value_with_inverted_bounds_gives_the_minimum():
    t = engine.constant([1.0, 3.0, 5.0])
    np.testing.assert_array_equal(engine.clip_by_value(t, 4.0, 2.0).numpy(), [4.0, 4.0, 4.0])
    low, high = engine.constant(4.0), engine.constant(2.0)
    with engine.GradientTape() as tape:
        tape.watch([t, low, high])
        y = engine.reduce_sum(engine.clip_by_value(t, low, high))
    g_t, g_low, g_high = tape.gradient(y, [t, low, high])
    np.testing.assert_array_equal(g_t.numpy(), [0.0, 0.0, 0.0])
    assert float(g_low) == 3.0 and float(g_high) == 0.0


def test_sqrt_gradient_is_zero_where_the_upstream_gradient_is():
    # TF's SqrtGrad: a `where` that masks sqrt at 0 gives 0 there, not 0 * inf = NaN
    x = engine.constant([0.0, 1.0, 4.0])
    with engine.GradientTape() as tape:
        tape.watch(x)
        y = engine.where(x > 0.5, engine.sqrt(x), engine.zeros_like(x))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.5, 0.25])
    with engine.GradientTape() as tape:  # an unmasked sqrt at 0 keeps its infinite slope
        tape.watch(x)
        y = engine.sqrt(x)
    assert np.isposinf(tape.gradient(y, x).numpy()[0])


def test_plus_concatenates_strings_as_in_tf():
    a = engine.constant(["x", "y"])
    assert (a + "!").numpy().tolist() == [b"x!", b"y!"]
    assert ("<" + engine.constant("s")).numpy() == b"<s"
    assert engine.add(a, engine.constant("z")).numpy().tolist() == [b"xz", b"yz"]

    @engine.function
    def joined(x, y):
        return x + "-" + y

    assert joined(a, engine.constant("q")).numpy().tolist() == [b"x-q", b"y-q"]
    with pytest.raises(DTypeError, match="Cannot convert 1 to a tensor of dtype string"):
        a + 1
