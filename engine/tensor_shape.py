"""`TensorShape` (dimensions that may be unknown) and `TensorSpec` (shape + dtype).

Keras' deferred build and graph tracing (both still to come) will use them to describe
tensors that do not exist yet; ops' shape inference uses them now.
Dimensions are ints or None (unknown); a shape of unknown rank is `TensorShape(None)`.
"""

from __future__ import annotations

from engine import dtypes as _dtypes

__all__ = ["TensorShape", "TensorSpec"]


def _dim(value):
    if value is None:
        return None
    if hasattr(value, "value") and not isinstance(value, int):  # TF1 Dimension-like
        value = value.value
        if value is None:
            return None
    try:
        out = int(value.__index__()) if not isinstance(value, int) else int(value)
    except (AttributeError, TypeError):
        raise TypeError(f"TensorShape: dimension {value!r} is not an int or None") from None
    if out < 0:
        raise ValueError(f"TensorShape: dimension {out} is negative; expected >= 0 or None")
    return out


class TensorShape:
    """The shape of a tensor, some of whose dimensions may be unknown (`None`).

    Example:
        >>> s = engine.TensorShape([None, 784])
        >>> s.rank, s[1], s.is_fully_defined()
        (2, 784, False)
        >>> s.is_compatible_with([32, 784])
        True
    """

    __slots__ = ("_dims",)

    def __init__(self, dims=None):
        if dims is None:
            self._dims = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (int,)) or hasattr(dims, "__index__"):
            self._dims = (_dim(dims),)
        else:
            self._dims = tuple(_dim(d) for d in dims)

    @property
    def rank(self) -> int | None:
        """The number of dimensions, or None if unknown."""
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self) -> list | None:
        """The dimensions as a list (None entries for unknown sizes)."""
        return None if self._dims is None else list(self._dims)

    def as_list(self) -> list:
        """The dimensions as a list; raises ValueError for an unknown rank."""
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        """True if the rank and every dimension are known."""
        return self._dims is not None and None not in self._dims

    def num_elements(self) -> int | None:
        """The number of elements, or None if not fully defined."""
        if not self.is_fully_defined():
            return None
        total = 1
        for d in self._dims:
            total *= d
        return total

    def is_compatible_with(self, other) -> bool:
        """True if some fully known shape fits both (None matches anything)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def assert_is_compatible_with(self, other) -> None:
        """Raises ValueError unless `is_compatible_with(other)`."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def merge_with(self, other) -> TensorShape:
        """The most specific shape compatible with both; ValueError if none."""
        other = as_shape(other)
        self.assert_is_compatible_with(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def most_specific_compatible_shape(self, other) -> TensorShape:
        """The most specific shape that both shapes are compatible with."""
        other = as_shape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return TensorShape(None)
        return TensorShape([a if a == b else None for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other) -> TensorShape:
        """This shape's dimensions followed by `other`'s."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def with_rank(self, rank: int) -> TensorShape:
        """This shape with its rank checked (or set, if unknown)."""
        if self._dims is None:
            return TensorShape([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def assert_has_rank(self, rank: int) -> None:
        """Raises ValueError if the rank is known and differs from `rank`."""
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of a shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key):
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __bool__(self) -> bool:
        return self._dims is not None

    def __eq__(self, other) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self._dims)

    def __add__(self, other) -> TensorShape:
        return self.concatenate(other)

    def __radd__(self, other) -> TensorShape:
        return as_shape(other).concatenate(self)

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({self._dims[0]},)"
        return "(" + ", ".join(str(d) for d in self._dims) + ")"

    def __reduce__(self):
        return TensorShape, (self.dims,)


def as_shape(shape) -> TensorShape:
    """Converts a list, tuple, int or None to a `TensorShape`."""
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


class TensorSpec:
    """Describes a tensor by shape, dtype and optional name.

    Used by ops' shape inference, and meant for `engine.function(input_signature=...)`
    once graph tracing exists.

    Example:
        >>> spec = engine.TensorSpec([None, 784], engine.float32)
        >>> spec.is_compatible_with(engine.zeros([32, 784]))
        True
    """

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype=_dtypes.float32, name: str | None = None):
        self.shape = as_shape(shape)
        self.dtype = _dtypes.as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name: str | None = None) -> TensorSpec:
        """The spec of an existing tensor."""
        return cls(tensor.shape, tensor.dtype, name)

    def is_compatible_with(self, other) -> bool:
        """True if `other` (a spec or tensor) has a compatible shape and the same dtype."""
        return self.dtype == other.dtype and self.shape.is_compatible_with(other.shape)

    def most_specific_compatible_type(self, other) -> TensorSpec:
        """A spec compatible with both (dimensions that differ become None)."""
        if self.dtype != other.dtype:
            raise ValueError(f"TensorSpec: dtypes {self.dtype} and {other.dtype} differ")
        return TensorSpec(self.shape.most_specific_compatible_shape(other.shape), self.dtype)

    def __eq__(self, other) -> bool:
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype is other.dtype and self.name == other.name)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.name))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"
