"""SparseSoftmaxCrossEntropyWithLogits compiled for the CPU with Numba, in graphs.

The NumPy kernel (`engine.ops.nn_losses`) makes about a dozen array calls: the label range
check, the row maximum, the shift, `exp`, the row sums, `log`, the gathers at the labels, the
division and the scatter of -1. For a classifier's small logits each call costs more than
its arithmetic, and more again inside a train step, where the GEMMs before it have pushed
NumPy's own code and data out of the caches (W2, 128x10 logits: 21 us alone, ~80 us in the
step). Compiled, small logits take one pass over each row: max, `exp` and sum, then the
loss and the gradient (`softmax - one_hot`). Larger logits (more than `SMALL` values) keep
the NumPy kernel: there its vectorized `exp` outweighs the calls (W4's 3200x65 logits ran
1.0 ms with the C library's scalar `exp`, and 0.58 ms with NumPy's `exp` between two compiled
passes, against the NumPy kernel's 0.44 ms: `benchmarks/bench_cpu_jit.py`).

The values are the NumPy kernel's up to rounding: `exp` and `log` come from the C library
rather than NumPy's vectorized versions (both within an ulp or two), and each row's sum is
taken in order rather than pairwise. Labels out of range, float16 or bfloat16 logits and
non-contiguous inputs go to the NumPy kernel, which raises or computes as in eager mode. The
builder is registered in `engine.graph.cpu_jit.BUILDERS`, which the executor asks first on
the CPU; when and how kernels compile: `cpu_jit`.
"""

from __future__ import annotations

import numpy as np

from engine.graph import cpu_jit

__all__ = ["SOURCE"]

SOURCE = '''import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def bad_label(labels, classes):
    # the first row whose label is out of range, or -1
    for r in range(labels.size):
        if labels[r] < 0 or labels[r] >= classes:
            return r
    return -1


@njit(cache=True, error_model="numpy", nogil=True)
def sparse_xent(x, labels, loss, grad, rows, classes):
    # the whole op: exp and log from the C library
    for r in range(rows):
        row = x[r * classes:(r + 1) * classes]
        g = grad[r * classes:(r + 1) * classes]
        m = row[0]
        for c in range(1, classes):  # np.max: a NaN wins
            v = row[c]
            m = m if (m >= v or m != m) else v
        total = row.dtype.type(0.0)
        for c in range(classes):
            e = np.exp(row[c] - m)
            g[c] = e
            total += e
        label = labels[r]
        loss[r] = np.log(total) - (row[label] - m)
        for c in range(classes):
            g[c] = g[c] / total
        g[label] -= 1
'''

# Logits up to this many values run the compiled pass (its scalar `exp` costs less than the
# NumPy kernel's calls); larger ones keep the NumPy kernel (its vectorized `exp`).
SMALL = 8192


def _build(node):
    """The tiered kernel of a SparseSoftmaxCrossEntropyWithLogits node, or None."""
    features, labels = (t._value for t in node.inputs)
    if (features.dtype.name not in ("float32", "float64") or labels.dtype.name not in (
            "int32", "int64") or features.shape is None or None in features.shape
            or len(features.shape) < 1 or features.shape[-1] == 0
            or int(np.prod(features.shape)) > SMALL):
        return None
    dtype, label_dtype = features.dtype, labels.dtype
    numpy_fn = cpu_jit.numpy_kernel(node)

    def make_compiled():
        def prepare(module, numba):
            def array(dt):
                return numba.types.Array(numba.from_dtype(np.dtype(dt)), 1, "C")

            f, i, n = array(dtype), array(label_dtype), numba.types.int64
            module.bad_label.compile((i, n))
            module.sparse_xent.compile((f, i, f, f, n, n))

        kernels = cpu_jit.load(SOURCE, prepare)

        def run(x, y):
            classes = x.shape[-1]
            if not (x.flags.c_contiguous and y.flags.c_contiguous) or kernels.bad_label(
                    y.reshape(-1), classes) >= 0:
                return numpy_fn(x, y)  # a label out of range: the NumPy kernel explains
            loss, grad = np.empty(y.shape, x.dtype), np.empty(x.shape, x.dtype)
            kernels.sparse_xent(x.reshape(-1), y.reshape(-1), loss.reshape(-1),
                                grad.reshape(-1), y.size, classes)
            return loss, grad

        return run

    return cpu_jit.tiered(numpy_fn, make_compiled, f"{node.type} {node.name}")


cpu_jit.BUILDERS["SparseSoftmaxCrossEntropyWithLogits"] = _build
