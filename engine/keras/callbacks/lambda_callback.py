"""`LambdaCallback`: a callback made of plain functions."""

from __future__ import annotations

from engine.keras.callbacks.base import HOOKS, Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given, for quick one-off callbacks.

    Each function takes the arguments of its hook: `on_epoch_*(epoch, logs)`,
    `on_batch_*(batch, logs)` (train batches), `on_train_*(logs)`; other hooks
    (`on_test_batch_end=...`, `on_predict_begin=...`) may be given by name too.

    Args:
        on_epoch_begin: called at the start of each epoch.
        on_epoch_end: called at the end of each epoch.
        on_batch_begin: called before each training batch.
        on_batch_end: called after each training batch.
        on_train_begin: called at the start of training.
        on_train_end: called at the end of training.
        **kwargs: functions for other hooks, by hook name.

    Raises:
        TypeError: for a name that is not a hook, or a value that is not callable.

    Example:
        >>> epochs = []
        >>> callbacks = engine.keras.callbacks.CallbackList([
        ...     engine.keras.callbacks.LambdaCallback(
        ...         on_epoch_end=lambda epoch, logs: epochs.append(epoch))])
        >>> callbacks.on_epoch_end(0, {})
        >>> epochs
        [0]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end, **kwargs}
        for hook, function in hooks.items():
            if hook not in HOOKS:
                raise TypeError(f"LambdaCallback: {hook!r} is not a callback hook. Hooks: "
                                f"{', '.join(sorted(HOOKS))}.")
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {hook} must be a function; got "
                                f"{function!r}.")
            setattr(self, hook, function)
