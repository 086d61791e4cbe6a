"""The segment sum of rows compiled with Numba, for eager calls and graphs alike.

`engine.ops.gather_kernels.segment_rows` is the gradient of every gather (an Embedding's
table gradient is the UnsortedSegmentSum of its output gradient's rows). With SciPy it is a
sparse matrix product: ~30 us for W4's 3200 rows of 64 floats alone, but ~0.3 ms inside a
train step, where building the sparse matrix and its Python layers run cold after the
GEMMs. The compiled loop adds each row onto its segment's row, in row order: the order the
sparse product and the sorted `add.reduceat` fallback add in, so the same bits.

`engine.ops.eager_jit.PROVIDERS["segment_rows"]` is `compiled(rows, ids, num)` once this
module is imported: it returns the sums, or None (float32/64 C-contiguous plain NumPy
rows only, after the dtype's first call, with compiled kernels on; `cpu_jit` tiers it as it
does graph nodes), and the caller runs its own path.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from engine.graph import cpu_jit
from engine.ops.eager_jit import PROVIDERS

__all__ = ["SOURCE", "compiled"]

SOURCE = '''import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def segment_rows(rows, ids, out):
    # out[ids[i]] += rows[i] in row order; -1, or the first row whose id is out of range
    num, width = out.shape
    for i in range(rows.shape[0]):
        j = ids[i]
        if j < 0 or j >= num:
            return i
    for i in range(rows.shape[0]):
        o = out[ids[i]]
        r = rows[i]
        for c in range(width):
            o[c] += r[c]
    return -1
'''

_TIERS: dict = {}  # (rows dtype, ids dtype) -> its tiered kernel (cpu_jit.eager_kernel)


def compiled(rows, ids, num: int):
    """The segment sums `(num, width)` of 2-D `rows` by `ids`, compiled, or None.

    Args:
        rows: a 2-D NumPy array.
        ids: a 1-D integer NumPy array, one id in `[0, num)` per row.
        num: the number of segments.

    Returns:
        A new array, or None (the caller computes it).
    """
    if (type(rows) is not np.ndarray or not rows.flags.c_contiguous or rows.ndim != 2
            or rows.dtype.name not in ("float32", "float64") or ids.shape != rows.shape[:1]):
        return None
    fits = ids.dtype.kind in "iu"
    kernel = cpu_jit.eager_kernel(_TIERS, (rows.dtype, ids.dtype),
                                  partial(_kernel, rows.dtype, ids.dtype) if fits else None,
                                  "segment_rows")
    if kernel is None:
        return None
    out = np.zeros((num, rows.shape[1]), rows.dtype)
    if kernel(rows, np.ascontiguousarray(ids), out) >= 0:
        return None  # an id out of range: the caller's path says so
    return out


def _kernel(dtype, ids_dtype):
    def prepare(module, numba):
        array = numba.types.Array(numba.from_dtype(dtype), 2, "C")
        index = numba.types.Array(numba.from_dtype(ids_dtype), 1, "C")
        module.segment_rows.compile((array, index, array))

    return cpu_jit.load(SOURCE, prepare).segment_rows


PROVIDERS["segment_rows"] = compiled
