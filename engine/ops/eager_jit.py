"""Compiled CPU kernels that eager NumPy kernels ask for, by name (filled by `engine.graph`).

The op kernels of `engine.ops` are written against an array module and need nothing but
NumPy. Where Numba is installed, three of `engine.graph`'s compiled-kernel modules register
here the inner loops that also pay off eagerly, with the same bits as the NumPy code they
replace (see `engine.graph.cpu_jit` for when they compile and how to switch them off):

- `"max_pool"`, `"max_pool_grad"` (`engine.graph.pool_jit.eager`):
  `fn(inputs, ksize, strides, padding)` -> the pooled array / the input gradient, or None;
- `"tap_add"` (`engine.graph.conv_jit.eager_tap_add`): `fn(dtype)` -> the strided add of a
  convolution input gradient's fold, or None;
- `"segment_rows"` (`engine.graph.segment_jit.compiled`): `fn(rows, ids, num)` -> the
  segment sums, or None.

A kernel asks `PROVIDERS.get(name)` and runs its own NumPy code when there is no provider or
the provider answers None (another dtype, a view, a geometry still warming up).

Example:
    >>> from engine.ops import eager_jit
    >>> sorted(eager_jit.PROVIDERS) == ['max_pool', 'max_pool_grad', 'segment_rows', 'tap_add']
    True
"""

from __future__ import annotations

__all__ = ["PROVIDERS"]

PROVIDERS: dict = {}
