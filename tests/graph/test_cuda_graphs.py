"""CUDA graph capture (engine.graph.cuda_graphs): which graphs qualify, and replays that
compute what the uncaptured program computes (the latter on a real CuPy GPU only)."""

import numpy as np
import pytest

import engine
from engine.graph import cuda_graphs


def _concrete(f, *args):
    return engine.function(f).get_concrete_function(*args)


def test_a_cpu_graph_is_not_captured_and_says_why():
    c = _concrete(lambda x: x * 2.0, engine.TensorSpec([3]))
    assert c.cuda_graph_status == "not captured: the graph does not run on a CuPy GPU"
    assert c._runner is c._program  # no wrapper, no cost on the CPU


def test_the_option_is_known_and_off_means_off():
    options = engine.config.optimizer.get_experimental_options()
    assert options["cuda_graphs"] is True
    engine.config.optimizer.set_experimental_options({"cuda_graphs": False})
    try:
        assert engine.config.optimizer.get_experimental_options()["cuda_graphs"] is False
    finally:
        engine.config.optimizer.set_experimental_options({"cuda_graphs": True})


def _reason(gpu, f, *specs):
    with engine.device("/GPU:0"):
        c = _concrete(f, *specs)
    program = c._program
    return cuda_graphs.ineligibility(program, engine.backend.devices.get("/GPU:0"))


def test_a_plain_gpu_graph_qualifies(gpu):
    assert _reason(gpu, lambda x: engine.exp(x) * 2.0 + 1.0, engine.TensorSpec([4, 3])) is None


def test_unknown_dimensions_rule_capture_out(gpu):
    why = _reason(gpu, lambda x: x * 2.0, engine.TensorSpec([None, 3]))
    assert "static shapes" in why and "(None, 3)" in why


def test_random_draws_rule_capture_out_naming_the_node(gpu):
    why = _reason(gpu, lambda x: x + engine.random.uniform([2]), engine.TensorSpec([2]))
    assert "stateful" in why and "RandomUniform" in why


def test_prints_and_control_flow_rule_capture_out(gpu):
    def printing(x):
        engine.print(x)
        return x + 1.0

    assert "prints on the host" in _reason(gpu, printing, engine.TensorSpec([2]))

    def branching(x):
        return engine.cond(engine.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)

    assert "control flow" in _reason(gpu, branching, engine.TensorSpec([2]))


# --------------------------------------------------------------------- on a real GPU
@pytest.fixture
def fast_path():
    """Strict checks off: capture runs only on the executor's fast path."""
    previous = engine.context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(False)
    yield
    engine.config.experimental.set_strict_checks(previous)


def _train(capture: bool, steps: int):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((20, 16)).astype(np.float32) * 0.3
    w1 = rng.standard_normal((16, 4)).astype(np.float32) * 0.3
    batches = [(rng.standard_normal((8, 20)).astype(np.float32), rng.integers(0, 4, 8))
               for _ in range(3)]
    engine.config.optimizer.set_experimental_options({"cuda_graphs": capture})
    try:
        with engine.device("/GPU:0"):
            ws = [engine.Variable(w0, name="w0"), engine.Variable(w1, name="w1")]
            opt = engine.keras.optimizers.Adam(0.01)
            data = [(engine.constant(x), engine.constant(y.astype(np.int64)))
                    for x, y in batches]

            @engine.function
            def step(x, y):
                with engine.GradientTape() as tape:
                    logits = engine.matmul(engine.nn.relu(engine.matmul(x, ws[0])), ws[1])
                    loss = engine.reduce_mean(engine.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=y, logits=logits))
                grads = tape.gradient(loss, ws)
                opt.apply_gradients(zip(grads, ws))
                return loss

            losses = [float(step(*data[k % len(data)])) for k in range(steps)]
    finally:
        engine.config.optimizer.set_experimental_options({"cuda_graphs": True})
    concrete = step.get_concrete_function(*data[0])
    return losses, [w.numpy() for w in ws], concrete


@pytest.mark.gpu
def test_a_captured_train_step_matches_the_uncaptured_one(fast_path):
    losses_off, weights_off, off = _train(False, 8)
    losses_on, weights_on, on = _train(True, 8)
    assert off.cuda_graph_status.startswith("not captured: turned off")
    assert on.cuda_graph_status == "captured", on.cuda_graph_status
    assert on._runner.replays == 8 - cuda_graphs.WARMUP_CALLS
    np.testing.assert_allclose(losses_on, losses_off, rtol=1e-5)
    for a, b in zip(weights_on, weights_off):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert losses_on[6] < losses_on[0]  # the same batch, 6 steps later


@pytest.mark.gpu
def test_replays_see_new_inputs_and_eagerly_assigned_variables(fast_path):
    with engine.device("/GPU:0"):
        v = engine.Variable(np.ones((3,), np.float32))
        f = engine.function(lambda x: x * v + 1.0)
        for k in range(5):
            x = engine.constant(np.full((3,), float(k), np.float32))
            np.testing.assert_allclose(f(x).numpy(), np.full(3, k + 1.0))
        concrete = f.get_concrete_function(x)
        assert concrete.cuda_graph_status == "captured"
        out = f(x)
        held = out.numpy().copy()
        f(engine.constant(np.zeros((3,), np.float32)))
        np.testing.assert_array_equal(out.numpy(), held)  # returned outputs are copies
        replays = concrete._runner.replays
        v.assign(np.full((3,), 2.0, np.float32))  # rebinds the variable outside the graph
        np.testing.assert_allclose(f(x).numpy(), np.full(3, 2 * 4.0 + 1.0))
        # copied into the graph's buffer: still captured, no new capture
        assert concrete.cuda_graph_status == "captured"
        assert concrete._runner.replays == replays + 1 and concrete._runner.rebinds == 1
        assert concrete._runner._captures == 1



@pytest.mark.gpu
def test_a_snapshot_of_a_captured_variable_keeps_its_value(fast_path):
    with engine.device("/GPU:0"):
        v = engine.Variable(np.zeros((4,), np.float32))
        f = engine.function(lambda: v.assign_add(engine.ones([4])).read_value() * 1.0)
        for _ in range(cuda_graphs.WARMUP_CALLS + 1):
            f()
        assert f.get_concrete_function().cuda_graph_status == "captured"
        before = v.value()
        f()  # a replay writes v's buffer in place
        np.testing.assert_array_equal(before.numpy(), np.full(4, 3.0))
        np.testing.assert_array_equal(v.numpy(), np.full(4, 4.0))


@pytest.mark.gpu
def test_an_uncapturable_gpu_graph_still_runs(fast_path):
    with engine.device("/GPU:0"):
        f = engine.function(lambda x: x + engine.random.uniform([2], seed=1) * 0.0)
        x = engine.constant(np.ones((2,), np.float32))
        for _ in range(4):
            np.testing.assert_allclose(f(x).numpy(), [1.0, 1.0])
    assert "RandomUniform" in f.get_concrete_function(x).cuda_graph_status


@pytest.mark.gpu
def test_capturable_matmul_matches_cupy_for_every_layout():
    import cupy

    from engine.backend import cublas_capture

    cupy.matmul(cupy.ones((2, 2)), cupy.ones((2, 2)))  # CuPy loads libcublas
    assert cublas_capture.available()
    cublas_capture.bind(cupy.cuda.get_current_stream(), 0)
    rng = np.random.default_rng(0)

    def r(*shape, dtype=np.float32):
        return cupy.asarray(rng.standard_normal(shape).astype(dtype))

    cases = [(r(5, 7), r(7, 3)), (r(7, 5).T, r(7, 3)), (r(5, 7), r(3, 7).T),
             (r(7, 5).T, r(3, 7).T), (r(4, 5, 7), r(4, 7, 3)), (r(4, 5, 7), r(7, 3)),
             (r(5, 7), r(4, 7, 3)), (r(7), r(7, 3)), (r(5, 7), r(7)),
             (r(6, 8)[::2, ::2], r(4, 3)), (r(5, 7, dtype=np.float64), r(7, 3, dtype=np.float64)),
             (r(2, 3, 5, 7), r(2, 3, 7, 4))]
    for a, b in cases:
        got = cublas_capture.matmul(a, b, _fallback=cupy.matmul)
        want = cupy.matmul(a, b)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(cupy.asnumpy(got), cupy.asnumpy(want), rtol=1e-5, atol=1e-5)
    out = cupy.empty((5, 3), cupy.float32)
    a, b = r(5, 7), r(7, 3)
    assert cublas_capture.matmul(a, b, out=out, _fallback=cupy.matmul) is out
    np.testing.assert_allclose(cupy.asnumpy(out), cupy.asnumpy(a @ b), rtol=1e-5, atol=1e-5)
