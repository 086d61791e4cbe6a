"""engine.ops.nn_more: crelu, normalize_moments and max_pool_with_argmax against NumPy, with
finite-difference gradients and error messages."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, ShapeError
from tests.opcheck import check_grad, check_op

R = np.random.default_rng(3)


def test_crelu_and_normalize_moments():
    x = R.standard_normal((2, 3))
    check_op(engine.nn.crelu, lambda a: np.concatenate([np.maximum(a, 0), np.maximum(-a, 0)], -1),
             [x])
    counts, mean_ss, var_ss, shift = 4.0, R.standard_normal(3), R.uniform(1, 2, 3), 0.5
    check_op(lambda m, v: engine.nn.normalize_moments(counts, m, v, shift),
             lambda m, v: (m / counts + shift, v / counts - (m / counts) ** 2), [mean_ss, var_ss])


def _pool_ref(x, k, s, padding, with_batch):
    n, h, w, c = x.shape
    if padding == "SAME":
        out_h, out_w = -(-h // s), -(-w // s)
        top = max((out_h - 1) * s + k - h, 0) // 2
        left = max((out_w - 1) * s + k - w, 0) // 2
    else:
        out_h, out_w, top, left = (h - k) // s + 1, (w - k) // s + 1, 0, 0
    out = np.zeros((n, out_h, out_w, c))
    arg = np.zeros((n, out_h, out_w, c), np.int64)
    for b in range(n):
        for i in range(out_h):
            for j in range(out_w):
                for ch in range(c):
                    best, where = -np.inf, 0
                    for dy in range(k):
                        for dx in range(k):
                            y, xx = i * s + dy - top, j * s + dx - left
                            if 0 <= y < h and 0 <= xx < w and x[b, y, xx, ch] > best:
                                best = x[b, y, xx, ch]
                                where = ((b * h if with_batch else 0) + y) * w * c + xx * c + ch
                    out[b, i, j, ch], arg[b, i, j, ch] = best, where
    return out, arg


@pytest.mark.parametrize("k, s, padding, with_batch", [
    (2, 2, "VALID", False), (3, 2, "SAME", True), (3, 1, "SAME", False), (2, 3, "VALID", True)])
def test_max_pool_with_argmax(k, s, padding, with_batch):
    x = R.standard_normal((2, 5, 6, 3))
    check_op(lambda t: engine.nn.max_pool_with_argmax(t, k, s, padding,
                                                      include_batch_in_index=with_batch),
             lambda t: _pool_ref(t, k, s, padding, with_batch), [x])


def test_max_pool_with_argmax_matches_tensorflow_and_errors():
    x = engine.reshape(engine.cast(engine.range(2 * 4 * 4 * 2) % 7, engine.float32), [2, 4, 4, 2])
    _, arg = engine.nn.max_pool_with_argmax(x, 2, 2, "VALID")
    assert arg.dtype == engine.int64
    assert arg.numpy().ravel().tolist() == [10, 11, 6, 13, 26, 27, 20, 31, 2, 9, 14, 15, 16, 27,
                                            30, 23]
    with pytest.raises(ShapeError, match="max_pool_with_argmax: got input of shape"):
        engine.nn.max_pool_with_argmax(engine.zeros([4, 4, 1]), 2, 2, "VALID")
    with pytest.raises(ShapeError, match="got data_format='NCHW'; expected 'NHWC'"):
        engine.nn.max_pool_with_argmax(x, 2, 2, "VALID", data_format="NCHW")
    with pytest.raises(DTypeError, match="max_pool_with_argmax: got dtype bool for `input`"):
        engine.nn.max_pool_with_argmax(engine.zeros([1, 2, 2, 1], engine.bool), 2, 2, "VALID")
    grads = check_grad(lambda t: engine.nn.max_pool_with_argmax(t, 2, 1, "SAME")[0],
                       [R.standard_normal((1, 3, 3, 2))])
    assert grads[0].shape == [1, 3, 3, 2]
