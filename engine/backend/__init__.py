"""Array backends (NumPy for CPUs, CuPy for GPUs) and the device registry.

Nothing outside this package imports CuPy.
"""

from engine.backend.devices import CPU0, Device, cpus, get, gpus, transfer

__all__ = ["CPU0", "Device", "get", "gpus", "cpus", "transfer"]
