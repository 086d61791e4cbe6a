"""Exceptions with TensorFlow's names, plus precise shape and dtype errors.

Every runtime error an op raises is an `OpError` subclass, as in TensorFlow, so
`except engine.errors.InvalidArgumentError` works. `ShapeError`, `DTypeError` and
`InvalidIndexError` are also `ValueError` / `TypeError` / `IndexError`, and `NotFoundError` a
`FileNotFoundError`, so plain Python handlers catch them too.
"""

from __future__ import annotations

__all__ = [
    "OpError", "CancelledError", "UnknownError", "InvalidArgumentError",
    "DeadlineExceededError", "NotFoundError", "AlreadyExistsError", "PermissionDeniedError",
    "ResourceExhaustedError", "FailedPreconditionError", "AbortedError", "OutOfRangeError",
    "UnimplementedError", "InternalError", "UnavailableError", "DataLossError",
    "UnauthenticatedError", "ShapeError", "DTypeError", "SignatureMismatchError",
    "InvalidIndexError", "TracingError",
    "OperatorNotAllowedInGraphError",
]

# TensorFlow's status codes (`engine.errors.OK` ... `UNAUTHENTICATED`), one per error class.
OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = range(6)
ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION = range(6, 10)
ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS = range(10, 16)
UNAUTHENTICATED = 16


class OpError(Exception):
    """Base class of errors raised while running an op.

    Attributes:
        op: the name of the op that failed, or None.
        message: the error text.
        error_code: TensorFlow's numeric status code.
    """

    error_code = 2

    def __init__(self, message: str, op: str | None = None):
        super().__init__(message)
        self.message = message
        self.op = op
        self.node_def = None


def _op_error(name: str, code: int, doc: str, *bases) -> type:
    return type(name, (*bases, OpError) if bases else (OpError,),
                {"__doc__": doc, "error_code": code})


CancelledError = _op_error("CancelledError", 1, "An operation was cancelled.")
UnknownError = _op_error("UnknownError", 2, "An error of unknown kind.")
InvalidArgumentError = _op_error(
    "InvalidArgumentError", 3, "An op received an argument it cannot use.")
DeadlineExceededError = _op_error("DeadlineExceededError", 4, "A deadline expired.")
AlreadyExistsError = _op_error("AlreadyExistsError", 6, "An entity already exists.")
PermissionDeniedError = _op_error("PermissionDeniedError", 7, "Permission was denied.")
ResourceExhaustedError = _op_error(
    "ResourceExhaustedError", 8, "Memory or another resource ran out.")
FailedPreconditionError = _op_error(
    "FailedPreconditionError", 9, "The system is not in a state to run the op.")
AbortedError = _op_error("AbortedError", 10, "The operation was aborted.")
OutOfRangeError = _op_error("OutOfRangeError", 11, "Iteration went past the valid range.")
UnimplementedError = _op_error("UnimplementedError", 12, "The operation is not supported.")
InternalError = _op_error("InternalError", 13, "An internal invariant was broken.")
UnavailableError = _op_error("UnavailableError", 14, "A service is unavailable.")
DataLossError = _op_error("DataLossError", 15, "Unrecoverable data loss or corruption.")
UnauthenticatedError = _op_error("UnauthenticatedError", 16, "Missing credentials.")


class ShapeError(InvalidArgumentError, ValueError):
    """Shapes that do not fit together; says which op, which shapes, and the fix."""


class DTypeError(InvalidArgumentError, TypeError):
    """Dtypes that do not fit together or that an op does not support."""


class SignatureMismatchError(ShapeError, TypeError):
    """Arguments that do not match a function's input signature (or a concrete function's).

    A `ShapeError` (so a `ValueError` and an `InvalidArgumentError`) that is also a
    `TypeError`, which TensorFlow raises when binding inputs to a `tf.function` fails, so
    `except TypeError` from the TensorFlow guides catches it too.
    """


class InvalidIndexError(InvalidArgumentError, IndexError):
    """An index out of range, e.g. `x[7]` on a dimension of size 3 or a bad gather index.

    An `InvalidArgumentError` (as in TensorFlow) that is also an `IndexError` (as in NumPy
    and Python), so both `except` styles catch it.
    """


class NotFoundError(OpError, FileNotFoundError):
    """A requested file or entity was not found.

    Also a `FileNotFoundError`, so `except FileNotFoundError` (Python's) and
    `except engine.errors.NotFoundError` (TensorFlow's) both catch a missing file.
    """

    error_code = 5


class TracingError(RuntimeError):
    """Something that cannot be expressed while tracing a function into a graph."""


class OperatorNotAllowedInGraphError(TypeError):
    """A Python operator (bool, iteration) that a graph tensor cannot support while traced.

    TensorFlow's name, for code that catches it; eagerlab raises `TracingError` with the
    offending line for a symbolic tensor used as a Python bool.
    """
