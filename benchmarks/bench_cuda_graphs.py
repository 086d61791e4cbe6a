"""CUDA graph capture on and off: the traced train steps of W2-W4 on a GPU.

Each workload's traced step (`bench_engine.engine_w*_step(traced=True)`: forward,
GradientTape, Adam, one `engine.function`) is built twice, once with
`engine.config.optimizer.set_experimental_options({"cuda_graphs": False})` and once with
capture on (the default), and timed in alternating blocks on the same GPU. The table gives
milliseconds per step, the speed-up of capture, the capture status of each concrete
function, and whether the two runs' variables agree after the same steps.

`--fit` adds the same for Keras: `model.fit` of W2, W3 and W4 (`bench_keras`'s models and
data: one epoch of 160, 8 and 8 batches) inside `engine.device("/GPU:0")`, capture off
and on, in steps per second, with the capture status of the model's train function.

    python benchmarks/bench_cuda_graphs.py                 # /GPU:0, W2-W4
    python benchmarks/bench_cuda_graphs.py --workloads W2 --json out.json
    python benchmarks/bench_cuda_graphs.py --fit
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

import bench_engine as B
import bench_keras as K
import harness as H
import numpy as np
import workloads as W

STEPS = {"W2": B.engine_w2_step, "W3": B.engine_w3_step, "W4": B.engine_w4_step}
CHECK_STEPS = 5  # steps run by both builds before their variables are compared


def build(eng, name: str, device, capture: bool):
    """The traced step of `name` on `device`, traced with capture on or off."""
    eng.config.optimizer.set_experimental_options({"cuda_graphs": capture})
    try:
        step = STEPS[name](eng, device, traced=True)
        step()  # traces here, with the option set above
    finally:
        eng.config.optimizer.set_experimental_options({"cuda_graphs": True})
    return step


def measure(eng, name: str, device, repeats: int) -> dict:
    sync = B.synchronizer(device)
    off, on = build(eng, name, device, False), build(eng, name, device, True)
    for _ in range(CHECK_STEPS - 1):
        off(), on()
    sync()
    worst = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(off.variables, on.variables))
    concrete = on.concrete()
    status = concrete.cuda_graph_status
    error = getattr(concrete._runner, "capture_error", None)
    where = [] if error is None else [  # the engine frames that raised, innermost last
        f"{f.filename.split('/engine/')[-1]}:{f.lineno} {f.line}"
        for f in traceback.extract_tb(error.__traceback__) if "/engine/" in f.filename][-4:]
    rates = {"off": [], "on": []}
    for _ in range(repeats):  # alternate, so that clock drift hits both alike
        rates["off"] += H.rate_blocks(off, repeats=1, sync=sync)
        rates["on"] += H.rate_blocks(on, repeats=1, sync=sync)
    ms = {k: 1e3 / H.median(v) for k, v in rates.items()}
    return {"workload": name, "ms_off": ms["off"], "ms_on": ms["on"],
            "speedup": ms["off"] / ms["on"], "status": status,
            "max_abs_diff_after_5_steps": worst, "where": where}


def fit_data(name: str) -> tuple:
    """`(x, y, batch size)` of `name`'s Keras fit (as in bench_keras)."""
    if name == "W2":
        return (*K.w2_fit_data(), W.W2_BATCH)
    batches = K.TRAIN_WORKLOADS[name][2]()
    return (*K.pooled(batches), len(batches[0][0]))


def measure_fit(eng, name: str, device, repeats: int) -> dict:
    """`model.fit` of `name` on `device` with capture off and on, in steps/s."""
    sync = B.synchronizer(device)
    model_fn = {"W2": K.w2_model, **{k: v[0] for k, v in K.TRAIN_WORKLOADS.items()}}[name]
    x, y, batch = fit_data(name)
    steps = -(-len(x) // batch)
    runs, statuses = {}, {}
    for capture in (False, True):
        eng.config.optimizer.set_experimental_options({"cuda_graphs": capture})
        try:
            with eng.device(device):
                model = model_fn(eng)
                model.fit(x, y, batch_size=batch, epochs=2, verbose=0)  # traces, captures
        finally:
            eng.config.optimizer.set_experimental_options({"cuda_graphs": True})
        train = model._graph_functions["train"]
        statuses[capture] = "; ".join(sorted({c.cuda_graph_status for c in train._cache.values()}))

        def run(model=model):
            with eng.device(device):
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0)

        runs[capture] = run
    rates = {False: [], True: []}
    for _ in range(repeats):
        for capture in (False, True):
            rates[capture] += [r * steps for r in H.rate_blocks(runs[capture], repeats=1,
                                                                 sync=sync)]
    off, on = H.median(rates[False]), H.median(rates[True])
    return {"workload": f"{name} fit", "steps_per_s_off": off, "steps_per_s_on": on,
            "speedup": on / off, "status": statuses[True]}


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="/GPU:0")
    parser.add_argument("--workloads", default="W2,W3,W4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    parser.add_argument("--fit", action="store_true", help="also Keras fit, off vs on")
    args = parser.parse_args(argv)
    eng, why = B.load_engine()
    if eng is None:
        print("engine does not import:", why)
        return 1
    device = B.resolve_device(eng, args.device)
    if not B.on_gpu(device):
        print(f"{args.device} is not a GPU: CUDA graphs need one")
        return 1
    print("CUDA graph capture on vs off,", B.gpu_info(device))
    print(f"{'workload':8} {'off ms':>8} {'on ms':>8} {'speed-up':>8} {'max |diff|':>10}  status")
    results = []
    for name in args.workloads.split(","):
        row = measure(eng, name.strip(), device, args.repeats)
        results.append(row)
        print(f"{row['workload']:8} {row['ms_off']:8.3f} {row['ms_on']:8.3f} "
              f"{row['speedup']:7.2f}x {row['max_abs_diff_after_5_steps']:10.2e}  "
              f"{row['status']}")
        if row.get("where"):
            print("   capture failed in:", *row["where"], sep="\n     ")
    if args.fit:
        print(f"\n{'Keras fit':8} {'off st/s':>8} {'on st/s':>8} {'speed-up':>8}  train function")
        for name in args.workloads.split(","):
            row = measure_fit(eng, name.strip(), device, args.repeats)
            results.append(row)
            print(f"{name.strip():8} {row['steps_per_s_off']:8.1f} {row['steps_per_s_on']:8.1f} "
                  f"{row['speedup']:7.2f}x  {row['status']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
