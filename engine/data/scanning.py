"""`Dataset.scan`: a `map` that carries a state from one element to the next.

`scan_func(state, element)` returns `(new_state, output)`. It is traced once with
`engine.function`, like `map`'s function, for the specs of the initial state and of the
elements. If the new state's shape differs from the state it was traced with (a state
that grows, say), it is traced again with the shapes both fit (`None` where they differ),
until the state's spec stays put; its structure and dtypes must never change.
"""

from __future__ import annotations

from engine import nest
from engine.data import recovery, structure
from engine.data.functions import UserFunction
from engine.data.node import Node, close, first_element

__all__ = ["Scanning"]

_WHAT = "Dataset.scan"
_MAX_TRACES = 8  # each retrace relaxes at least one dimension, so this is plenty


def _check_state(state_spec, new_spec) -> None:
    """Raises if the new state's structure or dtypes differ from the state's."""
    try:
        nest.assert_same_structure(state_spec, new_spec, check_types=False)
    except (TypeError, ValueError):
        raise TypeError(f"{_WHAT}: scan_func returned a new state nested as {new_spec}; "
                        f"expected the structure of the initial state, {state_spec}. Return "
                        "(new_state, output) with new_state nested like initial_state."
                        ) from None
    for old, new, path in zip(nest.flatten(state_spec), nest.flatten(new_spec),
                              structure.leaf_paths(state_spec)):
        if old.dtype != new.dtype:
            raise TypeError(f"{_WHAT}: scan_func changed the dtype of the state at {path} "
                            f"from {old.dtype.name} to {new.dtype.name}; expected the dtype "
                            "to stay. Cast the new state (engine.cast) or give initial_state "
                            "that dtype.")


def _split(spec):
    """(state spec, output spec) of scan_func's result; raises unless it is a pair."""
    if not isinstance(spec, tuple) or len(spec) != 2:
        raise TypeError(f"{_WHAT}: scan_func must return a pair (new_state, output); it "
                        f"returns {spec}.")
    return spec


class ScanNode(Node):
    kind = "ScanDataset"

    def __init__(self, node: Node, initial_state, scan_func):
        if not callable(scan_func):
            raise TypeError(f"{_WHAT}: scan_func must be a function (state, element) -> "
                            f"(new_state, output); got {type(scan_func).__name__}.")
        self.inputs = (node,)
        self.initial_state = structure.normalize(initial_state, f"{_WHAT} (initial_state)")
        state_spec = structure.spec_of(self.initial_state)
        for _ in range(_MAX_TRACES):
            self.fn = UserFunction(scan_func, (state_spec, node.element_spec), _WHAT,
                                   lambda: (self.initial_state, first_element(node, _WHAT)))
            if self.fn.eager:  # debug mode: the state is checked at every step instead
                self.state_spec = state_spec
                return
            new_spec, _ = _split(self.fn.output_spec)
            _check_state(state_spec, new_spec)
            relaxed = structure.relax(state_spec, new_spec, _WHAT)
            if relaxed == state_spec:
                break
            state_spec = relaxed
        self.state_spec = state_spec

    def _spec(self):
        return _split(self.fn.output_spec)[1]

    def cardinality(self) -> int:
        return self.inputs[0].cardinality()

    def iterate(self, options):
        source, state = self.inputs[0].iterate(options), self.initial_state
        fn, eager = recovery.guarded(self.fn, options, _WHAT), self.fn.eager
        try:
            for element in source:
                result = fn((state, element))
                if result is recovery.SKIPPED:
                    continue
                new_state, output = _split(result) if eager else result
                if eager:
                    _check_state(self.state_spec, structure.spec_of(new_state))
                state = new_state
                yield output
        finally:
            close(source)


class Scanning:
    """`scan` (a mixin of `engine.data.Dataset`)."""

    def scan(self, initial_state, scan_func, name=None):
        """Maps elements with a function that also threads a state through them.

        `scan_func(state, element)` returns `(new_state, output)`; the dataset yields the
        outputs. The function is traced like `map`'s (see `engine.data.functions`), and
        Python numbers in `initial_state` become tensors first (ints as int32).

        Args:
            initial_state: the first state: tensors or values, nested in tuples and dicts.
            scan_func: a function `(state, element) -> (new_state, output)`; `new_state`
                keeps the state's structure and dtypes (shapes may change).
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of the outputs, with the input's cardinality.

        Raises:
            TypeError: if `scan_func` does not return a pair, or changes the state's
                structure or dtypes.

        Example:
            >>> ds = engine.data.Dataset.range(5).scan(
            ...     np.int64(0), lambda total, x: (total + x, total + x))
            >>> [int(x) for x in ds]
            [0, 1, 3, 6, 10]
        """
        return self._new(ScanNode(self._node, initial_state, scan_func))
