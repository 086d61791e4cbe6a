"""The CuPy API the kernels rely on exists, checked without a GPU.

Every kernel runs with `xp = numpy` on CPUs and `xp = cupy` on GPUs, but CI has no GPU.
CuPy imports without one (only allocating device memory needs it), so these tests read the
engine's source with `ast` and check against the cupy module that every `xp.<name>` chain
(`xp.linalg.solve`, `xp.lib.stride_tricks.as_strided`, ...) exists, that the keyword
arguments passed to them are accepted, that the `ufunc=` ops' NumPy functions exist in
CuPy and give the same result dtypes, and that array flags read in kernels exist on CuPy
arrays. Skipped where CuPy is not installed (as in CI); tests/test_cupy.py runs the ops on
a real GPU.
"""

from __future__ import annotations

import ast
import inspect
import pathlib

import numpy as np
import pytest

cupy = pytest.importorskip("cupy")

import engine  # noqa: E402 - after the skip
from engine import registry  # noqa: E402

ENGINE = pathlib.Path(engine.__file__).resolve().parent

# `xp.<name>` chains that CuPy lacks but that run only where `xp` is NumPy, and why.
NUMPY_ONLY_XP: dict[str, str] = {}

# `getattr(xp, name)` with a computed name: the names each file passes (checked below, and
# a new computed use fails until it is listed here).
DYNAMIC_XP = {
    "argmax_ops.py": {"argmax", "argmin"},
    "reduce_ops.py": {"max", "min"},
    "scan_ops.py": {"cumsum", "cumprod"},
    "variable.py": {"add", "subtract"},  # assign_add / assign_sub
    "registry.py": {op.ufunc for op in registry.all_ops() if op.ufunc is not None},
}

# Array flags read inside kernels that CuPy arrays lack, where that code is NumPy-only.
NUMPY_ONLY_FLAGS = {
    "writeable": "activation_ops._relu_kernel marks its cached NumPy zeros read-only",
}


def _chain(node) -> list[str] | None:
    """['xp', 'linalg', 'solve'] for the expression `xp.linalg.solve`, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _sources():
    for path in sorted(ENGINE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _xp_uses():
    """{name chain: [file:line, ...]} of every `xp.<...>` expression, the longest chains."""
    uses: dict[str, list[str]] = {}
    for path, tree in _sources():
        inner = set()  # `xp.linalg` inside `xp.linalg.solve` is not a use of its own
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                inner.add(id(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and id(node) not in inner:
                chain = _chain(node)
                if chain and chain[0] == "xp":
                    name = ".".join(chain[1:])
                    uses.setdefault(name, []).append(f"{path.name}:{node.lineno}")
    return uses


def _resolve(module, name: str):
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def test_the_scan_finds_the_kernels_array_module_calls():
    uses = _xp_uses()
    for name in ("sum", "matmul", "einsum", "linalg.solve", "lib.stride_tricks.as_strided"):
        assert name in uses, f"the ast scan missed xp.{name}; is it still used?"


def test_every_xp_name_exists_in_cupy():
    uses = _xp_uses()
    missing = {name: where for name, where in uses.items()
               if _resolve(cupy, name) is None and name not in NUMPY_ONLY_XP}
    assert missing == {}, ("kernels use xp names that CuPy lacks (guard them with `xp is np` "
                           f"and list them in NUMPY_ONLY_XP, or give the op gpu=False): {missing}")
    stale = sorted(set(NUMPY_ONLY_XP) - set(uses))
    assert stale == [], f"NUMPY_ONLY_XP lists names no kernel uses any more: {stale}"


def test_computed_xp_names_exist_in_cupy():
    found = set()
    for path, tree in _sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "getattr" and node.args
                    and isinstance(node.args[0], ast.Name) and node.args[0].id == "xp"):
                name = node.args[1]
                if isinstance(name, ast.Constant):
                    assert hasattr(cupy, name.value), f"{path.name}: cupy.{name.value}"
                else:
                    found.add(path.name)
    assert found == set(DYNAMIC_XP), ("files computing getattr(xp, name) changed; list the "
                                      f"names they use in DYNAMIC_XP: {sorted(found)}")
    for names in DYNAMIC_XP.values():
        for name in names:
            assert hasattr(cupy, name), f"cupy.{name}"


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # Cython functions and ufuncs may have none
        return None


def test_keyword_arguments_are_accepted_by_cupy():
    bad = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.keywords:
                continue
            chain = _chain(node.func)
            if not chain or chain[0] != "xp":
                continue
            name = ".".join(chain[1:])
            signature = _signature(_resolve(cupy, name))
            if signature is None:
                continue
            params = signature.parameters
            if any(p.kind is p.VAR_KEYWORD for p in params.values()):
                continue
            for kw in node.keywords:
                if kw.arg is not None and kw.arg not in params:
                    bad.append(f"{path.name}:{node.lineno}: cupy.{name}({kw.arg}=...)")
    assert bad == []


def test_array_flags_read_in_kernels_exist_on_cupy_arrays():
    from cupy._core.flags import Flags

    bad = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            chain = _chain(node) if isinstance(node, ast.Attribute) else None
            if chain and len(chain) >= 3 and chain[-2] == "flags":
                flag = chain[-1]
                if not hasattr(Flags, flag) and flag not in NUMPY_ONLY_FLAGS:
                    bad.append(f"{path.name}:{node.lineno}: .flags.{flag}")
    assert bad == []


_BY_CHAR = {d._np.char: d._np for d in registry.NUMERIC | registry.BOOL if d is not None}


def _dtype_of(char: str) -> np.dtype:
    """The dtype of a ufunc type character ('E' is ml_dtypes' bfloat16, unknown to NumPy)."""
    return _BY_CHAR[char] if char in _BY_CHAR else np.dtype(char)


def _cupy_result_dtypes(ufunc, in_dtypes):
    """CuPy's type resolution for array operands: the first loop the inputs cast to safely."""
    for signature in ufunc.types:
        ins, outs = signature.split("->")
        if len(ins) == len(in_dtypes) and all(
                np.can_cast(d, _dtype_of(c), "safe") for d, c in zip(in_dtypes, ins)):
            return tuple(_dtype_of(c) for c in outs)
    return None


UFUNC_OPS = [op for op in registry.all_ops() if op.ufunc is not None]


@pytest.mark.parametrize("op", UFUNC_OPS, ids=[op.tf_name for op in UFUNC_OPS])
def test_ufunc_ops_give_numpys_dtypes_on_cupy(op):
    from engine.backend import cupy_backend

    np_ufunc, cp_ufunc = getattr(np, op.ufunc), getattr(cupy, op.ufunc, None)
    assert cp_ufunc is not None, f"cupy has no {op.ufunc} for {op.tf_name}"
    dtypes = op.dtypes if op.dtypes is not None else registry.NUMERIC | registry.BOOL
    for dtype in sorted(dtypes, key=lambda d: d.name):
        if not cupy_backend.supports_dtype(dtype._np):  # never on a GPU (from_host refuses)
            continue
        ins = (dtype._np,) * np_ufunc.nin
        try:
            expected = np_ufunc.resolve_dtypes(ins + (None,) * np_ufunc.nout)[np_ufunc.nin:]
        except TypeError:  # NumPy has no loop either (e.g. some ml_dtypes ufuncs)
            continue
        got = _cupy_result_dtypes(cp_ufunc, ins)
        assert got == tuple(expected), f"{op.tf_name} on {dtype.name}: cupy gives {got}"


def test_cupyx_erf_dtypes_are_fixed_by_the_backend():
    # cupyx.scipy.special.erf maps float16 to float64; cupy_backend.erf casts back.
    from cupyx.scipy.special import erf

    assert "e->d" in erf.types or "e->e" in erf.types
    source = inspect.getsource(engine.backend.cupy_backend.erf)
    assert "astype(x.dtype" in source


def test_gpu_dtypes_are_checked_before_copies():
    from engine.backend import cupy_backend
    from engine.errors import DTypeError

    for dtype in ("bool", "int8", "uint64", "float16", "float64", "complex128"):
        cupy_backend.check_dtype(np.dtype(dtype))
    with pytest.raises(DTypeError, match="cast: got dtype object"):
        cupy_backend.check_dtype(np.dtype(object), "cast")
    with pytest.raises(DTypeError, match="GPU: got dtype object"):
        cupy_backend.from_host(np.array([b"a"], dtype=object), 0)
    if engine.bfloat16 is not None:
        # CuPy 14 has bfloat16 loops when ml_dtypes is installed; older CuPy refuses clearly.
        bf16 = engine.bfloat16.as_numpy_dtype
        has_loops = any(t.startswith(np.dtype(bf16).char) for t in cupy.add.types)
        assert cupy_backend.supports_dtype(bf16) == has_loops
