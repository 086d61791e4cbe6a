"""Time the Numba-compiled CPU kernels (`engine.graph.cpu_jit`) against the NumPy ones.

Run single-threaded, from the repository root:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_cpu_jit.py

Each row traces one small function twice, with compiled kernels off and on
(`set_experimental_options({"cpu_jit": ...})`), times a call of each (best of `REPEATS`,
caches warm: the cost of the kernels themselves, not of the memory traffic around them in a
whole step), checks that both give the same bits, and prints the ratio. The functions are
the pieces of W2 and W3 the compiled kernels take: Adam's update of W2's first weight, W3's
first max pool with its gradient, and the input gradient of W3's second convolution (its
col2im fold). Without Numba the script says so and exits.
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


def run_case(eng, cpu_jit, case) -> tuple:
    """`(label, NumPy ms, compiled ms, same bits, kernel statuses)` of one case."""
    label, make = case
    times, results, statuses = {}, {}, {}
    for jit in (False, True):
        eng.config.optimizer.set_experimental_options({"cpu_jit": jit})
        fn, args = make()
        traced = eng.function(fn)
        out = traced(*args)
        results[jit] = [np.asarray(t) for t in (out if isinstance(out, (tuple, list)) else [out])]
        times[jit] = best_ms(lambda traced=traced, args=args: traced(*args))
        statuses[jit] = [k["status"] for k in traced.get_concrete_function(*args).cpu_kernels()]
    same = all(np.array_equal(a, b) for a, b in zip(results[False], results[True]))
    return label, times[False], times[True], same, statuses[True]


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
        for case in (adam_case(eng, rng), pool_case(eng, rng), fold_case(eng, rng)):
            rows.append(run_case(eng, cpu_jit, case))
    finally:
        eng.config.optimizer.set_experimental_options(options)
    print(f"{'function':34} {'NumPy ms':>9} {'compiled ms':>12} {'ratio':>6}  same bits  kernels")
    for label, numpy_ms, jit_ms, same, statuses in rows:
        compiled = sum(s == "compiled" for s in statuses)
        print(f"{label:34} {numpy_ms:9.3f} {jit_ms:12.3f} {numpy_ms / jit_ms:5.2f}x  "
              f"{'yes' if same else 'NO':9}  {compiled} of {len(statuses)} compiled")
    if not all(row[3] for row in rows):
        sys.exit("a compiled kernel gave other numbers than the NumPy one")


if __name__ == "__main__":
    main()
