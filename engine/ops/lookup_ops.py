"""Lookup-table ops (TensorFlow's `LookupTable*V2` family): the kernels behind `engine.lookup`.

A table's contents live in a `TableState` (a Python dict from key to value) held in a
process-wide table of live states, by name. Each op names its table with the `table` attr,
as `RngReadAndSkip` names its generator, so a graph keeps a key (attrs stay JSON-able) and a
traced lookup reads the table's contents when the graph runs: an insert after tracing is
seen by the next call. Every op is stateful, so graphs run them in program order and never
fold or merge them. Like TensorFlow's, the kernels exist for the CPU only (`gpu=False`):
tables hold strings, which no GPU array can.

- `InitializeTableV2(keys, values)`: fills a static table once (a key given twice must
  map to one value);
- `LookupTableFindV2(keys, default_value)`: values of any-shaped `keys`;
- `LookupTableInsertV2(keys, values)`, `LookupTableRemoveV2(keys)`: mutable tables;
- `LookupTableSizeV2()`, `LookupTableExportV2()`: the entry count, and every key and value.
"""

from __future__ import annotations

import itertools
import threading
import weakref

import numpy as np

from engine import context
from engine import dtypes as _dt
from engine.errors import DTypeError, FailedPreconditionError, InvalidArgumentError, ShapeError
from engine.registry import OpDef, register
from engine.tensor_shape import TensorShape, TensorSpec

__all__ = ["TableState", "KEY_VALUE_DTYPES", "check_dtypes", "find", "insert", "remove",
           "size", "export", "initialize"]

# The key -> value dtypes TensorFlow's CPU hash tables take (the same here).
KEY_VALUE_DTYPES = {
    _dt.string: (_dt.bool, _dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.string),
    _dt.int64: (_dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.string),
    _dt.int32: (_dt.float32, _dt.float64, _dt.int32, _dt.string),
}
_STATES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
# Graphs that use a table keep its state alive (a traced function may outlive the table).
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_names = itertools.count()
_MISSING = object()


def check_dtypes(what: str, key_dtype, value_dtype) -> tuple:
    """`(key_dtype, value_dtype)` as DTypes; raises DTypeError for a pair no table takes."""
    key_dtype, value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
    if key_dtype not in KEY_VALUE_DTYPES:
        raise DTypeError(f"{what}: got key_dtype={key_dtype.name}; expected string, int64 or "
                         "int32. Cast the keys (engine.cast) or write them as strings.")
    if value_dtype not in KEY_VALUE_DTYPES[key_dtype]:
        allowed = ", ".join(d.name for d in KEY_VALUE_DTYPES[key_dtype])
        raise DTypeError(f"{what}: got value_dtype={value_dtype.name} for {key_dtype.name} "
                         f"keys; expected one of: {allowed}. Cast the values.")
    return key_dtype, value_dtype


class TableState:
    """A table's contents, named for the ops' `table` attr.

    Args:
        kind: the name's prefix (`"hash_table"`).
        key_dtype, value_dtype: the DTypes of keys and values.
        value_shape: the shape of one value (`()` for scalars).
        reserved: keys that may never be used (DenseHashTable's empty and deleted keys).
    """

    def __init__(self, kind: str, key_dtype, value_dtype, value_shape=(), reserved=()):
        self.name = f"{kind}_{next(_names)}"
        self.key_dtype = key_dtype
        self.value_dtype = value_dtype
        self.value_shape = tuple(value_shape)
        self.reserved = dict(reserved)  # key -> its role ("empty_key")
        self.data: dict = {}
        self.initialized = False
        self.lock = threading.Lock()
        _STATES[self.name] = self

    def attrs(self) -> dict:
        """The attrs every op on this table carries."""
        return {"table": self.name, "key_dtype": self.key_dtype.name,
                "value_dtype": self.value_dtype.name, "value_shape": list(self.value_shape)}

    def keep_alive(self) -> None:
        """Ties this state's life to the graph being traced, if any."""
        graph = context.THREAD.graph
        if graph is not None:
            _KEPT.setdefault(graph, []).append(self)


def _state(op: str, name: str) -> TableState:
    state = _STATES.get(name)
    if state is None:
        raise FailedPreconditionError(
            f"{op}: table {name!r} no longer exists (or belongs to another process); expected "
            "a live engine.lookup table. Keep the table referenced while functions that use "
            "it run, and trace them again in a new process.", op=op)
    return state


def _keys(state: TableState, op: str, keys: np.ndarray) -> list:
    """The keys as a flat list of hashable Python values (strings as bytes)."""
    items = keys.reshape(-1).tolist()
    if keys.dtype == object:
        items = [k.encode() if isinstance(k, str) else k for k in items]
    if state.reserved:
        for k in items:
            if k in state.reserved:
                raise InvalidArgumentError(
                    f"{op}: got key {k!r}, the table's {state.reserved[k]}, which no lookup, "
                    "insert or remove may use; pick empty_key and deleted_key outside your "
                    "keys.", op=op)
    return items


def _rows(state: TableState, values: np.ndarray, n: int) -> list:
    if not state.value_shape:
        return values.reshape(-1).tolist()
    return list(np.array(values, copy=True).reshape((n,) + state.value_shape))


# --- shape inference -------------------------------------------------------------------------
def _check(op: str, spec: TensorSpec, dtype_name: str, what: str) -> None:
    if spec.dtype.name != dtype_name:
        raise DTypeError(f"{op}: got {what} of dtype {spec.dtype.name}; the table expects "
                         f"{dtype_name}. Cast them with engine.cast (or build the table with "
                         f"{spec.dtype.name} keys).")


def _find_infer(keys, default_value, table="", key_dtype="string", value_dtype="int64",
                value_shape=()):
    _check("lookup", keys, key_dtype, "keys")
    _check("lookup", default_value, value_dtype, "default_value")
    if keys.shape.rank is None or default_value.shape.rank is None:
        return TensorSpec(None, default_value.dtype)
    return TensorSpec(keys.shape.concatenate(default_value.shape), default_value.dtype)


def _insert_infer(keys, values, table="", key_dtype="string", value_dtype="int64",
                  value_shape=()):
    _check("insert", keys, key_dtype, "keys")
    _check("insert", values, value_dtype, "values")
    if keys.shape.rank is not None:
        expected = keys.shape.concatenate(TensorShape(list(value_shape)))
        if not expected.is_compatible_with(values.shape):
            raise ShapeError(f"insert: got keys of shape {keys.shape} and values of shape "
                             f"{values.shape}; expected values of shape {expected} (one "
                             f"value of shape {list(value_shape)} per key).")
    return ()


def _remove_infer(keys, table="", key_dtype="string", value_dtype="int64", value_shape=()):
    _check("remove", keys, key_dtype, "keys")
    return ()


def _size_infer(table="", key_dtype="string", value_dtype="int64", value_shape=()):
    return TensorSpec([], _dt.int64)


def _export_infer(table="", key_dtype="string", value_dtype="int64", value_shape=()):
    return (TensorSpec([None], _dt.as_dtype(key_dtype)),
            TensorSpec([None] + list(value_shape), _dt.as_dtype(value_dtype)))


# --- kernels ---------------------------------------------------------------------------------
def _init_kernel(xp, keys, values, table="", **_):
    state = _state("initialize", table)
    items = _keys(state, "initialize", keys)
    rows = _rows(state, values, len(items))
    with state.lock:
        if state.initialized:
            raise FailedPreconditionError(f"initialize: table {table!r} is already "
                                          "initialized; static tables are filled once.")
        data = {}
        for k, v in zip(items, rows):
            old = data.setdefault(k, v)
            if old is not v and not np.array_equal(old, v):
                raise FailedPreconditionError(
                    f"initialize: key {k!r} is given twice, with values {old!r} and {v!r}; "
                    "expected one value per key. Remove the duplicate from the initializer.")
        state.data = data
        state.initialized = True
    return ()


def _find_kernel(xp, keys, default_value, table="", **_):
    state = _state("lookup", table)
    items = _keys(state, "lookup", keys)
    with state.lock:
        get = state.data.get
        rows = [get(k, _MISSING) for k in items]
    out = np.empty((len(items),) + default_value.shape, dtype=default_value.dtype)
    out[...] = default_value
    hits = [i for i, r in enumerate(rows) if r is not _MISSING]
    if hits:
        found = [rows[i] for i in hits]
        if out.dtype == object and not default_value.shape:
            holder = np.empty(len(found), dtype=object)
            holder[:] = found
            found = holder
        out[hits] = found
    return out.reshape(keys.shape + default_value.shape)


def _insert_kernel(xp, keys, values, table="", **_):
    state = _state("insert", table)
    items = _keys(state, "insert", keys)
    rows = _rows(state, values, len(items))
    with state.lock:
        state.data.update(zip(items, rows))
    return ()


def _remove_kernel(xp, keys, table="", **_):
    state = _state("remove", table)
    items = _keys(state, "remove", keys)
    with state.lock:
        for k in items:
            state.data.pop(k, None)
    return ()


def _size_kernel(xp, table="", **_):
    return np.array(len(_state("size", table).data), np.int64)


def _export_kernel(xp, table="", **_):
    state = _state("export", table)
    with state.lock:
        keys, rows = list(state.data), list(state.data.values())
    key_array = np.empty(len(keys), dtype=state.key_dtype.as_numpy_dtype)
    key_array[:] = keys
    values = np.empty((len(rows),) + state.value_shape, dtype=state.value_dtype.as_numpy_dtype)
    if rows:
        if values.dtype == object and not state.value_shape:
            values[:] = rows
        else:
            values[...] = np.array(rows, dtype=values.dtype).reshape(values.shape)
    return key_array, values


_ATTRS = {"table": "", "key_dtype": "string", "value_dtype": "int64", "value_shape": []}


def _op(name, tf_name, inputs, infer, kernel, num_outputs, doc):
    return register(OpDef(name, tf_name, inputs, infer, kernel, attrs=dict(_ATTRS),
                          num_outputs=num_outputs, same_dtype=(), gpu=False, stateful=True,
                          doc=doc))


INITIALIZE = _op("initialize_table", "InitializeTableV2", ("keys", "values"), _insert_infer,
                 _init_kernel, 0, "Fills a static table with keys and values, once.")
FIND = _op("lookup_table_find", "LookupTableFindV2", ("keys", "default_value"), _find_infer,
           _find_kernel, 1, "The table's value of each key, default_value where absent.")
INSERT = _op("lookup_table_insert", "LookupTableInsertV2", ("keys", "values"), _insert_infer,
             _insert_kernel, 0, "Sets the values of keys in a mutable table.")
REMOVE = _op("lookup_table_remove", "LookupTableRemoveV2", ("keys",), _remove_infer,
             _remove_kernel, 0, "Removes keys (absent ones are ignored) from a mutable table.")
SIZE = _op("lookup_table_size", "LookupTableSizeV2", (), _size_infer, _size_kernel, 1,
           "The number of entries in a table (int64).")
EXPORT = _op("lookup_table_export", "LookupTableExportV2", (), _export_infer, _export_kernel,
             2, "Every key of a table and its value.")


def _run(op: OpDef, state: TableState, inputs: tuple):
    from engine.dispatch import dispatch  # noqa: PLC0415
    from engine.scopes import device  # noqa: PLC0415

    state.keep_alive()
    with device("/CPU:0"):  # tables hold strings: CPU only, as in TensorFlow
        return dispatch(op, inputs, state.attrs())


def initialize(state: TableState, keys, values) -> None:
    """Runs `InitializeTableV2` on `state` with tensors `keys` and `values`."""
    _run(INITIALIZE, state, (keys, values))


def find(state: TableState, keys, default_value):
    """Runs `LookupTableFindV2`: the values of `keys` (a tensor of the key dtype)."""
    return _run(FIND, state, (keys, default_value))


def insert(state: TableState, keys, values) -> None:
    """Runs `LookupTableInsertV2`."""
    _run(INSERT, state, (keys, values))


def remove(state: TableState, keys) -> None:
    """Runs `LookupTableRemoveV2`."""
    _run(REMOVE, state, (keys,))


def size(state: TableState):
    """Runs `LookupTableSizeV2`: an int64 scalar tensor."""
    return _run(SIZE, state, ())


def export(state: TableState) -> tuple:
    """Runs `LookupTableExportV2`: `(keys, values)` tensors."""
    return tuple(_run(EXPORT, state, ()))
