"""The CuPy backend: arrays on CUDA GPUs.

CuPy is imported only when a GPU is first asked for, so `import engine` never pays for it.
A CuPy wheel imports fine on a machine without a GPU; availability is decided by
`cupy.cuda.is_available()` inside try/except, never by a successful import.
"""

from __future__ import annotations

import numpy as np

name = "cupy"
_cupy = None
_available = None


def _module():
    global _cupy
    if _cupy is None:
        import cupy  # noqa: PLC0415 - deliberately lazy

        _cupy = cupy
    return _cupy


def is_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device (cached)."""
    global _available
    if _available is None:
        try:
            cupy = _module()
            _available = bool(cupy.cuda.is_available()) and device_count() > 0
        except Exception:  # ImportError, CUDARuntimeError, driver errors
            _available = False
    return _available


def device_count() -> int:
    """Number of CUDA devices CuPy sees (0 on any error)."""
    try:
        return int(_module().cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def __getattr__(attr):
    # `cupy_backend.xp` resolves lazily to the cupy module.
    if attr == "xp":
        return _module()
    raise AttributeError(attr)


def from_host(array: np.ndarray, index: int):
    """Copies a host array to GPU `index`."""
    cupy = _module()
    with cupy.cuda.Device(index):
        return cupy.asarray(array)


def to_host(array) -> np.ndarray:
    """Copies a GPU array to host memory."""
    return _module().asnumpy(array)


def is_native(array) -> bool:
    """True if `array` is a CuPy array."""
    return _cupy is not None and isinstance(array, _cupy.ndarray)


def array_index(array) -> int:
    """The GPU index an array lives on."""
    return int(array.device.id)


def move(array, index: int):
    """Copies a GPU array to GPU `index` (no copy when it is already there)."""
    if array_index(array) == index:
        return array
    cupy = _module()
    with cupy.cuda.Device(index):
        return cupy.asarray(array)
