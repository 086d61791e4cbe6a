"""Fixtures shared by the graph tests."""

import pytest

import engine
from engine.graph import cpu_jit, passes


@pytest.fixture
def traced_with_jit(monkeypatch, tmp_path):
    """`run(fn, args, jit)`: traces `fn` with Numba-compiled CPU kernels on or off (compiled
    from the first call, cached under tmp), runs it on `args`; returns the outputs as
    arrays and `{node type: [engine.graph.cpu_jit.status of each such node's kernel]}`."""
    pytest.importorskip("numba")
    monkeypatch.setattr(cpu_jit, "WARM_CALLS", 0)
    monkeypatch.setenv("EAGERLAB_CACHE_DIR", str(tmp_path))
    saved = dict(passes._OPTIONS)

    def run(fn, args, jit: bool):
        passes._OPTIONS["cpu_jit"] = jit
        f = engine.function(fn)
        outs = [t.numpy() for t in f(*args)]
        statuses: dict = {}
        for ins in f.get_concrete_function(*args)._program.instructions:
            statuses.setdefault(ins.node.type, []).append(cpu_jit.status(ins.fn))
        return outs, statuses

    yield run
    passes._OPTIONS.clear()
    passes._OPTIONS.update(saved)
