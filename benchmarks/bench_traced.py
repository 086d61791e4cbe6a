"""eagerlab's traced workloads: graph-friendly Adam, W5, W6, W7 and what each pass buys.

`bench_engine.py` runs these beside the eager figures (`--workloads W5,W6,W7,Passes`):

- W5: the first call of a freshly traced W2 step (tracing, the graph passes, compiling),
  in ms; "cold" is the first trace of the process, the figure the median of fresh ones;
- W6: the tiny MLP (16 -> 32 relu -> 1, MSE, SGD 0.01, batch 32) eager and traced,
  against the hand-written NumPy step: it measures what each op costs besides its math;
- W7: W2's MLP on 10,000 samples in batches of 1,000, a traced function called directly
  on each batch, against the NumPy GEMMs alone (the floor) and a hand-written forward;
- Passes: the traced W2 and W6 steps with each graph pass switched off in turn
  (`engine.config.optimizer.set_experimental_options`), and with all of them off.

The traced train steps compute what the eager ones compute: `GraphAdam` keeps its step
count in a float64 Variable and derives the bias correction with engine ops in float64,
rounding it to float32 once, exactly as Python's float does for the eager `Adam`.
"""

from __future__ import annotations

import time

import harness as H
import numpy as np
import numpy_reference as R
import workloads as W

PASS_REPEATS = 3  # timed blocks per figure of the pass table
PASS_WORKLOADS = ("W2", "W3", "W6")  # the traced steps the pass table measures


class GraphAdam:
    """Adam whose every step is engine ops, so that it traces into the train step's graph.

    Args:
        eng: the engine module.
        variables: the model's variables.
        initial: their initial arrays (for the slots' shapes).
        lr: the learning rate.
    """

    def __init__(self, eng, variables: list, initial: list, lr: float) -> None:
        self.eng, self.variables, self.lr = eng, variables, lr
        self.t = eng.Variable(np.float64(0.0), name="adam_t")
        self.m = [eng.Variable(np.zeros_like(a), name=f"adam_m{i}") for i, a in enumerate(initial)]
        self.v = [eng.Variable(np.zeros_like(a), name=f"adam_v{i}") for i, a in enumerate(initial)]

    def apply(self, grads: list) -> None:
        """One Adam update of every variable from `grads` (same order)."""
        eng, b1, b2 = self.eng, W.ADAM_BETA1, W.ADAM_BETA2
        self.t.assign_add(1.0)
        t = self.t.read_value()
        alpha = self.lr * eng.sqrt(1 - eng.pow(b2, t)) / (1 - eng.pow(b1, t))  # float64
        alpha = eng.cast(alpha, eng.float32)
        for var, g, m, v in zip(self.variables, grads, self.m, self.v):
            m.assign(m + (1 - b1) * (g - m))
            v.assign(v + (1 - b2) * (eng.square(g) - v))
            var.assign_sub(alpha * m / (eng.sqrt(v) + W.ADAM_EPS))


# ---------------------------------------------------------------- W6 and W7 in the engine
def w6_loss(eng, params: list, x, y):
    """W6's forward pass and MSE loss."""
    h = eng.nn.relu(eng.matmul(x, params[0]) + params[1])          # (32, 32)
    pred = eng.matmul(h, params[2]) + params[3]                    # (32, 1)
    return eng.reduce_mean(eng.square(pred - y))


def w6_step(eng, traced: bool):
    """A W6 train step (GradientTape, SGD by `assign_sub`), eager or as one engine.function."""
    variables = [eng.Variable(a, name=f"w6_{i}") for i, a in enumerate(W.mlp_params(W.W6_LAYERS))]
    data = [(eng.constant(x), eng.constant(y)) for x, y in W.w6_batches()]

    def train(x, y):
        with eng.GradientTape() as tape:
            loss = w6_loss(eng, variables, x, y)
        for var, g in zip(variables, tape.gradient(loss, variables)):
            var.assign_sub(W.W6_LR * g)
        return loss

    run = eng.function(train) if traced else train
    count = [0]

    def step():
        x, y = data[count[0] % len(data)]
        count[0] += 1
        return run(x, y)
    if traced:
        step.concrete = lambda: run.get_concrete_function(*data[0])
    return step


def w7_predict(eng):
    """W7: a traced forward pass of W2's MLP, called on each of the ten batches."""
    params = [eng.constant(a) for a in W.mlp_params()]
    batches = [eng.constant(x) for x in W.w7_batches()]

    @eng.function
    def forward(x):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = eng.nn.relu(eng.matmul(h, params[i]) + params[i + 1])
        return eng.matmul(h, params[-2]) + params[-1]

    def predict():
        return [forward(x) for x in batches]
    predict.concrete = lambda: forward.get_concrete_function(batches[0])
    return predict


# ---------------------------------------------------------------- measuring
def measure_w5(eng, build_w2, samples: dict) -> None:
    """W5 into `samples`: ms of the first call of fresh traced W2 steps ('cold' = first)."""
    times = []
    for _ in range(W.W5_SAMPLES):
        step = build_w2(eng, traced=True)
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    samples["engine:W5 cold"] = times[:1]
    samples["engine:W5"] = times


def w6_losses(eng, count: int = 3) -> dict:
    """The first `count` W6 losses: hand NumPy, eager and traced (same weights and data)."""
    ref = R.w6_step()
    eager, traced = w6_step(eng, False), w6_step(eng, True)
    return {"numpy:W6": [ref() for _ in range(count)],
            "engine:W6": [float(eager().numpy()) for _ in range(count)],
            "engine:W6 traced": [float(traced().numpy()) for _ in range(count)]}


def measure_w6(eng, samples: dict, losses: dict) -> None:
    """W6 eager, traced, hand NumPy and GEMM-only figures into `samples`."""
    losses.update(w6_losses(eng))
    samples["numpy:W6 hand step"] = H.rate_blocks(R.w6_step())
    samples["numpy:W6 GEMM-only"] = H.rate_blocks(R.gemm_only_step("W6"))
    samples["engine:W6 eager"] = H.rate_blocks(w6_step(eng, False))
    samples["engine:W6 traced"] = H.rate_blocks(w6_step(eng, True))


def measure_w7(eng, samples: dict) -> None:
    """W7 samples/s: the traced forward pass, the hand NumPy one, the GEMMs alone."""
    n = W.W7_SAMPLES
    samples["numpy:W7 GEMM-only"] = H.rate_blocks(R.gemm_only_step("W7"), items_per_step=n)
    samples["numpy:W7 hand forward"] = H.rate_blocks(R.w7_predict(), items_per_step=n)
    samples["engine:W7 direct"] = H.rate_blocks(w7_predict(eng), items_per_step=n)


def measure_passes(eng, builders: dict, samples: dict, table: list) -> None:
    """The traced W2, W3 and W6 steps with each pass off in turn; rows appended to `table`.

    `builders` maps "W2" and "W3" to the engine step builders of `bench_engine`.

    Each row: `(workload, what was switched off, nodes in the graph, steps/s)`; the
    first row of a workload has every pass on.
    """
    options = eng.config.optimizer.get_experimental_options()
    # Graph passes only, not the other switches (`cuda_graphs`: the executor's capture on a
    # GPU; `embedding_folding`, `max_pool_reordering`: Keras layers, not in these steps).
    names = [name for name, _ in eng.graph.passes.PASSES]
    configs = [("none (all passes on)", {})] + [(k, {k: False}) for k in names]
    configs.append(("all (disable_meta_optimizer)", {"disable_meta_optimizer": True}))
    builders = {**{w: (lambda b=b: b(eng, traced=True)) for w, b in builders.items()},
                "W6": lambda: w6_step(eng, True)}
    try:
        for workload in PASS_WORKLOADS:
            build = builders[workload]
            for label, switches in configs:
                eng.config.optimizer.set_experimental_options(switches)
                step = build()
                step()
                nodes = len(step.concrete().graph.nodes)
                rate = H.rate_blocks(step, repeats=PASS_REPEATS)
                samples[f"engine:{workload} traced, off: {label}"] = rate
                table.append((workload, label, nodes, H.median(rate)))
                eng.config.optimizer.set_experimental_options(options)
    finally:
        eng.config.optimizer.set_experimental_options(options)


def pass_lines(table: list) -> list:
    """The pass table as text: each pass's node count and rate, and what it bought."""
    lines = ["", "What each graph pass buys (traced steps with that pass switched off; "
                 "'bought' = all on / this):",
             f"{'workload':9} {'switched off':34} {'nodes':>6} {'steps/s':>9} {'bought':>7}"]
    base: dict = {}
    for workload, label, nodes, rate in table:
        base.setdefault(workload, rate)
        bought = base[workload] / rate if rate else float("nan")
        lines.append(f"{workload:9} {label:34} {nodes:6d} {rate:9.1f} {bought:6.2f}x")
    return lines


# (name, unit, engine key, reference key, reference label, higher is better,
#  target ratio, absolute limit, peer key): the layout of bench_engine.ROWS
ROWS = [
    ("W5 first traced call", "ms", "W5 cold", None, "first trace of the process", False,
     None, 150.0, None),
    ("W5 first traced call", "ms", "W5", None, f"median of {W.W5_SAMPLES} fresh traces",
     False, None, 150.0, None),
    ("W6 tiny MLP traced", "steps/s", "W6 traced", "numpy:W6 hand step", "hand NumPy step",
     True, 0.5, None, None),
    ("W6 tiny MLP eager", "steps/s", "W6 eager", "numpy:W6 hand step", "hand NumPy step",
     True, None, None, None),
    ("W7 MLP inference direct", "samples/s", "W7 direct", "numpy:W7 GEMM-only",
     "NumPy GEMM-only", True, 0.9, None, None),
    ("W7 MLP inference direct", "samples/s", "W7 direct", "numpy:W7 hand forward",
     "hand NumPy forward", True, None, None, None),
]


def speedup_lines(samples: dict) -> list:
    """Traced over eager steps/s for each workload measured both ways."""
    lines = []
    for name in ("W2", "W3", "W4", "W6"):
        eager = H.median(samples.get(f"engine:{name} eager"))
        traced = H.median(samples.get(f"engine:{name} traced"))
        if eager and traced:
            lines.append(f"traced/eager {name}: {traced:.1f} / {eager:.1f} steps/s = "
                         f"{traced / eager:.2f}x")
    return lines
