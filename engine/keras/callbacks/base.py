"""`Callback` and `CallbackList`: how the training loop reports to user code.

`Model.fit`, `evaluate` and `predict` call one `CallbackList`, which fans each hook out
to the callbacks it holds, in order. Hooks and the logs they receive (Keras 2 semantics):

| hook                                    | when                  | logs                      |
|-----------------------------------------|-----------------------|---------------------------|
| `on_train_begin` / `on_train_end`       | around `fit`          | None / last epoch's logs  |
| `on_epoch_begin` / `on_epoch_end`       | around each epoch     | None / epoch results,     |
|                                         |                       | `val_*` included          |
| `on_train_batch_begin` / `_end`         | around each step      | None / running results    |
| `on_test_*`, `on_predict_*`             | the same in evaluate  | `on_predict_batch_end`    |
|                                         | and predict           | gets `{"outputs": ...}`   |

`on_batch_begin` / `on_batch_end` are the old names of the train batch hooks: a callback
that overrides them gets train batches. Logs are dicts of Python floats; a callback may
add keys to the epoch logs (`ReduceLROnPlateau` adds `lr`), and later callbacks and
`History` see them, because every callback receives the same dict.

Batch hooks run on every step, so `CallbackList` calls a batch hook only on the callbacks
that act on it, and `needs_batch_hooks(mode)` tells the loop whether any callback does:
when none does, the loop can skip the calls and the conversion of batch logs to floats.
"""

from __future__ import annotations

__all__ = ["Callback", "CallbackList"]

_MODES = ("train", "test", "predict")
_PHASE_HOOKS = tuple(f"on_{mode}_{when}" for mode in _MODES for when in ("begin", "end"))
_BATCH_HOOKS = tuple(f"on_{mode}_batch_{when}" for mode in _MODES
                     for when in ("begin", "end"))
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
HOOKS = _PHASE_HOOKS + _EPOCH_HOOKS + _BATCH_HOOKS + tuple(_ALIASES.values())


class Callback:
    """The base class of callbacks: override the hooks you need; the others do nothing.

    A callback is attached to a model by `fit(callbacks=[...])` (or a `CallbackList`),
    which sets `self.model` and `self.params` (`{"verbose", "epochs", "steps"}`) before
    `on_train_begin`. In an epoch hook, `self.model.stop_training = True` ends training
    after the current epoch; in a train batch hook, after the current step.

    Example:
        >>> class PrintLoss(engine.keras.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch + 1}: loss {logs['loss']:.3f}")
        >>> callbacks = engine.keras.callbacks.CallbackList([PrintLoss()])
        >>> callbacks.on_epoch_end(0, {"loss": 0.25})
        epoch 1: loss 0.250
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params: dict) -> None:
        """Receives the loop's parameters (`verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model) -> None:
        """Receives the model being trained, evaluated or predicted with."""
        self.model = model

    def _wants(self, hook: str) -> bool:
        """Whether this callback acts on a batch hook (the list skips it when not)."""
        names = (hook, _ALIASES[hook]) if hook in _ALIASES else (hook,)
        return any(name in vars(self) or getattr(type(self), name) is not getattr(
            Callback, name) for name in names)

    # The hooks. Each does nothing here; subclasses override the ones they need.
    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit`, with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` (and of each validation run in `fit`)."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate`, with its results."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based) of `fit`."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of epoch `epoch` with its results (`val_*` included)."""

    def on_batch_begin(self, batch, logs=None):
        """The old name of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """The old name of `on_train_batch_end`."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training step `batch` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after training step `batch` with the epoch's running results."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before evaluation step `batch`."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after evaluation step `batch` with the running results."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before prediction step `batch`."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after prediction step `batch`; logs hold `{"outputs": ...}`."""


class CallbackList:
    """Holds a model's callbacks and calls each hook on all of them, in order.

    Args:
        callbacks: a `Callback`, a list of them, or None.
        add_history: append a `History` unless one is given (`fit` does).
        add_progbar: put a `ProgbarLogger` first unless one is given (`fit` does when
            `verbose != 0`).
        model: the model, passed to every callback's `set_model`.
        **params: the loop's parameters (`verbose`, `epochs`, `steps`), passed to every
            callback's `set_params`.

    Raises:
        TypeError: for an item that is not a `Callback`.

    Example:
        >>> seen = []
        >>> logger = engine.keras.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
        >>> callbacks = engine.keras.callbacks.CallbackList([logger], epochs=2, verbose=0)
        >>> for epoch, loss in enumerate([0.9, 0.5]):
        ...     callbacks.on_epoch_begin(epoch)
        ...     callbacks.on_epoch_end(epoch, {"loss": loss})
        >>> seen
        [(0, 0.9), (1, 0.5)]
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params):
        from engine.keras.callbacks.history import History  # noqa: PLC0415 - cycle
        from engine.keras.callbacks.progbar import ProgbarLogger  # noqa: PLC0415

        self.callbacks = _as_callback_list(callbacks)
        self.model = None
        self.params = {}
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)),
                             None)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger(count_mode="steps")
            self.callbacks.insert(0, self._progbar)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._sort_batch_hooks()

    def append(self, callback: Callback) -> None:
        """Adds a callback at the end.

        Args:
            callback: a `Callback`.

        Example:
            >>> callbacks = engine.keras.callbacks.CallbackList()
            >>> callbacks.append(engine.keras.callbacks.TerminateOnNaN())
            >>> len(callbacks)
            1
        """
        self.callbacks.extend(_as_callback_list([callback]))
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._sort_batch_hooks()

    def set_model(self, model) -> None:
        """Passes the model to every callback.

        Args:
            model: the model being trained.

        Example:
            >>> callbacks = engine.keras.callbacks.CallbackList([engine.keras.callbacks.History()])
            >>> callbacks.set_model("a model")
            >>> callbacks.callbacks[0].model
            'a model'
        """
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)
        self._sort_batch_hooks()

    def set_params(self, params: dict) -> None:
        """Passes the loop's parameters to every callback.

        Args:
            params: `{"verbose": ..., "epochs": ..., "steps": ...}`.

        Example:
            >>> callbacks = engine.keras.callbacks.CallbackList([engine.keras.callbacks.History()])
            >>> callbacks.set_params({"epochs": 3, "steps": 10, "verbose": 0})
            >>> callbacks.callbacks[0].params["epochs"]
            3
        """
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)
        self._sort_batch_hooks()

    def needs_batch_hooks(self, mode: str = "train") -> bool:
        """Whether any callback acts on `mode`'s batch hooks.

        The loop may skip the batch hooks (and converting batch logs to floats) when not.
        The answer reflects the callbacks' settings at the last `append`, `set_model` or
        `set_params`.

        Args:
            mode: "train", "test" or "predict".

        Returns:
            A bool.

        Raises:
            ValueError: for an unknown mode.

        Example:
            >>> quiet = engine.keras.callbacks.CallbackList([], add_history=True)
            >>> quiet.needs_batch_hooks("train")
            False
            >>> nan_guard = engine.keras.callbacks.CallbackList(
            ...     [engine.keras.callbacks.TerminateOnNaN()])
            >>> nan_guard.needs_batch_hooks("train")
            True
        """
        if mode not in _MODES:
            raise ValueError(f"CallbackList.needs_batch_hooks: mode must be one of {_MODES}; "
                             f"got {mode!r}.")
        return bool(self._batch[f"on_{mode}_batch_begin"] or self._batch[
            f"on_{mode}_batch_end"])

    def _sort_batch_hooks(self):
        self._batch = {hook: [c for c in self.callbacks if c._wants(hook)]
                       for hook in _BATCH_HOOKS}

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def __repr__(self):
        names = ", ".join(type(c).__name__ for c in self.callbacks)
        return f"CallbackList([{names}])"

    # The hooks: each calls the same hook of every callback, in order.
    def on_train_begin(self, logs=None):
        """Calls `on_train_begin` of every callback."""
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        """Calls `on_train_end` of every callback."""
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs=None):
        """Calls `on_test_begin` of every callback."""
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs=None):
        """Calls `on_test_end` of every callback."""
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        """Calls `on_predict_begin` of every callback."""
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        """Calls `on_predict_end` of every callback."""
        for callback in self.callbacks:
            callback.on_predict_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        """Calls `on_epoch_begin` of every callback."""
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        """Calls `on_epoch_end` of every callback, all with the same logs dict."""
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        """Calls `on_train_batch_begin` of the callbacks that act on it."""
        for callback in self._batch["on_train_batch_begin"]:
            callback.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Calls `on_train_batch_end` of the callbacks that act on it."""
        for callback in self._batch["on_train_batch_end"]:
            callback.on_train_batch_end(batch, logs)

    on_batch_begin = on_train_batch_begin
    on_batch_end = on_train_batch_end

    def on_test_batch_begin(self, batch, logs=None):
        """Calls `on_test_batch_begin` of the callbacks that act on it."""
        for callback in self._batch["on_test_batch_begin"]:
            callback.on_test_batch_begin(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        """Calls `on_test_batch_end` of the callbacks that act on it."""
        for callback in self._batch["on_test_batch_end"]:
            callback.on_test_batch_end(batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        """Calls `on_predict_batch_begin` of the callbacks that act on it."""
        for callback in self._batch["on_predict_batch_begin"]:
            callback.on_predict_batch_begin(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        """Calls `on_predict_batch_end` of the callbacks that act on it."""
        for callback in self._batch["on_predict_batch_end"]:
            callback.on_predict_batch_end(batch, logs)


def _as_callback_list(callbacks) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    items = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
    for item in items:
        if not isinstance(item, Callback):
            raise TypeError(
                f"callbacks: got {item!r} ({type(item).__name__}); expected instances of "
                "engine.keras.callbacks.Callback. Subclass Callback, or wrap plain functions "
                "in engine.keras.callbacks.LambdaCallback(on_epoch_end=...).")
    return items

