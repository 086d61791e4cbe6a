"""A fake GPU backend for tests: placement, copies and fallbacks without a GPU.

`FakeGPUBackend` stands in for `engine.backend.cupy_backend`: its arrays are NumPy arrays
of the subclass `FakeGPUArray`, so a test sees which arrays are "on the device"; it records
every host <-> device copy and every synchronization. The `gpu` fixture (conftest.py)
installs it as `/GPU:0` for one test.
"""

import numpy as np


class FakeGPUArray(np.ndarray):
    """An array "in GPU memory"."""


class FakeGPUBackend:
    """Stands in for `cupy_backend`; records copies and synchronizations."""

    name = "fakegpu"
    xp = np

    def __init__(self, count=1):
        self.count = count
        self.copies = []
        self.syncs = 0

    def is_available(self):
        return True

    def device_count(self):
        return self.count

    def from_host(self, array, index):
        assert type(array) is np.ndarray, "only host arrays go to the device"
        self.copies.append(("to_device", array.shape))
        return np.array(array, copy=True).view(FakeGPUArray)

    def to_host(self, array):
        assert isinstance(array, FakeGPUArray), "only device arrays come back"
        self.copies.append(("to_host", array.shape))
        return np.array(array, copy=True).view(np.ndarray)

    def is_native(self, array):
        return isinstance(array, FakeGPUArray)

    def array_index(self, array):
        return 0

    def move(self, array, index):
        return array

    def synchronize(self, index):
        self.syncs += 1

