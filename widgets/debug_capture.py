"""What a `StepDebugger` step records, and how: layer and optimizer wraps, replays.

`Capture` wraps every sublayer's `call` for one step (an instance attribute, removed
afterwards), recording each layer's inputs, outputs and their `tensor_stats` into a
`StepRecord`. `GradientCapture` wraps the optimizer's `apply_gradients` the same way to
record the gradients a step applies (or, in a replay, to skip the update). `replay` runs
`train_step` once more with updates skipped and returns a `NanReport`: the first layer
whose output went non-finite, and, from a second run of that layer's call under a
`GradientTape` (which records each op with its input tensors), the first op.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from engine import nest
from engine.debugging import disable_check_numerics, enable_check_numerics
from engine.errors import InvalidArgumentError
from engine.graph import settings as _settings
from engine.keras.layers.base import Layer
from engine.tape import GradientTape
from engine.tensor import Tensor

# Capture, GradientCapture, EagerFunctions, weight_entries and replay serve `StepDebugger`.
__all__ = ["tensor_stats", "StepRecord", "NanReport"]


def tensor_stats(value) -> dict:
    """Statistics of a tensor (or a structure of tensors, taken together).

    Args:
        value: an engine tensor, a NumPy array, or a nested structure of them.

    Returns:
        A dict: `shape`, `mean`, `std`, `min`, `max` (over the finite values; NaN when
        there is none), `zero_fraction`, `nan_count`, `inf_count`, `size`.

    Example:
        >>> s = tensor_stats(engine.constant([0.0, 2.0, np.inf]))
        >>> s["mean"], s["max"], s["zero_fraction"], s["inf_count"]
        (1.0, 2.0, 0.3333333333333333, 1)
    """
    arrays = [_host(t) for t in nest.flatten(value) if _is_numeric(t)]
    shapes = [tuple(a.shape) for a in arrays]
    flat = (np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0))
    flat = flat.astype(np.float64, copy=False)
    finite = flat[np.isfinite(flat)]
    some = finite.size > 0
    return {
        "shape": shapes[0] if len(shapes) == 1 else shapes,
        "mean": float(finite.mean()) if some else float("nan"),
        "std": float(finite.std()) if some else float("nan"),
        "min": float(finite.min()) if some else float("nan"),
        "max": float(finite.max()) if some else float("nan"),
        "zero_fraction": float(np.mean(flat == 0)) if flat.size else 0.0,
        "nan_count": int(np.isnan(flat).sum()),
        "inf_count": int(np.isinf(flat).sum()),
        "size": int(flat.size),
    }


@dataclasses.dataclass
class NanReport:
    """Where a replayed batch first went non-finite (see `StepDebugger.locate_nan`).

    Attributes:
        stage: "data" (the batch's inputs), "forward" (a layer's output, or an op of the
            model's own call between layers), "loss", "gradients", or None (all finite).
        layer: the first layer whose output holds NaN/Inf (forward stage).
        op: that op's TensorFlow name (`"Log"`), when found.
        op_scope: the name scope the op ran in.
        op_inputs: statistics (`tensor_stats`) of the op's inputs.
        layer_inputs: statistics of the layer's inputs.
        weights: for the gradients stage, the weights whose gradients are non-finite.
        message: a sentence saying all that.

    Example:
        >>> NanReport(None, message="all finite").found
        False
    """

    stage: str | None
    layer: str | None = None
    op: str | None = None
    op_scope: str | None = None
    op_inputs: list = dataclasses.field(default_factory=list)
    layer_inputs: list = dataclasses.field(default_factory=list)
    weights: list = dataclasses.field(default_factory=list)
    message: str = ""

    @property
    def found(self) -> bool:
        """Whether something went non-finite."""
        return self.stage is not None


class StepRecord:
    """What one debugger step saw; `record["dense_1"]` is that layer's entry.

    A layer's entry: `class`, `calls`, `input_shape`, `output_shape`, `input` and
    `output` (the engine tensors), the output's `tensor_stats` at the top level and the
    inputs' under `input_stats`. A weight's entry (`record.weights["dense_1/kernel:0"]`):
    `layer`, `shape`, `value_norm`, `grad_norm`, `update_norm`, `update_ratio` and
    `gradient` (a tensor, or None when the step applied none).

    Attributes:
        step: the step number (from 1).
        layers: `{layer name: entry}` in the order the calls started.
        weights: `{weight name: entry}` in the model's order.
        loss: the step's loss (a float, or None when `train_step` reports none).
        logs: every value `train_step` returned, as floats where scalar.
        batch: the batch `(x, y, sample_weight)` the step ran on.
        breakpoint: the `Breakpoint` that fired after this step, or None.

    Example:
        >>> StepRecord(1).layers
        {}
    """

    def __init__(self, step: int):
        self.step = step
        self.layers: dict = {}
        self.weights: dict = {}
        self.loss = None
        self.logs: dict = {}
        self.batch = None
        self.breakpoint = None
        self._finished: list = []  # layer names in the order their calls ended

    def __getitem__(self, name: str) -> dict:
        if name not in self.layers:
            raise KeyError(f"StepRecord: no layer named {name!r} ran in step {self.step}; "
                           f"the layers that ran are {list(self.layers)}.")
        return self.layers[name]

    def __contains__(self, name) -> bool:
        return name in self.layers

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        loss = "None" if self.loss is None else f"{self.loss:.6g}"
        return f"StepRecord(step={self.step}, loss={loss}, layers={len(self.layers)})"


# --- capture ----------------------------------------------------------------------------------
class Capture:
    """Wraps every sublayer's `call` (an instance attribute) while the context is open."""

    def __init__(self, model, record: StepRecord, keep_args: bool = False):
        self.layers = [layer for layer in model._flatten_layers(include_self=False)
                       if isinstance(layer, Layer)]
        self.record = record
        self.keep_args = keep_args
        self.args: dict = {}  # layer name -> (layer, original call, args, kwargs)
        self._saved: list = []

    def __enter__(self):
        for layer in self.layers:
            own = vars(layer).get("call", _MISSING)
            layer.call = self._wrap(layer, layer.call)
            self._saved.append((layer, own))
        return self

    def __exit__(self, *exc):
        for layer, own in self._saved:
            if own is _MISSING:
                del layer.call
            else:
                layer.call = own
        self._saved = []

    def _wrap(self, layer, original):
        record = self.record

        def call(*args, **kwargs):
            name = layer.name
            entry = record.layers.setdefault(name, {"class": type(layer).__name__,
                                                     "calls": 0})
            outputs = original(*args, **kwargs)
            if not _is_eager(outputs):
                return outputs  # a traced or symbolic call: nothing to measure
            inputs = args[0] if args else kwargs.get("inputs")
            entry["calls"] += 1
            entry.update(tensor_stats(outputs))
            entry.update(input=inputs, output=outputs, input_shape=_shapes(inputs),
                         output_shape=_shapes(outputs), input_stats=tensor_stats(inputs))
            record._finished.append(name)
            if self.keep_args:
                self.args[name] = (layer, original, args, kwargs)
            return outputs

        return call


class GradientCapture:
    """Wraps `optimizer.apply_gradients` to record the gradients (and, for a replay, to
    skip the update)."""

    def __init__(self, optimizer, sink: dict, apply: bool):
        self.optimizer, self.sink, self.apply = optimizer, sink, apply
        self._own = _MISSING

    def __enter__(self):
        optimizer = self.optimizer
        self._own = vars(optimizer).get("apply_gradients", _MISSING)
        original = optimizer.apply_gradients

        def apply_gradients(grads_and_vars, *args, **kwargs):
            pairs = list(grads_and_vars)
            for grad, var in pairs:
                if grad is not None:
                    self.sink[id(var)] = grad
            if self.apply:
                return original(pairs, *args, **kwargs)
            return optimizer.iterations

        optimizer.apply_gradients = apply_gradients
        return self

    def __exit__(self, *exc):
        if self._own is _MISSING:
            del self.optimizer.apply_gradients
        else:
            self.optimizer.apply_gradients = self._own


class EagerFunctions:
    """`engine.function`s called inside the step run eagerly (their layers are measured)."""

    def __enter__(self):
        self._previous = _settings.functions_run_eagerly()
        _settings.run_functions_eagerly(True)

    def __exit__(self, *exc):
        _settings.run_functions_eagerly(self._previous)


_MISSING = object()


def weight_entries(model, before: dict, grads: dict) -> dict:
    owner = {}
    for layer in model._flatten_layers(include_self=False):
        for v in layer.trainable_weights:
            owner[id(v)] = layer.name  # depth first: the innermost layer wins
    entries = {}
    for v in model.trainable_variables:
        after = v.numpy().astype(np.float64)
        start = before.get(id(v))
        value_norm = float(np.linalg.norm(start if start is not None else after))
        grad = grads.get(id(v))
        update = None if start is None else float(np.linalg.norm(after - start))
        name = v.name if v.name not in entries else f"{v.name}#{len(entries)}"
        entries[name] = {
            "layer": owner.get(id(v), model.name), "shape": tuple(after.shape),
            "value_norm": value_norm, "gradient": grad,
            "grad_norm": None if grad is None else float(np.linalg.norm(_host(grad))),
            "update_norm": update,
            "update_ratio": None if update is None or value_norm == 0 else update / value_norm,
            "finite": bool(np.isfinite(after).all()),
        }
    return entries


# --- replay -----------------------------------------------------------------------------------
def replay(model, batch) -> NanReport:
    record = StepRecord(0)
    grads = {}
    capture = Capture(model, record, keep_args=True)
    model.reset_metrics()
    with capture, GradientCapture(model.optimizer, grads, apply=False), EagerFunctions():
        logs = _floats(model.train_step(_pack(batch)))
    model.reset_metrics()
    x = batch[0]
    data = tensor_stats(x) if _is_numeric(x) else {"nan_count": 0, "inf_count": 0}
    if data["nan_count"] or data["inf_count"]:
        return NanReport("data", layer_inputs=[data],
                         message=f"the batch's inputs already hold {data['nan_count']} NaN "
                         f"and {data['inf_count']} Inf values: look at the data.")
    for name in record._finished:
        entry = record.layers[name]
        if entry["nan_count"] or entry["inf_count"]:
            stats = entry["input_stats"]
            if stats.get("nan_count") or stats.get("inf_count"):
                # The layer got NaN/Inf: ops between layers (the model's own call) made it.
                report = _locate_op(model.name, model.call, (x,), {}, data)
                report.message += (f" (in {model.name}'s own call, before layer {name}, "
                                   "whose input it reached)")
                return report
            layer, original, args, kwargs = capture.args[name]
            return _locate_op(name, original, args, kwargs, stats)
    loss = logs.get("loss")
    if isinstance(loss, float) and not np.isfinite(loss):
        return NanReport("loss", message=f"every layer's output is finite but the loss is "
                         f"{loss}: look at the loss function and the targets.")
    bad = [v.name for v in model.trainable_variables
           if id(v) in grads and not np.isfinite(_host(grads[id(v)])).all()]
    if bad:
        return NanReport("gradients", weights=bad,
                         message=f"the forward pass and loss are finite; the gradients of "
                         f"{', '.join(bad)} are not.")
    return NanReport(None, message="everything stayed finite in the replay.")


def _locate_op(layer_name, call, args, kwargs, layer_inputs) -> NanReport:
    """Replays one layer's call under a tape that records each op with its inputs."""
    inputs = [t for t in nest.flatten((args, kwargs)) if isinstance(t, Tensor) and
              t.dtype.is_floating]
    with GradientTape(persistent=True) as tape:
        for t in inputs:
            tape.watch(t)
        call(*args, **kwargs)
    # The tape's records are (op, input keys, input tensors, outputs, attrs, scope).
    for op, _keys, tensors, outputs, _attrs, scope in tape._records:
        if any(tensor_stats(o)["nan_count"] or tensor_stats(o)["inf_count"] for o in outputs):
            op_inputs = [tensor_stats(t) for t in tensors]
            described = "; ".join(f"input {i}: {_brief(s)}" for i, s in enumerate(op_inputs))
            return NanReport("forward", layer=layer_name, op=op.tf_name, op_scope=scope,
                             op_inputs=op_inputs, layer_inputs=[layer_inputs],
                             message=f"layer {layer_name}: op {op.tf_name} ({op.name}) made "
                             f"the first NaN/Inf; {described}.")
    return _locate_unrecorded(layer_name, call, args, kwargs, layer_inputs)


def _locate_unrecorded(layer_name, call, args, kwargs, layer_inputs) -> NanReport:
    """An op that depends on no input or weight (a constant): `check_numerics` names it."""
    enable_check_numerics()
    try:
        call(*args, **kwargs)
        op, scope = None, None
    except InvalidArgumentError as error:
        op, scope = error.op, None
    finally:
        disable_check_numerics()
    return NanReport("forward", layer=layer_name, op=op, op_scope=scope,
                     layer_inputs=[layer_inputs],
                     message=f"layer {layer_name}: op {op} made the first NaN/Inf from "
                     "constants (no input or weight feeds it).")



# --- small helpers ----------------------------------------------------------------------------
def _pack(batch):
    x, y, sw = batch
    if y is None and sw is None:
        return (x,)
    return (x, y) if sw is None else (x, y, sw)



def _floats(logs) -> dict:
    if not isinstance(logs, dict):
        logs = {"output": logs}
    out = {}
    for k, v in logs.items():
        is_scalar = isinstance(v, Tensor) and v.shape.rank == 0
        out[k] = float(v) if is_scalar or isinstance(v, (float, int)) else v
    return out



def _host(t) -> np.ndarray:
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)



def _is_numeric(t) -> bool:
    if isinstance(t, Tensor):
        return t.dtype.is_floating or t.dtype.is_integer or t.dtype.is_bool
    return isinstance(t, np.ndarray) and t.dtype.kind in "fiub"



def _is_eager(outputs) -> bool:
    return all(type(t) is Tensor for t in nest.flatten(outputs) if isinstance(t, Tensor))



def _shapes(value):
    shapes = [tuple(t.shape) for t in nest.flatten(value) if hasattr(t, "shape")]
    return shapes[0] if len(shapes) == 1 else shapes



def _brief(s: dict) -> str:
    return (f"shape {s['shape']}, min {s['min']:.4g}, max {s['max']:.4g}, mean "
            f"{s['mean']:.4g}, {s['nan_count']} NaN, {s['inf_count']} Inf")
