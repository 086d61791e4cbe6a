"""Sparse reads and writes of variables (TensorFlow 2's `Variable.scatter_*` and friends).

`VariableScatter` is a mixin of `engine.Variable`: `scatter_nd_update/add/sub(indices,
updates)` write the rows or elements `indices` names (as `tensor_scatter_nd_*` does to a
tensor), `scatter_update/add/sub(sparse_delta)` take an `engine.IndexedSlices` of rows,
`sparse_read(indices)` and `gather_nd(indices)` read. Each writes the whole new value with
`assign` (eagerly at once, traced as graph nodes in program order), so it is O(size of the
variable), unlike TensorFlow's in-place kernels.
"""

from __future__ import annotations

__all__ = ["VariableScatter", "IndexedSlices"]


class IndexedSlices:
    """Rows `values` at `indices` of a dense tensor of `dense_shape` (TensorFlow's name).

    Here it is the argument of `Variable.scatter_update/add/sub`; gradients stay dense.

    Args:
        values: a tensor whose first axis runs along `indices`.
        indices: a 1-D integer tensor of row numbers.
        dense_shape: the dense tensor's shape, or None.

    Example:
        >>> v = engine.Variable([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
        >>> _ = v.scatter_add(engine.IndexedSlices(engine.ones([1, 2]), [2]))
        >>> v.numpy()
        array([[0., 0.],
               [0., 0.],
               [1., 1.]], dtype=float32)
    """

    def __init__(self, values, indices, dense_shape=None):
        from engine.convert import convert_to_tensor  # noqa: PLC0415 - variable sits below

        self.values = convert_to_tensor(values)
        self.indices = convert_to_tensor(indices)
        self.dense_shape = dense_shape
        if not self.indices.dtype.is_integer or self.indices.shape.rank not in (None, 1):
            raise TypeError(f"IndexedSlices: got indices of dtype {self.indices.dtype.name} and "
                            f"shape {self.indices.shape}; expected a 1-D integer tensor.")

    def __repr__(self) -> str:
        return (f"IndexedSlices(values shape={self.values.shape}, indices shape="
                f"{self.indices.shape}, dense_shape={self.dense_shape})")


def _rows(slices, what: str):
    if not isinstance(slices, IndexedSlices):
        raise TypeError(f"Variable.{what}: got {type(slices).__name__}; expected an "
                        "engine.IndexedSlices(values, indices). For (indices, updates) "
                        "pairs use scatter_nd_update / scatter_nd_add.")
    from engine.ops.array_ops import expand_dims  # noqa: PLC0415

    return expand_dims(slices.indices, -1), slices.values


class VariableScatter:
    """The sparse update and read methods of `engine.Variable` (see the module docstring)."""

    def scatter_nd_update(self, indices, updates, name=None):
        """Sets the elements or slices `indices` names to `updates`; returns the variable.

        Args:
            indices: integer `(..., k)`: each row indexes the first `k` axes.
            updates: values of shape `indices.shape[:-1] + shape[k:]`.
            name: ignored.

        Returns:
            The variable.

        Example:
            >>> v = engine.Variable([1.0, 2.0, 3.0, 4.0])
            >>> v.scatter_nd_update([[0], [3]], [10.0, 40.0]).numpy()
            array([10.,  2.,  3., 40.], dtype=float32)
        """
        from engine.ops.gather_ops import tensor_scatter_nd_update  # noqa: PLC0415

        return self.assign(tensor_scatter_nd_update(self.read_value(), indices, updates))

    def scatter_nd_add(self, indices, updates, name=None):
        """Adds `updates` at `indices` (repeated indices add up); returns the variable.

        Args:
            indices: integer `(..., k)`.
            updates: values of shape `indices.shape[:-1] + shape[k:]`.
            name: ignored.

        Returns:
            The variable.

        Example:
            >>> v = engine.Variable([1.0, 2.0, 3.0])
            >>> v.scatter_nd_add([[0], [0]], [1.0, 1.0]).numpy()
            array([3., 2., 3.], dtype=float32)
        """
        from engine.ops.gather_ops import tensor_scatter_nd_add  # noqa: PLC0415

        return self.assign(tensor_scatter_nd_add(self.read_value(), indices, updates))

    def scatter_nd_sub(self, indices, updates, name=None):
        """Subtracts `updates` at `indices`; returns the variable.

        Args:
            indices: integer `(..., k)`.
            updates: values of shape `indices.shape[:-1] + shape[k:]`.
            name: ignored.

        Returns:
            The variable.

        Example:
            >>> engine.Variable([1.0, 2.0]).scatter_nd_sub([[1]], [2.0]).numpy()
            array([1., 0.], dtype=float32)
        """
        from engine.convert import convert_to_tensor  # noqa: PLC0415

        return self.scatter_nd_add(indices, -convert_to_tensor(updates, dtype=self.dtype))

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Sets the rows `sparse_delta.indices` to `sparse_delta.values`.

        Args:
            sparse_delta: an `engine.IndexedSlices`.
            use_locking: ignored.
            name: ignored.

        Returns:
            The variable.

        Example:
            >>> v = engine.Variable([[1.0], [2.0]])
            >>> v.scatter_update(engine.IndexedSlices([[9.0]], [1])).numpy()
            array([[1.],
                   [9.]], dtype=float32)
        """
        return self.scatter_nd_update(*_rows(sparse_delta, "scatter_update"))

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        """Adds `sparse_delta.values` to the rows `sparse_delta.indices`.

        Args:
            sparse_delta: an `engine.IndexedSlices`.
            use_locking: ignored.
            name: ignored.

        Returns:
            The variable.

        Example:
            >>> v = engine.Variable([[1.0], [2.0]])
            >>> v.scatter_add(engine.IndexedSlices([[1.0]], [0])).numpy()
            array([[2.],
                   [2.]], dtype=float32)
        """
        return self.scatter_nd_add(*_rows(sparse_delta, "scatter_add"))

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        """Subtracts `sparse_delta.values` from the rows `sparse_delta.indices`.

        Args:
            sparse_delta: an `engine.IndexedSlices`.
            use_locking: ignored.
            name: ignored.

        Returns:
            The variable.

        Example:
            >>> v = engine.Variable([[1.0], [2.0]])
            >>> v.scatter_sub(engine.IndexedSlices([[1.0]], [1])).numpy()
            array([[1.],
                   [1.]], dtype=float32)
        """
        return self.scatter_nd_sub(*_rows(sparse_delta, "scatter_sub"))

    def sparse_read(self, indices, name=None):
        """The rows `indices` of the variable (a gather along axis 0).

        Args:
            indices: integer row numbers.
            name: ignored.

        Returns:
            A tensor.

        Example:
            >>> engine.Variable([[1.0], [2.0], [3.0]]).sparse_read([2, 0]).numpy()
            array([[3.],
                   [1.]], dtype=float32)
        """
        from engine.ops.gather_ops import gather  # noqa: PLC0415

        return gather(self, indices)

    def gather_nd(self, indices, name=None):
        """`engine.gather_nd` of the variable's value.

        Args:
            indices: integer `(..., k)`.
            name: ignored.

        Returns:
            A tensor.

        Example:
            >>> engine.Variable([[1.0, 2.0], [3.0, 4.0]]).gather_nd([[1, 0]]).numpy()
            array([3.], dtype=float32)
        """
        from engine.ops.gather_ops import gather_nd  # noqa: PLC0415

        return gather_nd(self, indices)
