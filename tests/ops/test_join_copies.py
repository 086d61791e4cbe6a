"""The copy-per-input join that CUDA graph captures use matches NumPy's stack/concatenate."""

import numpy as np
import pytest

from engine.ops import join_ops


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_join_by_copies_matches_numpy(axis):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(5)]
    if axis < 2:
        got = join_ops._join_by_copies(np, values, axis, new_axis=False)
        np.testing.assert_array_equal(got, np.concatenate(values, axis=axis))
    got = join_ops._join_by_copies(np, values, axis, new_axis=True)
    np.testing.assert_array_equal(got, np.stack(values, axis=axis))
    mixed = [np.ones((2, 3), np.float32), np.zeros((4, 3), np.float32)]
    np.testing.assert_array_equal(join_ops._join_by_copies(np, mixed, 0, new_axis=False),
                                  np.concatenate(mixed))
