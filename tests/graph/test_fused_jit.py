"""Numba-compiled fused kernels: the same numbers as the NumPy kernels, and safe fallbacks."""

import os
import sys
import warnings

import numpy as np
import pytest

import engine
from engine.graph import cpu_jit, fused, fused_jit, passes

pytest.importorskip("numba")


@pytest.fixture
def compile_all(monkeypatch, tmp_path):
    """Every eligible fused node compiled when its program is built, cached under tmp."""
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
    monkeypatch.setattr(fused_jit, "MIN_ELEMENTS", 0)
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    saved = dict(passes._OPTIONS)
    passes._OPTIONS["cpu_jit"] = True
    yield
    passes._OPTIONS.clear()
    passes._OPTIONS.update(saved)


def kernels(attrs, specs):
    """(the NumPy kernel, the tiered one) of a fused node given as attrs."""
    source, env = fused.numpy_source(attrs, specs, name="k")
    exec(compile(source, "<test>", "exec"), env)
    numpy_fn = env["k"]
    return numpy_fn, fused_jit.tiered(numpy_fn, attrs, specs, "k", [])


def member(kind, inputs, shape, dtype):
    return {"type": kind, "inputs": inputs, "shape": list(shape), "dtype": dtype}


def awkward(rng, shape, dtype):
    """Random values with NaN, infinities, signed zeros, tiny and huge numbers mixed in."""
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    flat = x.reshape(-1)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e30, 0.5, -2.5], dtype)
    picks = rng.integers(0, flat.size, size=flat.size // 7)
    flat[picks] = specials[rng.integers(0, specials.size, size=picks.size)]
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", sorted(fused_jit.EXPRESSIONS))
def test_every_expression_gives_the_numpy_kernels_numbers(compile_all, kind, dtype):
    rng = np.random.default_rng(sorted(fused_jit.EXPRESSIONS).index(kind))
    shape = (37, 53)
    binary = len(fused.ELEMENTWISE[kind][0]) == 3 or kind in ("ReluGrad", "SquaredDifference")
    refs = [["input", 0], ["input", 1]] if binary else [["input", 0]]
    attrs = {"members": [member(kind, refs, shape, dtype),
                         member("Mul", [["member", 0], ["const", 0.75]], shape, dtype)],
             "outputs": [0, 1]}
    specs = [(list(shape), dtype)] * len(refs)
    numpy_fn, jit_fn = kernels(attrs, specs)
    assert cpu_jit.status(jit_fn) == "compiled"
    args = [awkward(rng, shape, dtype) for _ in refs]
    with np.errstate(all="ignore"):
        want, got = numpy_fn(*args), jit_fn(*args)
    for w, g in zip(want, got):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)  # NaNs where NumPy has them; -0 == 0


def test_every_expression_is_a_fusable_member():
    assert set(fused_jit.EXPRESSIONS) <= set(fused.ELEMENTWISE)


@pytest.mark.parametrize("shapes, split, kinds", [
    (((64, 512), (512,)), 1, ["full", "row"]),
    (((512, 64), (512, 1)), 1, ["full", "column"]),
    (((8, 16, 32), (16, 32), ()), 1, ["full", "row", "scalar"]),
    (((8, 16, 32), (8, 1, 1), (1, 1, 1)), 1, ["full", "column", "scalar"]),
    (((4, 6, 8), (4, 6, 1)), 2, ["full", "column"]),
])
def test_broadcast_inputs_are_indexed_as_rows_columns_or_scalars(compile_all, shapes, split,
                                                                 kinds):
    full = np.broadcast_shapes(*shapes)
    members = [member("AddV2", [["input", 0], ["input", 1]], full, "float32")]
    if len(shapes) == 3:
        members.append(member("Mul", [["member", 0], ["input", 2]], full, "float32"))
    attrs = {"members": members, "outputs": [len(members) - 1]}
    specs = [(list(s), "float32") for s in shapes]
    plan, why = fused_jit.eligible(attrs, specs)
    assert why is None and plan["split"] == split and plan["inputs"] == kinds
    numpy_fn, jit_fn = kernels(attrs, specs)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    np.testing.assert_array_equal(jit_fn(*args), numpy_fn(*args))


@pytest.mark.parametrize("attrs, specs, reason", [
    ({"members": [member("Exp", [["input", 0]], (256, 256), "float32")], "outputs": [0]},
     [([256, 256], "float32")], "Exp is not rounded exactly"),
    ({"members": [member("AddV2", [["input", 0], ["input", 1]], (64, 1, 64), "float32")],
      "outputs": [0]}, [([64, 1, 64], "float32"), ([1, 64, 1], "float32")],
     "an output or variable is smaller than the loop"),
    ({"members": [member("AddV2", [["input", 0], ["input", 1]], (64, 64, 64), "float32")],
      "outputs": [0]}, [([64, 1, 64], "float32"), ([1, 64, 1], "float32")],
     "broadcasts along inner and outer axes"),
    ({"members": [member("AddV2", [["input", 0], ["input", 1]], (8, 8), "float32")],
      "outputs": [0]}, [([8, 8], "float32"), ([8, 8], "float32")], "64 elements and 1 members"),
    ({"members": [member("AddV2", [["input", 0], ["input", 1]], (None, 8), "float32")],
      "outputs": [0]}, [([None, 8], "float32"), ([8], "float32")], "not static"),
    ({"members": [member("AddV2", [["input", 0], ["input", 1]], (256, 256), "int32")],
      "outputs": [0]}, [([256, 256], "int32")] * 2, "dtype int32"),
])
def test_ineligible_nodes_say_why(attrs, specs, reason):
    plan, why = fused_jit.eligible(attrs, specs)
    assert plan is None and reason in why


def adam_step(shapes, seed=0):
    """A traced loss + Adam step over variables of `shapes` (engine ops, as GraphAdam)."""
    rng = np.random.default_rng(seed)
    variables = [engine.Variable(rng.standard_normal(s).astype(np.float32)) for s in shapes]
    m = [engine.Variable(np.zeros(s, np.float32)) for s in shapes]
    v = [engine.Variable(np.zeros(s, np.float32)) for s in shapes]
    x = engine.constant(rng.standard_normal((32, shapes[0][0])).astype(np.float32))

    @engine.function
    def step(alpha):
        with engine.GradientTape() as tape:
            h = engine.nn.relu(engine.matmul(x, variables[0]) + variables[1])
            loss = engine.reduce_mean(engine.square(h))
        grads = tape.gradient(loss, variables)
        for var, g, mm, vv in zip(variables, grads, m, v):
            mm.assign(mm + 0.1 * (g - mm))
            vv.assign(vv + 0.001 * (engine.square(g) - vv))
            var.assign_sub(alpha * mm / (engine.sqrt(vv) + 1e-7))
        return loss

    return step, variables + m + v


def run_steps(jit: bool, steps: int = 6):
    passes._OPTIONS["cpu_jit"] = jit
    step, variables = adam_step([(300, 200), (200,)])
    alpha = engine.constant(np.float32(0.01))
    losses = [float(step(alpha).numpy()) for _ in range(steps)]
    program = step.get_concrete_function(alpha)._program
    statuses = [cpu_jit.status(i.fn) for i in program.instructions if i.node.type == "Fused"]
    return losses, [v.numpy() for v in variables], statuses


def test_a_traced_adam_step_equals_the_numpy_kernels_bit_for_bit(monkeypatch, tmp_path):
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    saved = dict(passes._OPTIONS)
    try:
        jit_losses, jit_values, statuses = run_steps(True)
        np_losses, np_values, np_statuses = run_steps(False)
    finally:
        passes._OPTIONS.clear()
        passes._OPTIONS.update(saved)
    assert statuses.count("compiled") >= 2  # the weight's and the bias's updates
    assert not [s for s in np_statuses if s == "compiled"]
    assert jit_losses == np_losses
    for a, b in zip(jit_values, np_values):
        np.testing.assert_array_equal(a, b)


def test_warm_calls_run_numpy_then_the_compiled_kernel(monkeypatch, tmp_path):
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    shape = (128, 256)
    attrs = {"members": [member("Mul", [["input", 0], ["const", 3.0]], shape, "float32")],
             "outputs": [0]}
    numpy_fn, jit_fn = kernels(attrs, [(list(shape), "float32")])
    x = np.ones(shape, np.float32)
    for _ in range(cpu_jit.WARM_CALLS):
        assert cpu_jit.status(jit_fn) != "compiled"
        np.testing.assert_array_equal(jit_fn(x), x * 3)
    assert cpu_jit.status(jit_fn) == "compiled"
    np.testing.assert_array_equal(jit_fn(x), x * 3)


def test_a_non_contiguous_input_runs_the_numpy_kernel(compile_all):
    shape = (64, 64)
    attrs = {"members": [member("Sub", [["input", 0], ["input", 1]], shape, "float32")],
             "outputs": [0]}
    numpy_fn, jit_fn = kernels(attrs, [(list(shape), "float32")] * 2)
    a = np.arange(64 * 64, dtype=np.float32).reshape(shape)
    got = jit_fn(a.T, a)  # a transposed view: the compiled loop would read it wrongly
    np.testing.assert_array_equal(got, a.T - a)


def test_a_snapshot_read_before_a_compiled_update_keeps_its_value(compile_all):
    v = engine.Variable(np.arange(4096, dtype=np.float32))
    f = engine.function(lambda g: v.assign(v * 0.5 + g))
    g = engine.constant(np.ones(4096, np.float32))
    f(g)
    snapshot = v.read_value()
    kept = snapshot.numpy().copy()
    f(g)
    np.testing.assert_array_equal(snapshot.numpy(), kept)
    np.testing.assert_array_equal(v.numpy(), kept * np.float32(0.5) + 1)
    program = f.get_concrete_function(g)._program
    assert [cpu_jit.status(i.fn) for i in program.instructions
            if i.node.type == "Fused"] == ["compiled"]


def test_the_switch_and_a_missing_numba_keep_numpy(compile_all, monkeypatch):
    shape = (64, 64)
    attrs = {"members": [member("Neg", [["input", 0]], shape, "float32")], "outputs": [0]}
    engine.config.optimizer.set_experimental_options({"cpu_jit": False})
    assert not cpu_jit.enabled() and not cpu_jit.available()
    _, fn = kernels(attrs, [(list(shape), "float32")])
    assert cpu_jit.status(fn) == "numpy: no numba"
    engine.config.optimizer.set_experimental_options({"cpu_jit": True})
    monkeypatch.setitem(cpu_jit._STATE, "installed", False)  # not installed
    assert not cpu_jit.enabled()
    _, fn = kernels(attrs, [(list(shape), "float32")])
    assert cpu_jit.status(fn) == "numpy: no numba"
    monkeypatch.setitem(cpu_jit._STATE, "installed", True)  # installed, but not importable
    monkeypatch.setitem(cpu_jit._STATE, "numba", None)
    monkeypatch.setitem(cpu_jit._STATE, "tried", True)
    assert cpu_jit.enabled() and not cpu_jit.available()
    numpy_fn, fn = kernels(attrs, [(list(shape), "float32")])
    assert cpu_jit.status(fn) == "numpy: Numba is not importable"
    x = np.ones(shape, np.float32)
    np.testing.assert_array_equal(fn(x), -x)
    monkeypatch.setitem(cpu_jit._STATE, "env", False)  # EAGERLAB_CPU_JIT=0 at import
    monkeypatch.setitem(cpu_jit._STATE, "numba", sys.modules["numba"])
    assert not cpu_jit.enabled() and not cpu_jit.available()


def test_building_a_graph_does_not_import_numba():
    import subprocess

    code = ("import sys, engine\n"
            "f = engine.function(lambda v, g: v * 0.9 + g)\n"
            "x = engine.ones([256, 256])\n"
            "f(x, x)\n"  # traces, builds and runs: no compiler yet
            "assert 'numba' not in sys.modules, 'imported too early'\n"
            "f(x, x); f(x, x)\n"  # the second call compiles, the third runs the kernel
            "assert 'numba' in sys.modules\n"
            "print(f.get_concrete_function(x, x).cpu_kernels()[0]['status'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__)))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "compiled"


def test_a_failed_compile_warns_once_and_keeps_numpy(compile_all, monkeypatch):
    def refuse(*_):
        raise RuntimeError("no compiler today")

    monkeypatch.setattr(cpu_jit, "load", refuse)
    monkeypatch.setitem(cpu_jit._STATE, "warned", set())
    shape = (64, 64)
    attrs = {"members": [member("Abs", [["input", 0]], shape, "float32")], "outputs": [0]}
    with pytest.warns(RuntimeWarning, match="no compiler today.*cpu_jit"):
        _, fn = kernels(attrs, [(list(shape), "float32")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, again = kernels(attrs, [(list(shape), "float32")])  # said once
    assert cpu_jit.status(fn).startswith("numpy: numba failed: RuntimeError")
    x = -np.ones(shape, np.float32)
    np.testing.assert_array_equal(fn(x), -x)


def test_kernels_are_cached_on_disk_and_a_broken_entry_is_recompiled(compile_all, tmp_path):
    shape = (32, 32)
    attrs = {"members": [member("Square", [["input", 0]], shape, "float32"),
                         member("AddV2", [["member", 0], ["const", 7.0]], shape, "float32")],
             "outputs": [1]}
    cpu_jit._MODULES.clear()
    _, fn = kernels(attrs, [(list(shape), "float32")])
    folder = cpu_jit.cache_dir()
    assert folder.startswith(str(tmp_path))
    modules = [f for f in os.listdir(folder) if f.endswith(".py")]
    cached = os.listdir(os.path.join(folder, "__pycache__"))
    assert len(modules) == 1 and any(f.endswith(".nbc") for f in cached)
    for name in cached:  # another Numba's, or a truncated, cache entry
        with open(os.path.join(folder, "__pycache__", name), "wb") as f:
            f.write(b"not a cache entry")
    cpu_jit._MODULES.clear()
    _, again = kernels(attrs, [(list(shape), "float32")])
    assert cpu_jit.status(again) == "compiled"
    x = np.full(shape, 3, np.float32)
    np.testing.assert_array_equal(again(x), x * x + 7)


def test_a_read_only_cache_folder_falls_back_to_a_temporary_one(compile_all, tmp_path,
                                                                 monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(blocked))  # makedirs fails under a file
    monkeypatch.setattr(cpu_jit.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    cpu_jit._MODULES.clear()
    shape = (32, 32)
    attrs = {"members": [member("Neg", [["input", 0]], shape, "float32")], "outputs": [0]}
    _, fn = kernels(attrs, [(list(shape), "float32")])
    assert cpu_jit.status(fn) == "compiled"
    assert any(p.suffix == ".py" for p in (tmp_path / "tmp").rglob("k_*.py"))


def test_a_broken_numba_warns_and_keeps_numpy(monkeypatch):
    monkeypatch.setitem(cpu_jit._STATE, "tried", False)
    monkeypatch.setitem(cpu_jit._STATE, "numba", None)
    monkeypatch.setitem(sys.modules, "numba", None)  # import raises ImportError: silent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not cpu_jit.available()

    monkeypatch.setitem(cpu_jit._STATE, "tried", False)
    monkeypatch.delitem(sys.modules, "numba")
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):  # installed, but its import fails another way
        if name == "numba":
            raise AttributeError("module 'numpy' has no attribute 'long'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.warns(RuntimeWarning, match="failed to import.*AttributeError"):
        assert not cpu_jit.available()


def test_the_concrete_function_says_which_kernels_are_compiled(monkeypatch, tmp_path):
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    f = engine.function(lambda x: (engine.nn.relu(x * 2.0 + 1.0), engine.tanh(x) * 3.0))
    x = engine.ones([256, 256])
    for _ in range(cpu_jit.WARM_CALLS + 1):
        f(x)
    kernels_ = f.get_concrete_function(x).cpu_kernels()
    assert [k["type"] for k in kernels_] == ["Fused", "Fused"]
    statuses = sorted(k["status"] for k in kernels_)
    assert statuses[0] == "compiled"
    assert statuses[1].startswith("numpy: Tanh is not rounded exactly")


def test_a_lone_relu_grad_is_compiled(traced_with_jit):
    rng = np.random.default_rng(0)
    x = engine.constant(rng.standard_normal((64, 9, 9, 32)).astype(np.float32))
    w = engine.constant(rng.standard_normal((3, 3, 32, 8)).astype(np.float32))
    dy = engine.constant(rng.standard_normal((64, 7, 7, 8)).astype(np.float32))
    bias = engine.constant(rng.standard_normal(32).astype(np.float32))

    def fn(x, dy):  # the relu's gradient feeds two nodes: nothing to fuse it with
        with engine.GradientTape() as tape:
            tape.watch([x, bias])
            h = engine.nn.relu(engine.nn.bias_add(x, bias))
            loss = engine.reduce_sum(engine.nn.conv2d(h, w, 1, "VALID") * dy)
        return [loss, *tape.gradient(loss, [x, bias])]

    got, statuses = traced_with_jit(fn, (x, dy), True)
    want, _ = traced_with_jit(fn, (x, dy), False)
    assert statuses["ReluGrad"] == ["compiled"]
    for g, w_ in zip(got, want):
        np.testing.assert_array_equal(g, w_)
