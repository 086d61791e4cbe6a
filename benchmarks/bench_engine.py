"""eagerlab's eager benchmarks W1-W4 and peak memory, against hand-written NumPy.

Every train step is written the way a TensorFlow 2 user writes one without
Keras: Variables, a GradientTape around the forward pass, `tape.gradient`, and
Adam as plain engine ops on slot Variables.

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

import harness as H
import numpy as np
import numpy_reference as R
import workloads as W

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ALL = ["W1", "W2", "W3", "W4", "Mem"]
# TF 2.21 eager (Keras LSTM) on W4, as recorded in WORKLOADS.md on a 2 vCPU Zen 4
# machine with one BLAS thread. TF is not run here; the target is twice this.
TF_EAGER_W4_STEPS = 6.0
# WORKLOADS.md's GPU target: W2/W3/W4 within 1.5x of PyTorch on the same GPU, that is
# at least 1/1.5 of its steps/s. (It is set for traced steps; these steps are eager.)
GPU_VS_TORCH = 1.5
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
              device=None):
    """A step cycling over `batches`: loss under a GradientTape, gradients, Adam.

    The variables, the Adam slots, the data batches and every op of the step are
    placed on `device` (see `placement`). The step returns the loss tensor and has an
    attribute `variables`: the model's variables followed by Adam's slots.
    """
    scope = placement(eng, device)
    with scope:
        variables = [eng.Variable(a, name=n) for a, n in zip(arrays, names)]
        opt = Adam(eng, variables, arrays, lr)
        data = [(eng.constant(x), eng.constant(y)) for x, y in batches]
    count = [0]

    def step():
        x, y = data[count[0] % len(data)]
        count[0] += 1
        with scope:
            with eng.GradientTape() as tape:
                loss = loss_fn(variables, x, y)
            grads = tape.gradient(loss, variables)
            opt.apply(grads)
        return loss
    step.variables = variables + opt.m + opt.v
    return step


def mean_sparse_ce(eng, labels, logits):
    return eng.reduce_mean(
        eng.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def engine_w2_step(eng, device=None):
    def loss_fn(params, x, y):
        h = x                                                   # (batch, 784)
        for i in range(0, len(params) - 2, 2):
            h = eng.nn.relu(eng.matmul(h, params[i]) + params[i + 1])
        logits = eng.matmul(h, params[-2]) + params[-1]         # (batch, 10)
        return mean_sparse_ce(eng, y, logits)

    names = [f"dense{i // 2}/{('kernel', 'bias')[i % 2]}" for i in range(6)]
    return tape_step(eng, loss_fn, W.mlp_params(), names, W.w2_batches(), W.W2_LR, device)


def engine_w3_step(eng, device=None):
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
    return tape_step(eng, loss_fn, W.cnn_params(), names, W.w3_batches(), W.W3_LR, device)


def engine_w4_step(eng, device=None):
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
    return tape_step(eng, loss_fn, W.lstm_params(), names, batches, W.W4_LR, device)


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
            losses["numpy:" + name] = builders[name]()()
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


def first_step(eng, name: str, device=None, notes: list | None = None):
    """Builds workload `name`'s step on `device`, runs it once and returns the loss.

    Checks that the loss, the variables and Adam's slots live on `device`. Warnings
    from the step (such as an op without a GPU kernel falling back to the CPU) are
    appended to `notes` instead of being printed in the middle of the run.
    """
    step = BUILDERS[name](eng, device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = step()
    check_on_device(device, name, [loss, *step.variables])
    if notes is not None:
        notes.extend(f"{name}: {w.category.__name__}: {w.message}" for w in caught)
    return loss


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
            losses["engine:" + name] = to_float(first_step(eng, name, device, notes))
            samples[f"engine:{name} eager"] = H.rate_blocks(BUILDERS[name](eng, device),
                                                            sync=sync)
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


# ---------------------------------------------------------------- the table
# (name, unit, engine key, reference key, reference label, higher is better,
#  target ratio, absolute limit, peer key)
ROWS = [
    ("W1 add 32x32", "us/op", "W1 add", "numpy:W1 add", "hand NumPy", False, 2.5, None,
     "W1 add"),
    ("W1 matmul 64x64", "us/op", "W1 matmul", "numpy:W1 matmul", "hand NumPy", False, 1.3,
     None, "W1 matmul"),
    ("W2 MLP eager", "steps/s", "W2 eager", "numpy:W2 hand step", "hand NumPy step", True,
     0.75, None, "W2 eager"),
    ("W2 MLP eager", "steps/s", "W2 eager", "numpy:W2 GEMM-only", "NumPy GEMM-only", True,
     None, None, None),
    ("W3 CNN eager", "steps/s", "W3 eager", "numpy:W3 GEMM-only", "NumPy GEMM-only", True,
     0.6, None, "W3 eager"),
    ("W3 CNN eager", "steps/s", "W3 eager", "numpy:W3 hand step", "hand NumPy step", True,
     None, None, None),
    ("W4 LSTM eager", "steps/s", "W4 eager", "recorded:W4 tf eager", "TF eager, WORKLOADS.md *",
     True, 2.0, None, "W4 eager"),
    ("W4 LSTM eager", "steps/s", "W4 eager", "numpy:W4 GEMM-only", "NumPy GEMM-only", True,
     None, None, None),
    ("W4 LSTM eager", "steps/s", "W4 eager", "numpy:W4 hand step", "hand NumPy step", True,
     None, None, None),
    ("Mem W2 peak RSS", "MB", "Mem", "numpy:Mem", "NumPy-only process", False, None, 150.0,
     None),
]


def _gpu_rows() -> list:
    """The rows of a GPU run, in `ROWS`' layout.

    Absolute figures; the target row of W2-W4 is eager PyTorch on the same GPU, and the
    NumPy figures, measured on this machine's CPU, are there for scale. No memory row:
    the peak RSS of the host process says nothing about GPU memory.
    """
    torch = "PyTorch eager (cuda)"
    rows = []
    for name, key in (("W1 add 32x32", "W1 add"), ("W1 matmul 64x64", "W1 matmul")):
        rows += [(name, "us/op", key, "torch:" + key, torch, False, None, None, None),
                 (name, "us/op", key, "numpy:" + key, "hand NumPy (CPU)", False, None, None,
                  None)]
    for name, key in (("W2 MLP eager", "W2"), ("W3 CNN eager", "W3"), ("W4 LSTM eager", "W4")):
        rows += [(name, "steps/s", key + " eager", f"torch:{key} eager", torch, True,
                  1 / GPU_VS_TORCH, None, None),
                 (name, "steps/s", key + " eager", f"numpy:{key} hand step",
                  "hand NumPy step (CPU)", True, None, None, None),
                 (name, "steps/s", key + " eager", f"numpy:{key} GEMM-only",
                  "NumPy GEMM-only (CPU)", True, None, None, None)]
    return rows


GPU_ROWS = _gpu_rows()


def build_rows(workloads: list, samples: dict, errors: dict, gpu: bool = False) -> list:
    """The table's rows for `workloads`: `ROWS`, or `GPU_ROWS` for a GPU run.

    A workload whose engine run failed gets the error as a note on its first row.
    """
    rows, seen = [], set()
    for name, unit, key, ref_key, label, higher, target, limit, peer_key in (
            GPU_ROWS if gpu else ROWS):
        if name.split()[0] not in workloads:
            continue
        peers = {}
        if peer_key:
            peers = {p: H.median(samples.get(f"{p}:{peer_key}")) for p in H.PEERS}
        why = errors.get("Mem engine" if key == "Mem" else name.split()[0])
        first_row = name not in seen
        seen.add(name)
        rows.append(H.Row(name, unit, H.median(samples.get("engine:" + key)),
                          H.median(samples.get(ref_key)), label, higher, target, limit, peers,
                          note=f"engine failed: {why}" if why and first_row else ""))
    return rows


def loss_lines(losses: dict) -> list:
    """First-step losses: same weights and batch, so eagerlab should match NumPy closely."""
    lines = []
    for name in ("W2", "W3", "W4"):
        ref, got = losses.get("numpy:" + name), losses.get("engine:" + name)
        if ref is not None and got is not None:
            verdict = "agree" if abs(got - ref) <= 1e-4 * max(1.0, abs(ref)) else "DIFFER"
            lines.append(f"first-step loss {name}: eagerlab {got:.6f}, NumPy {ref:.6f} "
                         f"({verdict})")
    return lines


def main(argv: list | None = None) -> None:
    """The command line (see the module docstring and benchmarks/README.md)."""
    parser = argparse.ArgumentParser(description="eagerlab eager benchmarks W1-W4 and memory")
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
    samples, losses, errors, notes = {"recorded:W4 tf eager": [TF_EAGER_W4_STEPS]}, {}, {}, []
    if "Mem" in workloads:  # first, while this process is still small
        measure_memory(["numpy", "engine"] if eng else ["numpy"], samples, errors)
    for name in workloads:  # NumPy then eagerlab per workload, so both see the same machine
        measure_reference([name], samples, losses)
        if eng is not None:
            measure_engine(eng, [name], samples, losses, errors, device, notes)
    if not args.no_peers:
        if gpu:  # only PyTorch's figure makes the GPU target
            measure_peers(workloads, samples, errors, peers=("torch",), device="cuda")
        else:
            measure_peers(workloads, samples, errors)

    rows = build_rows(workloads, samples, errors, gpu)
    print()
    print("\n".join(H.table_lines(rows, peers=() if gpu else H.PEERS)))
    for line in footer_lines(gpu, device, args.no_peers):
        print(line)
    for line in (loss_lines(losses) + [f"error {k}: {v}" for k, v in errors.items()]
                 + [f"warning {note}" for note in notes]):
        print(line)
    if args.json:
        info["first_step_losses"], info["errors"], info["warnings"] = losses, errors, notes
        H.write_json(args.json, info, rows, samples)
        print("wrote " + args.json)


def footer_lines(gpu: bool, device, no_peers: bool) -> list:
    """What the table's references and targets mean, for a CPU or a GPU run."""
    if not gpu:
        return [f"* TF eager {TF_EAGER_W4_STEPS:.1f} steps/s: the figure recorded in WORKLOADS.md "
                "on a 2 vCPU machine (one BLAS thread), not measured here; PASS needs >= "
                f"{2 * TF_EAGER_W4_STEPS:.1f} steps/s.",
                "Ratio = eagerlab / reference (time for us/op and MB, rate for steps/s). "
                "Peer columns: eager, measured now, n/a when not importable."]
    torch_note = ("not run (--no-peers)" if no_peers else
                  "n/a when torch with CUDA is not importable" if H.peer_available("torch")
                  else "n/a: torch is not importable here")
    return [f"eagerlab ran on {device.short_name}: absolute figures, every timed block ends with "
            "a device synchronization. Reference 'PyTorch eager (cuda)': torch on the same GPU, "
            f"measured now ({torch_note}).",
            f"GPU target (WORKLOADS.md): W2/W3/W4 within {GPU_VS_TORCH:g}x of PyTorch on the same "
            f"GPU, i.e. ratio >= {1 / GPU_VS_TORCH:.2f}x (WORKLOADS.md sets it for traced steps; "
            "these are eager). W1 has no GPU target.",
            "References marked (CPU): NumPy on this machine's CPU, for scale only. "
            "Ratio = eagerlab / reference (time for us/op, rate for steps/s)."]


if __name__ == "__main__":
    main()
