"""`engine.config`: devices, threads, and engine-wide switches (TensorFlow's names).

Example:
    >>> engine.config.list_physical_devices("CPU")
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
"""

from __future__ import annotations

import types
from dataclasses import dataclass

from engine import context
from engine.backend import devices as _devices
from engine.device_settings import (  # noqa: F401 - re-exported
    get_soft_device_placement,
    get_visible_devices,
    set_soft_device_placement,
    set_visible_devices,
)
from engine.errors import InvalidArgumentError, UnimplementedError
from engine.graph import passes as _passes
from engine.graph.settings import (  # noqa: F401 - re-exported
    debug_replay_enabled,
    functions_run_eagerly,
    run_functions_eagerly,
    set_debug_replay,
)
from engine.graph.settings import functions_run_eagerly as experimental_functions_run_eagerly
from engine.graph.settings import run_functions_eagerly as experimental_run_functions_eagerly

__all__ = [
    "PhysicalDevice", "LogicalDevice", "LogicalDeviceConfiguration", "list_physical_devices",
    "list_logical_devices", "set_logical_device_configuration",
    "get_logical_device_configuration", "threading", "experimental", "optimizer",
    "run_functions_eagerly", "functions_run_eagerly", "set_debug_replay",
    "debug_replay_enabled", "get_visible_devices", "set_visible_devices",
    "get_soft_device_placement", "set_soft_device_placement",
    "experimental_functions_run_eagerly", "experimental_run_functions_eagerly",
]


@dataclass(frozen=True)
class PhysicalDevice:
    """A physical device: `/physical_device:CPU:0` or `/physical_device:GPU:0`.

    Example:
        >>> engine.config.list_physical_devices("CPU")[0].device_type
        'CPU'
    """

    name: str
    device_type: str


@dataclass(frozen=True)
class LogicalDevice:
    """A device ops can be placed on: `/job:localhost/replica:0/task:0/device:CPU:1`.

    Example:
        >>> engine.config.list_logical_devices("CPU")[0]
        LogicalDevice(name='/job:localhost/replica:0/task:0/device:CPU:0', device_type='CPU')
    """

    name: str
    device_type: str


@dataclass(frozen=True)
class LogicalDeviceConfiguration:
    """Configuration of one logical device (memory_limit is accepted for TF parity).

    Args:
        memory_limit: megabytes; accepted and ignored.
        experimental_priority: accepted and ignored.

    Example:
        >>> cpu = engine.config.list_physical_devices("CPU")[0]
        >>> engine.config.set_logical_device_configuration(
        ...     cpu, [engine.config.LogicalDeviceConfiguration()] * 2)
        >>> engine.config.get_logical_device_configuration(cpu)[0]
        LogicalDeviceConfiguration(memory_limit=None, experimental_priority=None)
    """

    memory_limit: int | None = None
    experimental_priority: int | None = None


def _check_type(device_type, caller: str):
    if device_type is not None and str(device_type).upper() not in ("CPU", "GPU"):
        raise InvalidArgumentError(f"{caller}: got device_type {device_type!r}; expected "
                                   "'CPU', 'GPU' or None.")
    return None if device_type is None else str(device_type).upper()


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The physical devices: one CPU, plus every GPU CuPy sees.

    Args:
        device_type: 'CPU', 'GPU' or None for both.

    Returns:
        A list of `PhysicalDevice`, the CPU first.

    Raises:
        InvalidArgumentError: for another device type.

    Example:
        >>> engine.config.list_physical_devices("CPU")
        [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    """
    kind = _check_type(device_type, "list_physical_devices")
    found = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    found += [PhysicalDevice(f"/physical_device:GPU:{d.index}", "GPU") for d in _devices.gpus()]
    return [d for d in found if kind is None or d.device_type == kind]


def list_logical_devices(device_type: str | None = None) -> list[LogicalDevice]:
    """The devices ops can be placed on, including logical CPUs.

    Args:
        device_type: 'CPU', 'GPU' or None for both.

    Returns:
        A list of `LogicalDevice`, CPUs first.

    Raises:
        InvalidArgumentError: for another device type.

    Example:
        >>> [d.name for d in engine.config.list_logical_devices("CPU")]
        ['/job:localhost/replica:0/task:0/device:CPU:0']
    """
    kind = _check_type(device_type, "list_logical_devices")
    found = [LogicalDevice(d.name, d.device_type) for d in _devices.cpus() + _devices.gpus()]
    return [d for d in found if kind is None or d.device_type == kind]


_logical_cpus: list = []


def set_logical_device_configuration(device: PhysicalDevice, logical_devices: list) -> None:
    """Splits the physical CPU into several logical CPUs (`/CPU:0` … `/CPU:n-1`).

    Logical CPUs share memory and threads; they let code written for several devices
    (e.g. a mirrored strategy) run and be tested on one machine. Unlike TensorFlow this may
    be called at any time; tensors already on a removed logical CPU stay readable.

    Args:
        device: the CPU `PhysicalDevice`.
        logical_devices: one `LogicalDeviceConfiguration` per logical CPU; empty or None
            means one.

    Raises:
        TypeError: if `device` is not a `PhysicalDevice`.
        UnimplementedError: for a GPU.

    Example:
        >>> cpu = engine.config.list_physical_devices("CPU")[0]
        >>> engine.config.set_logical_device_configuration(
        ...     cpu, [engine.config.LogicalDeviceConfiguration()] * 2)
        >>> len(engine.config.list_logical_devices("CPU"))
        2
    """
    if not isinstance(device, PhysicalDevice):
        raise TypeError(f"set_logical_device_configuration: got {device!r}; expected a "
                        "PhysicalDevice from engine.config.list_physical_devices().")
    if device.device_type != "CPU":
        raise UnimplementedError("set_logical_device_configuration: only the CPU can be split "
                                 "into logical devices; GPUs are used whole.")
    configs = list(logical_devices or [LogicalDeviceConfiguration()])
    _devices.set_logical_cpu_count(len(configs))
    _logical_cpus[:] = configs


def get_logical_device_configuration(device: PhysicalDevice) -> list | None:
    """The configuration set by `set_logical_device_configuration`, or None.

    Args:
        device: a `PhysicalDevice`.

    Returns:
        A list of `LogicalDeviceConfiguration`, or None if the device was never split.

    Example:
        >>> cpu = engine.config.list_physical_devices("CPU")[0]
        >>> engine.config.set_logical_device_configuration(
        ...     cpu, [engine.config.LogicalDeviceConfiguration()] * 3)
        >>> len(engine.config.get_logical_device_configuration(cpu))
        3
    """
    if device.device_type == "CPU" and _logical_cpus:
        return list(_logical_cpus)
    return None


# --- threads --------------------------------------------------------------------------------
_threads = {"intra": 0, "inter": 0}
_limiter = []


def set_intra_op_parallelism_threads(num_threads: int) -> None:
    """Sets the number of BLAS/OpenMP threads used inside ops (0: library default).

    Uses threadpoolctl (installed with the `dev` extra, or `pip install threadpoolctl`).

    Args:
        num_threads: the number of threads, or 0 for the library default.

    Raises:
        ValueError: for a negative number.
        ImportError: when threadpoolctl is not installed.

    Example:
        >>> engine.config.threading.set_intra_op_parallelism_threads(1)
        >>> engine.config.threading.get_intra_op_parallelism_threads()
        1
        >>> engine.config.threading.set_intra_op_parallelism_threads(0)  # the default again
    """
    num_threads = int(num_threads)
    if num_threads < 0:
        raise ValueError(f"set_intra_op_parallelism_threads: got {num_threads}; expected >= 0.")
    try:
        from threadpoolctl import ThreadpoolController  # noqa: PLC0415 - optional
    except ImportError:
        raise ImportError("set_intra_op_parallelism_threads needs threadpoolctl: "
                          "pip install threadpoolctl") from None
    controller = ThreadpoolController()
    while _limiter:
        _limiter.pop().restore_original_limits()
    if num_threads:
        _limiter.append(controller.limit(limits=num_threads))
    _threads["intra"] = num_threads


def get_intra_op_parallelism_threads() -> int:
    """The value last set (0 means the library default).

    Returns:
        An int.

    Example:
        >>> engine.config.threading.get_intra_op_parallelism_threads()
        0
    """
    return _threads["intra"]


def set_inter_op_parallelism_threads(num_threads: int) -> None:
    """Records how many ops may run concurrently (TF parity; nothing reads it yet).

    Args:
        num_threads: the number of threads, or 0 for the default.

    Raises:
        ValueError: for a negative number.

    Example:
        >>> engine.config.threading.set_inter_op_parallelism_threads(2)
        >>> engine.config.threading.get_inter_op_parallelism_threads()
        2
    """
    if int(num_threads) < 0:
        raise ValueError(f"set_inter_op_parallelism_threads: got {num_threads}; expected >= 0.")
    _threads["inter"] = int(num_threads)


def get_inter_op_parallelism_threads() -> int:
    """The value last set (0 means the default).

    Returns:
        An int.

    Example:
        >>> engine.config.threading.set_inter_op_parallelism_threads(0)
        >>> engine.config.threading.get_inter_op_parallelism_threads()
        0
    """
    return _threads["inter"]


threading = types.SimpleNamespace(
    set_intra_op_parallelism_threads=set_intra_op_parallelism_threads,
    get_intra_op_parallelism_threads=get_intra_op_parallelism_threads,
    set_inter_op_parallelism_threads=set_inter_op_parallelism_threads,
    get_inter_op_parallelism_threads=get_inter_op_parallelism_threads,
)


# --- experimental switches ------------------------------------------------------------------
def set_strict_checks(enabled: bool) -> None:
    """Runs every op's shape inference next to its kernel and fails on disagreement.

    Slower; the test suite turns it on so that `infer` and kernels cannot drift apart.

    Args:
        enabled: True to check every op, False for the fast path.

    Example:
        >>> engine.config.experimental.set_strict_checks(True)
        >>> engine.reduce_sum(engine.ones([2, 3]), axis=0).shape
        TensorShape([3])
        >>> engine.config.experimental.set_strict_checks(False)
    """
    enabled = bool(enabled)
    if enabled != context.GLOBAL.strict:
        context.GLOBAL.strict = enabled
        (context.enter_slow if enabled else context.exit_slow)()


def set_memory_growth(device: PhysicalDevice, enable: bool) -> None:
    """Accepted for TensorFlow parity: CuPy's memory pool always grows on demand.

    Args:
        device: a `PhysicalDevice`.
        enable: ignored.

    Raises:
        TypeError: if `device` is not a `PhysicalDevice`.

    Example:
        >>> for gpu in engine.config.list_physical_devices("GPU"):
        ...     engine.config.experimental.set_memory_growth(gpu, True)
    """
    if not isinstance(device, PhysicalDevice):
        raise TypeError(f"set_memory_growth: got {device!r}; expected a PhysicalDevice.")


def enable_op_determinism() -> None:
    """Accepted for TensorFlow parity: eagerlab's CPU kernels are already deterministic.

    Example:
        >>> engine.config.experimental.enable_op_determinism()
    """


experimental = types.SimpleNamespace(
    set_strict_checks=set_strict_checks, set_memory_growth=set_memory_growth,
    enable_op_determinism=enable_op_determinism,
    list_physical_devices=list_physical_devices,
    set_virtual_device_configuration=set_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
)

optimizer = types.SimpleNamespace(
    set_experimental_options=_passes.set_experimental_options,
    get_experimental_options=_passes.get_experimental_options,
)
