"""Test configuration: strict checks on, fixed seeds, and the `gpu` marker."""

import numpy as np
import pytest

import engine
from engine import context


@pytest.fixture(autouse=True)
def _strict_checks():
    """Every op in every test also runs its `infer` and compares it with the kernel."""
    previous = context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(True)
    yield
    engine.config.experimental.set_strict_checks(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    from engine.backend import cupy_backend

    if cupy_backend.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU visible to CuPy")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
