"""The compiled segment sum of rows (engine.graph.segment_jit): the other paths' bits."""

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError
from engine.graph import cpu_jit, passes, segment_jit
from engine.ops import gather_kernels as gk

pytest.importorskip("numba")


@pytest.fixture
def jit(monkeypatch, tmp_path):
    """Compiled from the first call of each dtype (cache under tmp)."""
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(passes._OPTIONS, "cpu_jit", True)
    monkeypatch.setattr(segment_jit, "_TIERS", {})


def _reference(rows, ids, num):
    out = np.zeros((num, rows.shape[1]), rows.dtype)
    for i, j in enumerate(ids):  # row order, as every path adds
        out[j] += rows[i]
    return out


@pytest.mark.parametrize("dtype, ids_dtype", [(np.float32, np.int32), (np.float64, np.int64)])
def test_compiled_segment_rows_give_the_in_order_sums(jit, dtype, ids_dtype):
    rng = np.random.default_rng(0)
    rows = (rng.standard_normal((500, 7)) * 10).astype(dtype)
    ids = rng.integers(0, 9, 500).astype(ids_dtype)
    got = gk.segment_rows(np, rows, ids, 12)
    np.testing.assert_array_equal(got, _reference(rows, ids, 12))
    assert cpu_jit.status(segment_jit._TIERS[(np.dtype(dtype), np.dtype(ids_dtype))]) == (
        "compiled")


def test_embedding_gradient_and_segment_ops_match_numpy_paths(jit, monkeypatch):
    rng = np.random.default_rng(1)
    table = engine.Variable(rng.standard_normal((11, 5)).astype(np.float32))
    ids = engine.constant(rng.integers(0, 11, (4, 6)).astype(np.int32))
    weights = engine.constant(rng.standard_normal((4, 6, 5)).astype(np.float32))

    def grads():
        with engine.GradientTape() as tape:
            loss = engine.reduce_sum(engine.gather(table, ids) * weights)
        g = tape.gradient(loss, table)
        dense = engine.convert_to_tensor(g).numpy()
        seg = engine.math.unsorted_segment_sum(weights, ids, 13).numpy()
        return dense, seg

    got = grads()
    monkeypatch.setitem(passes._OPTIONS, "cpu_jit", False)  # SciPy's or NumPy's path
    want = grads()
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_bad_ids_and_unfit_inputs_take_the_other_paths(jit):
    rows = np.ones((4, 3), np.float32)
    with pytest.raises(InvalidArgumentError, match="num_segments"):
        engine.math.unsorted_segment_sum(rows, np.array([0, 1, 5, 1], np.int32), 3)
    assert segment_jit.compiled(rows, np.array([0, 9, 1, 2], np.int64), 3) is None  # range
    assert segment_jit.compiled(rows, np.array([0, 1], np.int64), 3) is None  # one id a row
    assert segment_jit.compiled(np.asfortranarray(np.ones((4, 3))), np.zeros(4, int), 1) is None
    assert segment_jit.compiled(rows.astype(np.float16), np.zeros(4, int), 1) is None


def test_eager_kernel_tiers_per_key_and_bounds_its_table(monkeypatch):
    """cpu_jit.eager_kernel: None while a key warms up, the built kernel after; a failed
    build stays None with one warning; the table starts afresh past EAGER_LIMIT keys."""
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 1)
    monkeypatch.setitem(passes._OPTIONS, "cpu_jit", True)
    table = {}
    got = [cpu_jit.eager_kernel(table, "a", lambda: abs, "abs") for _ in range(3)]
    assert got == [None, abs, abs]
    assert cpu_jit.eager_kernel(table, "none fits", None, "x") is None
    assert table["none fits"] is False

    def broken():
        raise RuntimeError("no luck")

    with pytest.warns(RuntimeWarning, match="no luck"):
        got = [cpu_jit.eager_kernel(table, "b", broken, "broken") for _ in range(3)]
    assert got == [None, None, None]
    monkeypatch.setattr(cpu_jit, "EAGER_LIMIT", 3)
    cpu_jit.eager_kernel(table, "c", lambda: abs, "abs")  # the table was full: cleared first
    assert list(table) == ["c"]
