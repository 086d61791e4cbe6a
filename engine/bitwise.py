"""`engine.bitwise`: bitwise operations on integer tensors (TensorFlow's `tf.bitwise`).

Example:
    >>> engine.bitwise.bitwise_and(engine.constant([12, 10]), 6).numpy()
    array([4, 2], dtype=int32)
"""

from engine.ops.math_ops import bitwise_and, bitwise_or, bitwise_xor
from engine.ops.misc_more import left_shift, right_shift
from engine.ops.unary_ops import invert

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]
