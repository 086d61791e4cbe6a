"""Memory measurement for `Profile(memory=True)`, with `tracemalloc`.

Why tracemalloc: the engine reports the bytes each op produces, but sends no event when a
tensor is freed, so live bytes cannot be derived from op events. NumPy reports every array
buffer it allocates to tracemalloc (in its own domain), so tracemalloc's traced total,
sampled after each op, follows the live arrays, and its peak catches the highest point
even inside a kernel.

What the figures mean: bytes allocated after the profile started and still alive,
relative to that start (tracemalloc is started here unless it already runs; memory
allocated before is not traced). That is host memory, and it includes Python objects,
kernels' temporaries (so the peak bounds live tensors' bytes from above) and the
profile's own records, about 0.5 KB per recorded op, which grow through the profile:
compare a step's peak with its level at the step's start. It does not see GPU memory.

What it costs: tracemalloc slows every allocation; W2 runs at about half speed eagerly and
three quarters traced (`profiler/overhead.py`), so it is off by default.

A cheaper and exact measure of live tensors would need the engine to hand op listeners the
output arrays: a weak reference with a callback on each output that owns its buffer
(`array.base is None`) costs about 0.5 us per op, and views keep their base alive, so the
count stays right. The engine does not pass outputs today.
"""

from __future__ import annotations

import tracemalloc

__all__ = ["MemoryTracker"]

_active = None  # the tracker recording now: tracemalloc keeps a single peak


class MemoryTracker:
    """Traced host bytes per op, and the peak per step segment, for one profile."""

    def __init__(self):
        self.base = 0
        self.segment_peaks: list[int] = []  # peak per segment: before step 0, step 0, ...
        self.step_levels: list[int] = []  # traced bytes when each step started
        self._own = False

    def start(self) -> None:
        """Starts tracemalloc if needed and takes the baseline.

        Raises:
            RuntimeError: if another tracker is recording.
        """
        global _active
        if _active is not None:
            raise RuntimeError("Profile(memory=True).start: another memory-tracking profile "
                               "is recording, and tracemalloc keeps a single peak. Stop it "
                               "first, or use memory=False for this one.")
        _active = self
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self._own = True
        self.base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()

    def listener(self, append):
        """An op listener that calls `append((event, traced bytes after it))`."""
        traced = tracemalloc.get_traced_memory
        base = self.base

        def listen(event):
            append((event, traced()[0] - base))
        return listen

    def _close_segment(self) -> None:
        if tracemalloc.is_tracing():
            self.segment_peaks.append(tracemalloc.get_traced_memory()[1] - self.base)
            tracemalloc.reset_peak()

    def mark_step(self) -> None:
        """Ends the current segment's peak and records the level as a step starts."""
        self._close_segment()
        if tracemalloc.is_tracing():
            self.step_levels.append(tracemalloc.get_traced_memory()[0] - self.base)

    def stop(self) -> None:
        """Closes the last segment; stops tracemalloc if `start()` started it."""
        global _active
        self._close_segment()
        if self._own:
            tracemalloc.stop()
        _active = None

    def peak(self) -> int:
        """The highest traced bytes above the baseline, over the whole profile."""
        return max(self.segment_peaks, default=0)

    def step_figures(self, count: int) -> list:
        """`(level at start, peak)` for each of the last `count` steps."""
        peaks = self.segment_peaks[len(self.segment_peaks) - count:]
        return list(zip(self.step_levels, peaks))
