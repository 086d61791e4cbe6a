"""Public names added with the TF-parity work that no other test named: each checked here."""

import numpy as np
import pytest

import engine
from engine.data import Dataset
from engine.data import experimental as E


def test_parallel_interleave_cycles_through_the_inner_datasets():
    inner = lambda x: Dataset.from_tensors(x).repeat(2)  # noqa: E731
    out = [int(v) for v in Dataset.range(3).apply(E.parallel_interleave(inner, cycle_length=2))]
    assert out == [0, 1, 0, 1, 2, 2]  # the order interleave gives (sloppy=False)


def test_sparse_segment_sqrt_n_divides_sums_by_the_root_of_the_counts():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    got = engine.math.sparse_segment_sqrt_n(data, [0, 1, 2], [0, 0, 1]).numpy()
    np.testing.assert_allclose(got, [[4 / np.sqrt(2), 6 / np.sqrt(2)], [5.0, 6.0]], rtol=1e-6)


def test_global_max_pool_3d_is_the_long_names_alias():
    layers = engine.keras.layers
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    x = np.arange(2 * 2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 2, 3)
    np.testing.assert_array_equal(layers.GlobalMaxPool3D()(x).numpy(), x.max(axis=(1, 2, 3)))


def test_jpeg_round_trip_through_pillow():
    pytest.importorskip("PIL")
    img = np.tile(np.linspace(0, 255, 8, dtype=np.uint8)[:, None, None], (1, 8, 3))
    data = engine.image.encode_jpeg(img, quality=95)
    back = engine.image.decode_jpeg(data).numpy()
    assert back.shape == (8, 8, 3) and back.dtype == np.uint8
    assert np.abs(back.astype(int) - img).max() <= 8  # lossy, but close at quality 95
    assert engine.image.decode_jpeg(data, channels=1).shape == (8, 8, 1)
