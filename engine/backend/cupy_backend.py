"""The CuPy backend: arrays on CUDA GPUs.

CuPy is imported only when a GPU is first asked for, so `import engine` never pays for it.
A CuPy wheel imports fine on a machine without a GPU; availability is decided by
`cupy.cuda.is_available()` inside try/except, never by a successful import.

Kernels are written once against `xp`; where CuPy needs something `cupy` itself lacks
(`cupyx.scipy.special.erf`, raising on singular matrices), they call the helpers at the end
of this module, so that nothing outside `engine/backend` imports CuPy or cupyx.
"""

from __future__ import annotations

import numpy as np

from engine.errors import DTypeError

name = "cupy"
_cupy = None
_available = None
_capturing = False  # set by engine.graph.cuda_graphs while a CUDA graph is captured


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


def capturing() -> bool:
    """Whether a CUDA graph capture is recording kernels now (`engine.graph.cuda_graphs`).

    Kernels skip checks that read device memory on the host (a capture cannot wait for
    the device), as TensorFlow's GPU kernels do not check them at all.
    """
    return _capturing


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


def supports_dtype(dtype) -> bool:
    """Whether CuPy arrays can hold `dtype` (bool, integers, floats, complex; bfloat16 too
    with CuPy >= 14 and ml_dtypes installed). Decided without a GPU: by CuPy's ufunc loops."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biufc":
        return True
    supported = _extension_dtypes.get(dtype)
    if supported is None:
        try:
            loops = _module().add.types
        except ImportError:
            loops = ()
        supported = _extension_dtypes[dtype] = f"{dtype.char}{dtype.char}->{dtype.char}" in loops
    return supported


_extension_dtypes: dict = {}  # dtype -> whether CuPy has loops for it (e.g. bfloat16)


def check_dtype(dtype, what: str = "GPU") -> None:
    """Raises DTypeError for a dtype CuPy arrays cannot hold (strings, objects, bfloat16
    before CuPy 14).

    Args:
        dtype: a NumPy dtype (or anything `np.dtype` accepts).
        what: who is asking, for the message (an op name, or "GPU" for a copy).

    Raises:
        DTypeError: naming the dtype and how to keep the tensor on the CPU.

    Example:
        >>> from engine.backend import cupy_backend
        >>> cupy_backend.check_dtype(np.float32)  # a GPU dtype: no error
        >>> cupy_backend.check_dtype(np.dtype(object), "cast")
        Traceback (most recent call last):
        ...
        engine.errors.DTypeError: cast: got dtype object, which CuPy (the GPU ...
    """
    if not supports_dtype(dtype):
        dtype = np.dtype(dtype)
        raise DTypeError(
            f"{what}: got dtype {dtype.name}, which CuPy (the GPU backend) cannot hold; "
            "expected bool, an integer, a float or a complex dtype on a GPU (bfloat16 needs "
            "CuPy >= 14 and ml_dtypes). Keep such tensors on the CPU (with "
            "engine.device('/CPU:0')), or use float16 or float32 instead.")


def from_host(array: np.ndarray, index: int):
    """Copies a host array to GPU `index`.

    Raises:
        DTypeError: for dtypes CuPy cannot hold (see `check_dtype`).
    """
    check_dtype(array.dtype)
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


# --- helpers for kernels: what `cupy` itself lacks ------------------------------------------------
def erf(x):
    """The Gauss error function of a GPU array, in its dtype (cupyx returns float64 for
    float16 inputs)."""
    from cupyx.scipy.special import erf as cupy_erf  # noqa: PLC0415 - GPU only

    return cupy_erf(x).astype(x.dtype, copy=False)


def linalg_errors():
    """A context in which cuSOLVER failures raise `numpy.linalg.LinAlgError`, as NumPy does.

    By default CuPy does not check cuSOLVER's status (that waits for the device), so a
    singular matrix silently gives NaN or Inf; inside this context inv, solve and cholesky
    raise instead, and the linalg ops turn that into InvalidArgumentError on CPUs and GPUs
    alike.
    """
    import cupyx  # noqa: PLC0415 - GPU only

    return cupyx.errstate(linalg="raise")
