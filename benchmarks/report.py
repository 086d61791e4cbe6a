"""The results table of bench_engine.py: its rows, targets, footers and loss lines.

Each row compares one eagerlab figure with one reference figure of the same run (or a
recorded one) and may carry a target ratio or an absolute limit; see `harness.Row`.
"""

from __future__ import annotations

import bench_traced as T
import harness as H

# TF 2.21 eager (Keras LSTM) on W4, as recorded in WORKLOADS.md on a 2 vCPU Zen 4
# machine with one BLAS thread. TF is not run here; the target is twice this.
TF_EAGER_W4_STEPS = 6.0
# WORKLOADS.md's GPU target: W2/W3/W4 traced within 1.5x of PyTorch on the same GPU, that
# is at least 1/1.5 of its steps/s.
GPU_VS_TORCH = 1.5


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
    ("W2 MLP traced", "steps/s", "W2 traced", "numpy:W2 hand step", "hand NumPy step", True,
     1.05, None, None),
    ("W2 MLP traced", "steps/s", "W2 traced", "numpy:W2 GEMM-only, in turn with traced",
     "NumPy GEMM-only", True, 0.9, None, None),
    ("W2 MLP traced", "steps/s", "W2 traced", "tensorflow:W2 graph", "TF graph (tf.function)",
     True, None, None, None),
    ("W3 CNN traced", "steps/s", "W3 traced", "numpy:W3 GEMM-only, in turn with traced",
     "NumPy GEMM-only", True, 0.95, None, None),
    ("W3 CNN traced", "steps/s", "W3 traced", "numpy:W3 hand step", "hand NumPy step", True,
     None, None, None),
    # The issues' literal W3 / W4 targets: TF graph's steps/s, PyTorch's fused LSTM's (peers
    # measured in this run; n/a without them). WORKLOADS.md's GEMM-only ratios stand in
    # for them where the peers are not installed.
    ("W3 CNN traced", "steps/s", "W3 traced", "tensorflow:W3 graph", "TF graph (tf.function)",
     True, 1.0, None, None),
    ("W4 LSTM traced", "steps/s", "W4 traced", "numpy:W4 GEMM-only, in turn with traced",
     "NumPy GEMM-only", True, 0.85, None, None),
    ("W4 LSTM traced", "steps/s", "W4 traced", "numpy:W4 hand step", "hand NumPy step", True,
     None, None, None),
    ("W4 LSTM traced", "steps/s", "W4 traced", "torch:W4 eager", "PyTorch eager (fused LSTM)",
     True, 1.0, None, None),
    *T.ROWS,
    ("Mem W2 peak RSS", "MB", "Mem", "numpy:Mem", "NumPy-only process", False, None, 150.0,
     None),
]


def _gpu_rows() -> list:
    """The rows of a GPU run, in `ROWS`' layout.

    Absolute figures; W2-W4 are set beside eager PyTorch on the same GPU (the target is
    on the traced rows, as WORKLOADS.md sets it), and the NumPy figures, measured on this
    machine's CPU, are there for scale. No memory row: the peak RSS of the host process
    says nothing about GPU memory.
    """
    torch = "PyTorch eager (cuda)"
    rows = []
    for name, key in (("W1 add 32x32", "W1 add"), ("W1 matmul 64x64", "W1 matmul")):
        rows += [(name, "us/op", key, "torch:" + key, torch, False, None, None, None),
                 (name, "us/op", key, "numpy:" + key, "hand NumPy (CPU)", False, None, None,
                  None)]
    for name, key in (("W2 MLP", "W2"), ("W3 CNN", "W3"), ("W4 LSTM", "W4")):
        rows += [(f"{name} traced", "steps/s", key + " traced", f"torch:{key} eager", torch,
                  True, 1 / GPU_VS_TORCH, None, None),
                 (f"{name} eager", "steps/s", key + " eager", f"torch:{key} eager", torch, True,
                  None, None, None),
                 (f"{name} eager", "steps/s", key + " eager", f"numpy:{key} hand step",
                  "hand NumPy step (CPU)", True, None, None, None),
                 (f"{name} eager", "steps/s", key + " eager", f"numpy:{key} GEMM-only",
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
    """The first steps' losses: same weights and batches, so eagerlab (eager and traced)
    should match NumPy closely, and the traced step should match the eager one."""
    lines = []
    for name in ("W2", "W3", "W4", "W6"):
        ref, got = losses.get("numpy:" + name), losses.get("engine:" + name)
        if ref is None or got is None:
            continue
        lines.append(f"first-step loss {name}: eagerlab {got[0]:.6f}, NumPy {ref[0]:.6f} "
                     f"({_agree(got[:1], ref[:1])})")
        traced = losses.get(f"engine:{name} traced")
        text = ", ".join(f"{x:.6f}" for x in ref)
        line = f"losses of steps 1-{len(ref)} {name}: NumPy [{text}]; eager {_agree(got, ref)}"
        if traced is not None:
            same = "equal" if traced == got else f"max rel diff {_rel_diff(traced, got):.1e}"
            line += f"; traced {_agree(traced, ref)}, vs eager {same}"
        lines.append(line)
    return lines


def _rel_diff(got: list, ref: list) -> float:
    return max(abs(g - r) / max(1.0, abs(r)) for g, r in zip(got, ref))


def _agree(got: list, ref: list) -> str:
    return "agree" if _rel_diff(got, ref) <= 1e-4 else f"DIFFER ({got})"


def footer_lines(gpu: bool, device, no_peers: bool) -> list:
    """What the table's references and targets mean, for a CPU or a GPU run."""
    if not gpu:
        return [f"* TF eager {TF_EAGER_W4_STEPS:.1f} steps/s: the figure recorded in WORKLOADS.md "
                "on a 2 vCPU machine (one BLAS thread), not measured here; PASS needs >= "
                f"{2 * TF_EAGER_W4_STEPS:.1f} steps/s.",
                "Ratio = eagerlab / reference (time for us/op and MB, rate for steps/s). "
                "Peer columns: eager, measured now, n/a when not importable. Traced rows: "
                "the same step in one engine.function, every graph pass on."]
    torch_note = ("not run (--no-peers)" if no_peers else
                  "n/a when torch with CUDA is not importable" if H.peer_available("torch")
                  else "n/a: torch is not importable here")
    return [f"eagerlab ran on {device.short_name}: absolute figures, every timed block ends with "
            "a device synchronization. Reference 'PyTorch eager (cuda)': torch on the same GPU, "
            f"measured now ({torch_note}).",
            f"GPU target (WORKLOADS.md): W2/W3/W4 traced within {GPU_VS_TORCH:g}x of PyTorch on "
            f"the same GPU, i.e. ratio >= {1 / GPU_VS_TORCH:.2f}x; the eager rows are for scale. "
            "W1 has no GPU target.",
            "References marked (CPU): NumPy on this machine's CPU, for scale only. "
            "Ratio = eagerlab / reference (time for us/op, rate for steps/s)."]
