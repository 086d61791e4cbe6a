"""Raw op events turned into plain records: relative times, self time, thread and step.

The engine hands the profiler one `engine.hooks.OpEvent` per executed op (eager dispatch and
graph nodes alike). The profiler keeps those objects as they come (appending them to a list
is the cheapest listener there is) and analyses them only when asked, here:

- times become nanoseconds since the profile started (`start_ns`, `dur_ns`);
- `self_ns` is an event's duration minus the events nested inside it on the same thread:
  a graph node that runs a sub-graph (a `While`, an `If`, a nested function call) contains
  the events of the sub-graph's nodes, and an eager op's kernel may itself dispatch ops.
  Summing `self_ns` counts every nanosecond of kernel time once;
- `thread` is a small index (0 = the thread that started the profile, then in order of
  first appearance), `step` the index of the step the event started in (None before the
  first `Profile.step()`).

Records are dicts of plain values (str, int, tuples of ints), JSON-serializable, so a
widget or a notebook cell can draw or tabulate them without knowing the engine.
"""

from __future__ import annotations

from bisect import bisect_right

__all__ = ["analyze", "nesting_children"]


def nesting_children(events: list, threads: list) -> list:
    """For each event, the nanoseconds covered by events nested directly inside it.

    Args:
        events: `OpEvent`s (any order).
        threads: the thread index of each event.

    Returns:
        A list of ints, one per event.
    """
    order = sorted(range(len(events)),
                   key=lambda i: (threads[i], events[i].start_ns, -events[i].end_ns))
    children = [0] * len(events)
    stack: list[int] = []
    current = None
    for i in order:
        event = events[i]
        if threads[i] != current:
            stack.clear()
            current = threads[i]
        while stack and events[stack[-1]].end_ns <= event.start_ns:
            stack.pop()
        if stack:
            children[stack[-1]] += event.end_ns - event.start_ns
        stack.append(i)
    return children


def analyze(events: list, origin_ns: int, main_thread: int, step_starts: list,
            step_ends: list, memory: list | None = None) -> tuple[list, list]:
    """Plain records for `events`, and the thread idents in index order.

    Args:
        events: `OpEvent`s in the order they were emitted.
        origin_ns: the profile's start (`time.perf_counter_ns()`); times become relative.
        main_thread: the ident of the thread that started the profile (index 0).
        step_starts, step_ends: the steps' bounds in absolute nanoseconds, sorted.
        memory: with memory tracking, the traced bytes after each event, else None.

    Returns:
        `(records, thread_idents)`: one dict per event, sorted by start time, and
        `thread_idents[k]` is the `threading.get_ident()` of thread index `k`.
    """
    index = {main_thread: 0}
    for event in events:
        if event.thread_id not in index:
            index[event.thread_id] = len(index)
    threads = [index[e.thread_id] for e in events]
    children = nesting_children(events, threads)
    records = []
    for k, event in enumerate(events):
        start = event.start_ns
        duration = event.end_ns - start
        step = bisect_right(step_starts, start) - 1
        if step < 0 or start >= step_ends[step]:
            step = None
        record = {
            "op": event.op, "scope": event.scope, "device": event.device,
            "input_shapes": event.input_shapes, "input_dtypes": event.input_dtypes,
            "start_ns": start - origin_ns, "dur_ns": duration,
            # Overlapping siblings cannot happen on one thread; clamp in case a clock
            # read was reordered.
            "self_ns": max(duration - children[k], 0),
            "bytes": event.bytes_out, "thread": threads[k], "step": step,
        }
        if memory is not None:
            record["memory_bytes"] = memory[k]
        records.append(record)
    records.sort(key=lambda r: (r["start_ns"], -r["dur_ns"]))
    return records, list(index)
