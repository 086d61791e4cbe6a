"""`Dataset.ignore_errors`: drop the elements whose making raised an error.

Iteration is a chain of Python generators, and a generator that raised cannot go on. So
skipping errors is arranged from below: `ignore_errors` iterates its input with options
marked "skip errors" (`skipping`), and the steps that call a function per element
(`map`, `filter`, `scan`, `from_generator`'s conversions) then drop an element whose call
raised (`guarded`), instead of raising. An error in any other step still reaches
`ignore_errors`, which then ends the iteration there, since the step that raised is done.
"""

from __future__ import annotations

import logging

from engine.data.node import Node, close
from engine.data.options import Options

__all__ = ["Recovery", "SKIPPED", "guarded", "skipping"]

SKIPPED = object()  # what a guarded call returns instead of raising
_FLAG = "_skip_errors"  # on an Options copy: None (raise) or the log_warning bool
_LOG = logging.getLogger("engine.data")


def skipping(options: Options, log_warning: bool) -> Options:
    """A copy of `options` that tells the steps upstream to skip failing elements."""
    marked = options.merge(Options())
    object.__setattr__(marked, _FLAG, bool(log_warning))
    return marked


def policy(options: Options):
    """None if errors raise, else whether each skipped error is logged."""
    return vars(options).get(_FLAG)


def guarded(fn, options: Options, what: str):
    """`fn` itself, or, under `ignore_errors`, `fn` returning `SKIPPED` where it raised."""
    log_warning = policy(options)
    if log_warning is None:
        return fn

    def call(*args):
        try:
            return fn(*args)
        except Exception as err:  # noqa: BLE001 - any error drops the element, as in TF
            if log_warning:
                _LOG.warning("%s: skipping an element after %s: %s", what,
                             type(err).__name__, err)
            return SKIPPED
    return call


class IgnoreErrorsNode(Node):
    kind = "IgnoreErrorsDataset"

    def __init__(self, node: Node, log_warning: bool):
        self.inputs = (node,)
        self.log_warning = log_warning

    def _spec(self):
        return self.inputs[0].element_spec

    def iterate(self, options):
        source = self.inputs[0].iterate(skipping(options, self.log_warning))
        try:
            while True:
                try:
                    element = next(source)
                except StopIteration:
                    return
                except Exception as err:  # noqa: BLE001 - a step that cannot resume
                    if self.log_warning:
                        _LOG.warning("Dataset.ignore_errors: ending the iteration after "
                                     "%s: %s", type(err).__name__, err)
                    return
                yield element
        finally:
            close(source)


class Recovery:
    """`ignore_errors` (a mixin of `engine.data.Dataset`)."""

    def ignore_errors(self, log_warning=False, name=None):
        """Drops the elements whose computation raised an error, and goes on.

        An element is dropped when a function applied to it upstream (`map`, `filter`,
        `scan`) raises, or when a `from_generator` value does not fit the signature. An
        error in another step (a Python generator that raises, say) ends the iteration
        there instead, since that step cannot resume.

        Args:
            log_warning: log each skipped error on the `engine.data` logger.
            name: ignored (TensorFlow compatibility).

        Returns:
            A `Dataset` of unknown cardinality.

        Example:
            >>> ds = engine.data.Dataset.from_tensor_slices([1.0, 0.0, 2.0]).map(
            ...     lambda x: engine.debugging.check_numerics(1.0 / x, "division by zero"))
            >>> [float(x) for x in ds.ignore_errors()]
            [1.0, 0.5]
        """
        return self._new(IgnoreErrorsNode(self._node, bool(log_warning)))
