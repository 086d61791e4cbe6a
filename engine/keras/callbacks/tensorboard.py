"""`TensorBoard`: writes training logs as TensorBoard event files.

The files follow Keras 2's layout, so `tensorboard --logdir LOG_DIR` shows two runs:

| where                         | what                                                     |
|-------------------------------|----------------------------------------------------------|
| `LOG_DIR/train`               | `epoch_<metric>` per epoch (step = epoch, from 0),       |
|                               | `epoch_learning_rate`, `batch_<metric>` per batch (step  |
|                               | = batches run, from 1), weight histograms, the graph     |
| `LOG_DIR/validation`          | `epoch_<metric>` per epoch (`val_` dropped) and          |
|                               | `evaluation_<metric>_vs_iterations` (step = batches run) |
| `LOG_DIR/plugins/profile/...` | the Chrome trace of the profiled batches                 |

The graph is the traced train step's op graph (after the optimization passes), as a
GraphDef whose nodes keep the engine's names (`sequential/dense/MatMul`), so TensorBoard
groups them by name scope. A model run eagerly has no traced graph; then the layer graph
(one node per layer, the layer class as its op) is written instead.

Event files are written with tensorboardX and read by the `tensorboard` package; both are
an optional extra (`pip install 'eagerlab[tensorboard]'`), imported only when a
`TensorBoard` callback is made. Profiling (`profile_batch`) is done by the `profiler`
package, which the engine never imports: once imported, it answers the
`"keras_profile_request"` hook event with a profiling callback.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os

from engine import hooks
from engine.keras.callbacks.base import Callback

__all__ = ["TensorBoard", "model_graph_def", "op_graph_def", "layer_graph_def"]

_INSTALL = "pip install 'eagerlab[tensorboard]'"


class TensorBoard(Callback):
    """Writes losses, metrics, weight histograms, the graph and a profile for TensorBoard.

    Args:
        log_dir: the directory for the `train` and `validation` runs.
        histogram_freq: write a histogram of every weight (tag: the weight's name with
            `:` as `_`, e.g. `dense/kernel_0`) every this many epochs; 0 writes none.
        write_graph: write the model's graph (the traced train step, or the layer graph
            for a model run eagerly) once, after the first epoch.
        update_freq: `"epoch"` writes scalars per epoch only; `"batch"` also per batch;
            an int n also every n batches (counted across epochs).
        profile_batch: the batches to profile, counted from 1 across epochs, both ends
            included: `(start, stop)`, one batch number, or `"start,stop"`; 0 profiles
            none. The trace goes to `log_dir/plugins/profile/<date_time>/`.

    Raises:
        ImportError: when tensorboardX or tensorboard is not installed.
        ValueError: for a bad `histogram_freq`, `update_freq` or `profile_batch`.

    Example:
        >>> import os, tempfile
        >>> from tensorboard.backend.event_processing.event_accumulator import (
        ...     EventAccumulator)
        >>> keras = engine.keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, name="d")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> log_dir = tempfile.mkdtemp()
        >>> _ = model.fit(np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"),
        ...               epochs=2, verbose=0, callbacks=[
        ...                   keras.callbacks.TensorBoard(log_dir, histogram_freq=1)])
        >>> run = EventAccumulator(os.path.join(log_dir, "train")).Reload()
        >>> [e.step for e in run.Scalars("epoch_loss")], run.Tags()["histograms"][:1]
        ([0, 1], ['d/kernel_0'])
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 update_freq="epoch", profile_batch=0):
        super().__init__()
        self._summary = _import_tensorboardx()
        if type(histogram_freq) is not int or histogram_freq < 0:
            raise ValueError(f"TensorBoard: got histogram_freq={histogram_freq!r}; expected "
                             "an int >= 0 (0 writes no histograms).")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.update_freq = _check_update_freq(update_freq)
        self._profiler = _profile_callback(profile_batch, self.log_dir)
        self._writers: dict = {}
        self._train_step = 0
        self._start_iterations = None
        self._graph_written = False
        # Batch hooks are set on the instance only when needed: `CallbackList` then skips
        # them (and the per-batch conversion of logs) for epoch-only logging.
        if self.update_freq != "epoch" or self._profiler is not None:
            self.on_train_batch_begin = self._on_train_batch_begin
            self.on_train_batch_end = self._on_train_batch_end

    @property
    def trace_path(self) -> str | None:
        """The Chrome trace file written for `profile_batch` (None before it is written)."""
        return None if self._profiler is None else self._profiler.trace_path

    def on_train_begin(self, logs=None):
        """Starts counting batches from 1 for this `fit`."""
        self._train_step = 0
        self._start_iterations = _iterations(self.model)
        self._graph_written = False
        if self._profiler is not None:
            self._profiler.on_train_begin(logs)

    def _on_train_batch_begin(self, batch, logs=None):
        if self._profiler is not None:
            self._profiler.on_train_batch_begin(batch, logs)

    def _on_train_batch_end(self, batch, logs=None):
        self._train_step += 1
        if self.update_freq != "epoch" and self._train_step % self.update_freq == 0:
            self._write_scalars("train", "batch_", logs or {}, self._train_step)
        if self._profiler is not None:
            self._profiler.on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        """Writes the epoch's scalars, the weight histograms and (once) the graph."""
        if self.update_freq == "epoch":
            # No batch hooks ran: count the batches by the optimizer's steps.
            iterations = _iterations(self.model)
            if iterations is not None and self._start_iterations is not None:
                self._train_step = iterations - self._start_iterations
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        if "lr" not in train and "learning_rate" not in train:
            rate = _learning_rate(self.model)
            if rate is not None:
                train["learning_rate"] = rate
        self._write_scalars("train", "epoch_", train, epoch)
        if validation:
            self._write_scalars("validation", "epoch_", validation, epoch)
            for name, value in validation.items():
                self._writer("validation").add_scalar(
                    f"evaluation_{name}_vs_iterations", float(value), self._train_step)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        if self.write_graph and not self._graph_written:
            self._writer("train").file_writer.add_event(
                self._summary.proto.event_pb2.Event(
                    graph_def=model_graph_def(self.model).SerializeToString()))
            self._graph_written = True
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        """Stops a profile still running and closes the event files."""
        if self._profiler is not None:
            self._profiler.on_train_end(logs)
        self.close()

    def close(self) -> None:
        """Flushes and closes the event files (and stops a running profile)."""
        if self._profiler is not None:
            self._profiler.close()
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _writer(self, run: str):
        writer = self._writers.get(run)
        if writer is None:
            writer = self._summary.SummaryWriter(os.path.join(self.log_dir, run))
            self._writers[run] = writer
        return writer

    def _write_scalars(self, run: str, prefix: str, logs: dict, step: int) -> None:
        writer = self._writer(run)
        for name, value in logs.items():
            if _is_scalar(value):
                writer.add_scalar(prefix + name, float(value), step)

    def _write_histograms(self, epoch: int) -> None:
        writer = self._writer("train")
        for weight in self.model.weights:
            writer.add_histogram(weight.name.replace(":", "_"), weight.numpy(), epoch)


def model_graph_def(model):
    """The model's graph as a TensorBoard `GraphDef`.

    Args:
        model: a Keras model that has been called (or fit).

    Returns:
        A tensorboardX `GraphDef`: the traced train step's op graph when `fit` traced
        one, else the layer graph (one node per layer, op = the layer's class).

    Example:
        >>> keras = engine.keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, name="d")])
        >>> tensorboard = engine.keras.callbacks.tensorboard
        >>> [(n.name, n.op) for n in tensorboard.model_graph_def(model).node]
        [('d', 'Dense')]
    """
    graph = _traced_train_graph(model)
    if graph is not None:
        return op_graph_def(graph)
    return layer_graph_def(model.layer_graph())


def op_graph_def(graph):
    """An engine `Graph` as a TensorBoard `GraphDef` (names, ops, inputs, shapes, attrs).

    Args:
        graph: an `engine.graph.ir.Graph`, e.g. a concrete function's `.graph`.

    Returns:
        A tensorboardX `GraphDef`; input `"x:0"` is written `"x"`, control inputs `"^x"`.

    Example:
        >>> f = engine.function(lambda x: x * 2.0)
        >>> graph = f.get_concrete_function(engine.TensorSpec([3], engine.float32)).graph
        >>> nodes = engine.keras.callbacks.tensorboard.op_graph_def(graph).node
        >>> [(n.op, list(n.input)) for n in nodes if n.op == "Mul"]
        [('Mul', ['x', 'Const'])]
    """
    proto = _import_tensorboardx().proto
    nodes = []
    for node in graph.nodes:
        attrs = {key: _attr_value(proto, value) for key, value in node.attrs.items()}
        attrs["_output_shapes"] = proto.attr_value_pb2.AttrValue(
            list=proto.attr_value_pb2.AttrValue.ListValue(
                shape=[_shape_proto(proto, t.shape) for t in node.outputs]))
        inputs = [_input_name(t.name) for t in node.inputs]
        inputs += [f"^{c.name}" for c in node.control_inputs]
        nodes.append(proto.node_def_pb2.NodeDef(name=node.name, op=node.type, input=inputs,
                                                device=node.device.name, attr=attrs))
    return proto.graph_pb2.GraphDef(node=nodes,
                                    versions=proto.versions_pb2.VersionDef(producer=22))


def layer_graph_def(data: dict, prefix: str = ""):
    """A model's layer graph (`model.layer_graph()`) as a TensorBoard `GraphDef`.

    Nested models become name scopes: their layers are named `outer/inner`.

    Args:
        data: `{"nodes": [{"id", "class_name", "output_shape", ...}], "edges": [...]}`.
        prefix: the name scope to put the nodes under.

    Returns:
        A tensorboardX `GraphDef` with one node per layer (op = its class name).

    Example:
        >>> data = {"nodes": [{"id": "a", "class_name": "Dense", "output_shape": [None, 2]}],
        ...         "edges": []}
        >>> engine.keras.callbacks.tensorboard.layer_graph_def(data).node[0].op
        'Dense'
    """
    proto = _import_tensorboardx().proto
    inputs: dict[str, list] = {}
    for edge in data["edges"]:
        inputs.setdefault(edge["target"], []).append(prefix + edge["source"])
    nodes = []
    for item in data["nodes"]:
        shape = item.get("output_shape")
        attrs = {}
        if shape is not None and all(d is None or isinstance(d, int) for d in shape):
            attrs["_output_shapes"] = proto.attr_value_pb2.AttrValue(
                list=proto.attr_value_pb2.AttrValue.ListValue(
                    shape=[_shape_proto(proto, tuple(shape))]))
        nodes.append(proto.node_def_pb2.NodeDef(
            name=prefix + item["id"], op=item["class_name"],
            input=inputs.get(item["id"], []), attr=attrs))
        if "subgraph" in item:
            nodes.extend(layer_graph_def(item["subgraph"], f"{prefix}{item['id']}/").node)
    return proto.graph_pb2.GraphDef(node=nodes,
                                    versions=proto.versions_pb2.VersionDef(producer=22))


def _import_tensorboardx():
    missing = [name for name in ("tensorboardX", "tensorboard")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"TensorBoard: needs the packages tensorboardX and tensorboard "
                          f"({', '.join(missing)} not installed); install them with "
                          f"{_INSTALL}.")
    module = importlib.import_module("tensorboardX")
    importlib.import_module("tensorboardX.proto.event_pb2")
    return module


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch" or (type(update_freq) is int and update_freq >= 1):
        return update_freq
    raise ValueError(f"TensorBoard: got update_freq={update_freq!r}; expected 'epoch', "
                     "'batch' or an int n >= 1 (write every n batches).")


def _profile_callback(profile_batch, log_dir: str):
    """A profiling callback for `profile_batch`, or None when it is 0.

    The profiler sits above the engine (it imports engine, never the reverse), so it is
    asked for one through the `"keras_profile_request"` hook event, which the `profiler`
    package answers once imported.
    """
    if profile_batch is None or profile_batch == 0 or profile_batch == "0":
        return None
    request = {"batches": profile_batch, "log_dir": log_dir, "callback": None, "error": None}
    hooks.emit("keras_profile_request", request)
    if request["error"] is not None:
        raise ValueError(f"TensorBoard: got profile_batch={profile_batch!r}; expected 0 (no "
                         "profile), a batch number n >= 1, or a pair (start, stop) with 1 <= "
                         "start <= stop (batches count from 1 across epochs, both ends "
                         "included), e.g. profile_batch=(10, 20).")
    if request["callback"] is None:
        raise ImportError("TensorBoard(profile_batch=...) records the profile with eagerlab's "
                          "profiler: `import profiler` before creating the callback.")
    return request["callback"]


def _traced_train_graph(model):
    """The graph of the train step `fit` traced last, or None (eager, or not trained)."""
    function = getattr(model, "__dict__", {}).get("_graph_functions", {}).get("train")
    concretes = list(getattr(function, "_cache", {}).values())
    return concretes[-1].graph if concretes else None


def _iterations(model) -> int | None:
    """The optimizer's step count, or None when the model has no optimizer."""
    try:
        return int(model.optimizer.iterations.numpy())
    except AttributeError:
        return None


def _learning_rate(model):
    try:
        return float(model.optimizer.learning_rate.numpy())
    except (AttributeError, ValueError, TypeError):
        return None


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float)) or getattr(value, "ndim", None) == 0


def _input_name(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _shape_proto(proto, shape):
    shapes = proto.tensor_shape_pb2.TensorShapeProto
    if shape is None:
        return shapes(unknown_rank=True)
    dims = [shapes.Dim(size=-1 if d is None else int(d)) for d in tuple(shape)]
    return shapes(dim=dims)


def _attr_value(proto, value):
    attr = proto.attr_value_pb2.AttrValue
    if isinstance(value, bool):
        return attr(b=value)
    if isinstance(value, int):
        return attr(i=value)
    if isinstance(value, float):
        return attr(f=value)
    if isinstance(value, str):
        return attr(s=value.encode())
    return attr(s=json.dumps(value, default=repr).encode())
