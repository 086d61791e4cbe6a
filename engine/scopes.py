"""Context managers for placement and naming: `engine.device` and `engine.name_scope`."""

from __future__ import annotations

from engine import context
from engine.backend import devices as _devices


class device:  # noqa: N801 - TensorFlow's name
    """Places the ops and tensors created inside the block on a device.

    Args:
        device_name: `'/CPU:0'`, `'/GPU:0'`, a full device name, or None (no change).

    Raises:
        InvalidArgumentError: if the device does not exist.

    Example:
        >>> with engine.device("/CPU:0"):
        ...     x = engine.constant(1.0)
        >>> x.device
        '/job:localhost/replica:0/task:0/device:CPU:0'
    """

    def __init__(self, device_name):
        self._device = None if device_name is None else _devices.get(device_name)

    def __enter__(self):
        if self._device is not None:
            context.THREAD.devices.append(self._device)
            # The operator fast path only ever runs on /CPU:0 inputs, which is what a
            # /CPU:0 scope asks for anyway; any other device needs dispatch's placement.
            if self._device is not _devices.CPU0:
                context.enter_slow()
        return self

    def __exit__(self, *exc):
        if self._device is not None:
            context.THREAD.devices.pop()
            if self._device is not _devices.CPU0:
                context.exit_slow()


class name_scope:  # noqa: N801 - TensorFlow's name
    """Prefixes the names of variables (and the layer path of ops) created inside.

    A name ending in `/` is absolute, as in TensorFlow: it replaces the enclosing scopes.

    Example:
        >>> with engine.name_scope("dense"):
        ...     v = engine.Variable(1.0, name="kernel")
        >>> v.name
        'dense/kernel:0'
    """

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise TypeError(f"name_scope: got {name!r}; expected a string.")
        self._parts = [p for p in name.strip("/").split("/") if p]
        self._absolute = name.endswith("/")

    @property
    def name(self) -> str:
        """The scope's own name."""
        return "/".join(self._parts)

    def __enter__(self) -> str:
        thread = context.THREAD
        scopes = thread.scopes
        thread.saved_scopes.append(scopes[:])  # per thread: one scope object may be shared
        if self._absolute:
            scopes[:] = self._parts
        else:
            scopes.extend(self._parts)
        current = context.current_name_scope()
        return current + "/" if current else ""

    def __exit__(self, *exc) -> None:
        thread = context.THREAD
        thread.scopes[:] = thread.saved_scopes.pop()
