"""`engine.keras.backend`: Keras' global settings and unique-name counters.

Settings, as in Keras 2:
- `floatx()`: the default float dtype of layers' weights and of initializers called
  without a dtype ("float32").
- `epsilon()`: the fuzz factor added to denominators by losses, metrics, constraints and
  optimizers (1e-7).
- `image_data_format()`: where convolution and pooling layers expect channels
  ("channels_last").

Names. Layers and models get default names `dense`, `dense_1`, `dense_2`, ... from
`unique_object_name`; `get_uid` is Keras' lower-level counter (1, 2, 3, ... per prefix).
`clear_session()` restarts the counters, so a new model's layers are named from `dense`
again, and emits the hook event "keras_clear_session" (payload None): modules holding
Keras-wide state (the functional API's graph) subscribe to it with `engine.hooks.subscribe`
and reset themselves, so the backend does not import the modules above it.

Functions. Keras 2's backend functions (`mean`, `dot`, `batch_dot`, `variable`, `switch`,
`conv2d`, `binary_crossentropy`, ...) come from `engine.keras.backend_ops`: thin wrappers
over engine ops that keep Keras 2's defaults, for code written against `K`.

Settings are read when an object needs them (a layer reads `floatx()` when it is built, a
loss reads `epsilon()` when it is called), so change them before building models.
"""

from __future__ import annotations

import threading

import numpy as np

from engine import dtypes as _dt
from engine import hooks

__all__ = ["epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format",
           "set_image_data_format", "cast_to_floatx", "get_uid", "unique_object_name",
           "reset_uids", "clear_session", "learning_phase", "set_learning_phase"]


def __dir__():
    # The public API and the dunders, not the modules imported here.
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


_FLOATX_CHOICES = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


class _State:
    def __init__(self):
        self.epsilon = 1e-7
        self.floatx = "float32"
        self.image_data_format = "channels_last"
        self.learning_phase = 0
        self.uids: dict[str, int] = {}
        self.lock = threading.Lock()


_STATE = _State()


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7 unless changed).

    Returns:
        A Python float.

    Example:
        >>> engine.keras.backend.epsilon()
        1e-07
    """
    return _STATE.epsilon


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor returned by `epsilon()`.

    Args:
        value: a non-negative number.

    Raises:
        ValueError: for a negative value or a value that is not a number.

    Example:
        >>> old = engine.keras.backend.epsilon()
        >>> engine.keras.backend.set_epsilon(1e-5)
        >>> engine.keras.backend.epsilon()
        1e-05
        >>> engine.keras.backend.set_epsilon(old)
    """
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"set_epsilon: got {value!r}; expected a small positive number such "
                         "as 1e-7.") from None
    if not value >= 0:
        raise ValueError(f"set_epsilon: got {value!r}; expected a number >= 0 such as 1e-7.")
    _STATE.epsilon = value


def floatx() -> str:
    """The default float dtype, as a string ("float32" unless changed).

    Returns:
        One of "float16", "bfloat16", "float32", "float64".

    Example:
        >>> engine.keras.backend.floatx()
        'float32'
    """
    return _STATE.floatx


def set_floatx(value) -> None:
    """Sets the default float dtype used for new weights and initializer results.

    For float16 training prefer mixed precision, which keeps float32 weights.

    Args:
        value: "float16", "bfloat16", "float32" or "float64" (or the dtype itself).

    Raises:
        ValueError: for any other value.

    Example:
        >>> engine.keras.backend.set_floatx("float64")
        >>> engine.keras.initializers.Ones()((2,)).dtype
        engine.float64
        >>> engine.keras.backend.set_floatx("float32")
    """
    name = _dtype_name(value)
    if name not in _FLOATX_CHOICES:
        raise ValueError(f"set_floatx: got {value!r}; expected one of {list(_FLOATX_CHOICES)}.")
    _STATE.floatx = name


def _dtype_name(value) -> str | None:
    if isinstance(value, str):
        return value
    try:
        return _dt.as_dtype(value).name
    except (TypeError, ValueError):
        return None


def image_data_format() -> str:
    """Where image layers expect channels: "channels_last" (NHWC) or "channels_first".

    Returns:
        A string.

    Example:
        >>> engine.keras.backend.image_data_format()
        'channels_last'
    """
    return _STATE.image_data_format


def set_image_data_format(data_format: str) -> None:
    """Sets the default `data_format` of convolution and pooling layers.

    Args:
        data_format: "channels_last" or "channels_first".

    Raises:
        ValueError: for any other value.

    Example:
        >>> engine.keras.backend.set_image_data_format("channels_first")
        >>> engine.keras.backend.image_data_format()
        'channels_first'
        >>> engine.keras.backend.set_image_data_format("channels_last")
    """
    if data_format not in _DATA_FORMATS:
        raise ValueError(f"set_image_data_format: got {data_format!r}; expected "
                         "'channels_last' or 'channels_first'.")
    _STATE.image_data_format = data_format


def cast_to_floatx(x) -> np.ndarray:
    """A NumPy array (or scalar) of `x` in the default float dtype.

    Args:
        x: a number, nested list or NumPy array.

    Returns:
        A NumPy array or NumPy scalar of dtype `floatx()`.

    Example:
        >>> engine.keras.backend.cast_to_floatx([1, 2])
        array([1., 2.], dtype=float32)
    """
    dtype = _dt.as_dtype(_STATE.floatx).as_numpy_dtype
    array = np.asarray(x, dtype=dtype)
    return array[()] if array.ndim == 0 else array


def get_uid(prefix: str = "") -> int:
    """Counts calls per prefix: 1 on the first call with a prefix, then 2, 3, ...

    Args:
        prefix: the name the count is kept for.

    Returns:
        The new count.

    Example:
        >>> engine.keras.backend.reset_uids()
        >>> engine.keras.backend.get_uid("dense"), engine.keras.backend.get_uid("dense")
        (1, 2)
    """
    with _STATE.lock:
        count = _STATE.uids.get(prefix, 0) + 1
        _STATE.uids[prefix] = count
    return count


def unique_object_name(name: str, zero_based: bool = True) -> str:
    """A default object name: `name` the first time, then `name_1`, `name_2`, ...

    Shares the counters of `get_uid`. Layers name themselves with this.

    Args:
        name: the base name, e.g. "dense".
        zero_based: when False the first name is `name_1` already.

    Returns:
        The name.

    Example:
        >>> engine.keras.backend.clear_session()
        >>> [engine.keras.backend.unique_object_name("dense") for _ in range(3)]
        ['dense', 'dense_1', 'dense_2']
    """
    count = get_uid(name)
    if zero_based:
        count -= 1
    return name if count == 0 else f"{name}_{count}"


def reset_uids() -> None:
    """Restarts every `get_uid` / `unique_object_name` counter.

    Example:
        >>> engine.keras.backend.reset_uids()
        >>> engine.keras.backend.unique_object_name("conv2d")
        'conv2d'
    """
    with _STATE.lock:
        _STATE.uids.clear()


def clear_session() -> None:
    """Resets Keras' global state: name counters, the learning phase, listeners' state.

    Call it between models built in a loop so their layers are named from `dense` again.
    Settings (`floatx`, `epsilon`, `image_data_format`) and the random seed are kept.
    Listeners of the hook event "keras_clear_session" are called (with None) last.

    Example:
        >>> engine.keras.backend.clear_session()
        >>> names = [engine.keras.backend.unique_object_name("lstm") for _ in range(2)]
        >>> engine.keras.backend.clear_session()
        >>> names, engine.keras.backend.unique_object_name("lstm")
        (['lstm', 'lstm_1'], 'lstm')
    """
    reset_uids()
    _STATE.learning_phase = 0
    hooks.emit("keras_clear_session", None)


def learning_phase() -> int:
    """The global learning phase: 0 (inference, the default) or 1 (training).

    Deprecated in Keras 2: pass `training=` to layers instead. Layers use it only when
    called without `training`.

    Returns:
        0 or 1.

    Example:
        >>> engine.keras.backend.learning_phase()
        0
    """
    return _STATE.learning_phase


def set_learning_phase(value: int) -> None:
    """Sets the global learning phase (deprecated in Keras 2; prefer `training=`).

    Args:
        value: 0 (inference) or 1 (training).

    Raises:
        ValueError: for any other value.

    Example:
        >>> engine.keras.backend.set_learning_phase(1)
        >>> engine.keras.backend.learning_phase()
        1
        >>> engine.keras.backend.set_learning_phase(0)
    """
    if value not in (0, 1) or isinstance(value, float):
        raise ValueError(f"set_learning_phase: got {value!r}; expected 0 (inference) or "
                         "1 (training).")
    _STATE.learning_phase = int(value)


# Keras 2's backend functions (`K.mean`, `K.dot`, `K.variable`, ...), defined by kind in
# engine.keras.backend_ops and re-exported here so that `K.<name>` finds them.
from engine.keras import backend_ops as _backend_ops  # noqa: E402
from engine.keras.backend_ops import *  # noqa: E402,F401,F403

__all__ += _backend_ops.__all__
