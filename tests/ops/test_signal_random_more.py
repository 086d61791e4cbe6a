"""engine.signal's DCTs, 3-D real FFTs, windows and MDCT; engine.random's stateless binomial,
parameterized truncated normal, split and fold_in."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from tests.opcheck import check_grad, check_op

RNG = np.random.default_rng(11)
SIG = engine.signal


@pytest.mark.parametrize("kind", [1, 2, 3, 4])
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_dct_matches_scipy(kind, norm):
    fft = pytest.importorskip("scipy.fft")
    if kind == 1 and norm == "ortho":
        with pytest.raises(InvalidArgumentError, match="not supported for the type-1 DCT"):
            SIG.dct(engine.ones([4]), type=1, norm="ortho")
        return
    x = RNG.standard_normal((3, 7))
    check_op(lambda t: SIG.dct(t, type=kind, norm=norm),
             lambda a: fft.dct(a, type=kind, norm=norm), [x], rtol=1e-10)
    np.testing.assert_allclose(SIG.idct(engine.constant(x), type=kind, norm=norm).numpy(),
                               fft.idct(x, type=kind, norm=norm) * (
                                   1 if norm else 2 * (7 - (kind == 1))), rtol=1e-10)


def test_dct_known_values_and_n():
    x = np.array([1.0, 2.0, 3.0, 5.0])
    # TensorFlow 2.21's results for these inputs
    np.testing.assert_allclose(SIG.dct(x, type=2).numpy(), [22.0, -8.156404, 1.4142137,
                                                           -1.2137082], rtol=1e-6)
    np.testing.assert_allclose(SIG.dct(x, type=4).numpy(), [10.571773, -10.557836, 6.6732373,
                                                           -6.651136], rtol=1e-6)
    np.testing.assert_allclose(SIG.dct(x, n=6, norm="ortho").numpy(),
                               [4.4907312, 1.0753157, -3.5, 0.4082483, 1.4433756, -1.7824225],
                               rtol=1e-6)
    y = engine.constant(RNG.standard_normal(8))
    np.testing.assert_allclose(SIG.idct(SIG.dct(y, norm="ortho"), norm="ortho").numpy(),
                               y.numpy(), atol=1e-12)
    with pytest.raises(InvalidArgumentError, match="type=5"):
        SIG.dct(y, type=5)
    with pytest.raises(NotImplementedError, match="axis=0"):
        SIG.dct(y, axis=0)


def test_rfft3d_round_trip_and_gradients():
    x = RNG.standard_normal((2, 3, 4, 6))
    got = SIG.rfft3d(engine.constant(x)).numpy()
    np.testing.assert_allclose(got, np.fft.rfftn(x, axes=(-3, -2, -1)), rtol=1e-10, atol=1e-12)
    assert SIG.rfft3d(engine.constant(x.astype(np.float32))).dtype == engine.complex64
    back = SIG.irfft3d(engine.constant(got), [3, 4, 6]).numpy()
    np.testing.assert_allclose(back, x, atol=1e-12)
    check_grad(lambda t: engine.math.real(SIG.rfft3d(t, [3, 4, 5])), [x])
    check_grad(lambda t: engine.math.imag(SIG.rfft3d(t)), [x])
    z = np.fft.rfftn(RNG.standard_normal((3, 4, 6)))
    check_grad(lambda t: SIG.irfft3d(engine.cast(t, engine.complex128) * z, [3, 4, 6]),
               [np.ones((3, 4, 4))])


def test_windows():
    np.testing.assert_allclose(SIG.kaiser_window(7, beta=5.0, dtype=engine.float64).numpy(),
                               np.kaiser(7, 5.0), rtol=1e-14)
    # TensorFlow 2.21's values
    np.testing.assert_allclose(SIG.kaiser_bessel_derived_window(8).numpy(),
                               [0.00607183, 0.38820618, 0.92157257, 0.9999815, 0.9999815,
                                0.92157257, 0.38820618, 0.00607183], rtol=1e-5)
    np.testing.assert_allclose(SIG.vorbis_window(6).numpy(),
                               [0.10502934, 0.70710677, 0.9944691, 0.9944691, 0.70710677,
                                0.10502925], rtol=1e-6)
    for window in (SIG.kaiser_bessel_derived_window(16), SIG.vorbis_window(16)):
        w = window.numpy()  # power-complementary: Princen-Bradley
        np.testing.assert_allclose(w[:8] ** 2 + w[8:] ** 2, 1.0, rtol=1e-6)
    assert SIG.kaiser_window(0).shape == [0]
    with pytest.raises(InvalidArgumentError, match="window_length=-1"):
        SIG.vorbis_window(-1)
    with pytest.raises(engine.errors.DTypeError, match="dtype=int32"):
        SIG.kaiser_window(4, dtype=engine.int32)


def test_mdct_matches_tensorflow_and_inverts():
    x = np.arange(16.0)
    want = [[-25.3343, -2.963, -2.7059, -0.3389], [-47.795, -1.0728, -4.6583, -0.7023],
            [-70.2557, 0.8174, -6.6106, -1.0657]]  # TensorFlow 2.21, rounded
    np.testing.assert_allclose(SIG.mdct(x, 8).numpy(), want, atol=1e-4)
    signal = RNG.standard_normal((2, 64))
    for norm in (None, "ortho"):
        for window in (SIG.vorbis_window, SIG.kaiser_bessel_derived_window, None):
            coeffs = SIG.mdct(engine.constant(signal), 16, window_fn=window, norm=norm)
            back = SIG.inverse_mdct(coeffs, window_fn=window, norm=norm).numpy()
            np.testing.assert_allclose(back[:, 8:-8], signal[:, 8:-8], atol=1e-10)
    check_grad(lambda t: SIG.mdct(t, 8), [RNG.standard_normal(24)])
    with pytest.raises(InvalidArgumentError, match="multiple of 4"):
        SIG.mdct(engine.constant(signal), 10)


def test_signal_traced_equals_eager():
    x = engine.constant(RNG.standard_normal((2, 32)))
    f = engine.function(lambda t: (SIG.dct(t, type=3), SIG.mdct(t, 8), SIG.rfft3d(t[None])))
    for traced, eager in zip(f(x), (SIG.dct(x, type=3), SIG.mdct(x, 8), SIG.rfft3d(x[None]))):
        np.testing.assert_allclose(traced.numpy(), eager.numpy(), rtol=1e-12)


def test_stateless_binomial():
    a = engine.random.stateless_binomial([4000], [1, 2], counts=20.0, probs=0.25)
    b = engine.random.stateless_binomial([4000], [1, 2], counts=20.0, probs=0.25)
    assert a.dtype == engine.int32 and np.array_equal(a.numpy(), b.numpy())
    assert abs(a.numpy().mean() - 5.0) < 0.15 and a.numpy().max() <= 20
    c = engine.random.stateless_binomial([3, 2], [3, 4], counts=[5.0, 0.0], probs=[1.0, 0.5],
                                         output_dtype=engine.float32)
    np.testing.assert_array_equal(c.numpy(), [[5, 0]] * 3)
    with pytest.raises(InvalidArgumentError, match="probs must lie in"):
        engine.random.stateless_binomial([2], [1, 2], counts=3.0, probs=1.5)
    with pytest.raises(InvalidArgumentError, match="does not broadcast"):
        engine.random.stateless_binomial([2], [1, 2], counts=3.0, probs=[0.1, 0.2, 0.3])
    traced = engine.function(lambda p: engine.random.stateless_binomial([5], [1, 2], 9.0, p))
    np.testing.assert_array_equal(
        traced(engine.constant(0.5)).numpy(),
        engine.random.stateless_binomial([5], [1, 2], 9.0, engine.constant(0.5)).numpy())


def test_parameterized_truncated_normal():
    fn = engine.random.stateless_parameterized_truncated_normal
    x = fn([20000], [5, 6], means=1.0, stddevs=2.0, minvals=0.0, maxvals=3.0).numpy()
    assert x.min() >= 0.0 and x.max() <= 3.0
    assert abs(x.mean() - 1.4133) < 0.02  # the mean of N(1, 2^2) truncated to [0, 3]
    far = fn([2000], [5, 6], minvals=6.0, maxvals=7.0, means=engine.constant(0.0,
                                                                            engine.float64))
    assert far.dtype == engine.float64 and 6.0 <= far.numpy().min() and far.numpy().max() <= 7
    np.testing.assert_array_equal(fn([3], [1, 2]).numpy(), fn([3], [1, 2]).numpy())
    check_grad(lambda m, s: fn([6], [1, 2], means=m, stddevs=s, minvals=-1.0, maxvals=2.0),
               [np.array(0.3), np.array(1.5)])


def test_split_and_fold_in():
    seeds = engine.random.split([1, 2], num=3)
    assert seeds.shape == [3, 2]
    np.testing.assert_array_equal(seeds.numpy(),
                                  engine.random.experimental.stateless_split([1, 2], 3).numpy())
    folded = engine.random.fold_in([1, 2], 7)
    assert folded.shape == [2]
    assert not np.array_equal(folded.numpy(), engine.random.fold_in([1, 2], 8).numpy())


def test_stateless_shuffle_permutes_rows_the_same_way_for_a_seed():
    shuffle = engine.random.experimental.stateless_shuffle
    rows = engine.reshape(engine.range(12), [6, 2])
    out = shuffle(rows, seed=[1, 2]).numpy()
    assert sorted(out[:, 0].tolist()) == [0, 2, 4, 6, 8, 10] and (out[:, 1] == out[:, 0] + 1).all()
    np.testing.assert_array_equal(shuffle(rows, seed=[1, 2]).numpy(), out)
    traced = engine.function(lambda x: shuffle(x, seed=[1, 2]))
    np.testing.assert_array_equal(traced(rows).numpy(), out)
    assert not np.array_equal(shuffle(engine.range(50), seed=[3, 4]).numpy(), np.arange(50))
    with pytest.raises(engine.errors.InvalidArgumentError, match="stateless_shuffle: got a scalar"):
        shuffle(engine.constant(1), seed=[1, 2])


def test_generator_binomial_draws_advance_the_generator():
    gen = engine.random.Generator.from_seed(3)
    first, second = gen.binomial([200], counts=10.0, probs=0.3), gen.binomial([200], 10.0, 0.3)
    assert first.dtype == engine.int32 and first.shape == [200]
    assert not np.array_equal(first.numpy(), second.numpy())
    assert 0 <= first.numpy().min() and first.numpy().max() <= 10
    assert abs(first.numpy().mean() - 3.0) < 0.5
    again = engine.random.Generator.from_seed(3).binomial([200], 10.0, 0.3)
    np.testing.assert_array_equal(again.numpy(), first.numpy())
