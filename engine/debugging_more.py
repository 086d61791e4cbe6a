"""More of `engine.debugging`: scalar and float-dtype checks, traceback and placement switches.

`assert_scalar`, `assert_same_float_dtype`, traceback filtering switches and
device-placement logging.

`set_log_device_placement(True)` subscribes one listener to the op events of
`engine.hooks` that logs each op's device on the 'engine' logger; turning it off removes
the listener, so ops pay nothing while it is off.
"""

from __future__ import annotations

import logging

from engine import dtypes as _dt
from engine import hooks
from engine.convert import convert_to_tensor

__all__ = ["assert_scalar", "assert_same_float_dtype", "enable_traceback_filtering",
           "disable_traceback_filtering", "is_traceback_filtering_enabled",
           "set_log_device_placement", "get_log_device_placement"]

_STATE = {"filtering": True, "placement": None}


def assert_scalar(tensor, name=None, message=None):
    """Returns `tensor` if its static rank is 0; raises ValueError otherwise.

    Args:
        tensor: a tensor or value.
        name: ignored.
        message: a prefix for the error message.

    Returns:
        `tensor` as a tensor.

    Raises:
        ValueError: if `tensor` has a known rank other than 0.

    Example:
        >>> float(engine.debugging.assert_scalar(engine.constant(1.0)))
        1.0
    """
    tensor = convert_to_tensor(tensor)
    if tensor.shape.rank not in (None, 0):
        prefix = f"{message}: " if message else ""
        raise ValueError(f"{prefix}assert_scalar: expected a scalar (shape ()); got shape "
                         f"{tensor.shape}. Reduce it or index one element.")
    return tensor


def assert_same_float_dtype(tensors=None, dtype=None):
    """The one floating dtype that `tensors` (and `dtype`, if given) share.

    Args:
        tensors: a list of tensors, or None.
        dtype: an expected floating dtype, or None.

    Returns:
        That dtype; float32 when neither gives one.

    Raises:
        ValueError: if the dtypes differ or are not floating.

    Example:
        >>> engine.debugging.assert_same_float_dtype([engine.constant(1.0)])
        engine.float32
    """
    found = None if dtype is None else _dt.as_dtype(dtype)
    if found is not None and not found.is_floating:
        raise ValueError(f"assert_same_float_dtype: got dtype={found.name}; expected a "
                         "floating dtype.")
    for i, t in enumerate(tensors or []):
        current = _dt.as_dtype(t.dtype)
        if found is not None and current != found:
            raise ValueError(f"assert_same_float_dtype: tensors[{i}] has dtype {current.name}; "
                             f"expected {found.name} like the others. Cast it with "
                             "engine.cast.")
        found = current
    if found is None:
        return _dt.float32
    if not found.is_floating:
        raise ValueError(f"assert_same_float_dtype: got dtype {found.name}; expected a "
                         "floating dtype.")
    return found


def enable_traceback_filtering() -> None:
    """Turns traceback filtering on (the default; recorded for TensorFlow parity).

    Example:
        >>> engine.debugging.enable_traceback_filtering()
        >>> engine.debugging.is_traceback_filtering_enabled()
        True
    """
    _STATE["filtering"] = True


def disable_traceback_filtering() -> None:
    """Turns traceback filtering off (eagerlab's tracebacks are never trimmed).

    Example:
        >>> engine.debugging.disable_traceback_filtering()
        >>> engine.debugging.is_traceback_filtering_enabled()
        False
        >>> engine.debugging.enable_traceback_filtering()
    """
    _STATE["filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """Whether traceback filtering is on.

    Returns:
        A bool.

    Example:
        >>> engine.debugging.is_traceback_filtering_enabled()
        True
    """
    return _STATE["filtering"]


def _log_placement(event) -> None:
    logging.getLogger("engine").info("Executing op %s in device %s", event.op, event.device)


def set_log_device_placement(enabled: bool) -> None:
    """Logs the device of every op (at INFO on the 'engine' logger) while enabled.

    Args:
        enabled: True to log, False to stop.

    Example:
        >>> engine.debugging.set_log_device_placement(True)
        >>> engine.debugging.get_log_device_placement()
        True
        >>> engine.debugging.set_log_device_placement(False)
    """
    subscription = _STATE["placement"]
    if enabled and subscription is None:
        _STATE["placement"] = hooks.subscribe("op", _log_placement)
    elif not enabled and subscription is not None:
        subscription.unsubscribe()
        _STATE["placement"] = None


def get_log_device_placement() -> bool:
    """Whether `set_log_device_placement(True)` is in effect.

    Returns:
        A bool.

    Example:
        >>> engine.debugging.get_log_device_placement()
        False
    """
    return _STATE["placement"] is not None
