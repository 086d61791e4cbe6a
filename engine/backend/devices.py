"""Devices: the CPU, logical CPUs, and GPUs (through CuPy), and copies between them.

Each `Device` names its backend (`numpy_backend` or `cupy_backend`), whose `xp` module
runs the kernels. Logical CPU devices (`/CPU:1`, … from
`engine.config.set_logical_device_configuration`) share host memory with `/CPU:0`; they
exist so that multi-device code can be written and tested on one machine.

GPUs are discovered on first use, so importing the engine never imports CuPy.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from engine.backend import cupy_backend, numpy_backend
from engine.errors import InvalidArgumentError

_PREFIX = "/job:localhost/replica:0/task:0/device:"


class Device:
    """A place where ops run and tensors live.

    Attributes:
        name: the full name, `/job:localhost/replica:0/task:0/device:CPU:0`.
        device_type: `"CPU"` or `"GPU"`.
        index: the device number within its type.
        backend: the backend module whose `xp` runs kernels here.
    """

    __slots__ = ("name", "device_type", "index", "backend", "short_name")

    def __init__(self, device_type: str, index: int, backend):
        self.device_type = device_type
        self.index = index
        self.backend = backend
        self.short_name = f"/{device_type}:{index}"
        self.name = f"{_PREFIX}{device_type}:{index}"

    @property
    def xp(self):
        """The array module of this device (`numpy` or `cupy`)."""
        return self.backend.xp

    def __repr__(self) -> str:
        return f"Device({self.short_name!r})"

    def __reduce__(self):
        # Unpickle to the registered device: dispatch compares devices by identity.
        return get, (self.short_name,)


CPU0 = Device("CPU", 0, numpy_backend)
_cpus = [CPU0]
_gpus: list[Device] | None = None
_gpu_backend = cupy_backend
_lock = threading.Lock()
_SPEC = re.compile(
    r"^(?:/job:[^/]+)?(?:/replica:\d+)?(?:/task:\d+)?/?(?:device:)?([A-Za-z]+)(?::(\d+))?$")


def gpus() -> list[Device]:
    """The GPU devices (discovered once; empty without CuPy or a CUDA device)."""
    global _gpus
    if _gpus is None:
        with _lock:
            if _gpus is None:
                found = []
                if _gpu_backend.is_available():
                    found = [Device("GPU", i, _gpu_backend)
                             for i in range(_gpu_backend.device_count())]
                _gpus = found
    return _gpus


def cpus() -> list[Device]:
    """The CPU devices: `/CPU:0` plus any logical CPUs."""
    return list(_cpus)


def set_logical_cpu_count(count: int) -> None:
    """Makes `/CPU:0` … `/CPU:{count-1}` available (see `engine.config`)."""
    if count < 1:
        raise ValueError(f"set_logical_cpu_count: got {count}; expected at least 1.")
    with _lock:
        del _cpus[1:]
        _cpus.extend(Device("CPU", i, numpy_backend) for i in range(1, count))


def _install_gpu_backend(backend) -> None:
    """Replaces the GPU backend (used by tests to exercise placement without a GPU)."""
    global _gpu_backend, _gpus
    with _lock:
        _gpu_backend = backend if backend is not None else cupy_backend
        _gpus = None


def get(spec) -> Device:
    """Resolves `'/GPU:0'`, `'gpu:1'`, `'/device:CPU:0'`, a full name or a `Device`.

    Raises:
        InvalidArgumentError: for a malformed name or a device that does not exist.
    """
    if isinstance(spec, Device):
        return spec
    match = _SPEC.match(str(spec).strip())
    if not match:
        raise InvalidArgumentError(
            f"device: cannot parse {spec!r}; expected a name like '/CPU:0' or '/GPU:0'.")
    kind, index = match.group(1).upper(), int(match.group(2) or 0)
    if kind == "XLA_GPU":
        kind = "GPU"
    pool = _cpus if kind == "CPU" else gpus() if kind == "GPU" else None
    if pool is None:
        raise InvalidArgumentError(
            f"device: unknown device type {kind!r} in {spec!r}; expected CPU or GPU.")
    if index >= len(pool):
        have = ", ".join(d.short_name for d in _cpus + gpus()) or "none"
        hint = (" No GPU is visible: install CuPy (pip install 'eagerlab[gpu]') on a machine"
                " with a CUDA device." if kind == "GPU" and not pool else "")
        raise InvalidArgumentError(
            f"device: {spec!r} does not exist; available devices: {have}.{hint}")
    return pool[index]


def backend_of(array):
    """The backend that owns `array` (NumPy for anything that is not a GPU array)."""
    if _gpu_backend.is_native(array):
        return _gpu_backend
    return numpy_backend


def transfer(array, src: Device, dst: Device):
    """Copies `array` from device `src` to device `dst` (no copy within host memory)."""
    if src.backend is dst.backend:
        return dst.backend.move(array, dst.index)
    if dst.backend is numpy_backend:
        return src.backend.to_host(array)
    host = src.backend.to_host(array) if src.backend is not numpy_backend else array
    # Not np.ascontiguousarray: it turns 0-d arrays into shape (1,).
    return dst.backend.from_host(np.asarray(host, order="C"), dst.index)
