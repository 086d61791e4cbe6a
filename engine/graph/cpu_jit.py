"""Numba-compiled CPU kernels for graphs, when Numba is installed: loading, caching, tiering.

A graph's NumPy kernels make one pass over memory per ufunc call. Where Numba is
importable, the executor may run some nodes as compiled loops instead: large fused
elementwise nodes (`engine.graph.fused_jit`), max pooling (`engine.graph.pool_jit`),
the fold of a convolution's input gradient (`engine.graph.conv_jit`), sparse softmax
cross-entropy (`engine.graph.xent_jit`) and a shallow convolution with its max pooling
(`engine.graph.conv_pool_jit`). Eager calls of max pooling, of that fold and of segment sums
(`engine.graph.segment_jit`) use compiled kernels too, tiered per geometry or dtype.
Numba stays optional, as CuPy is: `engine` imports and runs with NumPy alone, Numba is
imported only when a kernel first compiles, and the NumPy kernel stays the reference
(tests compare the two) and the fallback.

When: a node runs its NumPy kernel for its first `WARM_CALLS` calls and compiles at the
end of the last of them, then runs compiled (with `WARM_CALLS = 2`: the second call
compiles, the third runs the kernel). Building a graph only checks that Numba is installed
(`enabled`); Numba is imported when a node first compiles, so a function's first call pays
neither the import nor a compile. Compiling costs 0.1-0.5 s per distinct kernel the first
time on a machine (about 0.7 s for each of a fused convolution and pooling's two kernels). Kernels
are generated as small Python modules kept on disk (`cache_dir()`) next to Numba's own
cache of their machine code, so later processes load them in milliseconds. If Numba
fails to compile a kernel, the node keeps its NumPy kernel and a RuntimeWarning says why,
once per reason.

Switches: `engine.config.optimizer.set_experimental_options({"cpu_jit": False})` for
graphs compiled from then on, or the environment variable `EAGERLAB_CPU_JIT=0` (read at
import); `EAGERLAB_CACHE_DIR` moves the cache. `status(fn)` tells what a built kernel runs;
`ConcreteFunction.cpu_kernels()` lists it for every node of a traced function that may have
a compiled kernel.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import warnings

import numpy as np

__all__ = ["enabled", "available", "cache_dir", "load", "tiered", "eager_kernel", "status",
           "numpy_kernel", "WARM_CALLS", "BUILDERS", "EAGER_LIMIT"]

WARM_CALLS = 2  # NumPy calls before compiling; 0 compiles when the program is built

_STATE = {"numba": None, "tried": False, "warned": set(), "installed": None,
          "env": os.environ.get("EAGERLAB_CPU_JIT", "1").strip().lower()
          not in ("0", "false", "no", "off")}
_MODULES: dict = {}  # source hash -> the loaded module (one per process)

# Node type -> `build(node)`: a compiled kernel for the node (called with its input arrays),
# or None. The executor asks here first for CPU nodes while `enabled()`. Filled by
# engine.graph.fused_jit (lone ReluGrads), engine.graph.pool_jit and engine.graph.conv_jit.
BUILDERS: dict = {}
_FORMAT = 2  # part of the cache key: bump when the generated modules change shape


def enabled() -> bool:
    """Whether graphs built now may get compiled CPU kernels: nothing turned them off and
    Numba is installed. Cheap: it does not import Numba (that waits until a node first
    compiles, so building and first calls never pay for it).

    Returns:
        A bool.

    Example:
        >>> isinstance(engine.graph.cpu_jit.enabled(), bool)
        True
    """
    from engine.graph import passes  # the option lives with the passes' switches

    if not (_STATE["env"] and passes.get_experimental_options()["cpu_jit"]):
        return False
    if _STATE["installed"] is None:
        _STATE["installed"] = importlib.util.find_spec("numba") is not None
    return _STATE["installed"]


def available() -> bool:
    """Whether compiled CPU kernels can be used: Numba imports and nothing turned them off.

    Returns:
        A bool (Numba is imported on the first call, never at `import engine`).

    Example:
        >>> isinstance(engine.graph.cpu_jit.available(), bool)
        True
    """
    from engine.graph import passes  # the option lives with the passes' switches

    if not (_STATE["env"] and passes.get_experimental_options()["cpu_jit"]):
        return False
    if not _STATE["tried"]:
        _STATE["tried"] = True
        try:
            import numba
        except ImportError:
            numba = None
        except Exception as exc:  # noqa: BLE001 - installed but broken (e.g. too new a NumPy)
            numba = None
            warnings.warn(f"eagerlab: Numba is installed but failed to import "
                          f"({type(exc).__name__}: {exc}); graphs run NumPy kernels only. "
                          f"Set EAGERLAB_CPU_JIT=0 to skip the attempt.", RuntimeWarning,
                          stacklevel=3)
        _STATE["numba"] = numba
    return _STATE["numba"] is not None


def cache_dir() -> str:
    """Where compiled kernels are kept: `$EAGERLAB_CACHE_DIR/cpu_jit`, else
    `$XDG_CACHE_HOME/eagerlab/cpu_jit` (`~/.cache/eagerlab/cpu_jit`).

    Returns:
        A directory path (created when a kernel is first compiled; where it cannot be
        written, kernels go to a private folder under the system's temporary directory).

    Example:
        >>> engine.graph.cpu_jit.cache_dir().endswith("cpu_jit")
        True
    """
    root = os.environ.get("EAGERLAB_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        root = os.path.join(base, "eagerlab")
    return os.path.join(root, "cpu_jit")


def load(source: str, prepare):
    """The module of a generated kernel `source`, made ready by `prepare(module, numba)`
    (which compiles its functions for the argument types they will get and raises if
    Numba cannot): from this process, else from the disk cache, writing the module there
    (atomically) the first time. A cache entry that fails to load (another Numba wrote
    it, or it was cut short) is removed and the kernel compiled afresh, once.

    Args:
        source: a module whose functions are `numba.njit(cache=True)`.
        prepare: `prepare(module, numba)`.

    Returns:
        The module.
    """
    numba = _STATE["numba"]
    key = hashlib.sha1(f"{_FORMAT}{numba.__version__}{source}".encode()).hexdigest()[:20]
    module = _MODULES.get(key)
    if module is not None:
        prepare(module, numba)  # new argument types compile here; known ones return
        return module
    folder = _writable(cache_dir())
    path = os.path.join(folder, f"k_{key}.py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    for attempt in (0, 1):
        name = f"eagerlab_cpu_jit_{key}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # Numba's disk cache finds the module by its name
        spec.loader.exec_module(module)
        try:
            prepare(module, numba)
            break
        except Exception:  # noqa: BLE001 - maybe a stale cache entry: drop it, compile again
            if attempt:
                raise
            cached = os.path.join(folder, "__pycache__")
            for entry in os.listdir(cached) if os.path.isdir(cached) else ():
                if entry.startswith(f"k_{key}."):
                    os.remove(os.path.join(cached, entry))
    _MODULES[key] = module
    return module


def _writable(folder: str) -> str:
    """`folder`, created; or, where it cannot be written (a read-only home), a private
    folder under the system's temporary directory."""
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:  # not creatable (a file in the way, no permission): the fallback below
        pass
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    fallback = os.path.join(tempfile.gettempdir(), f"eagerlab-{user}", "cpu_jit")
    os.makedirs(fallback, mode=0o700, exist_ok=True)
    return fallback


def tiered(numpy_fn, make_compiled, what: str):
    """A function that runs `numpy_fn` for `WARM_CALLS` calls, then what `make_compiled()`
    returns (a callable with the same signature and results).

    Args:
        numpy_fn: the node's NumPy kernel.
        make_compiled: builds the compiled kernel; may raise (then `numpy_fn` stays, and a
            RuntimeWarning says why once).
        what: the kernel's name, for the warning.

    Returns:
        A callable; `status(fn)` says which kernel it runs.

    Example:
        >>> fn = engine.graph.cpu_jit.tiered(abs, lambda: abs, "abs")
        >>> [fn(-2) for _ in range(3)], engine.graph.cpu_jit.status(fn)
        ([2, 2, 2], 'compiled')
    """
    state = {"calls": 0, "run": numpy_fn, "status": "numpy: warming up"}

    def tier_up() -> None:
        if not available():  # not importable after all (a broken install warned once)
            state["status"] = "numpy: Numba is not importable"
            return
        try:
            state["run"] = make_compiled()
            state["status"] = "compiled"
        except Exception as exc:  # noqa: BLE001 - the NumPy kernel stays, and we say why
            state["status"] = f"numpy: numba failed: {type(exc).__name__}: {exc}"
            key = (type(exc).__name__, str(exc)[:200])
            if key not in _STATE["warned"]:
                _STATE["warned"].add(key)
                warnings.warn(f"eagerlab: a kernel ({what}) keeps its NumPy version: Numba "
                              f"failed to compile it ({type(exc).__name__}: {exc}). Turn "
                              f"compiled kernels off with engine.config.optimizer."
                              f"set_experimental_options({{'cpu_jit': False}}).",
                              RuntimeWarning, stacklevel=4)

    warm = WARM_CALLS
    if warm <= 0:  # compile now (tests use this to run every kernel compiled)
        tier_up()

    def run(*arrays):
        if state["calls"] < warm:
            state["calls"] += 1
            if state["calls"] == warm:
                tier_up()
            return numpy_fn(*arrays)
        return state["run"](*arrays)

    run.jit_state = state
    return run


EAGER_LIMIT = 64  # keys an eager table remembers; past it the table starts afresh


def eager_kernel(table: dict, key, make_compiled, what: str):
    """For eager calls: what `make_compiled()` builds for `key` (a compiled kernel, with
    whatever the caller needs beside it), tiered as a graph node is: None for the key's
    first `WARM_CALLS` calls (the caller runs NumPy), compiled at the last of them.

    Args:
        table: the caller's dict of keys seen (at most `EAGER_LIMIT` of them).
        key: what the kernel depends on (dtypes, shapes, window).
        make_compiled: builds it (may raise: then None for good, and a RuntimeWarning says
            why once); None when no kernel fits the key.
        what: the kernel's name, for that warning.

    Returns:
        What `make_compiled` built, or None (also while compiled kernels are off).

    Example:
        >>> jit, table = engine.graph.cpu_jit, {}
        >>> got = [jit.eager_kernel(table, "k", lambda: abs, "abs") for _ in range(3)]
        >>> got == ([None] * jit.WARM_CALLS + [abs] * 3)[:3] or not jit.enabled()
        True
    """
    if not enabled():
        return None
    get = table.get(key)
    if get is None:
        if len(table) >= EAGER_LIMIT:
            table.clear()
        get = table[key] = False if make_compiled is None else tiered(
            lambda: None, lambda: _constant(make_compiled()), what)
    return get() if get is not False else None


def _constant(value):
    return lambda: value


def numpy_kernel(node, **extra):
    """A registry node's NumPy kernel, called with its input arrays only: what the executor
    runs for it without a compiled kernel (the fallback a builder hands `tiered`).

    Args:
        node: a graph node of a registry op.
        **extra: keyword arguments added to the node's attrs.

    Returns:
        `fn(*arrays)`.
    """
    kernel, attrs = node.op.kernel, {**node.attrs, **extra}
    return lambda *arrays: kernel(np, *arrays, **attrs)


def status(fn) -> str:
    """What a built kernel runs: "compiled", or "numpy: <why>".

    Args:
        fn: what the executor built for a node (`engine.graph.fused.build`, ...).

    Returns:
        A string.

    Example:
        >>> engine.graph.cpu_jit.status(lambda x: x)
        'numpy'
    """
    state = getattr(fn, "jit_state", None)
    if state is not None:
        return state["status"]
    return getattr(fn, "jit_status", "numpy")
