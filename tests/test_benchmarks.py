"""The benchmark suite's device placement, tried on a fake GPU (no GPU needed).

`benchmarks/bench_engine.py --device /GPU:0` must put the variables, the data and every op
of each step on the GPU and synchronize before reading the clock. Here a fake GPU backend
(as in tests/test_devices.py: "device memory" is a NumPy subclass) stands in for CuPy, so
the step builders, the timing and the GPU table run end to end on the CPU, with tiny
block times.
"""

import json
import os
import sys

import numpy as np
import pytest

import engine
from engine import context
from engine.backend import devices
from tests.fake_gpu import FakeGPUArray, FakeGPUBackend

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)

import bench_engine as B  # noqa: E402 - needs benchmarks/ on sys.path
import harness as H  # noqa: E402
import workloads as W  # noqa: E402


@pytest.fixture
def tiny_blocks(monkeypatch):
    """One short block per figure, so that a whole run takes a fraction of a second."""
    for attr, value in (("REPEATS", 1), ("BLOCK_SECONDS", 1e-4), ("WARMUP_STEPS", 1),
                        ("MIN_STEPS_PER_BLOCK", 1), ("W1_ITERS", 10)):
        monkeypatch.setattr(W, attr, value)


@pytest.mark.parametrize("name, traced", [("W2", False), ("W3", False), ("W4", False),
                                          ("W2", True), ("W3", True)])
def test_steps_run_on_the_gpu_and_match_the_cpu(gpu, name, traced):
    cpu_step = B.BUILDERS[name](engine)
    device = B.resolve_device(engine, "/GPU:0")
    gpu_step = B.BUILDERS[name](engine, device, traced=traced)
    for _ in range(2):  # the second step reads Adam's slots written by the first
        want, got = cpu_step(), gpu_step()
        assert got.device.endswith("GPU:0") and isinstance(got._value, FakeGPUArray)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    for v in gpu_step.variables:  # the model's variables and Adam's slots
        assert v.device.endswith("GPU:0") and isinstance(v._value, FakeGPUArray), v.name
    assert len(gpu_step.variables) == 18
    if traced:
        assert gpu_step.concrete().graph.nodes[-1].device.device_type == "GPU"


def test_first_step_checks_the_device(gpu, monkeypatch):
    device = B.resolve_device(engine, "/GPU:0")
    loss = B.first_step(engine, "W2", device)
    assert loss.device.endswith("GPU:0")
    monkeypatch.setattr(B, "placement", lambda eng, device: engine.device(None))
    with pytest.raises(RuntimeError, match="W2: .* lives on .*CPU:0, not on .*GPU:0"):
        B.first_step(engine, "W2", device)


def test_cpu_placement_is_no_scope():
    """On /CPU:0 the steps run without a device scope, so dispatch's fast path stays on."""
    cpu = B.resolve_device(engine, "/CPU:0")
    slow = context.GLOBAL.slow
    with B.placement(engine, cpu):
        assert context.GLOBAL.slow == slow and not context.THREAD.devices
    assert B.synchronizer(cpu) is None and B.synchronizer(None) is None


def test_timing_synchronizes_before_reading_the_clock(tiny_blocks, gpu):
    samples = H.rate_blocks(lambda: None, repeats=3, sync=lambda: gpu.synchronize(0))
    assert len(samples) == 3 and gpu.syncs == 5   # first call, warm-up, then every block
    gpu.syncs = 0
    H.us_per_op(lambda: None, repeats=2, sync=lambda: gpu.synchronize(0))
    assert gpu.syncs == 3                          # warm-up, then every block


def test_cuda_graph_fit_rows_run_fit_on_the_device(gpu, tiny_blocks, monkeypatch):
    import bench_cuda_graphs as C
    import bench_keras as K

    monkeypatch.setattr(K, "W2_FIT_SAMPLES", 256)  # two batches of 128
    row = C.measure_fit(engine, "W2", B.resolve_device(engine, "/GPU:0"), 1)
    assert row["workload"] == "W2 fit" and row["steps_per_s_on"] > 0
    # the fake GPU is no CuPy device: nothing is captured, and the row says why
    assert row["status"] == "not captured: the graph does not run on a CuPy GPU"
    assert ("to_device", (128, 784)) in gpu.copies


def test_gpu_run_end_to_end(gpu, tiny_blocks, tmp_path, capsys):
    out = tmp_path / "gpu.json"
    B.main(["--device", "/GPU:0", "--workloads", "W1,W2,Mem", "--no-peers",
            "--json", str(out)])
    text = capsys.readouterr().out
    assert "Mem: skipped on a GPU" in text
    assert "eagerlab device: device /GPU:0, backend fakegpu" in text
    assert "first-step loss W2" in text and "(agree)" in text
    assert gpu.syncs > 0
    report = json.loads(out.read_text())
    assert report["machine"]["device"].endswith("GPU:0")
    rows = [(r["name"], r["reference_label"], r["target_text"]) for r in report["rows"]]
    assert rows == [
        ("W1 add 32x32", "PyTorch eager (cuda)", ""),
        ("W1 add 32x32", "hand NumPy (CPU)", ""),
        ("W1 matmul 64x64", "PyTorch eager (cuda)", ""),
        ("W1 matmul 64x64", "hand NumPy (CPU)", ""),
        ("W2 MLP traced", "PyTorch eager (cuda)", ">= 0.67x"),
        ("W2 MLP eager", "PyTorch eager (cuda)", ""),
        ("W2 MLP eager", "hand NumPy step (CPU)", ""),
        ("W2 MLP eager", "NumPy GEMM-only (CPU)", ""),
    ]
    first = report["rows"][4]
    assert first["engine"] > 0 and first["reference"] is None and first["verdict"] == "n/a"


def test_cpu_run_keeps_its_table(tiny_blocks, capsys):
    B.main(["--device", "/CPU:0", "--workloads", "W1", "--no-peers"])
    lines = capsys.readouterr().out.splitlines()
    table = [line for line in lines if line.startswith("W1 ")]
    assert [line.split()[5:7] for line in table] == [["hand", "NumPy"]] * 2
    assert all("<=" in line for line in table)
    assert any(line.startswith("workload") and line.rstrip().endswith("jax") for line in lines)


def test_missing_gpu_is_a_clear_error(capsys):
    class NoGPU(FakeGPUBackend):  # also on a machine with a real GPU
        def is_available(self):
            return False

    devices._install_gpu_backend(NoGPU())
    try:
        with pytest.raises(SystemExit):
            B.main(["--device", "/GPU:0", "--workloads", "W1", "--no-peers"])
    finally:
        devices._install_gpu_backend(None)
    assert "--device /GPU:0: device: '/GPU:0' does not exist" in capsys.readouterr().err


def test_traced_workloads_run_end_to_end(tiny_blocks, tmp_path, capsys, monkeypatch):
    """W2 traced, W5, W6, W7 and the pass table run and fill their rows (no timing checked)."""
    import bench_traced as T

    monkeypatch.setattr(W, "W5_SAMPLES", 2)
    monkeypatch.setattr(W, "W7_SAMPLES", 200)   # two batches of 100 instead of 10 x 1,000
    monkeypatch.setattr(W, "W7_BATCH", 100)
    monkeypatch.setitem(W.GEMMS, "W7", ([(100, a, b, 2) for a, b in zip(W.W2_LAYERS,
                                                                        W.W2_LAYERS[1:])], []))
    monkeypatch.setattr(T, "PASS_WORKLOADS", ("W6",))
    out = tmp_path / "traced.json"
    B.main(["--workloads", "W2,W5,W6,W7,Passes", "--no-peers", "--json", str(out)])
    text = capsys.readouterr().out
    report = json.loads(out.read_text())
    rows = {(r["name"], r["reference_label"]): r for r in report["rows"]}
    for key in [("W2 MLP traced", "hand NumPy step"), ("W2 MLP traced", "NumPy GEMM-only"),
                ("W5 first traced call", "first trace of the process"),
                ("W6 tiny MLP traced", "hand NumPy step"), ("W6 tiny MLP eager", "hand NumPy step"),
                ("W7 MLP inference direct", "NumPy GEMM-only")]:
        assert rows[key]["engine"] > 0, key
        assert rows[key]["verdict"] in ("PASS", "MISS", ""), key
    assert len(report["samples"]["engine:W5"]) == 2
    # the traced step's GEMM-only reference is measured block for block in turn with it
    assert len(report["samples"]["numpy:W2 GEMM-only, in turn with traced"]) == len(
        report["samples"]["engine:W2 traced"])
    assert rows[("W2 MLP traced", "NumPy GEMM-only")]["reference"] > 0
    # TF graph's figure is measured only with the peers installed and not --no-peers
    tf_graph = rows[("W2 MLP traced", "TF graph (tf.function)")]
    assert tf_graph["reference"] is None and tf_graph["engine"] > 0
    assert not report["machine"]["errors"]
    for name in ("W2", "W6"):  # traced steps compute what the eager ones compute
        assert f"losses of steps 1-3 {name}: NumPy" in text
        line = next(x for x in text.splitlines() if x.startswith(f"losses of steps 1-3 {name}"))
        assert "DIFFER" not in line and "traced agree" in line
    passes = report["machine"]["passes"]
    options = [name for name, _ in engine.graph.passes.PASSES]  # passes, not other switches
    assert [p["off"] for p in passes if p["workload"] == "W6"] == (
        ["none (all passes on)", *options, "all (disable_meta_optimizer)"])
    assert all(p["nodes"] > 0 and p["steps_per_s"] > 0 for p in passes)
    assert "What each graph pass buys" in text and "traced/eager W6:" in text
    assert engine.config.optimizer.get_experimental_options()["disable_meta_optimizer"] is False


def test_bench_cpu_jit_compares_the_compiled_kernels(monkeypatch, capsys, tmp_path):
    pytest.importorskip("numba")
    import bench_cpu_jit

    from engine.graph import cpu_jit

    monkeypatch.setattr(bench_cpu_jit, "REPEATS", 1)
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", cpu_jit.WARM_CALLS)  # restored afterwards
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    bench_cpu_jit.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["function", "NumPy"]
    assert len(lines) == 10
    for line in lines[1:]:
        exact = "conv1 + pool" not in line and "sparse xent" not in line
        assert (" yes " if exact else " rel ") in line and " 0 of " not in line
        assert "compiled" in line or "inside NumPy kernels" in line


def test_the_header_says_whether_compiled_cpu_kernels_may_run(monkeypatch):
    monkeypatch.setenv("EAGERLAB_CPU_JIT", "0")
    assert H.cpu_jit_info() == "off (EAGERLAB_CPU_JIT)"
    monkeypatch.delenv("EAGERLAB_CPU_JIT")
    found = H.importlib.util.find_spec("numba") is not None
    assert H.cpu_jit_info().startswith("on (numba " if found else "off (numba not installed")
    assert "compiled CPU fused kernels: " + H.cpu_jit_info() in H.header_lines(H.machine_info())


def test_the_header_says_when_numpys_blas_is_held_below_the_processor():
    info = H.machine_info()
    info["blas"] = [{"internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell",
                     "num_threads": 1, "threading_layer": "pthreads"}]
    info["env"] = dict(info["env"], OPENBLAS_CORETYPE="Haswell")
    info["cpu_flags"] = ["avx2", "avx512f"]
    (note,) = [line for line in H.header_lines(info) if line.startswith("note:")]
    assert "Haswell (AVX2) kernel on an AVX-512 processor (OPENBLAS_CORETYPE=Haswell)" in note
    info["blas"][0]["architecture"] = "SkylakeX"
    assert not [line for line in H.header_lines(info) if line.startswith("note:")]
    info["blas"][0]["architecture"], info["cpu_flags"] = "Haswell", ["avx2"]
    assert not [line for line in H.header_lines(info) if line.startswith("note:")]
