"""Device switches of `engine.config`: visible devices and soft device placement.

`set_visible_devices` narrows what `get_visible_devices` reports and refuses to hide the CPU;
placement itself still follows `engine.device` scopes. `set_soft_device_placement` is
recorded for TensorFlow parity: ops without a GPU kernel always fall back to the CPU here.
"""

from __future__ import annotations

from engine.errors import InvalidArgumentError

__all__ = ["get_visible_devices", "set_visible_devices", "get_soft_device_placement",
           "set_soft_device_placement"]

_STATE = {"visible": None, "soft": True}


def _physical(device_type=None):
    from engine.config import list_physical_devices  # noqa: PLC0415 - config imports us

    return list_physical_devices(device_type)


def get_visible_devices(device_type: str | None = None) -> list:
    """The physical devices the runtime may use (all of them unless narrowed).

    Args:
        device_type: 'CPU', 'GPU' or None for both.

    Returns:
        A list of `PhysicalDevice`.

    Example:
        >>> engine.config.get_visible_devices("CPU")
        [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    """
    found = _physical(device_type)
    visible = _STATE["visible"]
    return found if visible is None else [d for d in found if d.name in visible]


def set_visible_devices(devices, device_type: str | None = None) -> None:
    """Narrows the visible devices of `device_type` (None: of every type) to `devices`.

    Args:
        devices: a `PhysicalDevice` or a list of them (from `list_physical_devices`).
        device_type: 'CPU', 'GPU' or None; devices of other types stay as they are.

    Raises:
        TypeError: for something that is not a `PhysicalDevice`.
        ValueError: if the CPU would be hidden (it always runs the host ops).

    Example:
        >>> gpus = engine.config.list_physical_devices("GPU")
        >>> engine.config.set_visible_devices(gpus, "GPU")  # keep every GPU visible
        >>> len(engine.config.get_visible_devices("CPU"))
        1
    """
    from engine.config import PhysicalDevice  # noqa: PLC0415 - config imports us

    chosen = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for d in chosen:
        if not isinstance(d, PhysicalDevice):
            raise TypeError(f"set_visible_devices: got {d!r}; expected PhysicalDevice objects "
                            "from engine.config.list_physical_devices().")
    kind = None if device_type is None else str(device_type).upper()
    if kind not in (None, "CPU", "GPU"):
        raise InvalidArgumentError(f"set_visible_devices: got device_type {device_type!r}; "
                                   "expected 'CPU', 'GPU' or None.")
    keep = {d.name for d in get_visible_devices() if kind is not None and d.device_type != kind}
    names = keep | {d.name for d in chosen}
    if not any(d.device_type == "CPU" and d.name in names for d in _physical()):
        raise ValueError("set_visible_devices: the CPU must stay visible; got a list without "
                         "it. Include engine.config.list_physical_devices('CPU')[0].")
    _STATE["visible"] = names


def get_soft_device_placement() -> bool:
    """Whether an op without a kernel for its device may run on another one (default True).

    Returns:
        A bool.

    Example:
        >>> engine.config.get_soft_device_placement()
        True
    """
    return _STATE["soft"]


def set_soft_device_placement(enabled: bool) -> None:
    """Records the soft-placement switch (ops lacking a GPU kernel use the CPU either way).

    Args:
        enabled: True to allow fallback placement.

    Example:
        >>> engine.config.set_soft_device_placement(True)
        >>> engine.config.get_soft_device_placement()
        True
    """
    _STATE["soft"] = bool(enabled)
