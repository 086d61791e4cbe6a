"""The NumPy backend: CPU arrays. Always available.

On Linux with glibc, importing this module raises malloc's mmap and trim thresholds
(`mallopt`), so that freed intermediate arrays are reused instead of being returned to the
kernel and faulted back in page by page on the next step. Eager training allocates the same
large intermediates every step; with glibc's defaults each of them costs thousands of page
faults (the W3 CNN step spent a third of its time there). PyTorch and TensorFlow get the
same effect from their own caching allocators. Set `EAGERLAB_MALLOC_TUNING=0` before
importing to keep glibc's defaults.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _keep_freed_memory() -> bool:
    """Tunes glibc's malloc for repeated large allocations; False where not applicable."""
    if os.environ.get("EAGERLAB_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith(
            "linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, …)
        return False
    # Arrays under 32 MiB come from the heap; up to 256 MiB of freed heap is kept for reuse.
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 256 << 20))


malloc_tuned = _keep_freed_memory()

name = "numpy"
xp = np


def is_available() -> bool:
    """NumPy is a hard dependency, so always True."""
    return True


def device_count() -> int:
    """One physical CPU device."""
    return 1


def from_host(array: np.ndarray, index: int) -> np.ndarray:
    """Host arrays are already CPU arrays."""
    return array


def to_host(array) -> np.ndarray:
    """Returns the array itself: it is in host memory."""
    return array


def is_native(array) -> bool:
    """True if `array` is an array this backend owns."""
    return isinstance(array, np.ndarray)


def array_index(array) -> int:
    """The device index an array lives on (always 0 for host memory)."""
    return 0


def move(array, index: int):
    """Host memory is shared by all CPU devices: nothing to copy."""
    return array
