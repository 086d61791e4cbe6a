"""Matrix products that a CUDA stream capture can record (for `engine.graph.cuda_graphs`).

CuPy refuses every cuBLAS call while a stream captures (its `cublas.setStream` raises
NotImplementedError, although cuBLAS itself supports capture since CUDA 11.5). This module
calls cuBLAS's strided-batched GEMM through ctypes on a handle of its own, bound to the
capturing stream before the capture begins (`bind`), and `patched()` puts `matmul` (and
`dot` of matrices) in place of CuPy's for the capture's duration, so that the kernels of
MatMul, BatchMatMul, convolutions and LSTM steps, which call `xp.matmul`, are recorded.

Covered: float32 and float64 operands of rank 1 to N whose matrices are C- or
F-contiguous (other layouts are made contiguous first, inside the capture), batch
dimensions equal or one side without them, and `out=` (C-contiguous, right shape and
dtype). Anything else calls CuPy's own function, which then fails the capture: the
function runs uncaptured and says why.
"""

from __future__ import annotations

import contextlib
import ctypes

from engine.backend import cupy_backend

__all__ = ["available", "bind", "patched", "matmul"]

_OP_N, _OP_T = 0, 1
_WORKSPACE_BYTES = 32 << 20
_state: dict = {}  # "lib", and per device index: (handle, workspace)


def _library():
    if "lib" not in _state:
        path = None
        with open("/proc/self/maps") as maps:  # the libcublas that CuPy already loaded
            for line in maps:
                name = line.rsplit(" ", 1)[-1].strip()
                if "/libcublas.so" in name:
                    path = name
                    break
        lib = ctypes.CDLL(path) if path else None
        if lib is not None:
            for fn in (lib.cublasSgemmStridedBatched, lib.cublasDgemmStridedBatched):
                fn.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                               ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                               ctypes.c_int, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_int,
                               ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p,
                               ctypes.c_int, ctypes.c_longlong, ctypes.c_int]
                fn.restype = ctypes.c_int
        _state["lib"] = lib
    return _state["lib"]


def available() -> bool:
    """Whether a libcublas is loaded in this process (CuPy loads it on its first matmul)."""
    try:
        return _library() is not None
    except OSError:
        return False


def _check(status: int, what: str) -> None:
    if status != 0:
        raise RuntimeError(f"cuBLAS {what} failed with status {status}")


def bind(stream, device_index: int) -> None:
    """Binds this module's cuBLAS handle on `device_index` to `stream` (before a capture)."""
    cupy = cupy_backend._module()

    lib = _library()
    if device_index not in _state:
        handle = ctypes.c_void_p()
        _check(lib.cublasCreate_v2(ctypes.byref(handle)), "cublasCreate")
        workspace = cupy.empty(_WORKSPACE_BYTES, cupy.uint8)  # none allocated in a capture
        _check(lib.cublasSetWorkspace_v2(handle, ctypes.c_void_p(workspace.data.ptr),
                                         ctypes.c_size_t(_WORKSPACE_BYTES)),
               "cublasSetWorkspace")
        _state[device_index] = (handle, workspace)
    handle, _ = _state[device_index]
    _check(lib.cublasSetStream_v2(handle, ctypes.c_void_p(stream.ptr)), "cublasSetStream")
    _state["current"] = handle


def _layout(m):
    """`(op, ld, array)` of a matrix stack for a row-major product, or None."""
    rows, cols = m.shape[-2], m.shape[-1]
    if m.flags.c_contiguous:
        return _OP_N, max(cols, 1), m
    if m.ndim == 2 and m.flags.f_contiguous:  # its transpose is C-contiguous
        return _OP_T, max(rows, 1), m
    return None


def matmul(a, b, out=None, _fallback=None):
    """`a @ b` through cuBLAS on the bound handle (see the module doc); else `_fallback`."""
    cupy = cupy_backend._module()

    def fallback():
        if out is None:
            return _fallback(a, b)
        return _fallback(a, b, out=out)

    if (not isinstance(a, cupy.ndarray) or not isinstance(b, cupy.ndarray)
            or a.dtype != b.dtype or a.dtype.char not in "fd" or a.ndim == 0 or b.ndim == 0):
        return fallback()
    squeeze = []
    if a.ndim == 1:
        a, squeeze = a[None, :], squeeze + [-2]
    if b.ndim == 1:
        b, squeeze = b[:, None], squeeze + [-1]
    m, k = a.shape[-2:]
    k2, n = b.shape[-2:]
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    if k != k2 or (batch_a and batch_b and batch_a != batch_b):
        return fallback()
    batch = batch_a or batch_b
    count = 1
    for d in batch:
        count *= d
    la, lb = _layout(a), _layout(b)
    if la is None:
        a = cupy.ascontiguousarray(a)
        la = _layout(a)
    if lb is None:
        b = cupy.ascontiguousarray(b)
        lb = _layout(b)
    shape = batch + (m, n)
    result_shape = tuple(d for i, d in enumerate(shape) if i - len(shape) not in squeeze)
    if out is not None:
        if out.shape != result_shape or out.dtype != a.dtype or not out.flags.c_contiguous:
            return fallback()
        c = out.reshape(shape)
    else:
        c = cupy.empty(shape, a.dtype)
    if count == 0 or m == 0 or n == 0:
        return out if out is not None else c.reshape(result_shape)
    if k == 0:
        c.fill(0)
        return out if out is not None else c.reshape(result_shape)
    op_a, lda, a = la
    op_b, ldb, b = lb
    lib = _library()
    if a.dtype.char == "f":
        gemm, one, zero = lib.cublasSgemmStridedBatched, ctypes.c_float(1), ctypes.c_float(0)
    else:
        gemm, one, zero = lib.cublasDgemmStridedBatched, ctypes.c_double(1), ctypes.c_double(0)
    stride_a = m * k if batch_a else 0
    stride_b = k * n if batch_b else 0
    # Row-major C = A B is column-major C^T = B^T A^T: B's memory comes first.
    _check(gemm(_state["current"], op_b, op_a, n, m, k, ctypes.byref(one),
                ctypes.c_void_p(b.data.ptr), ldb, stride_b, ctypes.c_void_p(a.data.ptr), lda,
                stride_a, ctypes.byref(zero), ctypes.c_void_p(c.data.ptr), n, m * n, count),
           "gemmStridedBatched")
    return out if out is not None else c.reshape(result_shape)


@contextlib.contextmanager
def patched():
    """Within: `cupy.matmul` and `cupy.dot` of matrices use `matmul` (the bound handle)."""
    cupy = cupy_backend._module()

    original_matmul, original_dot = cupy.matmul, cupy.dot

    def captured_matmul(a, b, out=None, **kwargs):
        if kwargs:
            return original_matmul(a, b, out=out, **kwargs)
        return matmul(a, b, out=out, _fallback=original_matmul)

    def captured_dot(a, b, out=None):
        if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2:
            return matmul(a, b, out=out, _fallback=original_dot)
        return original_dot(a, b, out=out) if out is not None else original_dot(a, b)

    cupy.matmul, cupy.dot = captured_matmul, captured_dot
    try:
        yield
    finally:
        cupy.matmul, cupy.dot = original_matmul, original_dot
