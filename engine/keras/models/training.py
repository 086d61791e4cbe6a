"""`compile`, `fit`, `evaluate`, `predict` and the overridable steps of `Model`.

`fit` runs `train_step` once per batch: as one traced `engine.function` graph (default),
or op by op in Python when `run_eagerly` is True (so `print`, breakpoints and `.numpy()`
work inside `call` and `train_step`). The switch is read at every batch, so changing
`model.run_eagerly` takes effect from the next batch on. Logs passed to callbacks are
Python floats. Ctrl-C (KeyboardInterrupt) stops `fit` between batches, keeping the
weights and the history so far.

Two checks help with common mistakes, each once per call and not per batch: a Dataset
that yields single examples (no `.batch()`) is named before the first step, and a
`TracingError` from asking a symbolic tensor for its value inside a traced step gets the
Keras way to run eagerly (`run_eagerly=True`) added.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from engine import hooks, nest
from engine.graph.function import function
from engine.keras.layers.layer_metrics import layer_metrics
from engine.keras.mixed_precision.autocast import float32_predictions
from engine.keras.models import compile_utils
from engine.keras.models.data_adapter import (
    DataHandler,
    check_dataset_is_batched,
    check_steps,
    num_samples,
    train_validation_split,
    unpack_x_y_sample_weight,
    validation_epochs,
)
from engine.keras.models.eager_advice import EagerAdvice as _EagerAdvice
from engine.keras.models.step_logs import logs_as_list, pack_batch, results_as_returned, to_floats
from engine.tape import GradientTape
from engine.tensor import Tensor
from engine.tensor_shape import TensorShape

__all__ = ["TrainingMixin"]


class TrainingMixin:
    """The training API of `Model` (see the module docstring)."""

    # --- compile ------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None,
                jit_compile=None, **kwargs):
        """Configures the model for training.

        Args:
            optimizer: an optimizer, its name or config.
            loss: a loss (name, function or `Loss`), or one per output (list or dict).
            metrics: metrics (names, functions or `Metric`s), or per output.
            loss_weights: weights of the outputs' losses (list or dict).
            weighted_metrics: metrics that use `sample_weight`.
            run_eagerly: run `train_step` op by op in Python (debugging).
            steps_per_execution, jit_compile: accepted for compatibility.

        Example:
            >>> model = engine.keras.Sequential([engine.keras.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
        """
        if kwargs:
            raise TypeError(f"compile: unexpected keyword arguments {sorted(kwargs)}.")
        from engine.keras import optimizers  # noqa: PLC0415
        from engine.keras.optimizers import loss_scale_optimizer  # noqa: PLC0415

        # Keras 2 wraps the optimizer for loss scaling under the mixed_float16 policy.
        self.optimizer = loss_scale_optimizer.wrap_for_policy(optimizers.get(optimizer),
                                                              self.dtype_policy)
        self.compiled_loss = compile_utils.LossesContainer(loss, loss_weights)
        self.compiled_metrics = compile_utils.MetricsContainer(metrics, weighted_metrics)
        self._run_eagerly = run_eagerly
        self.loss = loss
        self._is_compiled = True
        self._reset_functions()

    def _reset_functions(self) -> None:
        self._graph_functions = {}

    @property
    def run_eagerly(self) -> bool:
        """Whether `fit`/`evaluate`/`predict` run the steps eagerly (settable)."""
        value = getattr(self, "_run_eagerly", None)
        if value is None:
            from engine.graph.settings import functions_run_eagerly  # noqa: PLC0415

            return functions_run_eagerly()
        return bool(value)

    @run_eagerly.setter
    def run_eagerly(self, value) -> None:
        self._run_eagerly = value

    def _assert_compiled(self, what: str) -> None:
        if not getattr(self, "_is_compiled", False):
            raise RuntimeError(f"{self.name}.{what}: the model must be compiled first: "
                               "model.compile(optimizer=..., loss=...).")

    def _ensure_containers(self, y_pred) -> None:
        names = self._output_names_for(y_pred)
        if not self.compiled_loss.built:
            self.compiled_loss.build(names)
        cm = self.compiled_metrics
        if cm._output_names is None:
            cm._output_names = names
            cm._loss_fns = self.compiled_loss.losses

    def _output_names_for(self, y_pred) -> list:
        names = getattr(self, "output_names", None)
        flat = nest.flatten(y_pred)
        if names and len(names) == len(flat):
            if isinstance(y_pred, dict):
                return sorted(y_pred)
            return list(names)
        if isinstance(y_pred, dict):
            return sorted(y_pred)
        return ["output"] if len(flat) == 1 else [f"output_{i + 1}" for i in range(len(flat))]

    # --- the steps ----------------------------------------------------------------------
    def train_step(self, data):
        """One training step on a batch: forward, loss, gradients, update, metrics.

        Override it for custom training; `fit` calls it (traced unless `run_eagerly`).

        Returns:
            A dict of metric names to values.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        # A LossScaleOptimizer's compute_gradients scales the loss and unscales gradients.
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One evaluation step on a batch: forward, loss, metrics."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """One prediction step on a batch: the model's outputs."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The total loss of a batch: compiled losses plus the model's `losses`.

        Half-precision predictions (mixed precision) are cast to float32 for the losses.
        """
        self._ensure_containers(y_pred)
        y_pred = float32_predictions(y_pred)
        return self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)

    def compute_metrics(self, x, y, y_pred, sample_weight):
        """Updates the compiled metrics with a batch; returns `get_metrics_result()`."""
        self._ensure_containers(y_pred)
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """`{name: result}` of every metric of the model."""
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self) -> list:
        """The model's metrics: the loss trackers, the compiled metrics, then those its
        layers add with `add_metric`."""
        out = []
        if getattr(self, "compiled_loss", None) is not None:
            out.extend(self.compiled_loss.metrics)
        if getattr(self, "compiled_metrics", None) is not None:
            out.extend(self.compiled_metrics.metrics)
        return out + layer_metrics(self, exclude=out)

    @property
    def metrics_names(self) -> list:
        """The names of `metrics`."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Resets every metric's state."""
        for m in self.metrics:
            m.reset_state()

    @property
    def stateful(self) -> bool:
        """Whether any of the model's layers keeps states across calls."""
        return any(layer.stateful for layer in self.layers)

    def reset_states(self) -> None:
        """Sets the states of every stateful layer (`stateful=True` recurrent layers and
        their wrappers, in nested models too) to zeros: call it between independent
        sequences, as in TensorFlow 2's Keras.

        Example:
            >>> model = engine.keras.Sequential([
            ...     engine.keras.Input(shape=(3, 2), batch_size=4),
            ...     engine.keras.layers.GRU(5, stateful=True)])
            >>> _ = model(engine.ones([4, 3, 2]))
            >>> model.reset_states()
            >>> float(engine.reduce_sum(engine.abs(model.layers[0].states[0])))
            0.0
        """
        for layer in self.layers:
            if isinstance(layer, TrainingMixin):
                layer.reset_states()
            elif layer.stateful:
                layer.reset_states()

    def _step_function(self, kind: str):
        step = {"train": self.train_step, "test": self.test_step,
                "predict": self.predict_step}[kind]
        if self.run_eagerly:
            return step
        functions = self.__dict__.setdefault("_graph_functions", {})
        fn = functions.get(kind)
        if fn is None:
            fn = functions[kind] = function(step, name=f"{kind}_function")
            fn._warn_retracing = False  # a last partial batch retraces by design
        return fn

    # --- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False):
        """Trains the model for `epochs` epochs; returns a `History`.

        Args:
            x, y, sample_weight: the data: arrays (or dicts/lists of them), or a Dataset /
                generator yielding `(x, y[, sample_weight])` (then no y).
            batch_size: samples per batch for arrays (default 32).
            epochs: the epoch to stop at (counting from 0, with `initial_epoch`).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch ("auto": 1).
            callbacks: `engine.keras.callbacks.Callback`s.
            validation_split: the fraction of the arrays (taken from the end) to validate
                on.
            validation_data: `(x_val, y_val[, sw_val])` or a Dataset.
            shuffle: shuffle the arrays each epoch.
            class_weight: `{class: weight}` scaling each sample's loss by its class.
            initial_epoch: the epoch to start at (to resume).
            steps_per_epoch, validation_steps: batches per epoch (needed for infinite
                datasets and generators).
            validation_batch_size: batch size for validation arrays.
            validation_freq: validate every n epochs (an int) or at the listed epochs.
            max_queue_size, workers, use_multiprocessing: accepted for compatibility.

        Returns:
            The `History` callback, whose `history` has one list per metric.
        """
        self._assert_compiled("fit")
        from engine.keras import callbacks as callbacks_module  # noqa: PLC0415

        verbose = 1 if verbose == "auto" else int(verbose)
        check_steps(steps_per_epoch, "steps_per_epoch")
        check_steps(validation_steps, "validation_steps")
        validates = validation_epochs(validation_freq)
        if validation_split and validation_data is None:
            if not _is_arrays(x):
                raise ValueError("validation_split works with arrays only; with a Dataset or "
                                 "generator give validation_data.")
            (x, y, sample_weight), validation = train_validation_split(
                (x, y, sample_weight), validation_split)
            validation_data = validation
        data = DataHandler(x, y, sample_weight, batch_size, steps_per_epoch, shuffle,
                           class_weight, continuing=True)
        self._check_batched(data, "fit")
        val_handler = None
        if validation_data is not None:
            vx, vy, vsw = unpack_x_y_sample_weight(validation_data) if isinstance(
                validation_data, (tuple, list)) else (validation_data, None, None)
            val_handler = DataHandler(vx, vy, vsw, validation_batch_size or (
                batch_size if _is_arrays(vx) else None), validation_steps)
            self._check_batched(val_handler, "fit (validation_data)")
        steps = data.steps_per_epoch
        cbs = callbacks_module.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                            model=self, verbose=verbose, epochs=epochs,
                                            steps=steps, batch_size=batch_size)
        self.stop_training = False
        logs = {}
        cbs.on_train_begin()
        initial_epoch = _resume_epoch(cbs, initial_epoch)  # BackupAndRestore sets it above
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                epoch_logs = self._run_epoch(data, cbs)
                if data.ran_out:  # TensorFlow's rule: training stops where the data ended
                    warnings.warn(data.ran_out_message(f"{self.name}.fit", epoch,
                                                       epochs - initial_epoch), stacklevel=2)
                    self.stop_training = True
                    if not data.epoch_batches:  # nothing left for this epoch
                        break
                logs = epoch_logs
                if val_handler is not None and validates(epoch):
                    val_logs = self._evaluate_handler(val_handler, cbs)
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            warnings.warn(f"{self.name}.fit: interrupted (KeyboardInterrupt); training "
                          "stopped between batches, the weights and history so far are "
                          "kept.", stacklevel=2)
        cbs.on_train_end(logs)
        return self.history

    def _check_batched(self, handler: DataHandler, what: str) -> None:
        if handler.dataset is not None:
            check_dataset_is_batched(handler.dataset, self._known_input_shapes(), what)

    def _known_input_shapes(self) -> list | None:
        """The model's input shapes (flat, batch axis first), if it knows them."""
        inputs = getattr(self, "inputs", None)  # functional, or a connected Sequential
        if isinstance(inputs, list) and inputs and all(isinstance(t, Tensor) for t in inputs):
            return [t.shape for t in inputs]
        built = getattr(self, "_build_input_shape", None)  # e.g. a Sequential after a call
        flat = nest.flatten(built) if built is not None else []
        return flat if flat and all(isinstance(s, TensorShape) for s in flat) else None

    def _run_epoch(self, data: DataHandler, cbs) -> dict:
        with _EagerAdvice(self):
            return self._run_epoch_steps(data, cbs)

    def _run_epoch_steps(self, data: DataHandler, cbs) -> dict:
        if not cbs.needs_batch_hooks("train"):
            # No callback looks at batches: skip the hooks and the per-batch conversion of
            # the logs to floats (the last batch's results are converted once).
            results = None
            for bx, by, bsw in data.epoch():
                results = self._step_function("train")(pack_batch(bx, by, bsw))
                if self.stop_training:
                    break
            return {} if results is None else to_floats(results)
        logs = {}
        for step, (bx, by, bsw) in enumerate(data.epoch()):
            cbs.on_train_batch_begin(step)
            batch = pack_batch(bx, by, bsw)
            if hooks._listeners.get("train_batch"):  # e.g. widgets.NanLocator
                hooks.emit("train_batch", TrainBatch(self, step, batch))
            results = self._step_function("train")(batch)
            logs = to_floats(results)
            cbs.on_train_batch_end(step, logs)
            if self.stop_training:
                break
        return dict(logs)

    # --- evaluate -----------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False, return_dict=False, **kwargs):
        """The loss and metrics on data (in test mode).

        Returns:
            The loss (no metrics), `[loss, metric, ...]`, or a dict with `return_dict`.
        """
        self._assert_compiled("evaluate")
        check_steps(steps, "steps")
        handler = DataHandler(x, y, sample_weight, batch_size, steps)
        self._check_batched(handler, "evaluate")
        logs = self._evaluate_handler(handler, callbacks, verbose)
        if return_dict:
            return logs
        return logs_as_list(logs, self.metrics_names)

    def _evaluate_handler(self, handler: DataHandler, callbacks, verbose=0) -> dict:
        """Runs `test_step` over the handler's batches; `callbacks` may be fit's own
        `CallbackList`, whose callbacks then see validation's `on_test_*` hooks."""
        cbs = callbacks if isinstance(callbacks, _callback_list_type()) else \
            _loop_callbacks(self, callbacks, verbose, handler)
        self.reset_metrics()
        cbs.on_test_begin()
        per_batch = cbs.needs_batch_hooks("test")
        results = None
        logs = {}
        with _EagerAdvice(self):
            for step, (bx, by, bsw) in enumerate(handler.epoch()):
                if per_batch:
                    cbs.on_test_batch_begin(step)
                results = self._step_function("test")(pack_batch(bx, by, bsw))
                if per_batch:
                    logs = to_floats(results)
                    cbs.on_test_batch_end(step, logs)
        if results is not None and not per_batch:
            logs = to_floats(results)
        cbs.on_test_end(logs)
        return logs

    # --- predict ------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """The model's outputs for `x`, batch by batch, as NumPy arrays."""
        check_steps(steps, "steps")
        handler = DataHandler(x, None, None, batch_size, steps)
        self._check_batched(handler, "predict")
        cbs = _loop_callbacks(self, callbacks, verbose, handler)
        per_batch = cbs.needs_batch_hooks("predict")
        outputs = []
        fn = self._step_function("predict")
        cbs.on_predict_begin()
        with _EagerAdvice(self):
            for step, (bx, _, _) in enumerate(handler.epoch()):
                if per_batch:
                    cbs.on_predict_batch_begin(step)
                outputs.append(nest.map_structure(np.asarray, fn(pack_batch(bx))))
                if per_batch:
                    cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict: the data has no batches.")
        return nest.map_structure(lambda *parts: np.concatenate(parts, axis=0), *outputs)

    # --- single batches -----------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One training step on one batch; returns the loss and metrics."""
        self._assert_compiled("train_on_batch")
        if reset_metrics:
            self.reset_metrics()
        handler = DataHandler(x, y, sample_weight, batch_size=num_samples(x),
                              class_weight=class_weight)
        bx, by, bsw = next(iter(handler.epoch()))
        with _EagerAdvice(self):
            results = self._step_function("train")(pack_batch(bx, by, bsw))
        return results_as_returned(results, self.metrics_names, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """One evaluation step on one batch; returns the loss and metrics."""
        self._assert_compiled("test_on_batch")
        if reset_metrics:
            self.reset_metrics()
        handler = DataHandler(x, y, sample_weight, batch_size=num_samples(x))
        bx, by, bsw = next(iter(handler.epoch()))
        with _EagerAdvice(self):
            results = self._step_function("test")(pack_batch(bx, by, bsw))
        return results_as_returned(results, self.metrics_names, return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy arrays."""
        handler = DataHandler(x, None, None, batch_size=num_samples(x))
        bx, _, _ = next(iter(handler.epoch()))
        with _EagerAdvice(self):
            return nest.map_structure(np.asarray, self._step_function("predict")(pack_batch(bx)))


class TrainBatch(NamedTuple):
    """The payload of the `"train_batch"` hook event: `fit` emits it before each step that
    runs with per-batch callbacks, while someone listens (`engine.hooks.subscribe`)."""

    model: object
    step: int
    batch: object  # what train_step receives: x, (x, y) or (x, y, sample_weight)


def _callback_list_type():
    from engine.keras.callbacks import CallbackList  # noqa: PLC0415 - callbacks import models

    return CallbackList


def _loop_callbacks(model, callbacks, verbose, handler):
    """The `CallbackList` of a standalone `evaluate` or `predict`, with a progress bar
    when `verbose` is not 0 (as in Keras 2: "auto" means 1)."""
    verbose = 1 if verbose == "auto" else int(verbose)
    return _callback_list_type()(callbacks, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=1, steps=handler.steps_per_epoch)


def _is_arrays(x) -> bool:
    return all(isinstance(a, (np.ndarray, Tensor, list)) for a in nest.flatten(x))


def _resume_epoch(cbs, initial_epoch: int) -> int:
    for cb in getattr(cbs, "callbacks", []):
        resume = getattr(cb, "resume_epoch", None)
        if resume is not None:
            return max(initial_epoch, int(resume))
    return initial_epoch
