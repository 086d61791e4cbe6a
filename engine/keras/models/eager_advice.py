"""Adds Keras's way to run eagerly to a `TracingError` raised while a step is traced."""

from __future__ import annotations

from engine.errors import TracingError

_KERAS_ADVICE = ("or compile the model with run_eagerly=True (model.run_eagerly = True) to "
                 "run call() eagerly")


class EagerAdvice:
    """Adds Keras's way to run eagerly to a TracingError raised while a step is traced.

    The engine's error (asking a symbolic tensor for its value, e.g. `.numpy()` in `call`)
    suggests `run_functions_eagerly`; a Keras user wants `run_eagerly=True`. Entered once
    around a loop of steps, so it costs nothing per batch.
    """

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if (kind is not None and issubclass(kind, TracingError)
                and "run_functions_eagerly" in str(error) and _KERAS_ADVICE not in str(error)
                and not self.model.run_eagerly):
            raise TracingError(f"{str(error).rstrip('.')}, {_KERAS_ADVICE}.") from error
        return False
