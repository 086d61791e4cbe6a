"""Chrome trace export: a profile as JSON that Perfetto and chrome://tracing open.

The file is the Trace Event Format's JSON object form:

    {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}

- each op is a complete event (`"ph": "X"`, `ts`/`dur` in microseconds since the profile
  started) on its thread's track, with `args` holding the layer path, device, input
  shapes and dtypes, bytes produced, self time and step;
- layers are `"X"` events of category `"layer"` on the same track, spanning each run of
  consecutive ops in that name scope, so the timeline nests model > layer > op (a layer
  called twice in a row, or split by ops of another scope, shows as separate spans; spans
  never cross a step boundary);
- steps are `"X"` events on their own track (`tid` 0, named "steps");
- with memory tracking, a counter (`"ph": "C"`) plots traced host memory after each op;
- `"M"` metadata events name the process and the threads.

Size cap: a few training steps can produce millions of events (hundreds of MB of JSON).
Only the first `max_events` op events (by start time) are written in full; the others are
aggregated per step, op and layer (per op and layer alone if that makes more than
`max_events` groups) into summary events (category `"summary"`) on a track named
"aggregated", one event per group, laid end to end from the start of its step with
the group's summed self time as duration and the counts and times in `args`.
`max_events` counts op events; the layer spans and memory counters of the events written
in full come with them (a few per op). `otherData` says whether aggregation happened
(`"aggregated": true`, `"events_total"`, `"events_in_full"`, `"events_aggregated"`,
`"summary_events"`).

Writing is atomic (a temporary file in the same directory, then `os.replace`), and a path
ending in `.gz` is gzip-compressed (Perfetto and chrome://tracing open both).
"""

from __future__ import annotations

import gzip
import json
import os

from engine.keras.callbacks.atomic import write_atomically

__all__ = ["chrome_trace", "write_chrome_trace", "STEPS_TID"]

STEPS_TID = 0  # the steps track; threads are 1, 2, ...; the aggregated track comes last
_PRODUCER = "eagerlab profiler"


def _us(ns: int) -> float:
    return round(ns / 1000.0, 3)


def _op_event(r: dict, pid: int, steps: list) -> dict:
    args = {"layer": r["scope"], "device": r["device"],
            "input_shapes": [list(s) for s in r["input_shapes"]],
            "input_dtypes": list(r["input_dtypes"]), "bytes": r["bytes"],
            "self_us": _us(r["self_ns"])}
    if r["step"] is not None:
        args["step"] = steps[r["step"]]["name"]
    return {"name": r["op"], "cat": "op", "ph": "X", "pid": pid, "tid": r["thread"] + 1,
            "ts": _us(r["start_ns"]), "dur": _us(r["dur_ns"]), "args": args}


def _close_spans(open_spans: list, depth: int, tid: int, pid: int, out: list) -> None:
    """Ends the open layer spans deeper than `depth`, appending their events to `out`."""
    while len(open_spans) > depth:
        _, path, start, end = open_spans.pop()
        out.append({"name": path.rsplit("/", 1)[-1], "cat": "layer", "ph": "X", "pid": pid,
                    "tid": tid, "ts": _us(start), "dur": _us(end - start),
                    "args": {"layer": path}})


def _layer_spans(records: list, pid: int) -> list:
    """`"X"` events for runs of consecutive top-level ops sharing a scope prefix."""
    events: list = []
    by_thread: dict = {}
    for r in records:
        by_thread.setdefault(r["thread"], []).append(r)
    for thread, rows in by_thread.items():
        tid = thread + 1
        open_spans: list = []  # [component, path, start_ns, end_ns], outermost first
        last_end = -1
        last_step = None
        for r in rows:
            if r["start_ns"] < last_end:  # nested inside the previous op: not a new run
                continue
            parts = r["scope"].split("/") if r["scope"] else []
            if r["step"] != last_step:
                _close_spans(open_spans, 0, tid, pid, events)
                last_step = r["step"]
            common = 0
            while (common < len(open_spans) and common < len(parts)
                   and open_spans[common][0] == parts[common]):
                common += 1
            _close_spans(open_spans, common, tid, pid, events)
            end = r["start_ns"] + r["dur_ns"]
            for span in open_spans:
                span[3] = end
            for depth in range(common, len(parts)):
                open_spans.append([parts[depth], "/".join(parts[:depth + 1]), r["start_ns"],
                                   end])
            last_end = end
        _close_spans(open_spans, 0, tid, pid, events)
    return events


def _summaries(records: list, steps: list, pid: int, tid: int, per_step: bool) -> list:
    """Summary events for `records` grouped per (step, op, layer), or per (op, layer)."""
    groups: dict = {}
    for r in records:
        key = (r["step"] if per_step else None, r["op"], r["scope"])
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"calls": 0, "total_ns": 0, "self_ns": 0, "bytes": 0,
                               "first_ns": r["start_ns"], "last_ns": r["start_ns"]}
        g["calls"] += 1
        g["total_ns"] += r["dur_ns"]
        g["self_ns"] += r["self_ns"]
        g["bytes"] += r["bytes"]
        g["last_ns"] = max(g["last_ns"], r["start_ns"] + r["dur_ns"])
    events = []
    cursor: dict = {}
    for (step, op, scope), g in sorted(groups.items(), key=lambda kv: kv[1]["first_ns"]):
        begin = steps[step]["start_ns"] if step is not None else records[0]["start_ns"]
        ts = max(cursor.get(step, begin), begin)
        cursor[step] = ts + g["self_ns"]
        args = {"op": op, "layer": scope, "calls": g["calls"], "total_us": _us(g["total_ns"]),
                "self_us": _us(g["self_ns"]), "bytes": g["bytes"],
                "first_ts_us": _us(g["first_ns"]), "last_end_us": _us(g["last_ns"])}
        if step is not None:
            args["step"] = steps[step]["name"]
        events.append({"name": f"{op} x{g['calls']}", "cat": "summary", "ph": "X", "pid": pid,
                       "tid": tid, "ts": _us(ts), "dur": _us(g["self_ns"]), "args": args})
    return events


def chrome_trace(records: list, steps: list, threads: list, metadata: dict,
                 max_events: int | None = 100_000) -> dict:
    """The trace of a profile as a dict in the Chrome Trace Event Format.

    Args:
        records: the event records (`Profile.events()`), sorted by start time.
        steps: the steps (`Profile.steps()`).
        threads: the thread idents, by thread index.
        metadata: extra `otherData` entries (wall time, memory, ...).
        max_events: write at most this many op events in full (None: all).

    Returns:
        `{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`.

    Raises:
        ValueError: if `max_events` is not a positive int or None.
    """
    if max_events is not None and (type(max_events) is not int or max_events < 1):
        raise ValueError(f"export_chrome_trace: got max_events={max_events!r}; expected a "
                         "positive int, or None to write every event in full.")
    pid = os.getpid()
    full = records if max_events is None else records[:max_events]
    rest = records[len(full):]
    events = [{"name": "process_name", "ph": "M", "pid": pid, "tid": STEPS_TID,
               "args": {"name": f"eagerlab (pid {pid})"}},
              {"name": "thread_name", "ph": "M", "pid": pid, "tid": STEPS_TID,
               "args": {"name": "steps"}}]
    for k, ident in enumerate(threads):
        label = "main thread" if k == 0 else "thread"
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": k + 1,
                       "args": {"name": f"{label} {ident}"}})
    for s in steps:
        events.append({"name": s["name"], "cat": "step", "ph": "X", "pid": pid,
                       "tid": STEPS_TID, "ts": _us(s["start_ns"]), "dur": _us(s["wall_ns"]),
                       "args": {"ops": s["ops"], "kernel_us": _us(s["kernel_ns"]),
                                "overhead_us": _us(s["overhead_ns"])}})
    events.extend(_op_event(r, pid, steps) for r in full)
    events.extend(_layer_spans(full, pid))
    for r in full:
        if "memory_bytes" in r:
            events.append({"name": "traced memory", "ph": "C", "pid": pid,
                           "ts": _us(r["start_ns"] + r["dur_ns"]),
                           "args": {"bytes": r["memory_bytes"]}})
    summary = []
    groups = "step, op and layer"
    if rest:
        tid = len(threads) + 1
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                       "args": {"name": f"aggregated ({len(rest)} events beyond "
                                        f"max_events={max_events})"}})
        summary = _summaries(rest, steps, pid, tid, per_step=True)
        if len(summary) > max_events:  # very many steps: one group per op and layer
            summary = _summaries(rest, steps, pid, tid, per_step=False)
            groups = "op and layer"
        events.extend(summary)
    other = {"producer": _PRODUCER, "events_total": len(records),
             "events_in_full": len(full), "events_aggregated": len(rest),
             "summary_events": len(summary), "max_events": max_events,
             "aggregated": bool(rest)}
    if rest:
        other["aggregation"] = (
            f"the first {len(full)} op events (by start time) are written in full; the "
            f"other {len(rest)} are summed per {groups} into 'summary' events on the "
            "'aggregated' track, laid end to end from their step's start (or the first "
            "aggregated event), each as long as its group's self time")
    other.update(metadata)
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": other}


def write_chrome_trace(trace: dict, path) -> str:
    """Writes `trace` as JSON to `path` atomically (gzip when it ends in `.gz`).

    Args:
        trace: a dict from `chrome_trace`.
        path: the file to write; its directory is created if needed.

    Returns:
        The absolute path written.
    """
    path = os.path.abspath(os.fspath(path))
    compress = path.endswith(".gz")

    def write(temporary: str) -> None:
        opener = gzip.open if compress else open
        with opener(temporary, "wt", encoding="utf-8") as f:
            # One event per line: no giant string in memory, and the file greps well.
            f.write('{"displayTimeUnit": "ms",\n"otherData": ')
            json.dump(trace["otherData"], f)
            f.write(',\n"traceEvents": [\n')
            last = len(trace["traceEvents"]) - 1
            for k, event in enumerate(trace["traceEvents"]):
                f.write(json.dumps(event, separators=(",", ":")))
                f.write(",\n" if k < last else "\n")
            f.write("]}\n")

    write_atomically(path, write)
    return path
