"""Data types: `engine.float32` and friends, and `as_dtype`.

A `DType` wraps one NumPy dtype and answers the questions the rest of the engine asks
(is it floating? what is its range?). DTypes are singletons, so `a is b` compares them.

Strings are stored as NumPy object arrays of `bytes` (TensorFlow's `tf.string` holds
bytes too); `str` values are encoded as UTF-8 on conversion.

`bfloat16` exists when the optional `ml_dtypes` package is installed.
"""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "DType", "as_dtype", "bfloat16", "bool", "complex64", "complex128", "float16", "float32",
    "float64", "half", "double", "int8", "int16", "int32", "int64", "string", "uint8",
    "uint16", "uint32", "uint64",
]


class DType:
    """The element type of a tensor, e.g. `engine.float32`.

    Compare dtypes with `==` (or `is`: each dtype is a singleton). `==` also accepts
    anything `as_dtype` understands, so `engine.float32 == "float32"` is True.

    Example:
        >>> engine.float32.is_floating, engine.float32.size
        (True, 4)
    """

    __slots__ = ("name", "as_numpy_dtype", "_np")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self._np = np.dtype(np_dtype)
        self.as_numpy_dtype = self._np.type

    @property
    def is_floating(self) -> builtins.bool:
        """True for float16, bfloat16, float32 and float64."""
        return self in _FLOATING

    @property
    def is_integer(self) -> builtins.bool:
        """True for signed and unsigned integer types (not bool)."""
        return self._np.kind in "iu" and self is not bool

    @property
    def is_unsigned(self) -> builtins.bool:
        """True for uint8 … uint64."""
        return self._np.kind == "u"

    @property
    def is_complex(self) -> builtins.bool:
        """True for complex64 and complex128."""
        return self._np.kind == "c"

    @property
    def is_bool(self) -> builtins.bool:
        """True for `engine.bool`."""
        return self is bool

    @property
    def is_numeric(self) -> builtins.bool:
        """True for every integer, floating and complex type."""
        return self.is_floating or self.is_integer or self.is_complex

    @property
    def is_differentiable(self) -> builtins.bool:
        """True where gradients flow: floating and complex types."""
        return self.is_floating or self.is_complex

    @property
    def size(self) -> int:
        """Bytes per element (8 for a string's object pointer)."""
        return self._np.itemsize

    @property
    def base_dtype(self) -> DType:
        """The dtype itself (TensorFlow compatibility)."""
        return self

    @property
    def real_dtype(self) -> DType:
        """float32 for complex64, float64 for complex128, else the dtype itself."""
        return {complex64: float32, complex128: float64}.get(self, self)

    @property
    def min(self):
        """The smallest finite value of the type."""
        return self._limits().min

    @property
    def max(self):
        """The largest finite value of the type."""
        return self._limits().max

    def _limits(self):
        if self is bfloat16:
            return _ml_dtypes.finfo(self._np)  # NumPy's finfo does not know bfloat16
        if self.is_floating:
            return np.finfo(self._np)
        if self.is_integer:
            return np.iinfo(self._np)
        raise TypeError(f"{self.name} has no min/max; only numeric dtypes do")

    def __eq__(self, other) -> builtins.bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other) -> builtins.bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"engine.{self.name}"

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
uint32 = DType("uint32", np.uint32)
uint64 = DType("uint64", np.uint64)
bool = DType("bool", np.bool_)  # noqa: A001 - TensorFlow's name
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)
string = DType("string", np.object_)
half = float16
double = float64

try:  # bfloat16 needs ml_dtypes; it is optional.
    import ml_dtypes as _ml_dtypes

    bfloat16 = DType("bfloat16", _ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - depends on the environment
    bfloat16 = None

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bool, complex64, complex128, string] + ([bfloat16] if bfloat16 is not None else [])
_FLOATING = frozenset(d for d in (float16, float32, float64, bfloat16) if d is not None)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "double": float64, "float": float32, "int": int32,
                 "str": string, "bytes": string, "object": string})
# NumPy dtypes that carry gradients. A set, not `dtype.kind in "fc"`: ml_dtypes' bfloat16
# has kind "V".
INEXACT_NUMPY = frozenset(d._np for d in (float16, float32, float64, bfloat16, complex64,
                                          complex128) if d is not None)
# Lookup by NumPy dtype; the hot path of `Tensor.dtype`.
_BY_NP = {d._np: d for d in _ALL}
_BY_NP[np.dtype(np.str_)] = string
_BY_NP[np.dtype(np.bytes_)] = string
_PYTHON = {builtins.float: float32, builtins.int: int32, builtins.bool: bool,
           builtins.complex: complex64, builtins.str: string, builtins.bytes: string,
           builtins.object: string}


def as_dtype(type_value) -> DType:
    """Converts a name, NumPy dtype or Python type to a `DType`.

    Args:
        type_value: a `DType`, a name such as `"float32"`, a NumPy dtype or scalar type,
            or a Python type (`float` → float32, `int` → int32, `bool`, `str` → string).

    Returns:
        The matching `DType` singleton.

    Raises:
        TypeError: if the value names no supported dtype.

    Example:
        >>> engine.as_dtype("float64") is engine.float64
        True
    """
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        found = _BY_NAME.get(type_value)
        if found is not None:
            return found
    elif isinstance(type_value, type) and type_value in _PYTHON:
        return _PYTHON[type_value]
    elif type(type_value) is int:
        # TensorFlow's DataType enum numbers: `tf.zeros(3, 1)` is float32 zeros.
        found = _BY_NAME.get(_TF_ENUM.get(type_value, ""))
        if found is not None:
            return found
    else:
        try:
            npd = np.dtype(type_value)
        except TypeError:
            npd = None
        if npd is not None:
            found = _BY_NP.get(npd)
            if found is not None:
                return found
            if npd.kind in "US":
                return string
    names = ", ".join(sorted(_BY_NAME))
    hint = ""
    if isinstance(type_value, str):
        import difflib  # noqa: PLC0415 - only on this error path

        close = difflib.get_close_matches(type_value, list(_BY_NAME), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
    raise TypeError(f"as_dtype: got {type_value!r}; expected a dtype or one of: {names}.{hint}")


# TensorFlow's `DataType` enum numbers (types.proto), which `as_dtype` accepts as TF does.
_TF_ENUM = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
            7: "string", 8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16",
            17: "uint16", 18: "complex128", 19: "float16", 22: "uint32", 23: "uint64"}


def from_numpy(np_dtype) -> DType:
    """The `DType` of a NumPy dtype; fast path used for every tensor.

    Args:
        np_dtype: a `numpy.dtype` (other values go through `as_dtype`).

    Returns:
        The matching `DType`.

    Example:
        >>> engine.dtypes.from_numpy(np.dtype("float32"))
        engine.float32
    """
    found = _BY_NP.get(np_dtype)
    if found is None:
        return as_dtype(np_dtype)
    return found
