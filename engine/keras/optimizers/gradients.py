"""Gradients on their way into an optimizer: computing, checking, dropping None, clipping.

These steps are separate from the update rules, so that gradients computed elsewhere
(all-reduced across replicas, accumulated over micro-batches) enter `apply_gradients`
the same way as gradients from a `GradientTape`.
"""

from __future__ import annotations

import warnings

from engine.convert import convert_to_tensor
from engine.ops.clip_ops import clip_by_global_norm, clip_by_norm, clip_by_value
from engine.tape import GradientTape
from engine.tensor import Tensor

__all__ = ["compute_gradients", "as_pairs", "drop_missing", "check_clipping", "clip"]


def compute_gradients(owner: str, loss, var_list, tape=None) -> list:
    """`(gradient, variable)` pairs of `loss` with respect to `var_list` (Keras' rules).

    Args:
        owner: the optimizer's name, for errors.
        loss: a zero-argument callable returning the loss, or a loss tensor recorded by
            `tape`.
        var_list: the variables, or a callable returning them (called after `loss`).
        tape: the `GradientTape` that recorded a tensor `loss`.

    Returns:
        A list of `(gradient or None, variable)`.

    Raises:
        ValueError: for a tensor `loss` without `tape`.
    """
    if not callable(loss) and tape is None:
        raise ValueError(f"{owner}.compute_gradients: a tensor loss needs the tape that "
                         f"computed it; received loss={loss!r}, tape=None. Pass tape=..., or "
                         "pass the loss as a zero-argument callable.")
    if tape is None:
        tape = GradientTape()
    if callable(loss):
        with tape:
            if not callable(var_list):
                tape.watch(var_list)
            loss = loss()
            if callable(var_list):
                var_list = var_list()
    var_list = list(var_list)
    return list(zip(tape.gradient(loss, var_list), var_list))


def as_pairs(owner: str, grads_and_vars) -> list:
    """`grads_and_vars` as a list of `(gradient, variable)` tuples, checked.

    Args:
        owner: the optimizer's name, for errors.
        grads_and_vars: any iterable of pairs (a list, a `zip`).

    Returns:
        A list of 2-tuples.

    Raises:
        TypeError: for anything but pairs whose second item is an `engine.Variable`.
    """
    try:
        pairs = [tuple(pair) for pair in grads_and_vars]
    except TypeError:
        raise TypeError(f"{owner}.apply_gradients: expected an iterable of (gradient, "
                        f"variable) pairs; got {grads_and_vars!r}.") from None
    for pair in pairs:
        if len(pair) != 2 or not getattr(pair[1], "_is_variable", False):
            raise TypeError(f"{owner}.apply_gradients: expected (gradient, engine.Variable) "
                            f"pairs; got {pair!r}. Pass e.g. zip(grads, "
                            "model.trainable_variables).")
    return pairs


def drop_missing(owner: str, pairs: list, warned: set) -> tuple[list, list]:
    """Gradients and variables without the pairs whose gradient is None.

    Warns once per set of variables left out (Keras warns on every trace of a step).
    Gradients given as arrays or numbers become tensors of their variable's dtype.

    Args:
        owner: the optimizer's name, for errors.
        pairs: `(gradient, variable)` tuples.
        warned: the sets of names already warned about (updated).

    Returns:
        `(gradients, variables)`, two lists of equal length.

    Raises:
        ValueError: when every gradient is None.
    """
    grads = [g for g, _ in pairs if g is not None]
    if len(grads) == len(pairs):
        return _as_tensors(grads, pairs), [v for _, v in pairs]
    missing = tuple(v.name for g, v in pairs if g is None)
    if not grads:
        raise ValueError(f"{owner}: no gradients provided for any variable: {list(missing)}. "
                         "Check that the loss depends on the variables and is computed inside "
                         "the GradientTape.")
    if missing not in warned:
        warned.add(missing)
        warnings.warn(f"Gradients do not exist for variables {list(missing)} when minimizing "
                      "the loss; they are not updated. If you're using `model.compile()`, "
                      "did you forget to provide a `loss` argument?", stacklevel=4)
    present = [(g, v) for g, v in pairs if g is not None]
    return _as_tensors(grads, present), [v for _, v in present]


def _as_tensors(grads: list, pairs: list) -> list:
    """Gradients given as arrays or numbers become tensors of their variable's dtype."""
    if all(isinstance(g, Tensor) for g in grads):
        return grads
    return [g if isinstance(g, Tensor) else convert_to_tensor(g, dtype=v.dtype)
            for g, (_, v) in zip(grads, pairs)]


def check_clipping(owner: str, clipnorm, clipvalue, global_clipnorm) -> None:
    """Checks that at most one clipping option is set, to a positive number.

    Args:
        owner: the optimizer's class name, for errors.
        clipnorm, clipvalue, global_clipnorm: the options (None: unset).

    Raises:
        ValueError: for two or more options, or a value that is not a positive number.
    """
    given = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                               ("global_clipnorm", global_clipnorm)) if v is not None}
    if len(given) > 1:
        raise ValueError(f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be "
                         f"set; received {given}. Keep the one you mean.")
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{owner}: {key} must be a positive number; received "
                             f"{key}={value!r}.")


def clip(grads: list, clipnorm=None, clipvalue=None, global_clipnorm=None) -> list:
    """Clips gradients with at most one of the three Keras options.

    Args:
        grads: the gradients (tensors).
        clipnorm: scale each gradient to L2 norm at most this.
        clipvalue: clip each element to `[-clipvalue, clipvalue]`.
        global_clipnorm: scale all gradients together to global L2 norm at most this.

    Returns:
        The clipped gradients (the same list when no option is set).
    """
    if clipnorm is not None:
        return [clip_by_norm(g, clipnorm) for g in grads]
    if global_clipnorm is not None:
        # The bound in the norm's dtype: clip_by_global_norm would round a Python float
        # through float32 (TensorFlow converts it to the norm's dtype directly).
        dtypes = {g.dtype for g in grads}
        dtype = dtypes.pop() if len(dtypes) == 1 else "float32"
        return clip_by_global_norm(grads, convert_to_tensor(global_clipnorm, dtype=dtype))[0]
    if clipvalue is not None:
        return [clip_by_value(g, -clipvalue, clipvalue) for g in grads]
    return grads
