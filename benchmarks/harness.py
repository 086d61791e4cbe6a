"""Timing, machine description and the results table of the benchmark suite.

Timing follows the peer benchmarks: a first call (lazy set-up), a few warm-up
steps, then REPEATS blocks of consecutive steps, each long enough to last at
least BLOCK_SECONDS. Every block gives one sample; a figure is their median.

Example:
    >>> samples = rate_blocks(lambda: sum(range(1000)))
    >>> figure = median(samples)   # steps per second
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import workloads as W

PEERS = ("torch", "tensorflow", "jax")
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ---------------------------------------------------------------- timing
def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """The best of `repeats` wall times of `fn()` after one warm-up call, in ms: the least
    noisy estimate of a kernel's own cost (the kernel benchmarks use it).

    Example:
        >>> best_ms(lambda: sum(range(100)), 3) > 0
        True
    """
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def rate_blocks(step: Callable[[], object], repeats: int | None = None,
                block_s: float | None = None, items_per_step: float = 1.0,
                sync: Callable[[], object] | None = None) -> list:
    """Throughput samples (items per second) of `step`, one per timed block.

    Args:
        step: runs one step; its result is ignored.
        repeats: number of timed blocks (default `workloads.REPEATS`).
        block_s: minimum wall time of a block (default `workloads.BLOCK_SECONDS`).
        items_per_step: what one step counts for (1 gives steps per second).
        sync: waits until work queued on an accelerator is done; called before every
            clock reading that ends a timed stretch (None on the CPU, where ops are
            synchronous).
    Returns:
        A list of `repeats` floats.

    Example:
        >>> samples = rate_blocks(lambda: sum(range(1000)), repeats=2, block_s=0.01)
        >>> len(samples)
        2
    """
    repeats = repeats or W.REPEATS
    block_s = block_s or W.BLOCK_SECONDS
    sync = sync or _no_sync
    step()  # the first call pays for lazy set-up, caches and allocations
    sync()
    start = time.perf_counter()
    for _ in range(W.WARMUP_STEPS):
        step()
    sync()
    per_step = (time.perf_counter() - start) / W.WARMUP_STEPS
    steps = max(W.MIN_STEPS_PER_BLOCK, math.ceil(block_s / max(per_step, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        samples.append(steps * items_per_step / (time.perf_counter() - start))
    return samples


def us_per_op(op: Callable[[], object], iters: int | None = None,
              repeats: int | None = None, sync: Callable[[], object] | None = None) -> list:
    """Microseconds per call of `op`, one sample per block of `iters` back-to-back calls.

    Args:
        op: runs one op; its result is ignored.
        iters: calls per block (default `workloads.W1_ITERS`).
        repeats: number of timed blocks (default `workloads.REPEATS`).
        sync: as for `rate_blocks`: waits for an accelerator before each block's clock
            reading ends it.
    Returns:
        A list of `repeats` floats.

    Example:
        >>> samples = us_per_op(lambda: 1 + 1, iters=100, repeats=2)
        >>> len(samples)
        2
    """
    iters = iters or W.W1_ITERS
    repeats = repeats or W.REPEATS
    sync = sync or _no_sync
    for _ in range(200):
        op()
    sync()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            op()
        sync()
        samples.append((time.perf_counter() - start) / iters * 1e6)
    return samples


def _no_sync() -> None:
    """The CPU's `sync`: NumPy ops are done when they return."""


def interleaved_rates(sides: dict, repeats: int | None = None,
                      block_s: float | None = None) -> dict:
    """Throughput samples of several steps, measured block by block in turn.

    Each side gets one untimed first call (tracing, caches) and a calibration run, then
    `repeats` rounds in which every side runs one timed block lasting at least
    `block_s`. Taking the blocks in turn keeps a ratio of two sides fair on a shared
    machine whose load drifts between blocks.

    Args:
        sides: `{key: (step, items per step)}`; `step()` runs one step (or one epoch).
        repeats: timed blocks per side (default `workloads.REPEATS`).
        block_s: minimum wall time of a block (default `workloads.BLOCK_SECONDS`).

    Returns:
        `{key: [items per second, one per block]}`.

    Example:
        >>> rates = interleaved_rates({"a": (lambda: None, 1)}, repeats=2, block_s=1e-3)
        >>> len(rates["a"])
        2
    """
    repeats = repeats or W.REPEATS
    block_s = block_s or W.BLOCK_SECONDS
    counts = {}
    for key, (step, _) in sides.items():
        step()
        calls, start = 0, time.perf_counter()
        while calls < W.WARMUP_STEPS and (calls == 0 or time.perf_counter() - start < block_s):
            step()
            calls += 1
        per_call = (time.perf_counter() - start) / calls
        counts[key] = max(1, math.ceil(block_s / max(per_call, 1e-9)))
    samples: dict = {key: [] for key in sides}
    for _ in range(repeats):
        for key, (step, items) in sides.items():
            start = time.perf_counter()
            for _ in range(counts[key]):
                step()
            samples[key].append(counts[key] * items / (time.perf_counter() - start))
    return samples


def median(samples: list | None) -> float | None:
    """The median of `samples`, or None when there are none."""
    return statistics.median(samples) if samples else None


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    On Linux this is VmHWM from /proc/self/status. `ru_maxrss` is the fallback
    elsewhere: on Linux a child process started by `subprocess` reports at least
    its parent's peak there, since exec carries the old high-water mark over.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1024 * 1024 if platform.system() == "Darwin" else 1024  # bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


# ---------------------------------------------------------------- the machine
def blas_info() -> list:
    """threadpoolctl's description of each BLAS loaded in this process ([] without it)."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return []
    import threadpoolctl
    return [info for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


def machine_info() -> dict:
    """Date, machine, Python, NumPy, BLAS and the thread variables, for the report."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "env": {name: os.environ.get(name) for name in _THREAD_VARS},
        "peers": {name: peer_available(name) for name in PEERS},
        "cpu_jit": cpu_jit_info(),
        "cpu_flags": cpu_flags(),
    }


def cpu_flags() -> list:
    """The processor's AVX-512 foundation and AVX2 flags, as /proc/cpuinfo lists them
    ([] where there is no such file)."""
    try:
        with open("/proc/cpuinfo") as f:
            line = next((ln for ln in f if ln.startswith("flags")), "")
    except OSError:
        return []
    return [flag for flag in ("avx2", "avx512f") if flag in line.split()]


def blas_pin_note(info: dict) -> str | None:
    """A warning line when NumPy's OpenBLAS runs a kernel narrower than the processor's
    vectors (OPENBLAS_CORETYPE=Haswell on an AVX-512 machine, as some of these machines
    set): the peers' own kernels (oneDNN, PyTorch) use AVX-512, NumPy's GEMMs do not."""
    narrow = [b for b in info.get("blas", []) if str(b.get("architecture")).lower() in (
        "haswell", "zen", "sandybridge")]
    if not narrow or "avx512f" not in info.get("cpu_flags", []):
        return None
    return ("note: NumPy's BLAS runs its " + str(narrow[0].get("architecture")) + " (AVX2) "
            "kernel on an AVX-512 processor (OPENBLAS_CORETYPE="
            f"{info['env'].get('OPENBLAS_CORETYPE')}); TensorFlow and PyTorch use AVX-512, so "
            "against the peers run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` "
            "(benchmarks/README.md, 'Against the peers')")


def cpu_jit_info() -> str:
    """Whether traced graphs' fused kernels may be compiled by Numba (engine.graph.fused_jit);
    checked without importing the engine or Numba."""
    if os.environ.get("EAGERLAB_CPU_JIT", "1").strip().lower() in ("0", "false", "no", "off"):
        return "off (EAGERLAB_CPU_JIT)"
    if importlib.util.find_spec("numba") is None:
        return "off (numba not installed: NumPy fused kernels)"
    from importlib.metadata import version
    return f"on (numba {version('numba')})"


def header_lines(info: dict) -> list:
    """The machine description as printable lines."""
    lines = [f"eagerlab benchmarks, {info['date']}",
             (f"machine: {info['platform']} ({info['processor']}), {info['cpu_count']} CPUs, "
              f"Python {info['python']}, NumPy {info['numpy']}")]
    if not info["blas"]:
        lines.append("BLAS: unknown (install threadpoolctl to see which kernel runs)")
    for blas in info["blas"]:
        lines.append(f"BLAS: {blas.get('internal_api')} {blas.get('version')}, "
                     f"kernel (coretype) {blas.get('architecture')}, "
                     f"{blas.get('num_threads')} threads, {blas.get('threading_layer')}")
    lines.append("env: " + ", ".join(f"{k}={v}" for k, v in info["env"].items()))
    lines.append("peers importable: " + ", ".join(
        f"{k} {'yes' if v else 'no'}" for k, v in info["peers"].items()))
    lines.append("compiled CPU fused kernels: " + info["cpu_jit"])
    note = blas_pin_note(info)
    if note:
        lines.append(note)
    return lines


def peer_available(name: str) -> bool:
    """Whether the peer framework `name` (a module name) can be imported here."""
    return importlib.util.find_spec(name) is not None


# ---------------------------------------------------------------- results
@dataclass
class Row:
    """One line of the results table.

    `ratio` is eagerlab's figure divided by the reference figure. A row with a
    `target` passes when the ratio is at least it (`higher_is_better`) or at
    most it; a row with `limit` passes when eagerlab's own figure is within it.
    """

    name: str
    unit: str
    engine: float | None
    reference: float | None
    reference_label: str
    higher_is_better: bool = True
    target: float | None = None
    limit: float | None = None
    peers: dict = field(default_factory=dict)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.engine is None or not self.reference:
            return None
        return self.engine / self.reference

    @property
    def target_text(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        if self.target is not None:
            return f"{sign} {self.target:.2f}x"
        if self.limit is not None:
            return f"{sign} {self.limit:g} {self.unit}"
        return ""

    @property
    def verdict(self) -> str:
        if self.target is None and self.limit is None:
            return ""
        value = self.ratio if self.target is not None else self.engine
        bound = self.target if self.target is not None else self.limit
        if value is None:
            return "n/a"
        met = value >= bound if self.higher_is_better else value <= bound
        return "PASS" if met else "MISS"


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


_COLUMNS = [("workload", 30), ("eagerlab", 9), ("reference", 34), ("ref", 8),
            ("ratio", 7), ("target", 12), ("verdict", 7)]


def table_lines(rows: list, peers: tuple = PEERS) -> list:
    """The results as a fixed-width table, the figures of `peers` in the last columns.

    Args:
        rows: `Row`s, printed in order.
        peers: the peer columns (none for a GPU run, whose reference is PyTorch itself).
    Returns:
        The header, a rule and one line per row (plus a note line where a row has one).
    """
    names = [name for name, _ in _COLUMNS] + list(peers)
    widths = [width for _, width in _COLUMNS] + [10] * len(peers)
    lines = [" ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip(),
             " ".join("-" * w for w in widths)]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
        cells = [f"{row.name} ({row.unit})", _fmt(row.engine), row.reference_label,
                 _fmt(row.reference), ratio, row.target_text, row.verdict]
        cells += [_fmt(row.peers.get(peer)) if row.peers else "" for peer in peers]
        lines.append(" ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
        if row.note:
            lines.append("    note: " + row.note)
    return lines


def write_json(path: str, info: dict, rows: list, samples: dict) -> None:
    """Write the machine description, the table rows and every raw sample to `path`."""
    report = {"machine": info, "rows": [], "samples": samples}
    for row in rows:
        record = asdict(row)
        record.update(ratio=row.ratio, target_text=row.target_text, verdict=row.verdict)
        report["rows"].append(record)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2, default=str)
