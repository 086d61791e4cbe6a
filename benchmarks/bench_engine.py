"""eagerlab's benchmarks W1-W7 and peak memory, eager and traced, against hand-written NumPy.

Every train step is written the way a TensorFlow 2 user writes one without
Keras: Variables, a GradientTape around the forward pass, `tape.gradient`, and
Adam as plain engine ops on slot Variables. The traced steps are the same Python
wrapped in `engine.function` (with `bench_traced.GraphAdam`, whose step count is a
Variable); W5-W7 and the per-pass table live in `bench_traced.py`.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_engine.py
    python benchmarks/bench_engine.py --workloads W1,W2 --json out.json
    python benchmarks/bench_engine.py --reference-only    # NumPy figures alone
    python benchmarks/bench_engine.py --device /GPU:0     # eagerlab on a GPU (CuPy)

With `--device /GPU:0` the variables, the data and every op of each step live on
the GPU, each timed block ends with a device synchronization, and the table gives
absolute figures against PyTorch on the same GPU (where torch with CUDA imports)
and against the NumPy figures of this machine's CPU.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import traceback
import warnings

import bench_keras as K
import bench_traced as T
import harness as H
import numpy as np
import numpy_reference as R
import workloads as W
from report import TF_EAGER_W4_STEPS, build_rows, footer_lines, loss_lines

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ALL = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "Passes", "Keras", "Mem"]
CPU_ONLY = ("W5", "W6", "W7", "Passes", "Keras")
LOSS_STEPS = 3  # losses compared with NumPy's: the first steps of each train step
CPU0 = "/CPU:0"


def load_engine():
    """Import eagerlab's `engine` from the repository root: (module, None) or (None, why)."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    try:
        eng = importlib.import_module("engine")
    except Exception as exc:  # noqa: BLE001 - an engine under construction fails in any way
        return None, f"{type(exc).__name__}: {exc}"
    if getattr(eng, "__file__", None) is None:  # a bare folder imports as a namespace package
        return None, "engine/__init__.py does not exist yet"
    return eng, None


# ---------------------------------------------------------------- devices
def resolve_device(eng, spec: str):
    """The engine's `Device` for `spec` ('/CPU:0', '/GPU:0', ...).

    Raises:
        InvalidArgumentError: (the engine's) naming the devices that exist.
    """
    return eng.backend.devices.get(spec)


def on_gpu(device) -> bool:
    """Whether `device` (an engine `Device`, or None for the default /CPU:0) is a GPU."""
    return device is not None and device.device_type == "GPU"


def placement(eng, device):
    """The scope that puts ops and new tensors on `device`.

    On /CPU:0 (or None) it is `engine.device(None)`, no scope at all: /CPU:0 is where
    ops go without one, and a device scope turns dispatch's fast path off (W1's add
    takes about 3x as long inside `engine.device('/CPU:0')`), so CPU runs measure
    exactly what they measured before `--device` existed. Any other device gets
    `engine.device(device)`. The scope can be entered again and again.
    """
    if device is None or device.short_name == CPU0:
        return eng.device(None)
    return eng.device(device)


def synchronizer(device):
    """A function that waits for the work queued on `device`, or None on a CPU.

    CuPy launches kernels asynchronously, so a timed block must end with a device
    synchronization. CuPy is reached through `engine.backend.cupy_backend`'s lazy
    module, and only for a GPU. A backend with its own `synchronize(index)` (a test's
    fake GPU) is used as it is.
    """
    if not on_gpu(device):
        return None
    index, backend = device.index, device.backend
    if hasattr(backend, "synchronize"):
        return lambda: backend.synchronize(index)
    if getattr(backend, "name", None) == "cupy":
        return backend.xp.cuda.Device(index).synchronize  # every stream of that GPU
    return None


def gpu_info(device) -> dict:
    """Name, CuPy and CUDA versions of a GPU `device`, for the header and the JSON."""
    info = {"device": device.short_name, "backend": getattr(device.backend, "name", "?")}
    if info["backend"] != "cupy":
        return info
    try:
        cupy = device.backend.xp
        props = cupy.cuda.runtime.getDeviceProperties(device.index)
        name = props.get("name", b"?")
        info.update(name=name.decode() if isinstance(name, bytes) else str(name),
                    memory_gb=round(props.get("totalGlobalMem", 0) / 2**30, 1),
                    cupy=cupy.__version__,
                    cuda_runtime=cupy.cuda.runtime.runtimeGetVersion(),
                    cuda_driver=cupy.cuda.runtime.driverGetVersion())
    except Exception as exc:  # noqa: BLE001 - the header must not stop the run
        info["error"] = f"{type(exc).__name__}: {exc}"
    return info


def check_on_device(device, what: str, tensors) -> None:
    """Raises RuntimeError unless every tensor in `tensors` lives on `device`."""
    want = device.name if device is not None else None
    for t in tensors:
        if want is not None and t.device != want:
            raise RuntimeError(f"{what}: {getattr(t, 'name', 'a result')} lives on {t.device}, "
                               f"not on {want}; the benchmark would time the wrong device.")


# ---------------------------------------------------------------- engine steps
class Adam:
    """Adam as a TF2 user writes it by hand: m and v slots as Variables, updated by assign."""

    def __init__(self, eng, variables: list, initial: list, lr: float) -> None:
        self.eng, self.variables, self.lr, self.t = eng, variables, lr, 0
        self.m = [eng.Variable(np.zeros_like(a), name=f"adam_m{i}") for i, a in enumerate(initial)]
        self.v = [eng.Variable(np.zeros_like(a), name=f"adam_v{i}") for i, a in enumerate(initial)]

    def apply(self, grads: list) -> None:
        eng, b1, b2 = self.eng, W.ADAM_BETA1, W.ADAM_BETA2
        self.t += 1
        alpha = self.lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for var, g, m, v in zip(self.variables, grads, self.m, self.v):
            m.assign(m + (1 - b1) * (g - m))
            v.assign(v + (1 - b2) * (eng.square(g) - v))
            var.assign_sub(alpha * m / (eng.sqrt(v) + W.ADAM_EPS))


def tape_step(eng, loss_fn, arrays: list, names: list, batches: list, lr: float,
              device=None, traced: bool = False):
    """A step cycling over `batches`: loss under a GradientTape, gradients, Adam.

    The variables, the Adam slots, the data batches and every op of the step are
    placed on `device` (see `placement`). The step returns the loss tensor and has an
    attribute `variables`: the model's variables followed by Adam's slots. With
    `traced`, the loss, gradients and update run as one `engine.function` (Adam is
    `bench_traced.GraphAdam`) and `step.concrete()` gives its concrete function.
    """
    scope = placement(eng, device)
    with scope:
        variables = [eng.Variable(a, name=n) for a, n in zip(arrays, names)]
        opt = (T.GraphAdam if traced else Adam)(eng, variables, arrays, lr)
        data = [(eng.constant(x), eng.constant(y)) for x, y in batches]
    count = [0]

    def train(x, y):
        with eng.GradientTape() as tape:
            loss = loss_fn(variables, x, y)
        opt.apply(tape.gradient(loss, variables))
        return loss

    run = eng.function(train) if traced else train

    def step():
        x, y = data[count[0] % len(data)]
        count[0] += 1
        with scope:
            return run(x, y)
    step.variables = variables + opt.m + opt.v
    if traced:
        step.concrete = lambda: run.get_concrete_function(*data[0])
    return step


def mean_sparse_ce(eng, labels, logits):
    return eng.reduce_mean(
        eng.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def engine_w2_step(eng, device=None, traced: bool = False):
    def loss_fn(params, x, y):
        h = x                                                   # (batch, 784)
        for i in range(0, len(params) - 2, 2):
            h = eng.nn.relu(eng.matmul(h, params[i]) + params[i + 1])
        logits = eng.matmul(h, params[-2]) + params[-1]         # (batch, 10)
        return mean_sparse_ce(eng, y, logits)

    names = [f"dense{i // 2}/{('kernel', 'bias')[i % 2]}" for i in range(6)]
    return tape_step(eng, loss_fn, W.mlp_params(), names, W.w2_batches(), W.W2_LR, device,
                     traced)


def engine_w3_step(eng, device=None, traced: bool = False):
    def loss_fn(params, x, y):
        k1, b1, k2, b2, wd, bd = params
        h = eng.nn.relu(eng.nn.bias_add(eng.nn.conv2d(x, k1, strides=1, padding="VALID"), b1))
        h = eng.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")      # (64, 13, 13, 32)
        h = eng.nn.relu(eng.nn.bias_add(eng.nn.conv2d(h, k2, strides=1, padding="VALID"), b2))
        h = eng.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")      # (64, 5, 5, 64)
        h = eng.reshape(h, (W.W3_BATCH, W.W3_FLAT))
        return mean_sparse_ce(eng, y, eng.matmul(h, wd) + bd)

    names = ["conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias",
             "dense/kernel", "dense/bias"]
    return tape_step(eng, loss_fn, W.cnn_params(), names, W.w3_batches(), W.W3_LR, device,
                     traced)


def engine_w4_step(eng, device=None, traced: bool = False):
    """The LSTM cell in core ops, one Python iteration per time step, time-major inside."""
    steps, batch, hidden = W.W4_SEQ, W.W4_BATCH, W.W4_HIDDEN
    with placement(eng, device):
        zeros = eng.constant(np.zeros((batch, hidden), W.DTYPE))

    def loss_fn(params, tokens, targets):
        emb, wx, wh, bias, wd, bd = params
        e = eng.reshape(eng.gather(emb, tokens), (steps * batch, W.W4_EMBED))
        x_gates = eng.split(eng.matmul(e, wx) + bias, steps, axis=0)  # T x (B, 4H)
        h, c, outputs = zeros, zeros, []
        for x_t in x_gates:
            i, f, g, o = eng.split(x_t + eng.matmul(h, wh), 4, axis=1)
            c = eng.sigmoid(f) * c + eng.sigmoid(i) * eng.tanh(g)
            h = eng.sigmoid(o) * eng.tanh(c)
            outputs.append(h)
        hs = eng.reshape(eng.stack(outputs, axis=0), (steps * batch, hidden))
        return mean_sparse_ce(eng, targets, eng.matmul(hs, wd) + bd)

    # time-major data: tokens (T, B), targets flattened in the same (T, B) order
    batches = [(np.ascontiguousarray(x.T), np.ascontiguousarray(y.T).reshape(-1))
               for x, y in W.w4_batches()]
    names = ["embedding", "lstm/wx", "lstm/wh", "lstm/bias", "dense/kernel", "dense/bias"]
    return tape_step(eng, loss_fn, W.lstm_params(), names, batches, W.W4_LR, device, traced)


def to_float(value) -> float:
    return float(value.numpy()) if hasattr(value, "numpy") else float(value)


# ---------------------------------------------------------------- measuring
def measure_reference(workloads: list, samples: dict, losses: dict) -> None:
    """NumPy figures into `samples` (key 'numpy:...'), first-step losses into `losses`."""
    ops = R.w1_ops()
    if "W1" in workloads:
        samples["numpy:W1 add"] = H.us_per_op(ops["add"])
        samples["numpy:W1 matmul"] = H.us_per_op(ops["matmul"])
    builders = {"W2": R.w2_step, "W3": R.w3_step, "W4": R.w4_step}
    for name in ("W2", "W3", "W4"):
        if name in workloads:
            step = builders[name]()
            losses["numpy:" + name] = [step() for _ in range(LOSS_STEPS)]
            samples[f"numpy:{name} hand step"] = H.rate_blocks(builders[name]())
            samples[f"numpy:{name} GEMM-only"] = H.rate_blocks(R.gemm_only_step(name))


def measure_engine_w1(eng, samples: dict, device=None) -> None:
    """W1 with engine constants: dispatch cost of one small add and one 64x64 matmul.

    The scope is entered once around each timed loop rather than in every call, so
    that it is not part of the per-op figure.
    """
    sync = synchronizer(device)
    with placement(eng, device):
        a, b, ma, mb = (eng.constant(t) for t in W.w1_data())
        check_on_device(device, "W1", [a + b, ma @ mb])
        samples["engine:W1 add"] = H.us_per_op(lambda: a + b, sync=sync)
        samples["engine:W1 matmul"] = H.us_per_op(lambda: ma @ mb, sync=sync)


BUILDERS = {"W2": engine_w2_step, "W3": engine_w3_step, "W4": engine_w4_step}


def first_step(eng, name: str, device=None, notes: list | None = None, traced: bool = False,
               count: int = 1):
    """Builds workload `name`'s step on `device`, runs it `count` times and returns the
    last loss (with `count` > 1, the list of all of them as floats).

    Checks that the loss, the variables and Adam's slots live on `device`. Warnings
    from the step (such as an op without a GPU kernel falling back to the CPU) are
    appended to `notes` instead of being printed in the middle of the run.
    """
    step = BUILDERS[name](eng, device, traced=traced)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [step() for _ in range(count)]
    check_on_device(device, name, [losses[0], *step.variables])
    if notes is not None:
        kind = " traced" if traced else ""
        notes.extend(f"{name}{kind}: {w.category.__name__}: {w.message}" for w in caught)
    return losses[-1] if count == 1 else [to_float(loss) for loss in losses]


def measure_engine(eng, workloads: list, samples: dict, losses: dict, errors: dict,
                   device=None, notes: list | None = None) -> None:
    """Engine figures into `samples` (key 'engine:...'); a failing workload goes to `errors`.

    Every op runs on `device` (None: /CPU:0); each timed block ends with its
    `synchronizer`.
    """
    sync = synchronizer(device)
    for name in [w for w in ("W1", "W2", "W3", "W4") if w in workloads]:
        try:
            if name == "W1":
                measure_engine_w1(eng, samples, device)
                continue
            losses["engine:" + name] = first_step(eng, name, device, notes, count=LOSS_STEPS)
            samples[f"engine:{name} eager"] = H.rate_blocks(BUILDERS[name](eng, device),
                                                            sync=sync)
            losses[f"engine:{name} traced"] = first_step(eng, name, device, notes, traced=True,
                                                         count=LOSS_STEPS)
            traced = BUILDERS[name](eng, device, traced=True)
            if on_gpu(device):
                samples[f"engine:{name} traced"] = H.rate_blocks(traced, sync=sync)
            else:  # in turn with the GEMMs, so that the ratio does not follow load drift
                rates = H.interleaved_rates({"traced": (traced, 1),
                                             "gemm": (R.gemm_only_step(name), 1)})
                samples[f"engine:{name} traced"] = rates["traced"]
                samples[f"numpy:{name} GEMM-only, in turn with traced"] = rates["gemm"]
        except Exception:  # noqa: BLE001 - report the failure, go on with the next workload
            errors[name] = traceback.format_exc(limit=-3).strip().splitlines()[-1]
            print(f"engine {name} failed:\n{traceback.format_exc(limit=-3)}", flush=True)


def measure_traced(eng, name: str, samples: dict, losses: dict, errors: dict,
                   pass_table: list) -> None:
    """W5, W6, W7 or the pass table (`bench_traced`); a failure goes to `errors`."""
    try:
        if name == "W5":
            T.measure_w5(eng, engine_w2_step, samples)
        elif name == "W6":
            T.measure_w6(eng, samples, losses)
        elif name == "W7":
            T.measure_w7(eng, samples)
        elif name == "Passes":
            T.measure_passes(eng, {"W2": engine_w2_step, "W3": engine_w3_step}, samples,
                             pass_table)
        elif name == "Keras":  # W2/W6 fit, W7 predict (bench_keras.py)
            K.measure(eng, samples, losses, errors)
    except Exception:  # noqa: BLE001 - report the failure, go on with the next workload
        errors[name] = traceback.format_exc(limit=-3).strip().splitlines()[-1]
        print(f"engine {name} failed:\n{traceback.format_exc(limit=-3)}", flush=True)


def memory_child(kind: str) -> None:
    """Run W2 for a few steps with `kind` ('engine' or 'numpy'), print peak RSS in MB."""
    if kind == "engine":
        eng, why = load_engine()
        if eng is None:
            raise SystemExit("engine not importable: " + why)
        step = engine_w2_step(eng)
    else:
        step = R.w2_step()
    for _ in range(W.MEM_STEPS):
        step()
    print(json.dumps({"peak_rss_mb": H.peak_rss_mb()}))


def measure_memory(kinds: list, samples: dict, errors: dict) -> None:
    """Peak RSS of a fresh W2 process per kind, into `samples` under '<kind>:Mem'."""
    for kind in kinds:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", kind],
                              check=False, capture_output=True, text=True, cwd=ROOT)
        if done.returncode == 0:
            samples[kind + ":Mem"] = [json.loads(done.stdout.splitlines()[-1])["peak_rss_mb"]]
        else:
            errors["Mem " + kind] = (done.stderr.strip().splitlines() or ["failed"])[-1]


def peer_env() -> dict:
    """The environment for the peers: with one BLAS thread asked for, one thread for TF and XLA."""
    env = dict(os.environ)
    if env.get("OPENBLAS_NUM_THREADS") == "1" or env.get("OMP_NUM_THREADS") == "1":
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                     "TF_NUM_INTEROP_THREADS"):
            env.setdefault(name, "1")
        env.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                    "intra_op_parallelism_threads=1")
    return env


def measure_peers(workloads: list, samples: dict, errors: dict, peers: tuple = H.PEERS,
                  device: str = "cpu") -> None:
    """Each importable peer in its own subprocess; figures under '<peer>:...'.

    `device` is 'cpu' or 'cuda' (PyTorch alone runs on 'cuda' here).
    """
    wanted = ",".join(w for w in workloads if w in ("W1", "W2", "W3", "W4"))
    for peer in peers:
        if not wanted or not H.peer_available(peer):
            continue
        print(f"running {peer} on {device} for the peer figures ...", flush=True)
        done = subprocess.run([sys.executable, os.path.join(HERE, "peer_frameworks.py"),
                               "--framework", peer, "--workloads", wanted,
                               "--repeats", str(W.REPEATS), "--device", device],
                              check=False, capture_output=True, text=True, env=peer_env())
        if done.returncode != 0:
            errors[peer] = (done.stderr.strip().splitlines() or ["failed"])[-1]
            continue
        for key, values in json.loads(done.stdout.splitlines()[-1]).items():
            samples[f"{peer}:{key}"] = values


def main(argv: list | None = None) -> None:
    """The command line (see the module docstring and benchmarks/README.md)."""
    parser = argparse.ArgumentParser(description="eagerlab benchmarks W1-W7, passes, memory")
    parser.add_argument("--workloads", default=",".join(ALL), help="subset of " + ",".join(ALL))
    parser.add_argument("--json", metavar="PATH", help="also write every result to PATH")
    parser.add_argument("--repeats", type=int, default=W.REPEATS, help="timed blocks a figure")
    parser.add_argument("--device", default=CPU0,
                        help="where eagerlab runs: /CPU:0 (default) or /GPU:0, /GPU:1, ...; "
                             "a GPU run reports absolute figures against PyTorch on cuda")
    parser.add_argument("--reference-only", action="store_true", help="NumPy figures alone")
    parser.add_argument("--no-peers", action="store_true", help="skip torch / tf / jax")
    parser.add_argument("--memory-child", choices=["engine", "numpy"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child)
    W.REPEATS = args.repeats
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(workloads) - set(ALL))
    if unknown:
        parser.error(f"unknown workloads {unknown}; expected a subset of {','.join(ALL)}")
    if args.reference_only and args.device != CPU0:
        parser.error(f"--reference-only runs NumPy alone; --device {args.device} has no effect "
                     "there. Drop one of the two.")

    info = H.machine_info()
    print("\n".join(H.header_lines(info)), flush=True)
    eng, why = (None, "--reference-only") if args.reference_only else load_engine()
    device = None
    if eng is not None:
        try:
            device = resolve_device(eng, args.device)
        except Exception as exc:  # noqa: BLE001 - the engine's InvalidArgumentError
            parser.error(f"--device {args.device}: {exc}")
    gpu = on_gpu(device)
    info["device"] = device.name if device is not None else CPU0
    print(f"engine: imported from {eng.__file__}" if eng else f"engine: not run ({why})")
    if gpu:
        info["gpu"] = gpu_info(device)
        print("eagerlab device: " + ", ".join(f"{k} {v}" for k, v in info["gpu"].items()))
        if "Mem" in workloads:
            workloads.remove("Mem")
            print("Mem: skipped on a GPU: the host's peak RSS says nothing about GPU memory.")
        skipped = [w for w in workloads if w in CPU_ONLY]
        if skipped:
            workloads = [w for w in workloads if w not in CPU_ONLY]
            print(f"{','.join(skipped)}: skipped on a GPU (CPU figures only).")
    samples, losses, errors, notes = {"recorded:W4 tf eager": [TF_EAGER_W4_STEPS]}, {}, {}, []
    pass_table: list = []
    if "Mem" in workloads:  # first, while this process is still small
        measure_memory(["numpy", "engine"] if eng else ["numpy"], samples, errors)
    for name in workloads:  # NumPy then eagerlab per workload, so both see the same machine
        measure_reference([name], samples, losses)
        if eng is not None and name in CPU_ONLY:
            measure_traced(eng, name, samples, losses, errors, pass_table)
        elif eng is not None:
            measure_engine(eng, [name], samples, losses, errors, device, notes)
    if not args.no_peers:
        if gpu:  # only PyTorch's figure makes the GPU target
            measure_peers(workloads, samples, errors, peers=("torch",), device="cuda")
        else:
            measure_peers(workloads, samples, errors)

    rows = build_rows(workloads, samples, errors, gpu)
    if "Keras" in workloads:
        rows += K.rows(samples, errors)
    print()
    print("\n".join(H.table_lines(rows, peers=() if gpu else H.PEERS)))
    for line in footer_lines(gpu, device, args.no_peers):
        print(line)
    for line in (loss_lines(losses) + K.report_lines(losses) + T.speedup_lines(samples)
                 + (T.pass_lines(pass_table) if pass_table else [])
                 + [f"error {k}: {v}" for k, v in errors.items()]
                 + [f"warning {note}" for note in notes]):
        print(line)
    if args.json:
        info["first_step_losses"], info["errors"], info["warnings"] = losses, errors, notes
        info["passes"] = [dict(zip(("workload", "off", "nodes", "steps_per_s"), row))
                          for row in pass_table]
        H.write_json(args.json, info, rows, samples)
        print("wrote " + args.json)


if __name__ == "__main__":
    main()
