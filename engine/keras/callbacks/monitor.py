"""What "better" means for a monitored metric, shared by the callbacks that watch one.

`EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau` take `monitor` (a logs key such
as "val_loss") and `mode`: "min", "max", or "auto", which picks "max" for metrics that grow
as the model improves and "min" otherwise (losses, errors). "auto" recognizes the name, with
any "val_" prefix and any "_1"-style suffix removed, ending in one of `MAXIMIZED_SUFFIXES`
(accuracy, AUC, precision, recall, F-scores, IoU), as Keras does for "acc"/"accuracy"/"auc".
"""

from __future__ import annotations

import re
import warnings

__all__ = ["resolve_mode", "warn_missing_metric", "MAXIMIZED_SUFFIXES"]

MAXIMIZED_SUFFIXES = ("acc", "accuracy", "auc", "precision", "recall", "f1_score",
                      "fbeta_score", "iou", "io_u", "fmeasure")
_MODES = ("auto", "min", "max")


def resolve_mode(mode: str, monitor: str, owner: str) -> str:
    """"min" or "max" for `monitor` under `mode` ("auto", "min" or "max")."""
    if mode not in _MODES:
        raise ValueError(f"{owner}: mode must be one of {_MODES}; got mode={mode!r}. Use "
                         "'min' when smaller is better (losses), 'max' when larger is better "
                         "(accuracy), or 'auto' to decide from the metric's name.")
    if mode != "auto":
        return mode
    name = re.sub(r"_\d+$", "", monitor.removeprefix("val_"))
    return "max" if name.endswith(MAXIMIZED_SUFFIXES) else "min"


def warn_missing_metric(callback, monitor: str, logs: dict, action: str) -> None:
    """Warns, once per callback object, that `monitor` is missing from the logs."""
    if getattr(callback, "_warned_missing_metric", False):
        return
    callback._warned_missing_metric = True
    available = ", ".join(sorted(logs)) or "none"
    warnings.warn(f"{type(callback).__name__}: {action} is conditioned on metric {monitor!r}, "
                  f"which is not in the logs. Available metrics are: {available}. Pass "
                  "monitor= one of them (val_* metrics need validation data).",
                  RuntimeWarning, stacklevel=3)
