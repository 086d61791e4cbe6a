"""What passes between the training loop and the steps: batches in, logs out.

`pack_batch` builds the `data` argument of `train_step`/`test_step`/`predict_step` from a
batch's parts, as Keras 2 does: a lone `x` (no targets, no weights) is passed as itself,
not wrapped in a tuple, so a custom `predict_step(self, data)` may call `self(data)`.
`to_floats` turns a step's results into logs (scalars as Python floats), and
`logs_as_list` orders them for `evaluate` and `*_on_batch`: the model's `metrics_names`
first, then any other keys (from a custom step) sorted by name.
"""

from __future__ import annotations

from engine.tensor import Tensor

__all__ = ["pack_batch", "to_floats", "logs_as_list", "results_as_returned"]


def pack_batch(x, y=None, sample_weight=None):
    """The `data` a step receives: `x`, `(x, y)` or `(x, y, sample_weight)`.

    A tuple or list `x` with no targets is wrapped as `(x,)`, so that
    `unpack_x_y_sample_weight` does not read its items as `(x, y)`.

    Example:
        >>> from engine.keras.models.step_logs import pack_batch
        >>> pack_batch(1), pack_batch((1, 2)), pack_batch(1, 2)
        (1, ((1, 2),), (1, 2))
    """
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def to_floats(results) -> dict:
    """A step's results as logs: a dict whose scalar tensors are Python floats."""
    if not isinstance(results, dict):
        return {"output": results}
    out = {}
    for k, v in results.items():
        out[k] = float(v) if isinstance(v, Tensor) and v.shape.rank == 0 else v
    return out


def logs_as_list(logs: dict, metrics_names: list):
    """`logs`' values in Keras 2's order: `metrics_names` first, then the other keys
    sorted; a single value is returned alone.

    Example:
        >>> from engine.keras.models.step_logs import logs_as_list
        >>> logs_as_list({"z": 1.0, "a": 2.0, "loss": 3.0}, ["loss"])
        [3.0, 2.0, 1.0]
    """
    values = [logs[name] for name in metrics_names if name in logs]
    known = set(metrics_names)
    values += [logs[key] for key in sorted(logs) if key not in known]
    return values[0] if len(values) == 1 else values


def results_as_returned(results, metrics_names: list, return_dict: bool):
    """A step's results as `train_on_batch`/`test_on_batch` return them."""
    logs = to_floats(results)
    return logs if return_dict else logs_as_list(logs, metrics_names)
