"""What profiling costs: the same workloads timed with no profile, and inside a `Profile`.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python -m profiler.overhead
    python -m profiler.overhead --seconds 0.5 --repeats 3 --memory

Workloads (like W1 and W2 of `benchmarks/`, built here with the public API):
- `op matmul 32x32`: one eager `engine.matmul` of two 32x32 float32 tensors: the cost per
  op when the op itself is cheap;
- `W2 step eager` / `W2 step traced`: the MLP 784 -> 512 relu -> 512 relu -> 10 with sparse
  softmax cross-entropy and Adam, batch 128, as a `GradientTape` step, eagerly and as an
  `engine.function`;
- `W2 fit` / `W2 fit run_eagerly`: the same model through Keras `fit`, one call being an
  epoch of 4 batches.

"off" and "on" blocks alternate, each figure is the median over the repeats, and rates are
per second of the process's CPU time, so both sides see the same machine load and other
processes disturb them little. Run with one BLAS thread. With `--memory` the "on" side
also measures memory (`Profile(memory=True)`, tracemalloc). The overhead per op is the
extra time per call divided by the ops per call.

Measured on the 2 vCPU development machine (OpenBLAS, one thread; on/off = speed with the
profile relative to without):

| workload                  | ops/call | `Profile()` on/off | `Profile(memory=True)` on/off |
|---------------------------|---------:|-------------------:|------------------------------:|
| op matmul 32x32           |        1 | 0.34 (+5.4 us/op)  | 0.07 (+35 us/op)              |
| W2 step eager             |      102 | 0.90               | 0.50                          |
| W2 step traced            |       27 | 0.96               | 0.79                          |
| W2 fit, 4 batches         |      140 | 0.94               | 0.73                          |
| W2 fit run_eagerly        |      516 | 0.83               | 0.47                          |

Off, nothing is subscribed and dispatch keeps its fast path: zero cost. On, an eager op
costs about 5.4 us more: dispatch leaves its fast path (about 2.5 us for a small matmul),
builds the `OpEvent` (about 1.5 us, a frozen dataclass built with keywords), and the
stored events make the garbage collector's passes longer (about 1.5 us). A graph node
costs less: the executor only times the kernel and builds the event. With memory,
tracemalloc traces every allocation of the slow path and the retained events.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import engine
from profiler.profile import Profile

__all__ = ["measure", "format_rows", "main"]

W2_LAYERS = (784, 512, 512, 10)
W2_BATCH = 128


def _rate(fn, seconds: float) -> float:
    """Calls of `fn` per second of this process's CPU time, over about `seconds`.

    CPU time rather than wall time: on a shared machine, the neighbours' load then moves
    the figures much less (BLAS runs on one thread in these measurements).
    """
    calls = 0
    start = time.process_time()
    while True:
        fn()
        calls += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return calls / elapsed


def _mlp(layers: tuple, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(engine.Variable(rng.uniform(-limit, limit, (fan_in, fan_out))
                                      .astype(np.float32)))
        params.append(engine.Variable(np.zeros(fan_out, np.float32)))
    return params


def _data(layers: tuple, batch: int) -> tuple:
    rng = np.random.default_rng(1)
    x = rng.random((batch, layers[0]), dtype=np.float32)
    y = rng.integers(0, layers[-1], size=batch).astype(np.int32)
    return x, y


def tape_step(layers: tuple = W2_LAYERS, batch: int = W2_BATCH, traced: bool = False):
    """A W2-style `GradientTape` train step with Keras Adam; returns `step()`."""
    params = _mlp(layers)
    optimizer = engine.keras.optimizers.Adam(1e-3)
    x, y = (engine.constant(a) for a in _data(layers, batch))

    def train(x, y):
        with engine.GradientTape() as tape:
            h = x                                                # (batch, features)
            for k in range(0, len(params) - 2, 2):
                h = engine.nn.relu(engine.matmul(h, params[k]) + params[k + 1])
            logits = engine.matmul(h, params[-2]) + params[-1]  # (batch, classes)
            loss = engine.reduce_mean(engine.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss

    run = engine.function(train) if traced else train
    return lambda: run(x, y)


def fit_step(layers: tuple = W2_LAYERS, batch: int = W2_BATCH, run_eagerly: bool = False):
    """W2's model in Keras; returns `step()`, one `fit` epoch of 4 batches."""
    keras = engine.keras
    model = keras.Sequential([keras.Input(shape=(layers[0],))]
                             + [keras.layers.Dense(n, activation="relu") for n in layers[1:-1]]
                             + [keras.layers.Dense(layers[-1])])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=run_eagerly,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data(layers, 4 * batch)
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)


def _op_step(size: int = 32):
    a = engine.constant(np.ones((size, size), np.float32))
    return lambda: engine.matmul(a, a)


def _ops_per_call(step) -> int:
    with Profile() as prof:
        step()
    return len(prof.events())


def measure(seconds: float = 1.0, repeats: int = 5, memory: bool = False,
            layers: tuple = W2_LAYERS, batch: int = W2_BATCH) -> list:
    """Times every workload with profiling off and on.

    Args:
        seconds: the length of each timed block.
        repeats: off/on block pairs per workload (the median is reported).
        memory: profile with `memory=True` on the "on" side.
        layers, batch: the MLP's sizes (smaller ones make a quick check).

    Returns:
        A list of dicts: `workload`, `ops_per_call`, `off_per_s`, `on_per_s` (calls per
        second), `ratio` (on / off), `overhead_ns_per_op`.
    """
    workloads = {
        "op matmul 32x32": _op_step(),
        "W2 step eager": tape_step(layers, batch, traced=False),
        "W2 step traced": tape_step(layers, batch, traced=True),
        "W2 fit (4 batches)": fit_step(layers, batch),
        "W2 fit run_eagerly (4 batches)": fit_step(layers, batch, run_eagerly=True),
    }
    rows = []
    for name, step in workloads.items():
        step()
        ops = _ops_per_call(step)  # also compiles the instrumented program of a graph
        off, on = [], []
        for _ in range(repeats):
            off.append(_rate(step, seconds))
            with Profile(memory=memory):
                on.append(_rate(step, seconds))
        off_rate, on_rate = statistics.median(off), statistics.median(on)
        extra_ns = (1 / on_rate - 1 / off_rate) * 1e9
        rows.append({"workload": name, "ops_per_call": ops, "off_per_s": off_rate,
                     "on_per_s": on_rate, "ratio": on_rate / off_rate,
                     "overhead_ns_per_op": extra_ns / ops if ops else 0.0})
    return rows


def format_rows(rows: list, memory: bool = False) -> str:
    """`measure()`'s rows as a Markdown table.

    Args:
        rows: from `measure`.
        memory: whether the "on" side tracked memory (named in the header).

    Returns:
        The table as text.
    """
    on = "Profile(memory=True)" if memory else "Profile()"
    lines = [f"| workload | ops/call | off (calls/s) | {on} (calls/s) | on/off | "
             "extra ns/op | ops/s on |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['ops_per_call']} | {r['off_per_s']:,.1f} | "
                     f"{r['on_per_s']:,.1f} | {r['ratio']:.2f} | "
                     f"{r['overhead_ns_per_op']:,.0f} | "
                     f"{r['on_per_s'] * r['ops_per_call']:,.0f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    """Prints the overhead table (see the module docstring for the options)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.seconds, args.repeats, args.memory)
    print(format_rows(rows, args.memory))


if __name__ == "__main__":
    main()
