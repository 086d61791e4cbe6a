"""`ForwardAccumulator`: forward-mode autodiff (Jacobian-vector products).

The op registry holds one derivative rule per op, the `vjp`. Forward mode reuses it: the
accumulator owns a persistent `GradientTape` that records, while its `with` block is
active, every op on tensors computed from the primals (dispatch already tells active tapes
about each op, so ops cost nothing extra while no accumulator is active). `jvp(target)`
then applies the double-vjp trick: for a seed `u` shaped like the target,

    vjp_u(target) = u^T J        and        d/du <u^T J, v> = J v,

so one backward pass seeded with `u` (through the recorded vjp rules), an inner product
with the tangents `v`, and one more backward pass with respect to `u` give the JVP. The
vjp rules are linear in `u` and written with engine ops, so the second pass can
differentiate them. `u`'s value should not matter, but a rule may treat a zero upstream
gradient specially (Sqrt's rule divides by 1, not sqrt(x), where the gradient is 0, as
TensorFlow's SqrtGrad does), so `u` is a fixed pseudo-random draw in [0.5, 1.5), which
makes an exactly zero gradient inside the pass practically impossible (a seed of ones
would cancel in `concat([s, -s])`). Only a target whose shape is unknown while tracing gets
a seed of ones.

Because the work happens with engine ops on the active tapes, everything composes:
- a tape or accumulator around `jvp` records it (reverse-over-forward, forward-over-forward);
- an accumulator around a `GradientTape` sees the tape's gradient computation, so
  `acc.jvp(tape.gradient(y, x))` is a Hessian-vector product (forward-over-reverse);
- inside `engine.function` the tape records traced ops, so `jvp` traces too.

The recorded ops (and their tensors) stay alive as long as the accumulator does; each
`jvp` call costs about two backward passes over the ops that lead to its targets.
"""

from __future__ import annotations

import numpy as np

from engine import nest
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.dtypes import INEXACT_NUMPY as _INEXACT
from engine.errors import DTypeError, ShapeError
from engine.registry import get
from engine.tape import GradientTape, UnconnectedGradients, _on_device
from engine.tensor import Tensor

__all__ = ["ForwardAccumulator"]


def _is_variable(value) -> bool:
    return getattr(value, "_is_variable", False)


def _describe(value) -> str:
    if isinstance(value, Tensor) or _is_variable(value):
        return f"{type(value).__name__} of shape {_dims(value)} and dtype {value.dtype.name}"
    return f"{type(value).__name__} {value!r}"


def _dims(value):
    """The static dimensions of a tensor or variable, None where unknown (or rank unknown)."""
    if _is_variable(value):
        return tuple(value.shape.as_list())
    return value._value.shape


def _compatible(a, b) -> bool:
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


class ForwardAccumulator:
    """Computes Jacobian-vector products of the ops run in its context (forward mode).

    Args:
        primals: a tensor, variable or nested structure of them: the point of
            differentiation. Ops on tensors computed from them inside the `with` block get
            tangents; reads of a variable primal do too.
        tangents: the direction `v`, nested like `primals`; each tangent has its primal's
            shape and dtype (NumPy arrays and numbers are converted to that dtype).

    Raises:
        ValueError: when the structures differ or a primal is given twice.
        ShapeError, DTypeError: when a tangent's shape or dtype differs from its primal's.
        TypeError: when a primal is not a tensor or variable.

    Example:
        >>> x = engine.constant([1.0, 2.0])
        >>> with engine.autodiff.ForwardAccumulator(x, engine.constant([1.0, 0.0])) as acc:
        ...     y = x * x
        >>> acc.jvp(y).numpy()
        array([2., 0.], dtype=float32)
    """

    def __init__(self, primals, tangents):
        # Variables are keyed by the variable object (as on tapes), so every read of a
        # variable primal leads back to it.
        self._tape = GradientTape(persistent=True, watch_accessed_variables=False)
        self._primals: dict[int, object] = {}
        self._tangents: dict[int, Tensor] = {}
        self._add(primals, tangents, "ForwardAccumulator")

    # --- context management -------------------------------------------------------------
    def __enter__(self) -> ForwardAccumulator:
        if self._tape._active:
            raise ValueError("ForwardAccumulator: this accumulator is already recording; it "
                             "does not nest with itself. Create a second ForwardAccumulator "
                             "for higher-order derivatives.")
        self._tape._push()
        return self

    def __exit__(self, *exc) -> None:
        if self._tape._active:
            self._tape._pop()

    # --- primals and tangents -----------------------------------------------------------
    def watch(self, primals, tangents) -> None:
        """Adds primals with their tangents: ops run afterwards on them get tangents.

        Args:
            primals: a tensor, variable or nested structure of them, not watched yet.
            tangents: tangents nested like `primals`, each of its primal's shape and dtype.

        Raises:
            ValueError, ShapeError, DTypeError, TypeError: as for the constructor.

        Example:
            >>> x, w = engine.constant(3.0), engine.constant(2.0)
            >>> with engine.autodiff.ForwardAccumulator(x, engine.constant(1.0)) as acc:
            ...     acc.watch(w, engine.constant(10.0))
            ...     y = x * w
            >>> float(acc.jvp(y))  # w * dx + x * dw
            32.0
        """
        self._add(primals, tangents, "ForwardAccumulator.watch")

    def _add(self, primals, tangents, where: str) -> None:
        try:
            nest.assert_same_structure(primals, tangents)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: primals and tangents are nested differently ({exc}); "
                             "expected one tangent per primal in the same structure, e.g. "
                             "primals=[x, w], tangents=[dx, dw].") from None
        pairs = list(zip(nest.flatten(primals), nest.flatten(tangents)))
        checked = [(p, self._check_pair(p, t, where)) for p, t in pairs]
        seen = set()
        for primal, _ in checked:
            key = id(primal)
            if key in self._primals or key in seen:
                raise ValueError(f"{where}: {_describe(primal)} is given as a primal more than "
                                 "once; expected each primal once. Sum its tangents and pass "
                                 "it a single time.")
            seen.add(key)
        self._forget_earlier_uses(seen)
        for primal, tangent in checked:
            self._primals[id(primal)] = primal
            self._tangents[id(primal)] = tangent
            self._tape.watch(primal)

    def _forget_earlier_uses(self, keys: set) -> None:
        """Makes ops recorded before a primal was watched see it as a constant.

        In forward mode a tensor's tangent is fixed when it is computed, so an op that used
        `w` before `watch(w, dw)` gets no share of `dw`. The tape would otherwise reach `w`
        through that op's record, which lists all its inputs.
        """
        records = self._tape._records
        for i, record in enumerate(records):
            if any(k in keys for k in record[1]):
                blanked = tuple(None if k in keys else k for k in record[1])
                records[i] = (record[0], blanked) + record[2:]

    @staticmethod
    def _check_pair(primal, tangent, where: str) -> Tensor:
        """The tangent as a Tensor of the primal's dtype, after checking both."""
        if not isinstance(primal, Tensor) and not _is_variable(primal):
            raise TypeError(f"{where}: got primal {_describe(primal)}; expected a Tensor or "
                            "Variable. Convert numbers and arrays with engine.constant first "
                            "and compute with that tensor.")
        if tangent is None:
            raise ValueError(f"{where}: got tangent None for primal {_describe(primal)}; "
                             "expected a tensor of the primal's shape and dtype (use "
                             "engine.zeros_like(primal) for no change).")
        if _is_variable(tangent):
            tangent = tangent._read()
        if isinstance(tangent, Tensor):
            if tangent.dtype != primal.dtype:
                raise DTypeError(f"{where}: got tangent of dtype {tangent.dtype.name} for a "
                                 f"primal of dtype {primal.dtype.name}; expected the same "
                                 f"dtype. Cast the tangent with engine.cast(tangent, "
                                 f"engine.{primal.dtype.name}).")
        else:
            tangent = convert_to_tensor(tangent, dtype=primal.dtype)
        if not _compatible(_dims(primal), _dims(tangent)):
            raise ShapeError(f"{where}: got tangent of shape {_dims(tangent)} for a primal of "
                             f"shape {_dims(primal)}; expected the primal's shape. Give one "
                             "tangent entry per primal entry (broadcasting does not apply).")
        return tangent

    # --- Jacobian-vector products -------------------------------------------------------
    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The Jacobian-vector products of `primals`: the tangents of these tensors.

        Args:
            primals: a tensor or nested structure of tensors computed inside the
                accumulator's `with` block (or primals of the accumulator, whose tangents
                are returned as given). TensorFlow calls the targets `primals` too.
            unconnected_gradients: `UnconnectedGradients.NONE` (None for a tensor that
                does not depend on the primals, or that was computed outside the `with`
                block) or `.ZERO` (zeros instead).

        Returns:
            The JVPs, nested like `primals`; None (or zeros) for integer tensors.

        Raises:
            TypeError: for something that is not a tensor or variable.

        Example:
            >>> x = engine.constant(2.0)
            >>> with engine.autodiff.ForwardAccumulator(x, engine.constant(1.0)) as acc:
            ...     y = x ** 3
            >>> float(acc.jvp(y)), acc.jvp(engine.constant(5.0))
            (12.0, None)
        """
        unconnected = UnconnectedGradients(unconnected_gradients)
        flat = nest.flatten(primals)
        results: list = [None] * len(flat)
        todo = []
        for i, target in enumerate(flat):
            if not isinstance(target, Tensor) and not _is_variable(target):
                raise TypeError(f"ForwardAccumulator.jvp: got {_describe(target)} at position "
                                f"{i} of the targets; expected tensors computed inside the "
                                "accumulator's `with` block (constants have no tangent: "
                                "watch them as primals to give them one).")
            tangent = self._tangents.get(id(target))
            if tangent is not None:
                results[i] = tangent
            elif isinstance(target, Tensor) and target._value.dtype in _INEXACT:
                todo.append(i)
        if todo:
            jvps = self._jvps([flat[i] for i in todo])
            for i, value in zip(todo, jvps):
                results[i] = value
        if unconnected is UnconnectedGradients.ZERO:
            results = [_zeros(t) if r is None else r for r, t in zip(results, flat)]
        return nest.pack_sequence_as(primals, results)

    def _jvps(self, targets: list) -> list:
        """J v for each target by the double-vjp trick (see the module docstring)."""
        seeds = [_seed(t) for t in targets]
        sources = list(self._primals.values())
        with GradientTape._Paused(self._tape):  # its own jvp work is not a recorded op
            helper = GradientTape(watch_accessed_variables=False)
            with helper:
                helper.watch(seeds)
                grads = self._tape._backprop(targets, sources, seeds,
                                             UnconnectedGradients.NONE)
                total = None
                for source, grad in zip(sources, grads):
                    if grad is None:
                        continue
                    tangent = self._tangents[id(source)]
                    term = dispatch(get("Sum"), (dispatch(get("Mul"), (grad, tangent)),),
                                    {"axis": None, "keepdims": False})
                    total = term if total is None else dispatch(get("AddV2"), (total, term))
            if total is None:
                return [None] * len(targets)
            return helper.gradient(total, seeds)


def _seed(target: Tensor) -> Tensor:
    """A cotangent for `target` without zeros: the same pseudo-random draw on every call."""
    dims = target._value.shape
    if dims is None or None in dims:
        return dispatch(get("OnesLike"), (target,))
    draw = np.random.default_rng(0).uniform(0.5, 1.5, dims)
    return _on_device(draw.astype(target._value.dtype), target)


def _zeros(target) -> Tensor:
    tensor = target._read() if _is_variable(target) else target
    return dispatch(get("ZerosLike"), (tensor,))
