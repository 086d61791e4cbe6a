"""`RngReadAndSkip`: a `Generator`'s Philox address, read and advanced when the op runs.

An `engine.random.Generator` draws with the key/counter ops (`StatelessRandomNormalV2`, ...),
which are pure: the numbers follow from the key and counter inputs. What makes a generator
a *stream* is this op, TensorFlow's `RngReadAndSkip`: it returns the generator's current
address and advances the counter by `delta` draws, when it runs. Eagerly that is at once;
in a traced function (`engine.function`) it is a stateful node, so it runs on every call,
in program order with the other stateful nodes (variable reads and writes, random draws),
and passes never fold, merge or drop it. So the draws of a traced function give the
numbers the same calls give eagerly, new ones on every call, and the generator's state
has moved on afterwards.

TensorFlow's op takes the state variable as a resource input and returns the int64 state;
here the op names the generator's state variable by the `generator` attr (a name in a
process-wide table of live state variables, as the stateful random ops keep their counters
in `random_kernels.STREAMS`) and returns the key and counter as the uint64 words the
key/counter draws take. A graph that holds the op therefore runs in the process that
traced it; the table holds the variables weakly, and a graph keeps the ones it created.
"""

from __future__ import annotations

import itertools
import threading
import weakref

import numpy as np

from engine import dtypes as _dt
from engine.errors import InvalidArgumentError
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["READ_AND_SKIP", "register_state", "read_and_skip", "address_words"]

_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1
# Live generator states by name: what a graph's `RngReadAndSkip` node reads and advances.
_STATES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_names = itertools.count()
_lock = threading.Lock()  # one read-and-advance at a time, eager or in a graph


def register_state(state) -> str:
    """A new name for a generator's state `Variable`, for `RngReadAndSkip`'s `generator` attr.

    Args:
        state: an int64 Variable `[counter_lo, counter_hi, key]` on the CPU (held weakly).

    Returns:
        The name.
    """
    with _lock:
        name = f"generator_{next(_names)}"
    _STATES[name] = state
    return name


def read_and_skip(state, delta: int) -> tuple:
    """The key and counter (uint64 arrays) in the state Variable `state`; advances its
    counter by `delta` draws: the kernel of `RngReadAndSkip`, and a Generator's eager draws
    when nothing records ops. Not for use while tracing (the graph's node calls it then)."""
    with _lock:
        key, counter, new = address_words(state._read()._value, delta)
        state.assign(new)
    return key, counter


def address_words(state: np.ndarray, delta: int) -> tuple:
    """The key (uint64, shape [1]) and counter (uint64, shape [2]) of an int64 Philox state
    `[counter_lo, counter_hi, key]`, and the state with the counter advanced by `delta`.

    Example:
        >>> key, counter, new = engine.ops.rng_state_ops.address_words(
        ...     np.array([0, 0, 7], np.int64), 1)
        >>> key.tolist(), counter.tolist(), new.tolist()
        ([7], [0, 0], [1, 0, 7])
    """
    words = np.asarray(state).view(np.uint64)
    count = int(words[0]) | int(words[1]) << 64
    count_next = (count + int(delta)) & _M128
    new = np.array([count_next & _M64, count_next >> 64, words[2]], np.uint64)
    return words[2:3].copy(), words[:2].copy(), new.view(np.int64)


def _infer(generator: str = "", alg: int = 1, delta: int = 1):
    if alg != 1:
        raise InvalidArgumentError(f"rng_read_and_skip: alg={alg!r}; eagerlab implements only "
                                   "Philox (alg=1).")
    if not isinstance(delta, (int, np.integer)) or isinstance(delta, bool):
        raise InvalidArgumentError(f"rng_read_and_skip: delta must be an int; got {delta!r}.")
    return TensorSpec([1], _dt.uint64), TensorSpec([2], _dt.uint64)


def _kernel(xp, generator: str = "", alg: int = 1, delta: int = 1):
    state = _STATES.get(generator)
    if state is None:
        raise InvalidArgumentError(
            f"rng_read_and_skip: generator {generator!r} no longer exists (or belongs to "
            "another process); expected a live engine.random.Generator. Keep the generator "
            "referenced while functions that draw from it run, and trace them again in a new "
            "process.")
    key, counter = read_and_skip(state, delta)
    if xp is np:
        return key, counter
    return xp.asarray(key), xp.asarray(counter)


READ_AND_SKIP = register(OpDef(
    "rng_read_and_skip", "RngReadAndSkip", (), _infer, _kernel,
    attrs={"generator": "", "alg": 1, "delta": 1}, num_outputs=2, stateful=True,
    doc="A Generator's key and counter, then its counter advanced by delta draws."))
