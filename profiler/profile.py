"""`Profile`: records every op the engine runs while it is active, and analyses them.

How it records: `start()` subscribes one listener to the engine's `"op"` hook
(`engine.hooks`). The engine then sends an `OpEvent` for every eagerly dispatched op and,
through its instrumented executor, for every node of a traced graph: op name, name scope
(the layer path), device, input shapes and dtypes, start and end (`perf_counter_ns`
around the kernel), bytes produced and thread. The listener is the bound `append` of a
list, so recording costs one C call per op on top of the engine building the event.
`stop()` unsubscribes it; with no profile active nothing is subscribed and dispatch keeps
its fast path (zero overhead).

What subscribing changes: any op listener turns dispatch's fast path off
(`context.GLOBAL.slow`), Keras layers then enter their name scope (that is where layer
paths come from), and traced functions run through the executor's instrumented program,
which times each node. The first profiled call of a traced function compiles that
program once. The cost of all this, measured, is in `profiler/overhead.py`.

Kernels versus Python: an event times the kernel alone. `time_split()` subtracts the
summed kernel time of the thread that started the profile (self times: nested events,
such as a `While` node's body, count once) from the wall time of the region; the
remainder is Python: dispatch, the training loop, callbacks, data handling, and the
profiler's own cost per op (building and storing the event, a few microseconds, measured
in `profiler/overhead.py`), so for many tiny ops the Python share reads high. Mark steps
with `step()` to get the split per step.

Memory: the engine reports bytes produced per op but sends no event when a tensor is
freed, so live bytes cannot be derived from op events. `Profile(memory=True)` measures
them with `tracemalloc` instead: traced host bytes after every op, and the peak per step
and overall (`profiler/memory.py` says exactly what that counts, and what it costs).
Without it, `memory()` reports bytes produced only.
"""

from __future__ import annotations

import threading
import time

from engine import hooks
from profiler import tables, trace
from profiler.events import analyze
from profiler.memory import MemoryTracker

__all__ = ["Profile"]

_perf_ns = time.perf_counter_ns


class Profile:
    """Records the ops run while active; tables, time split, memory and a Chrome trace.

    Use it as a context manager (or call `start()` and `stop()`). Every op run in the
    block, eagerly or as a node of a traced function, in any thread, is recorded. Mark
    steps with `step()`. After the block, `table()` prints the costliest ops, and
    `events()`, `steps()`, `by_op()`, `by_layer()`, `time_split()` and `memory()` give
    the same data as plain dicts (what `widgets.ProfileView` draws).

    Args:
        memory: also measure host memory with `tracemalloc` (slower; see
            `profiler/memory.py`). Default False.

    Example:
        >>> a, b = engine.ones([2, 3]), engine.ones([3, 4])
        >>> with profiler.Profile() as prof:
        ...     for _ in range(3):
        ...         prof.step()
        ...         c = engine.nn.relu(engine.matmul(a, b))
        >>> [(row["op"], row["calls"]) for row in prof.by_op(sort_by="name")]
        [('MatMul', 3), ('Relu', 3)]
        >>> len(prof.steps()), prof.events()[0]["input_shapes"]
        (3, ((2, 3), (3, 4)))
        >>> print(prof.table(sort_by="name", limit=1))  # doctest: +ELLIPSIS
        ---...
        Name    Calls  Total  Self  Avg  Self %  Bytes
        ---...
        MatMul  3  ...
        ---...
        (1 more rows; pass limit=None for all)
        6 ops; wall ...: kernels ... (...%), Python ...
    """

    def __init__(self, memory: bool = False):
        if not isinstance(memory, bool):
            raise TypeError(f"Profile: got memory={memory!r}; expected True or False.")
        self._memory = MemoryTracker() if memory else None
        self._events: list = []  # OpEvents, or (OpEvent, traced bytes) with memory
        self._subscription = None
        self._state = "new"
        self._start_ns = 0
        self._end_ns = 0
        self._thread = 0
        self._step_names: list[str] = []
        self._step_starts: list[int] = []
        self._cache = None

    # --- recording ----------------------------------------------------------------------
    def start(self) -> Profile:
        """Starts recording (what entering the `with` block does).

        Returns:
            The profile itself.

        Raises:
            RuntimeError: if this profile was already started (a profile records once), or
                for `memory=True` while another memory-tracking profile records.
        """
        if self._state != "new":
            raise RuntimeError("Profile.start: this profile has already recorded; create "
                               "a new profiler.Profile() for another recording.")
        self._thread = threading.get_ident()
        if self._memory is not None:
            self._memory.start()
            listener = self._memory.listener(self._events.append)
        else:
            listener = self._events.append
        self._state = "recording"
        self._start_ns = _perf_ns()
        self._subscription = hooks.subscribe("op", listener)
        return self

    def stop(self) -> None:
        """Stops recording and unsubscribes the listener (idempotent)."""
        if self._state != "recording":
            return
        self._subscription.unsubscribe()
        self._end_ns = _perf_ns()
        self._state = "stopped"
        if self._memory is not None:
            self._memory.stop()

    def __enter__(self) -> Profile:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def recording(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._state == "recording"

    def step(self, name: str | None = None) -> None:
        """Starts a new step (ending the current one); call it at the top of each step.

        Steps split the profile's time: `steps()` and `time_split()` report each one's
        wall, kernel and Python time (and peak memory with `memory=True`), and the
        Chrome trace shows them on their own track. Ops before the first `step()` belong
        to no step; the last step ends with the profile.

        Args:
            name: the step's label (default `"step <index>"`).

        Raises:
            RuntimeError: if the profile is not recording.

        Example:
            >>> with profiler.Profile() as prof:
            ...     for epoch in range(2):
            ...         prof.step(f"epoch {epoch}")
            ...         _ = engine.ones([2]) + 1.0
            >>> [s["name"] for s in prof.steps()]
            ['epoch 0', 'epoch 1']
        """
        if self._state != "recording":
            raise RuntimeError("Profile.step: the profile is not recording; call step() "
                               "inside the `with profiler.Profile() as prof:` block.")
        now = _perf_ns()
        if self._memory is not None:
            self._memory.mark_step()
        self._step_names.append(str(name) if name is not None
                                else f"step {len(self._step_names)}")
        self._step_starts.append(now)

    # --- analysis -----------------------------------------------------------------------
    def _analysis(self) -> dict:
        """Records, steps and threads; cached once the profile has stopped."""
        key = (self._state, len(self._events), len(self._step_starts))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        if self._state == "new":
            raise RuntimeError("Profile: nothing recorded yet; use `with profiler.Profile() "
                               "as prof:` around the code to profile.")
        end = self._end_ns if self._state == "stopped" else _perf_ns()
        raw = list(self._events)
        memory = None
        if self._memory is not None:
            memory = [m for _, m in raw]
            raw = [e for e, _ in raw]
        starts = list(self._step_starts)
        ends = starts[1:] + [end]
        records, threads = analyze(raw, self._start_ns, self._thread, starts, ends, memory)
        steps = [{"index": k, "name": name, "start_ns": s - self._start_ns,
                  "end_ns": e - self._start_ns, "wall_ns": e - s, "kernel_ns": 0,
                  "overhead_ns": 0, "ops": 0, "bytes": 0}
                 for k, (name, s, e) in enumerate(zip(self._step_names, starts, ends))]
        for r in records:
            if r["step"] is not None:
                step = steps[r["step"]]
                step["ops"] += 1
                step["bytes"] += r["bytes"]
                if r["thread"] == 0:
                    step["kernel_ns"] += r["self_ns"]
        for step in steps:
            step["overhead_ns"] = step["wall_ns"] - step["kernel_ns"]
        if self._memory is not None and self._state == "stopped":
            for step, (level, peak) in zip(steps, self._memory.step_figures(len(steps))):
                step["memory_start_bytes"] = level
                step["peak_memory_bytes"] = peak
        result = {"records": records, "steps": steps, "threads": threads,
                  "wall_ns": end - self._start_ns}
        self._cache = (key, result)
        return result

    def events(self) -> list:
        """Every recorded op as a plain dict, in start order.

        Returns:
            A list of dicts with `op`, `scope` (layer path), `device`, `input_shapes`,
            `input_dtypes`, `start_ns` (since the profile started), `dur_ns`, `self_ns`
            (minus nested events), `bytes` (produced), `thread` (0 = the thread that
            started the profile), `step` (index into `steps()`, or None), and with
            `memory=True` `memory_bytes` (traced host bytes after the op, relative to the
            start). Treat them as read-only: they are shared with the other views.

        Example:
            >>> x = engine.ones([4])
            >>> with profiler.Profile() as prof:
            ...     _ = engine.reduce_sum(x)
            >>> event = prof.events()[0]
            >>> event["op"], event["input_shapes"], event["input_dtypes"], event["bytes"]
            ('Sum', ((4,),), ('float32',), 4)
        """
        return self._analysis()["records"]

    def steps(self) -> list:
        """The steps marked with `step()`, with their time split.

        Returns:
            A list of dicts with `index`, `name`, `start_ns`, `end_ns`, `wall_ns`,
            `kernel_ns` (self time of ops on the profile's thread), `overhead_ns` (wall
            minus kernel: Python), `ops` and `bytes` (all threads), and with
            `memory=True` once stopped, `memory_start_bytes` and `peak_memory_bytes`
            (traced host bytes at the step's start and at its peak, both relative to the
            profile's start; their difference is what the step allocated at most).

        Example:
            >>> x = engine.ones([2])
            >>> with profiler.Profile() as prof:
            ...     prof.step("warm-up")
            ...     _ = x * 3.0
            >>> step = prof.steps()[0]
            >>> step["name"], step["ops"]
            ('warm-up', 1)
            >>> step["kernel_ns"] + step["overhead_ns"] == step["wall_ns"]
            True
        """
        return self._analysis()["steps"]

    def by_op(self, sort_by: str = "total", group_by_shape: bool = False) -> list:
        """Per-op totals as plain data (see `profiler.tables.by_op`).

        Args:
            sort_by: "total", "self", "calls", "avg", "bytes" or "name".
            group_by_shape: one row per op and input shapes.

        Returns:
            A list of dicts: `op`, `calls`, `total_ns`, `self_ns`, `avg_ns`, `min_ns`,
            `max_ns`, `self_percent`, `bytes` (and `input_shapes` when grouped).

        Example:
            >>> x = engine.ones([3])
            >>> with profiler.Profile() as prof:
            ...     _ = engine.exp(x)
            ...     _ = engine.exp(engine.ones([5]))
            >>> [(r["op"], r["input_shapes"], r["calls"])
            ...  for r in prof.by_op(group_by_shape=True, sort_by="name")
            ...  if r["op"] == "Exp"]
            [('Exp', ((3,),), 1), ('Exp', ((5,),), 1)]
        """
        return tables.by_op(self.events(), sort_by, group_by_shape)

    def by_layer(self, sort_by: str = "total") -> list:
        """Per-layer (name scope) totals as plain data (see `profiler.tables.by_layer`).

        Args:
            sort_by: "total", "self", "calls", "bytes" or "name".

        Returns:
            A list of dicts: `layer`, `depth`, `calls`, `self_ns`, `ops`, `total_ns`,
            `self_percent`, `total_percent`, `bytes`; enclosing scopes included.

        Example:
            >>> x = engine.ones([2])
            >>> with profiler.Profile() as prof:
            ...     with engine.name_scope("model"), engine.name_scope("dense"):
            ...         _ = x + 1.0
            >>> [(r["layer"], r["calls"], r["ops"]) for r in prof.by_layer(sort_by="name")]
            [('model', 0, 1), ('model/dense', 1, 1)]
        """
        return tables.by_layer(self.events(), sort_by)

    def table(self, sort_by: str = "total", group_by: str = "op", limit: int | None = 20,
              group_by_shape: bool = False) -> str:
        """The costliest ops (or layers) as a text table, like torch's `key_averages()`.

        Args:
            sort_by: "total", "self", "calls", "avg" (ops only), "bytes" or "name".
            group_by: "op" or "layer".
            limit: at most this many rows (None: all).
            group_by_shape: with `group_by="op"`, one row per op and input shapes.

        Returns:
            The table, followed by the kernel / Python time split.

        Raises:
            ValueError: for an unknown `group_by` or `sort_by`.

        Example:
            >>> with profiler.Profile() as prof:
            ...     _ = engine.ones([8]) + 1.0
            >>> print(prof.table(group_by="layer"))  # doctest: +ELLIPSIS
            ---...
            Layer       Ops  Total  Self  Total %  Self %  Bytes
            ---...
            (no scope) ...
        """
        if group_by == "op":
            rows = self.by_op(sort_by, group_by_shape)
        elif group_by == "layer":
            rows = self.by_layer(sort_by)
        else:
            raise ValueError(f"Profile.table: got group_by={group_by!r}; expected 'op' or "
                             "'layer'.")
        split = self.time_split()
        fmt = tables.format_ns
        footer = [f"{len(self.events())} ops; wall {fmt(split['wall_ns'])}: kernels "
                  f"{fmt(split['kernel_ns'])} ({100 * split['kernel_fraction']:.1f}%), "
                  f"Python {fmt(split['overhead_ns'])}"]
        if split["other_threads_kernel_ns"]:
            footer.append(f"kernels on other threads: {fmt(split['other_threads_kernel_ns'])}")
        return tables.format_table(rows, group_by, limit, footer)

    def time_split(self) -> dict:
        """Wall time of the profile split into kernels and Python overhead.

        Returns:
            A dict with `wall_ns` (the profiled region), `kernel_ns` (self time of the ops
            on the thread that started the profile), `overhead_ns` (wall minus kernels:
            Python), `kernel_fraction`, `other_threads_kernel_ns` (ops on other threads,
            e.g. a prefetching dataset, which overlap the wall time), and `steps`
            (`steps()`).

        Example:
            >>> with profiler.Profile() as prof:
            ...     _ = engine.ones([2, 2]) @ engine.ones([2, 2])
            >>> split = prof.time_split()
            >>> split["kernel_ns"] + split["overhead_ns"] == split["wall_ns"]
            True
        """
        analysis = self._analysis()
        kernel = sum(r["self_ns"] for r in analysis["records"] if r["thread"] == 0)
        other = sum(r["self_ns"] for r in analysis["records"] if r["thread"] != 0)
        wall = analysis["wall_ns"]
        return {"wall_ns": wall, "kernel_ns": kernel, "overhead_ns": wall - kernel,
                "kernel_fraction": kernel / wall if wall else 0.0,
                "other_threads_kernel_ns": other, "steps": analysis["steps"]}

    def memory(self) -> dict:
        """Memory figures: bytes produced, and with `memory=True` the measured peak.

        Returns:
            A dict with `bytes_produced` (sum over ops), `tracked` (whether `memory=True`),
            `peak_bytes` (the peak of traced host memory above the level at `start()`,
            None when not tracked or still recording) and `method` (what was measured).

        Example:
            >>> with profiler.Profile(memory=True) as prof:
            ...     big = engine.ones([1000, 1000])  # 4 MB, alive at the end
            >>> prof.memory()["peak_bytes"] >= 4_000_000
            True
        """
        records = self.events()
        tracked = self._memory is not None
        peak = self._memory.peak() if tracked and self._state == "stopped" else None
        method = ("tracemalloc: traced host memory (NumPy buffers, Python objects, kernel "
                  "temporaries, the profile's records) above its level at start(); GPU "
                  "memory is not seen" if tracked else
                  "bytes produced by ops only: the engine sends no event when a tensor is "
                  "freed; use Profile(memory=True) for a measured peak")
        return {"bytes_produced": sum(r["bytes"] for r in records),
                "tracked": tracked, "peak_bytes": peak, "method": method}

    # --- export -------------------------------------------------------------------------
    def chrome_trace(self, max_events: int | None = 100_000) -> dict:
        """The profile in the Chrome Trace Event Format, as a dict (see `profiler.trace`).

        Args:
            max_events: op events written in full; the rest are aggregated (None: all).

        Returns:
            `{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`.

        Example:
            >>> x = engine.ones([2])
            >>> with profiler.Profile() as prof:
            ...     _ = x + 1.0
            >>> trace = prof.chrome_trace()
            >>> [e["name"] for e in trace["traceEvents"] if e["ph"] == "X"]
            ['AddV2']
        """
        analysis = self._analysis()
        split = self.time_split()
        memory = self.memory()
        metadata = {"wall_us": split["wall_ns"] / 1000,
                    "kernel_us": split["kernel_ns"] / 1000,
                    "overhead_us": split["overhead_ns"] / 1000,
                    "steps": len(analysis["steps"]),
                    "bytes_produced": memory["bytes_produced"],
                    "peak_memory_bytes": memory["peak_bytes"]}
        return trace.chrome_trace(analysis["records"], analysis["steps"], analysis["threads"],
                                  metadata, max_events)

    def export_chrome_trace(self, path, max_events: int | None = 100_000) -> str:
        """Writes the Chrome trace JSON to `path` (atomically; gzip if it ends in `.gz`).

        Open the file in https://ui.perfetto.dev or chrome://tracing. Only the first
        `max_events` ops are written in full; the rest become summary events and the
        file's `otherData` says so (`"aggregated": true`).

        Args:
            path: the file to write (`.json` or `.json.gz`).
            max_events: op events written in full (None: all; an op event takes 200 to
                400 bytes of JSON with its layer spans, about 10x less gzipped).

        Returns:
            The absolute path written.

        Example:
            >>> import json, os, tempfile
            >>> with profiler.Profile() as prof:
            ...     _ = engine.ones([2]) + 1.0
            >>> path = prof.export_chrome_trace(os.path.join(tempfile.mkdtemp(), "t.json"))
            >>> with open(path) as f:
            ...     sorted(json.load(f))
            ['displayTimeUnit', 'otherData', 'traceEvents']
        """
        return trace.write_chrome_trace(self.chrome_trace(max_events), path)

    def __repr__(self) -> str:
        if self._state == "new":
            return "<Profile (not started)>"
        analysis = self._analysis()
        threads = len({r["thread"] for r in analysis["records"]})
        state = " (recording)" if self.recording else ""
        return (f"<Profile: {len(analysis['records'])} ops on {threads} thread(s), "
                f"{len(analysis['steps'])} steps, "
                f"{tables.format_ns(analysis['wall_ns'])} wall{state}>")
