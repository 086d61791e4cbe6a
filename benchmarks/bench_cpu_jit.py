"""Time the Numba-compiled CPU kernels (`engine.graph.cpu_jit`) against the NumPy ones.

Run single-threaded, from the repository root:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_cpu_jit.py

Each row runs one small function twice, with compiled kernels off and on
(`set_experimental_options({"cpu_jit": ...})`), traced (or eagerly, rows marked "eager"),
times a call of each (best of `REPEATS`, caches warm: the cost of the kernels themselves,
not of the memory traffic around them in a whole step), compares the results and prints the
ratio. The functions are the pieces of W2, W3 and W4 the compiled kernels take: Adam's
update of W2's first weight, W3's first max pool with its gradient, the input gradient of
W3's second convolution (its col2im fold), W3's first convolution and pool fused with their
filter gradient (`conv_pool_fusion`), sparse softmax cross-entropy at W2's and W4's sizes,
W4's embedding gradient (a segment sum), and the eager pool and fold. Most compiled kernels
give NumPy's bits ("yes"); the fused convolution and the cross-entropy sum in another order
or use the C library's exp and log, and the column gives their largest relative difference
instead. Without Numba the script says so and exits.
"""

from __future__ import annotations

import importlib.util
import sys

import harness as H
import numpy as np

REPEATS = 30


def best_ms(fn) -> float:
    """Best of `REPEATS` wall times of `fn()`, in ms (`harness.best_ms`)."""
    return H.best_ms(fn, REPEATS)


def adam_case(eng, rng):
    """W2's Adam update of the 784x512 weight (one fused node), as GraphAdam writes it."""
    shape = (784, 512)
    start = rng.standard_normal(shape).astype(np.float32)
    grad = eng.constant(rng.standard_normal(shape).astype(np.float32))
    alpha = eng.constant(np.float32(1e-3))

    def make():
        w, m, v = (eng.Variable(a) for a in (start, np.zeros(shape, np.float32),
                                             np.zeros(shape, np.float32)))

        def update(g, alpha):
            m.assign(m + 0.1 * (g - m))
            v.assign(v + 0.001 * (eng.square(g) - v))
            w.assign_sub(alpha * m / (eng.sqrt(v) + 1e-7))
            return w.read_value()

        return update, (grad, alpha)

    return "W2 Adam update, 784x512 weight", make


def pool_case(eng, rng):
    """W3's first max pool (2x2 of 64x26x26x32) and its gradient."""
    x = eng.constant(rng.standard_normal((64, 26, 26, 32)).astype(np.float32))
    dy = eng.constant(rng.standard_normal((64, 13, 13, 32)).astype(np.float32))

    def make():
        def pool(x, dy):
            with eng.GradientTape() as tape:
                tape.watch(x)
                y = eng.nn.max_pool2d(x, 2, 2, "VALID")
                loss = eng.reduce_sum(y * dy)
            return y, tape.gradient(loss, x)

        return pool, (x, dy)

    return "W3 max pool 2x2 + its gradient", make


def fold_case(eng, rng):
    """The input gradient of W3's second convolution (GEMMs and the col2im fold)."""
    x = eng.constant(rng.standard_normal((64, 13, 13, 32)).astype(np.float32))
    k = eng.constant(rng.standard_normal((3, 3, 32, 64)).astype(np.float32))
    dy = eng.constant(rng.standard_normal((64, 11, 11, 64)).astype(np.float32))

    def make():
        def grad(x, dy):
            with eng.GradientTape() as tape:
                tape.watch(x)
                loss = eng.reduce_sum(eng.nn.conv2d(x, k, 1, "VALID") * dy)
            return tape.gradient(loss, x)

        return grad, (x, dy)

    return "W3 conv2 input gradient (fold)", make


def conv_pool_case(eng, rng):
    """W3's first layer: a 3x3x1 -> 32 convolution, its 2x2 max pool and the filter
    gradient (fused by `conv_pool_fusion` when compiled kernels are on)."""
    x = eng.constant(rng.random((64, 28, 28, 1), dtype=np.float32))
    k = eng.constant((rng.standard_normal((3, 3, 1, 32)) * 0.3).astype(np.float32))
    dy = eng.constant(rng.standard_normal((64, 13, 13, 32)).astype(np.float32))

    def make():
        def layer(k, dy):
            with eng.GradientTape() as tape:
                tape.watch(k)
                y = eng.nn.max_pool2d(eng.nn.conv2d(x, k, 1, "VALID"), 2, 2, "VALID")
                loss = eng.reduce_sum(y * dy)
            return y, tape.gradient(loss, k)

        return layer, (k, dy)

    return "W3 conv1 + pool + filter gradient", make, False


def xent_case(eng, rng, shape, workload):
    """Sparse softmax cross-entropy of `shape` logits and its gradient."""
    logits = eng.constant(rng.standard_normal(shape).astype(np.float32))
    labels = eng.constant(rng.integers(0, shape[-1], shape[0]).astype(np.int32))

    def make():
        def xent(logits, labels):
            with eng.GradientTape() as tape:
                tape.watch(logits)
                loss = eng.reduce_mean(eng.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels, logits=logits))
            return loss, tape.gradient(loss, logits)

        return xent, (logits, labels)

    kept = " (NumPy kept)" if shape[0] * shape[1] > 8192 else ""  # xent_jit.SMALL
    return f"{workload} sparse xent {shape[0]}x{shape[1]}{kept}", make, False


def segment_case(eng, rng):
    """W4's embedding gradient: the rows of 50 x 64 ids summed into a 65 x 64 table."""
    table = eng.constant(rng.standard_normal((65, 64)).astype(np.float32))
    ids = eng.constant(rng.integers(0, 65, (50, 64)).astype(np.int32))
    grads = eng.constant(rng.standard_normal((50, 64, 64)).astype(np.float32))

    def make():
        def grad(table, grads):
            with eng.GradientTape() as tape:
                tape.watch(table)
                loss = eng.reduce_sum(eng.gather(table, ids) * grads)
            return eng.convert_to_tensor(tape.gradient(loss, table))

        return grad, (table, grads)

    return "W4 embedding gradient (segment sum)", make


def eager(case):
    """The same case run eagerly (no engine.function)."""
    label, make, *rest = case
    return f"{label}, eager", make, rest[0] if rest else True, True


def run_case(eng, cpu_jit, case) -> tuple:
    """`(label, NumPy ms, compiled ms, agreement, kernel statuses)` of one case: the
    agreement is "yes" (same bits), "NO", or for an inexact case the largest relative
    difference."""
    label, make, *rest = case
    exact = rest[0] if rest else True
    eagerly = len(rest) > 1 and rest[1]
    times, results, statuses = {}, {}, {}
    for jit in (False, True):
        eng.config.optimizer.set_experimental_options({"cpu_jit": jit})
        fn, args = make()
        run = fn if eagerly else eng.function(fn)
        out = run(*args)
        results[jit] = [np.asarray(t) for t in (out if isinstance(out, (tuple, list)) else [out])]
        times[jit] = best_ms(lambda run=run, args=args: run(*args))
        statuses[jit] = None if eagerly else [
            k["status"] for k in run.get_concrete_function(*args).cpu_kernels()]
    if exact:
        same = all(np.array_equal(a, b) for a, b in zip(results[False], results[True]))
        agreement = "yes" if same else "NO"
    else:
        diff = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
                   for a, b in zip(results[True], results[False]))  # relative to the largest
        agreement = f"rel {diff:.0e}" if diff < 1e-4 else "NO"
    return label, times[False], times[True], agreement, statuses[True]


def main() -> None:
    if importlib.util.find_spec("numba") is None:
        print("Numba is not installed: nothing to compare (pip install -e '.[cpu]').")
        return
    import engine as eng
    from engine.graph import cpu_jit

    cpu_jit.WARM_CALLS = 0  # compile when the program is built: the timed calls run it
    options = eng.config.optimizer.get_experimental_options()
    rng = np.random.default_rng(0)
    rows = []
    try:
        cases = (adam_case(eng, rng), pool_case(eng, rng), fold_case(eng, rng),
                 conv_pool_case(eng, rng), xent_case(eng, rng, (128, 10), "W2"),
                 xent_case(eng, rng, (3200, 65), "W4"), segment_case(eng, rng),
                 eager(pool_case(eng, rng)), eager(fold_case(eng, rng)))
        for case in cases:
            rows.append(run_case(eng, cpu_jit, case))
    finally:
        eng.config.optimizer.set_experimental_options(options)
    print(f"{'function':42} {'NumPy ms':>9} {'compiled ms':>12} {'ratio':>6}  same bits  kernels")
    for label, numpy_ms, jit_ms, agreement, statuses in rows:
        # eager kernels and the segment sum's run inside NumPy kernels: no node lists them
        kernels = (f"{sum(s == 'compiled' for s in statuses)} of {len(statuses)} compiled"
                   if statuses else "inside NumPy kernels")
        print(f"{label:42} {numpy_ms:9.3f} {jit_ms:12.3f} {numpy_ms / jit_ms:5.2f}x  "
              f"{agreement:9}  {kernels}")
    if any(row[3] == "NO" for row in rows):
        sys.exit("a compiled kernel gave other numbers than the NumPy one")


if __name__ == "__main__":
    main()
