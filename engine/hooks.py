"""Hooks: how code above the engine (profiler, widgets) listens to it.

`subscribe(event, callback)` registers a listener; `emit(event, payload)` calls them.
The events the engine emits:
- `"op"`: after every eagerly executed op, with an `OpEvent`. While nobody listens, dispatch
  does not even build the event.
- `"train_batch"`: Keras `fit`, before each train step that runs with per-batch callbacks,
  with an `engine.keras.models.training.TrainBatch` (model, step, the batch itself);
  `widgets.NanLocator` uses it to replay the exact batch that produced a NaN.
- `"keras_profile_request"`: the TensorBoard callback asking for a profile of some batches
  (the `profiler` answers it).

Example:
    >>> events = []
    >>> with engine.hooks.subscribe("op", events.append):
    ...     _ = engine.constant(1.0) + 2.0
    >>> events[0].op
    'AddV2'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from engine import context

__all__ = ["OpEvent", "Subscription", "subscribe", "emit", "listeners"]

_listeners: dict[str, list[Callable]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class OpEvent:
    """One executed op, as seen by listeners.

    Attributes:
        op: the op's TensorFlow-style name (`"MatMul"`).
        scope: the name scope (layer path) it ran in, `/`-joined.
        device: the full device name it ran on.
        input_shapes: one shape tuple per tensor input.
        input_dtypes: one dtype name per tensor input.
        start_ns, end_ns: `time.perf_counter_ns()` around the kernel.
        bytes_out: bytes of the outputs.
        thread_id: `threading.get_ident()` of the caller.

    Example:
        >>> a, b = engine.ones([2, 3]), engine.ones([3, 4])
        >>> events = []
        >>> with engine.hooks.subscribe("op", events.append):
        ...     _ = engine.matmul(a, b)
        >>> events[0].op, events[0].input_shapes, events[0].input_dtypes
        ('MatMul', ((2, 3), (3, 4)), ('float32', 'float32'))
    """

    op: str
    scope: str
    device: str
    input_shapes: tuple
    input_dtypes: tuple
    start_ns: int
    end_ns: int
    bytes_out: int
    thread_id: int


class Subscription:
    """A registered listener; call `unsubscribe()` or use it as a context manager.

    Args:
        event: the event name.
        callback: the listener.

    Example:
        >>> subscription = engine.hooks.subscribe("demo", print)
        >>> engine.hooks.emit("demo", "hello")
        hello
        >>> subscription.unsubscribe()
        >>> engine.hooks.emit("demo", "nobody listens")
    """

    def __init__(self, event: str, callback: Callable):
        self.event = event
        self.callback = callback
        self.active = True

    def unsubscribe(self) -> None:
        """Stops delivering events to the callback (idempotent)."""
        with _lock:
            if not self.active:
                return
            self.active = False
            _listeners[self.event].remove(self.callback)
            if self.event == "op":
                context.exit_slow()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc) -> None:
        self.unsubscribe()


def subscribe(event: str, callback: Callable) -> Subscription:
    """Calls `callback(payload)` each time `event` is emitted.

    Args:
        event: `"op"`, `"train_batch"` or any name a component emits.
        callback: a function of one argument. It runs in the thread that emitted.

    Returns:
        A `Subscription`; `unsubscribe()` it (or leave its `with` block) to stop.

    Raises:
        TypeError: if `callback` is not callable.

    Example:
        >>> seen = []
        >>> with engine.hooks.subscribe("epoch_end", seen.append):
        ...     engine.hooks.emit("epoch_end", {"epoch": 0})
        >>> seen
        [{'epoch': 0}]
    """
    if not callable(callback):
        raise TypeError(f"subscribe: callback must be callable; got {type(callback).__name__}")
    with _lock:
        _listeners.setdefault(event, []).append(callback)
        if event == "op":
            context.enter_slow()
    return Subscription(event, callback)


def listeners(event: str) -> list[Callable]:
    """The callbacks subscribed to `event` (a snapshot).

    Args:
        event: the event name.

    Returns:
        A new list of the callbacks, in subscription order.

    Example:
        >>> with engine.hooks.subscribe("demo", print):
        ...     engine.hooks.listeners("demo") == [print]
        True
        >>> engine.hooks.listeners("demo")
        []
    """
    return list(_listeners.get(event, ()))


def emit(event: str, payload) -> None:
    """Delivers `payload` to every listener of `event`.

    Args:
        event: the event name.
        payload: the value passed to each callback.

    Example:
        >>> with engine.hooks.subscribe("demo", print):
        ...     engine.hooks.emit("demo", {"loss": 0.5})
        {'loss': 0.5}
    """
    for callback in _listeners.get(event, ()):
        callback(payload)
