"""Jacobians on a `GradientTape`: `jacobian` and `batch_jacobian` (a mixin of the tape).

Both run one backward pass per target element (per element of one example, for
`batch_jacobian`) with a one-hot seed. With static shapes the seeds are NumPy arrays; inside
`engine.function` with unknown dimensions they are built from the run-time shape, and a
target whose element count is unknown is handled by a `while_loop` of backward passes
(TensorFlow's `experimental_use_pfor=False` path).
"""

from __future__ import annotations

import numpy as np

from engine import context, nest
from engine.dispatch import dispatch
from engine.registry import get
from engine.tensor import Tensor, wrap

__all__ = ["Jacobians"]

_THREAD = context.THREAD


def _op(name):
    return get(name)


def _tape():
    from engine import tape  # noqa: PLC0415 - the tape module imports this mixin
    return tape


class Jacobians:
    """`jacobian` and `batch_jacobian`, mixed into `engine.GradientTape`.

    `unconnected_gradients` takes an `engine.UnconnectedGradients` or its value
    (`"none"`, `"zero"`).
    """

    def jacobian(self, target, sources, unconnected_gradients="none",
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of `target` with respect to each source.

        Returns, for each source, a tensor of shape `target.shape + source.shape`.

        Example:
            >>> x = engine.constant([1.0, 2.0])
            >>> with engine.GradientTape() as tape:
            ...     tape.watch(x)
            ...     y = x * x
            >>> tape.jacobian(y, x).numpy()
            array([[2., 0.],
                   [0., 4.]], dtype=float32)
        """
        self._check_usable("jacobian")
        unconnected = _tape().UnconnectedGradients(unconnected_gradients)
        flat_sources = nest.flatten(sources)
        t_shape = target._value.shape
        if t_shape is None or None in t_shape:  # the number of target elements is unknown
            out = self._jacobian_loop(target, flat_sources, unconnected)
            self._finish()
            return nest.pack_sequence_as(sources, out)
        t_shape = tuple(t_shape)
        size = int(np.prod(t_shape))
        rows = [[] for _ in flat_sources]
        with self._compute():
            for i in range(size):
                seed = np.zeros(size, target._value.dtype)
                seed[i] = 1
                seed_t = _tape()._on_device(seed.reshape(t_shape), target)
                grads = self._backprop([target], flat_sources, [seed_t], unconnected)
                for j, g in enumerate(grads):
                    rows[j].append(g)
            out = [self._stack_rows(r, target, s) for r, s in zip(rows, flat_sources)]
        self._finish()
        return nest.pack_sequence_as(sources, out)

    def _jacobian_loop(self, target, flat_sources, unconnected):
        # TF's `experimental_use_pfor=False` path: one backward pass per target element in a
        # while_loop (the element count is a run-time size). Row i of each Jacobian goes
        # into a buffer of shape (count, *source.shape), as a traced TensorArray does; the
        # source's own dimensions may be unknown too, which TensorArray does not allow.
        from engine.graph.control_flow import while_loop  # noqa: PLC0415 - above the tape
        from engine.ops.array_ops import expand_dims, reshape, shape  # noqa: PLC0415
        from engine.ops.fill_ops import zeros  # noqa: PLC0415
        from engine.ops.gather_ops import tensor_scatter_nd_update  # noqa: PLC0415
        from engine.ops.join_ops import concat  # noqa: PLC0415
        from engine.ops.one_hot_ops import one_hot  # noqa: PLC0415
        from engine.ops.shape_ops import size  # noqa: PLC0415

        if _THREAD.graph is None:
            raise RuntimeError("jacobian: a target of unknown shape outside engine.function.")
        count = size(target)
        t_dims = shape(target)
        specs = [_source_spec(s) for s in flat_sources]
        reads = [s if isinstance(s, Tensor) else s._read() for s in flat_sources]
        unconnected_rows = [False] * len(flat_sources)

        def body(i, *rows):
            seed = reshape(one_hot(i, count, dtype=target.dtype), t_dims)
            grads = self._backprop([target], flat_sources, [seed], unconnected)
            written = []
            for j, (g, row) in enumerate(zip(grads, rows)):
                if g is None:  # kept in the loop as zeros; returned as None below
                    unconnected_rows[j] = True
                    g = _tape()._zeros_like(reads[j])
                written.append(tensor_scatter_nd_update(row, reshape(i, [1, 1]),
                                                        expand_dims(g, 0)))
            return (i + 1, *written)

        with self._compute():
            rows = [zeros(concat([reshape(count, [1]), shape(r)], 0), spec.dtype)
                    for r, spec in zip(reads, specs)]
            _, *rows = while_loop(lambda i, *_: i < count, body, (wrap(np.int32(0)), *rows))
            out = []
            for j, (row, r) in enumerate(zip(rows, reads)):
                if unconnected_rows[j]:
                    out.append(None)
                else:
                    out.append(_reshape_to(row, target, r, 0))
        return out

    def batch_jacobian(self, target, source, unconnected_gradients="none",
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: `target[i]` with respect to `source[i]`.

        Assumes row `i` of `target` depends only on row `i` of `source` (as TF does).

        Returns:
            A tensor of shape `(batch,) + target.shape[1:] + source.shape[1:]`.
        """
        self._check_usable("batch_jacobian")
        unconnected = _tape().UnconnectedGradients(unconnected_gradients)
        t_shape, s_shape = target._value.shape, _source_spec(source).shape
        if t_shape is None or s_shape is None:
            raise ValueError(f"batch_jacobian: target shape {t_shape} or source shape "
                             f"{s_shape} has an unknown rank; expected ranks known while "
                             "tracing. Give the input signature a shape such as [None, 3].")
        t_shape, s_shape = tuple(t_shape), tuple(s_shape)
        if (not t_shape or not s_shape or None not in (t_shape[0], s_shape[0])
                and t_shape[0] != s_shape[0]):
            raise ValueError(f"batch_jacobian: target shape {t_shape} and source shape "
                             f"{s_shape} need the same leading (batch) dimension.")
        if None in t_shape[1:]:
            raise ValueError(f"batch_jacobian: target shape {t_shape} has unknown "
                             "non-batch dimensions; expected only the batch (first) dimension "
                             "to be unknown while tracing. Give the input signature static "
                             "sizes for the other dimensions, or use jacobian.")
        inner = int(np.prod(t_shape[1:]))
        known = t_shape[0] is not None and None not in s_shape
        columns = []
        with self._compute():
            for j in range(inner):
                seed_t = (_column_seed(target, t_shape, inner, j) if known
                          else _batch_seed(target, t_shape, inner, j))
                (g,) = self._backprop([target], [source], [seed_t], unconnected)
                if g is None:
                    columns = None
                    break
                columns.append(g)
            if columns is None:
                result = None
            else:
                stacked = dispatch(_op("Pack"), tuple(columns), {"axis": 1})
                if known:
                    result = dispatch(_op("Reshape"), (stacked,),
                                      {"shape": t_shape + s_shape[1:]})
                else:
                    result = _reshape_to(stacked, target, source, 1)
        self._finish()
        return result

    def _stack_rows(self, rows, target, source):
        if any(g is None for g in rows):
            return None
        stacked = dispatch(_op("Pack"), tuple(rows), {"axis": 0})
        s_shape = source._value.shape
        if s_shape is None or None in s_shape:
            return _reshape_to(stacked, target, source, 0)
        t_shape = tuple(target._value.shape)
        return dispatch(_op("Reshape"), (stacked,), {"shape": t_shape + tuple(s_shape)})


def _source_spec(source):
    return source._value if isinstance(source, Tensor) else source._read()._value


def _column_seed(target, t_shape, inner: int, j: int):
    """The seed selecting element `j` of every example, for a batch size known now."""
    seed = np.zeros((t_shape[0], inner), target._value.dtype)
    seed[:, j] = 1
    return _tape()._on_device(seed.reshape(t_shape), target)


def _batch_seed(target, t_shape, inner: int, j: int):
    """The seed selecting element `j` of every example: a one-hot over the known inner
    elements broadcast to the run-time shape of `target`."""
    from engine.ops.array_ops import broadcast_to, shape  # noqa: PLC0415 - above the tape

    mask = np.zeros(inner, target._value.dtype)
    mask[j] = 1
    return broadcast_to(_tape()._on_device(mask.reshape(t_shape[1:]), target), shape(target))


def _reshape_to(value, target, source, skip: int):
    """`value` reshaped to `target.shape + source.shape[skip:]`, sizes known at run time."""
    from engine.ops.array_ops import reshape, shape  # noqa: PLC0415 - above the tape
    from engine.ops.join_ops import concat  # noqa: PLC0415

    source = source if isinstance(source, Tensor) else source._read()
    return reshape(value, concat([shape(target), shape(source)[skip:]], 0))
