"""Test configuration: strict checks on, fixed seeds, and the `gpu` marker."""

import os

import numpy as np
import pytest
from hypothesis import settings

import engine
from engine import context

# CI runs hypothesis derandomized and without a database, so every run draws the same
# examples; locally the default profile explores (HYPOTHESIS_PROFILE=ci to reproduce CI).
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI")
                                     else "dev"))


@pytest.fixture(autouse=True)
def _strict_checks():
    """Every op in every test also runs its `infer` and compares it with the kernel."""
    previous = context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(True)
    yield
    engine.config.experimental.set_strict_checks(previous)


@pytest.fixture
def gpu():
    """Installs a fake GPU backend (tests/fake_gpu.py) as `/GPU:0` for one test."""
    from engine.backend import devices
    from tests.fake_gpu import FakeGPUBackend

    backend = FakeGPUBackend()
    devices._install_gpu_backend(backend)
    yield backend
    devices._install_gpu_backend(None)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def optimizer_options():
    """`set(options)`: sets `engine.config.optimizer` options for one test, then restores."""
    import engine

    saved = engine.config.optimizer.get_experimental_options()
    yield engine.config.optimizer.set_experimental_options
    engine.config.optimizer.set_experimental_options(saved)


def pytest_collection_modifyitems(config, items):
    from engine.backend import cupy_backend

    if cupy_backend.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU visible to CuPy")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


# Differentiable ops whose gradients are verified another way than finite differences.
# Each entry says why; an op missing from both this list and the gradient checks fails
# a full run of tests/ops.
GRADIENT_CHECK_EXEMPT = {
    # Complex inputs: finite differences here are real-valued; checked analytically in
    # tests/ops/test_math_ops.py::test_complex_parts_and_gradient.
    "Conj", "Real", "Imag",
}


def _ran_all_op_tests(session) -> bool:
    cfg = session.config
    if cfg.getoption("keyword") or cfg.getoption("markexpr") or session.testsfailed:
        return False
    import pathlib

    ops_dir = pathlib.Path(__file__).parent / "ops"
    args = [pathlib.Path(a.split("::")[0]).resolve() for a in cfg.args]
    return any(a == ops_dir or a in ops_dir.parents for a in args) and "::" not in " ".join(
        cfg.args)


def pytest_sessionfinish(session, exitstatus):
    """Fails a full run when a differentiable op was never gradient-checked."""
    if exitstatus != 0 or not _ran_all_op_tests(session):
        return
    from engine import registry
    from tests.opcheck import GRADIENT_CHECKED

    missing = sorted(op.tf_name for op in registry.all_ops()
                     if op.vjp is not None and op.tf_name not in GRADIENT_CHECKED
                     and op.tf_name not in GRADIENT_CHECK_EXEMPT
                     and not op.tf_name.startswith("Test"))
    if missing:
        session.config.get_terminal_writer().line(
            "differentiable ops without a finite-difference gradient check: "
            + ", ".join(missing), red=True)
        session.exitstatus = 1
