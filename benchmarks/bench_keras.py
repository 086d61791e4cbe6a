"""eagerlab's Keras benchmarks: `model.fit` on W2, W3, W4 and W6, `model.predict` on W7.

`bench_engine.py --workloads Keras` runs these beside the other workloads; this file
also runs alone:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_keras.py
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_keras.py --breakdown
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_keras.py \
        --workloads W3,W4 --profile

- W2 fit: `Sequential` MLP 784 -> 512 relu -> 512 relu -> 10, sparse softmax CE from
  logits, Adam 1e-3, `model.fit` on 20,480 NumPy samples in batches of 128 (shuffled,
  Keras' default), with the default traced train step and with `run_eagerly=True`;
- W3 fit, W4 fit: the CNN (Conv2D, MaxPooling2D, NHWC) and the char LSTM LM (Embedding,
  LSTM, Dense) of W3 and W4, Adam, sparse softmax CE from logits, `fit` on the workload's 8
  batches of 64 (`workloads.w3_batches`, `w4_batches`): 8 steps an epoch. The LSTM reads
  the Embedding's table and ids (`embedding_folding`, see
  `engine/keras/layers/rnn_kernels.py`), which skips three of the GEMMs that the NumPy
  GEMM-only reference runs; the row "W4 fit unfolded" is the same model with that option
  off;
- W6 fit: the tiny MLP 16 -> 32 relu -> 1, MSE, SGD 0.01, `fit` on 64,000 samples in
  batches of 32 (2,000 steps an epoch): what the fit loop costs per batch;
- W7 predict: W2's MLP, `model.predict` on 10,000 samples with `batch_size=1000`.

Each figure is samples per second of one-epoch `fit` calls (or `predict` calls; W3, W4:
steps per second), set against the hand-written NumPy step or the NumPy GEMMs alone,
measured block by block in turn with it, so both sides of a ratio see the same machine.
Data, initial weights, seeds, shapes and hyperparameters are the peers'
(`shared/bench/peers/workloads.py`), whose weight layouts are Keras' (HWIO kernels, LSTM
gates `[i, f, c, o]`). `--breakdown` prints where a fit step's time goes (CPU time per step
of each layer of the loop) for W6 and W2; `--profile` the time of each op type in W3's and
W4's traced fit step.
"""

from __future__ import annotations

import argparse
import math
import time
import traceback
from functools import partial

import harness as H
import numpy as np
import numpy_reference as R
import workloads as W

# The peers' Keras workloads (shared/bench/peers/workloads.py): samples per fit epoch.
W2_FIT_SAMPLES = 20_480
W6_FIT_SAMPLES = 64_000
LOSS_STEPS = 3  # train_on_batch losses compared with the hand NumPy step's
KERAS_ROWS = ("W2 fit", "W2 fit run_eagerly", "W3 fit", "W4 fit", "W4 fit unfolded", "W6 fit",
              "W7 predict")


# ---------------------------------------------------------------- data and models
def w2_fit_data(n: int | None = None) -> tuple:
    """The peers' `w2_data(n)`: x uniform [0, 1) (n, 784) float32, y int32 in [0, 10)."""
    n = W2_FIT_SAMPLES if n is None else n
    r = W.rng(2)
    x = r.random((n, W.W2_LAYERS[0]), dtype=W.DTYPE)
    y = r.integers(0, W.W2_LAYERS[-1], size=n).astype(np.int32)
    return x, y


def w6_fit_data(n: int | None = None) -> tuple:
    """The peers' `w6_data(n)`: x (n, 16) standard normal, y = x @ w + 0.1 noise (n, 1)."""
    n = W6_FIT_SAMPLES if n is None else n
    r = W.rng(6)
    x = r.standard_normal((n, W.W6_LAYERS[0]), dtype=W.DTYPE)
    w = r.standard_normal((W.W6_LAYERS[0], 1), dtype=W.DTYPE)
    y = (x @ w + 0.1 * r.standard_normal((n, 1), dtype=W.DTYPE)).astype(W.DTYPE)
    return x, y


def keras_mlp(eng, layers: tuple):
    """A `Sequential` dense stack (relu between layers, linear output) with the suite's
    initial weights (`workloads.mlp_params`), so it starts where the NumPy step starts."""
    keras = eng.keras
    model = keras.Sequential(
        [keras.Input(shape=(layers[0],))]
        + [keras.layers.Dense(n, activation="relu") for n in layers[1:-1]]
        + [keras.layers.Dense(layers[-1])])
    model.set_weights(W.mlp_params(layers))
    return model


def compile_adam(eng, model, lr: float, run_eagerly: bool = False):
    """`model` compiled with the suite's Adam and sparse softmax CE from logits."""
    keras = eng.keras
    model.compile(optimizer=keras.optimizers.Adam(lr, beta_1=W.ADAM_BETA1,
                                                  beta_2=W.ADAM_BETA2, epsilon=W.ADAM_EPS),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=run_eagerly)
    return model


def w2_model(eng, run_eagerly: bool = False):
    """W2's MLP compiled with Adam and sparse softmax CE from logits."""
    return compile_adam(eng, keras_mlp(eng, W.W2_LAYERS), W.W2_LR, run_eagerly)


def w3_model(eng):
    """W3's CNN (NHWC, VALID convolutions) with `workloads.cnn_params`, compiled with Adam."""
    keras, layers, k = eng.keras, eng.keras.layers, W.W3_KERNEL
    model = keras.Sequential([
        keras.Input(shape=(W.W3_HW, W.W3_HW, W.W3_IN_CH)),
        layers.Conv2D(W.W3_CONV1, k, activation="relu"), layers.MaxPooling2D(W.W3_POOL),
        layers.Conv2D(W.W3_CONV2, k, activation="relu"), layers.MaxPooling2D(W.W3_POOL),
        layers.Flatten(), layers.Dense(W.W3_CLASSES)])
    model.set_weights(W.cnn_params())  # [K1 HWIO, b1, K2 HWIO, b2, Wd (1600, 10), bd]
    return compile_adam(eng, model, W.W3_LR)


def w4_model(eng):
    """W4's char LSTM LM with `workloads.lstm_params`, compiled with Adam. Their `Wx`, `Wh`
    and bias pack the gates `[i, f, g, o]` along the last axis, as Keras' LSTM does."""
    keras, layers = eng.keras, eng.keras.layers
    model = keras.Sequential([
        keras.Input(shape=(W.W4_SEQ,), dtype="int32"),
        layers.Embedding(W.W4_VOCAB, W.W4_EMBED),
        layers.LSTM(W.W4_HIDDEN, return_sequences=True),
        layers.Dense(W.W4_VOCAB)])
    model.set_weights(W.lstm_params())  # [E, Wx, Wh, b, Wd, bd]
    return compile_adam(eng, model, W.W4_LR)


def pooled(batches: list) -> tuple:
    """The `(x, y)` batches of a workload joined into one `(x, y)` for `fit`."""
    return (np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches]))


def w6_model(eng):
    """W6's tiny MLP compiled with SGD 0.01 and MSE."""
    model = keras_mlp(eng, W.W6_LAYERS)
    model.compile(optimizer=eng.keras.optimizers.SGD(W.W6_LR), loss="mse")
    return model


def fit_epoch(model, x, y, batch: int):
    """A step that runs one silent `fit` epoch on all of `x`, `y` (shuffled by default)."""
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


# ---------------------------------------------------------------- timing
# ---------------------------------------------------------------- measuring
def measure_w2(eng, samples: dict, losses: dict) -> None:
    """W2 fit (traced and run_eagerly), the hand NumPy step and the GEMMs, in turn."""
    x, y = w2_fit_data()
    batches = W.w2_batches()[:LOSS_STEPS]
    losses["numpy:Keras W2"] = [float(s) for s in _first_losses(R.w2_step())]
    for key, eager in (("engine:W2 fit", False), ("engine:W2 fit run_eagerly", True)):
        model = w2_model(eng, eager)
        losses[key] = [float(model.train_on_batch(bx, by)) for bx, by in batches]
    rates = H.interleaved_rates({
        "numpy:Keras W2 hand step": (R.w2_step(), W.W2_BATCH),
        "numpy:Keras W2 GEMM-only": (R.gemm_only_step("W2"), W.W2_BATCH),
        "engine:W2 fit": (fit_epoch(w2_model(eng), x, y, W.W2_BATCH), len(x)),
        "engine:W2 fit run_eagerly": (fit_epoch(w2_model(eng, True), x, y, W.W2_BATCH),
                                      len(x)),
    })
    samples.update(rates)


def measure_w6(eng, samples: dict, losses: dict) -> None:
    """W6 fit and the hand NumPy step, in turn."""
    x, y = w6_fit_data()
    losses["numpy:Keras W6"] = [float(s) for s in _first_losses(R.w6_step())]
    model = w6_model(eng)
    losses["engine:W6 fit"] = [float(model.train_on_batch(bx, by))
                               for bx, by in W.w6_batches()[:LOSS_STEPS]]
    samples.update(H.interleaved_rates({
        "numpy:Keras W6 hand step": (R.w6_step(), W.W6_BATCH),
        "engine:W6 fit": (fit_epoch(w6_model(eng), x, y, W.W6_BATCH), len(x)),
    }))


def measure_w7(eng, samples: dict, losses: dict) -> None:
    """W7 predict, the NumPy GEMMs alone and the hand NumPy forward pass, in turn.

    `losses["W7 predict max rel diff"]` records how far `predict`'s outputs are from the
    NumPy forward pass's.
    """
    x = np.concatenate(W.w7_batches())
    model = keras_mlp(eng, W.W2_LAYERS)
    got = model.predict(x, batch_size=W.W7_BATCH, verbose=0)
    want = R.mlp_forward(W.mlp_params(), x)
    losses["W7 predict max rel diff"] = [float(np.max(np.abs(got - want))
                                               / max(1.0, float(np.max(np.abs(want)))))]
    n = len(x)
    samples.update(H.interleaved_rates({
        "numpy:Keras W7 GEMM-only": (R.gemm_only_step("W7"), n),
        "numpy:Keras W7 hand forward": (R.w7_predict(), n),
        "engine:W7 predict": (lambda: model.predict(x, batch_size=W.W7_BATCH, verbose=0), n),
    }))


def measure_train(eng, samples: dict, losses: dict, name: str) -> None:
    """W3 or W4 (`name`) fit, the hand NumPy step and the GEMMs, in turn, in steps/s.

    An epoch is one `fit` call over the workload's 8 batches (shuffled, Keras' default).
    """
    model_fn, hand_step, make_batches = TRAIN_WORKLOADS[name]
    batches = make_batches()
    losses["numpy:Keras " + name] = [float(s) for s in _first_losses(hand_step())]
    model = model_fn(eng)
    losses[f"engine:{name} fit"] = [float(model.train_on_batch(bx, by))
                                    for bx, by in batches[:LOSS_STEPS]]
    x, y = pooled(batches)
    sides = {
        f"numpy:Keras {name} hand step": (hand_step(), 1),
        f"numpy:Keras {name} GEMM-only": (R.gemm_only_step(name), 1),
        f"engine:{name} fit": (fit_epoch(model_fn(eng), x, y, len(batches[0][0])),
                               len(batches)),
    }
    if name == "W4":  # the same without folding the Embedding into the LSTM's projection
        sides["engine:W4 fit unfolded"] = (unfolded_fit(eng, model_fn, x, y, len(batches[0][0])),
                                           len(batches))
    samples.update(H.interleaved_rates(sides))


def unfolded_fit(eng, model_fn, x, y, batch: int):
    """`fit_epoch` of a model traced with the `embedding_folding` option off (the option is
    read when the train step is traced, which happens here, on the first epoch)."""
    options = eng.config.optimizer
    options.set_experimental_options({"embedding_folding": False})
    try:
        run = fit_epoch(model_fn(eng), x, y, batch)
        run()
    finally:
        options.set_experimental_options({"embedding_folding": True})
    return run


TRAIN_WORKLOADS = {"W3": (w3_model, R.w3_step, W.w3_batches),
                   "W4": (w4_model, R.w4_step, W.w4_batches)}
MEASURES = {"W2": measure_w2, "W3": partial(measure_train, name="W3"),
            "W4": partial(measure_train, name="W4"), "W6": measure_w6, "W7": measure_w7}


def measure(eng, samples: dict, losses: dict, errors: dict, names: list | None = None) -> None:
    """Every Keras figure into `samples`; a failing workload goes to `errors` ('W2 fit'...).

    Args:
        eng: the engine module.
        samples: receives `{key: [samples]}` ('engine:W2 fit', 'numpy:Keras W2 hand
            step', ...), in samples/s (W3 and W4: steps/s).
        losses: receives the first train_on_batch losses (and W7's output difference).
        errors: receives `{row name: last line of the traceback}`.
        names: the workloads to run ('W2', 'W3', ...; default all of `MEASURES`).
    """
    for name, run in MEASURES.items():
        if names is not None and name not in names:
            continue
        try:
            run(eng, samples, losses)
        except Exception:  # noqa: BLE001 - report the failure, go on with the next workload
            why = traceback.format_exc(limit=-3).strip().splitlines()[-1]
            for row in KERAS_ROWS:
                if row.startswith(name + " "):
                    errors[row] = why
            print(f"engine Keras {name} failed:\n{traceback.format_exc(limit=-3)}", flush=True)


def _first_losses(step) -> list:
    return [step() for _ in range(LOSS_STEPS)]


# ---------------------------------------------------------------- the table
# (name, engine key, reference key, reference label, target ratio); samples/s, except
# steps/s where the name is in STEP_ROWS
STEP_ROWS = ("W3 fit", "W4 fit", "W4 fit unfolded")
ROWS = [
    ("W2 fit", "engine:W2 fit", "numpy:Keras W2 hand step", "hand NumPy step x 128", 0.85),
    ("W2 fit", "engine:W2 fit", "numpy:Keras W2 GEMM-only", "NumPy GEMM-only x 128", None),
    ("W2 fit run_eagerly", "engine:W2 fit run_eagerly", "numpy:Keras W2 hand step",
     "hand NumPy step x 128", 0.6),
    # TF graph mode ran W3 at 0.95x the GEMM floor; PyTorch's fused LSTM W4 at 0.83x
    # (WORKLOADS.md's machine). The peers themselves, when bench_engine.py measured them in
    # the same run (`--workloads W3,W4,Keras`), are the literal targets.
    ("W3 fit", "engine:W3 fit", "numpy:Keras W3 GEMM-only", "NumPy GEMM-only", 0.95),
    ("W3 fit", "engine:W3 fit", "numpy:Keras W3 hand step", "hand NumPy step", None),
    ("W3 fit", "engine:W3 fit", "tensorflow:W3 graph", "TF graph (tf.function)", 1.0),
    ("W4 fit", "engine:W4 fit", "numpy:Keras W4 GEMM-only", "NumPy GEMM-only", 0.85),
    ("W4 fit", "engine:W4 fit", "numpy:Keras W4 hand step", "hand NumPy step", None),
    ("W4 fit", "engine:W4 fit", "torch:W4 eager", "PyTorch eager (fused LSTM)", 1.0),
    ("W4 fit unfolded", "engine:W4 fit unfolded", "numpy:Keras W4 GEMM-only", "NumPy GEMM-only",
     None),
    ("W6 fit", "engine:W6 fit", "numpy:Keras W6 hand step", "hand NumPy step x 32", 0.25),
    ("W7 predict", "engine:W7 predict", "numpy:Keras W7 GEMM-only", "NumPy GEMM-only", 0.9),
    ("W7 predict", "engine:W7 predict", "numpy:Keras W7 hand forward", "hand NumPy forward",
     None),
]


def rows(samples: dict, errors: dict) -> list:
    """The Keras rows of the results table (`harness.Row`s)."""
    out, seen = [], set()
    for name, key, ref_key, label, target in ROWS:
        why = errors.get(name)
        unit = "steps/s" if name in STEP_ROWS else "samples/s"
        out.append(H.Row(name, unit, H.median(samples.get(key)),
                         H.median(samples.get(ref_key)), label, True, target,
                         note=f"engine failed: {why}" if why and name not in seen else ""))
        seen.add(name)
    return out


def report_lines(losses: dict) -> list:
    """Whether Keras computes what the hand NumPy steps compute (same weights, batches)."""
    lines = []
    for name, keys in (("W2", ("engine:W2 fit", "engine:W2 fit run_eagerly")),
                       ("W3", ("engine:W3 fit",)), ("W4", ("engine:W4 fit",)),
                       ("W6", ("engine:W6 fit",))):
        ref = losses.get("numpy:Keras " + name)
        if ref is None:
            continue
        parts = []
        for key in keys:
            got = losses.get(key)
            if got is not None:
                diff = max(abs(g - r) / max(1.0, abs(r)) for g, r in zip(got, ref))
                verdict = "agree" if diff <= 1e-4 else f"DIFFER ({got})"
                parts.append(f"{key.split(':')[1]} {verdict}")
        text = ", ".join(f"{v:.6f}" for v in ref)
        lines.append(f"Keras train_on_batch losses 1-{len(ref)} {name}: NumPy [{text}]; "
                     + "; ".join(parts))
    diff = losses.get("W7 predict max rel diff")
    if diff is not None:
        verdict = "agree" if diff[0] <= 1e-5 else "DIFFER"
        lines.append(f"Keras W7 predict vs the NumPy forward pass: max rel diff {diff[0]:.1e} "
                     f"({verdict})")
    return lines


# ---------------------------------------------------------------- where time goes
def cpu_us(step, calls: int, per_call: int = 1) -> float:
    """Median CPU microseconds per item of `step` over 3 runs of `calls` calls, each call
    counting for `per_call` items. CPU time (`process_time`) leaves out the time other
    processes take from this one, so the parts of a step can be compared on a busy
    machine."""
    step()
    runs = []
    for _ in range(3):
        start = time.process_time()
        for _ in range(calls):
            step()
        runs.append((time.process_time() - start) / calls / per_call * 1e6)
    return float(np.median(runs))


def breakdown(eng, name: str, calls: int | None = None) -> list:
    """`[(part, CPU us per step)]` of a `fit` step of W6 or W2 (traced), layer by layer.

    Each part is timed over `calls` steps (default 2,000 for W6, 100 for W2).

    Reaches into the training loop's internals (`Model._step_function`, the concrete
    function's `_program` and `_call_flat`, `DataHandler`), so it is a diagnostic, not
    part of the table.
    """
    from engine.keras.models.data_adapter import DataHandler  # noqa: PLC0415

    if name == "W6":
        model, (x, y), batch, ref = w6_model(eng), w6_fit_data(), W.W6_BATCH, R.w6_step()
        pool = W.w6_batches()
    else:
        model, (x, y), batch, ref = w2_model(eng), w2_fit_data(), W.W2_BATCH, R.w2_step()
        pool = W.w2_batches()
    steps = math.ceil(len(x) / batch)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    data = [(eng.constant(bx), eng.constant(by)) for bx, by in pool]
    fn = model._step_function("train")
    concrete = fn.get_concrete_function(data[0])
    count = [0]

    def cycling(call):
        def step():
            count[0] += 1
            return call(data[count[0] % len(data)])
        return step

    handler = DataHandler(x, y, None, batch, None, shuffle=True)
    calls = calls or (2000 if name == "W6" else 100)
    parts = [
        ("hand NumPy step", cpu_us(ref, calls)),
        ("graph program alone", cpu_us(cycling(
            lambda d: concrete._program([t._value for t in d])), calls)),
        ("+ concrete function (wrap outputs)", cpu_us(cycling(
            lambda d: concrete._call_flat(list(d))), calls)),
        ("+ engine.function call with (x, y)", cpu_us(cycling(fn), calls)),
        ("+ logs to floats", cpu_us(cycling(lambda d: {k: float(v) for k, v in fn(d).items()}),
                                    calls)),
        ("batches alone (shuffled slicing)", cpu_us(
            lambda: [None for _ in handler.epoch()], 3, steps)),
        ("whole fit epoch / steps", cpu_us(fit_epoch(model, x, y, batch), 3, steps)),
    ]
    return parts


def breakdown_lines(eng) -> list:
    """The breakdown of W6 and W2 as printable lines.

    W2's step is 250 times W6's, and its CPU time varies by a few percent from run to
    run (memory traffic), so for W2 only the parts that stand out of that noise are
    printed: the program, the batches and the whole fit step.
    """
    lines = ["", "Where a traced fit step's time goes (CPU us per step, median of 3 runs; each "
                 "'+' line includes the one above):"]
    for name in ("W6", "W2"):
        parts = breakdown(eng, name)
        loop = parts[-1][1] - parts[4][1] - parts[5][1]
        if name == "W2":
            parts = [parts[i] for i in (0, 1, 5, 6)]
        lines += [f"{name}  {part:40s} {us:9.1f}" for part, us in parts]
        if name == "W6":
            lines.append(f"{name}  {'fit loop itself (fit - floats - batches)':40s} {loop:9.1f}")
    return lines


def op_profile(eng, name: str, epochs: int = 3) -> tuple:
    """Where W3's or W4's traced fit step spends its time, op by op.

    Runs `epochs` one-epoch `fit` calls with an op listener (`engine.hooks`): the traced
    step then runs as the executor's instrumented program, which times each node's kernel.
    An op's time is the median of its runs (robust on a shared machine) times its runs per
    step. A diagnostic, not part of the table.

    Returns:
        `(fit ms per step with the listener (median epoch), GEMM-only ms per step,
        [(op type, its first two inputs' shapes, calls per step, ms per step)])`, the
        slowest first.
    """
    model_fn, _, make_batches = TRAIN_WORKLOADS[name]
    batches = make_batches()
    run = fit_epoch(model_fn(eng), *pooled(batches), len(batches[0][0]))
    events: list = []
    epoch_s = []
    with eng.hooks.subscribe("op", events.append):
        run()  # traces, then compiles the instrumented program
        events.clear()
        for _ in range(epochs):
            start = time.perf_counter()
            run()
            epoch_s.append(time.perf_counter() - start)
    runs: dict = {}
    for event in events:
        key = (event.op, event.input_shapes[:2])
        runs.setdefault(key, []).append((event.end_ns - event.start_ns) / 1e6)
    steps = epochs * len(batches)
    table = [(op, shape, len(ms) / steps, float(np.median(ms)) * len(ms) / steps)
             for (op, shape), ms in runs.items()]
    gemm = H.interleaved_rates({"gemm": (R.gemm_only_step(name), 1)}, repeats=3)["gemm"]
    return (H.median(epoch_s) / len(batches) * 1e3, 1e3 / H.median(gemm),
            sorted(table, key=lambda row: -row[3]))


def profile_lines(eng, names: list) -> list:
    """`op_profile` of each of `names` (W3, W4) as printable lines."""
    lines = []
    for name in names:
        fit_ms, gemm_ms, table = op_profile(eng, name)
        shown = [row for row in table if row[3] >= 0.005 * fit_ms]
        rest = sum(row[3] for row in table) - sum(row[3] for row in shown)
        lines += ["", f"{name} fit step with the op listener {fit_ms:.2f} ms, in op kernels "
                      f"{sum(row[3] for row in table):.2f} ms; NumPy GEMM-only step "
                      f"{gemm_ms:.2f} ms",
                  f"{name}  {'op, shapes of its first two inputs':62s} calls  ms/step  share"]
        lines += [f"{name}  {op + ' ' + ' '.join(map(str, shapes)):62s} {calls:5.1f} {ms:8.3f} "
                  f"{ms / fit_ms:6.1%}" for op, shapes, calls, ms in shown]
        lines.append(f"{name}  {'other ops':62s} {'':5s} {rest:8.3f} {rest / fit_ms:6.1%}")
    return lines


def main(argv: list | None = None) -> None:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description="eagerlab Keras benchmarks: fit and predict")
    parser.add_argument("--repeats", type=int, default=W.REPEATS, help="timed blocks a figure")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print where a fit step's time goes (CPU time)")
    parser.add_argument("--profile", action="store_true",
                        help="also print the time of each op type in W3's and W4's fit step")
    parser.add_argument("--workloads", default=",".join(MEASURES),
                        help="comma-separated subset of " + ",".join(MEASURES))
    args = parser.parse_args(argv)
    W.REPEATS = args.repeats
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in MEASURES]
    if unknown:
        parser.error(f"--workloads: unknown {unknown}; expected some of {list(MEASURES)}")
    import bench_engine  # noqa: PLC0415 - only to import engine the suite's way

    print("\n".join(H.header_lines(H.machine_info())), flush=True)
    eng, why = bench_engine.load_engine()
    if eng is None:
        raise SystemExit("engine not importable: " + why)
    samples, losses, errors = {}, {}, {}
    measure(eng, samples, losses, errors, names)
    print()
    print("\n".join(H.table_lines(rows(samples, errors), peers=())))
    print("\n".join(report_lines(losses)))
    if args.breakdown:
        print("\n".join(breakdown_lines(eng)))
    if args.profile:
        print("\n".join(profile_lines(eng, [n for n in names if n in TRAIN_WORKLOADS])))


if __name__ == "__main__":
    main()
