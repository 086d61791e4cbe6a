"""`NanLocator`: the first layer and op behind a NaN in `fit`, graph mode included.

A Keras callback: when a step of `fit` produces a NaN or Inf, it replays that exact batch
eagerly and names the first layer and op that went non-finite.

    locator = widgets.NanLocator()
    model.fit(x, y, callbacks=[locator])      # traced, at full speed
    locator.report                            # NanReport: layer, op, its inputs' statistics
    locator.batch                             # the batch itself, (x, y[, sample_weight])

Before each train step it keeps a reference to the batch (from `fit`'s `"train_batch"`
hook event) and a copy of the model's weights; after the step it looks at the logs. When
one is NaN or Inf it puts the weights back as they were before that step, replays the
batch with `StepDebugger`'s machinery (`train_step` run eagerly, updates suppressed, each
layer's output recorded, then the failing layer's ops one by one), keeps the report, prints
it, and stops training (`stop=True`) with the weights of the last finite step. The copy
costs one copy of the weights per batch (not of the optimizer's slots, which the replay
does not use); random ops (dropout) draw new numbers in the replay.
"""

from __future__ import annotations

import numpy as np

from engine import hooks
from engine.keras.callbacks import Callback
from widgets.debug_capture import NanReport, replay

__all__ = ["NanLocator"]


class NanLocator(Callback):
    """Finds where a NaN/Inf came from when `fit` (graph mode too) produces one.

    Args:
        stop: end `fit` after the failing batch (the default), with the weights as they
            were before it; False keeps training (and the weights the step produced).
        verbose: print the report when a NaN is found.

    Attributes:
        report: the `NanReport` of the failing batch, or None while all is finite.
        batch: that batch, as `train_step` received it.
        epoch, step: where it happened.
        logs: the failing step's logs.

    Example:
        >>> model = engine.keras.Sequential([engine.keras.Input((1,)),
        ...                                  engine.keras.layers.Lambda(engine.math.log,
        ...                                                             name="log"),
        ...                                  engine.keras.layers.Dense(1, name="out")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> locator = NanLocator(verbose=False)
        >>> _ = model.fit(np.array([[1.0], [2.0], [-1.0], [3.0]]), np.ones((4, 1)),
        ...               batch_size=2, shuffle=False, verbose=0, callbacks=[locator])
        >>> locator.step, locator.report.layer, locator.report.op
        (1, 'log', 'Log')
    """

    def __init__(self, stop: bool = True, verbose: bool = True):
        super().__init__()
        self.stop = stop
        self.verbose = verbose
        self.report: NanReport | None = None
        self.batch = None
        self.epoch = self.step = None
        self.logs = None
        self._epoch = 0
        self._pending = None  # (batch, weights before the step) of the running step
        self._subscription = None

    def on_train_begin(self, logs=None):
        self.report = self.batch = self.epoch = self.step = self.logs = None
        self._subscription = hooks.subscribe("train_batch", self._before_step)

    def on_train_end(self, logs=None):
        if self._subscription is not None:
            self._subscription.unsubscribe()
            self._subscription = None
        self._pending = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _before_step(self, event) -> None:
        if event.model is not self.model:
            return
        self._pending = (event.batch, [v.numpy().copy() for v in self.model.variables])

    def on_train_batch_end(self, batch, logs=None):
        if self._pending is None or self.report is not None:
            return
        if all(np.isfinite(v) for v in _numbers(logs)):
            return
        packed, before = self._pending
        data = (tuple(packed) + (None, None))[:3]  # (x, y, sample_weight)
        model = self.model
        after = [v.numpy().copy() for v in model.variables]
        for v, value in zip(model.variables, before):
            v.assign(value)
        try:
            with np.errstate(all="ignore"):  # NaN and Inf are expected here
                report = replay(model, data)
        finally:
            keep = before if self.stop else after
            for v, value in zip(model.variables, keep):
                v.assign(value)
        self.report, self.batch, self.logs = report, packed, dict(logs or {})
        self.epoch, self.step = self._epoch, batch
        if self.verbose:
            print(f"NanLocator: epoch {self.epoch}, batch {batch}: {_numbers_text(logs)}; "
                  f"replayed eagerly: {report.message}")
        if self.stop:
            model.stop_training = True


def _numbers(logs) -> list:
    out = []
    for value in (logs or {}).values():
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            continue
    return out


def _numbers_text(logs) -> str:
    return ", ".join(f"{k}={v}" for k, v in (logs or {}).items())
