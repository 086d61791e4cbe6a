"""Aggregate tables over profile records: per op, per layer, and as text.

Two times are kept for every row, as in `torch.profiler`'s `key_averages()`:
- `total_ns`: the events' whole durations (a `While` node's total includes its body);
- `self_ns`: the durations minus nested events, so self times add up to the kernel time
  of the profile without counting anything twice. Percentages are of that sum.

Layers are name scopes (`"sequential/dense"`). A layer row counts the ops run directly in
its scope (`calls`, `self_ns`) and, inclusively, those of its sub-scopes too (`ops`,
`total_ns`), so `"sequential"` sums all of the model's layers. Ops outside any scope form
the row `""`, shown as `(no scope)`.
"""

from __future__ import annotations

__all__ = ["by_op", "by_layer", "format_table", "format_ns", "OP_SORT_KEYS",
           "LAYER_SORT_KEYS"]

OP_SORT_KEYS = {"total": "total_ns", "self": "self_ns", "calls": "calls", "avg": "avg_ns",
                "bytes": "bytes", "name": "op"}
LAYER_SORT_KEYS = {"total": "total_ns", "self": "self_ns", "calls": "ops", "bytes": "bytes",
                   "name": "layer"}


def _sort_key(sort_by: str, keys: dict, what: str) -> str:
    if sort_by not in keys:
        raise ValueError(f"{what}: got sort_by={sort_by!r}; expected one of "
                         f"{', '.join(map(repr, keys))}.")
    return keys[sort_by]


def _sorted(rows: list, field: str) -> list:
    # Names ascending, numbers descending (the biggest cost first); ties by name.
    if field in ("op", "layer"):
        return sorted(rows, key=lambda r: (r[field], r.get("input_shapes", ())))
    name = "op" if rows and "op" in rows[0] else "layer"
    return sorted(rows, key=lambda r: (-r[field], r[name]))


def by_op(records: list, sort_by: str = "total", group_by_shape: bool = False) -> list:
    """One row per op (and per input shapes with `group_by_shape`).

    Args:
        records: the profile's event records (`Profile.events()`).
        sort_by: "total", "self", "calls", "avg", "bytes" or "name".
        group_by_shape: split each op's row by its input shapes.

    Returns:
        A list of dicts with `op`, `calls`, `total_ns`, `self_ns`, `avg_ns`, `min_ns`,
        `max_ns`, `self_percent`, `bytes` (and `input_shapes` when grouped by shape).

    Raises:
        ValueError: for an unknown `sort_by`.
    """
    field = _sort_key(sort_by, OP_SORT_KEYS, "by_op")
    groups: dict = {}
    for r in records:
        key = (r["op"], r["input_shapes"]) if group_by_shape else r["op"]
        row = groups.get(key)
        if row is None:
            row = groups[key] = {"op": r["op"], "calls": 0, "total_ns": 0, "self_ns": 0,
                                 "min_ns": r["dur_ns"], "max_ns": r["dur_ns"], "bytes": 0}
            if group_by_shape:
                row["input_shapes"] = r["input_shapes"]
        row["calls"] += 1
        row["total_ns"] += r["dur_ns"]
        row["self_ns"] += r["self_ns"]
        row["min_ns"] = min(row["min_ns"], r["dur_ns"])
        row["max_ns"] = max(row["max_ns"], r["dur_ns"])
        row["bytes"] += r["bytes"]
    kernel = sum(r["self_ns"] for r in records) or 1
    rows = list(groups.values())
    for row in rows:
        row["avg_ns"] = row["total_ns"] // row["calls"]
        row["self_percent"] = 100.0 * row["self_ns"] / kernel
    return _sorted(rows, field)


def by_layer(records: list, sort_by: str = "total") -> list:
    """One row per name scope (layer path), with every enclosing scope too.

    Args:
        records: the profile's event records (`Profile.events()`).
        sort_by: "total", "self", "calls", "bytes" or "name".

    Returns:
        A list of dicts with `layer` (the scope path, "" outside any scope), `depth` (its
        number of components), `calls` and `self_ns` (ops directly in the scope), `ops` and
        `total_ns` (ops in the scope or below it), `self_percent`, `total_percent` and
        `bytes` (inclusive).

    Raises:
        ValueError: for an unknown `sort_by`.
    """
    field = _sort_key(sort_by, LAYER_SORT_KEYS, "by_layer")
    rows: dict = {}

    def row_of(path: str) -> dict:
        row = rows.get(path)
        if row is None:
            row = rows[path] = {"layer": path, "depth": path.count("/") + 1 if path else 0,
                                "calls": 0, "self_ns": 0, "ops": 0, "total_ns": 0,
                                "bytes": 0}
        return row

    paths: dict = {}  # scope -> the scope and its enclosing scopes
    for r in records:
        scope = r["scope"]
        own = row_of(scope)
        own["calls"] += 1
        own["self_ns"] += r["self_ns"]
        if scope not in paths:
            parts = scope.split("/")
            paths[scope] = ["/".join(parts[:d]) for d in range(len(parts), 0, -1)]
        for path in paths[scope]:
            row = row_of(path)
            row["ops"] += 1
            row["total_ns"] += r["self_ns"]
            row["bytes"] += r["bytes"]
    kernel = sum(r["self_ns"] for r in records) or 1
    for row in rows.values():
        row["self_percent"] = 100.0 * row["self_ns"] / kernel
        row["total_percent"] = 100.0 * row["total_ns"] / kernel
    return _sorted(list(rows.values()), field)


def format_ns(ns: float) -> str:
    """A duration as short text: `812ns`, `12.345us`, `3.210ms`, `1.500s`.

    Args:
        ns: nanoseconds.

    Returns:
        The text, with three decimals above a microsecond.

    Example:
        >>> profiler.tables.format_ns(1_234_567)
        '1.235ms'
    """
    if ns < 1_000:
        return f"{int(ns)}ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.3f}us"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.3f}ms"
    return f"{ns / 1e9:.3f}s"


def _format_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def format_table(rows: list, group_by: str, limit: int | None, footer: list) -> str:
    """`rows` from `by_op` or `by_layer` as an aligned text table.

    Args:
        rows: the rows, already sorted.
        group_by: "op" or "layer" (which columns to show).
        limit: show at most this many rows (None: all).
        footer: lines printed under the table.

    Returns:
        The table as one string.
    """
    shown = rows if limit is None else rows[:limit]
    if group_by == "op":
        header = ["Name", "Calls", "Total", "Self", "Avg", "Self %", "Bytes"]
        body = [[r["op"] + (f" {list(map(list, r['input_shapes']))}"
                            if "input_shapes" in r else ""),
                 str(r["calls"]), format_ns(r["total_ns"]), format_ns(r["self_ns"]),
                 format_ns(r["avg_ns"]), f"{r['self_percent']:.2f}%",
                 _format_bytes(r["bytes"])] for r in shown]
    else:
        header = ["Layer", "Ops", "Total", "Self", "Total %", "Self %", "Bytes"]
        body = [[r["layer"] or "(no scope)", str(r["ops"]), format_ns(r["total_ns"]),
                 format_ns(r["self_ns"]), f"{r['total_percent']:.2f}%",
                 f"{r['self_percent']:.2f}%", _format_bytes(r["bytes"])] for r in shown]
    widths = [max(len(row[c]) for row in [header, *body]) for c in range(len(header))]

    def line(cells: list) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(header))
    lines = [rule, line(header), rule, *map(line, body), rule]
    if len(shown) < len(rows):
        lines.append(f"({len(rows) - len(shown)} more rows; pass limit=None for all)")
    return "\n".join(lines + footer)
