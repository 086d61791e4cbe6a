"""`engine.autodiff`: TensorFlow's `tf.autodiff` namespace.

Reverse mode (`GradientTape`, gradients of a few outputs with respect to many inputs) and
forward mode (`ForwardAccumulator`, Jacobian-vector products along one direction).

Example:
    >>> x = engine.constant(3.0)
    >>> with engine.autodiff.ForwardAccumulator(x, engine.constant(1.0)) as acc:
    ...     with engine.autodiff.GradientTape() as tape:
    ...         tape.watch(x)
    ...         y = x ** 3
    ...     g = tape.gradient(y, x)  # 3 x^2
    >>> float(acc.jvp(g))  # a Hessian-vector product: 6 x * 1
    18.0
"""

from engine.forward_mode import ForwardAccumulator
from engine.tape import GradientTape

__all__ = ["ForwardAccumulator", "GradientTape"]
