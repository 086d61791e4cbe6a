"""`Throttle`: lets an action through at most once per interval, on an injectable clock.

The dashboard redraws at most 4 times a second and polls for clicks at most 20 times a
second, however fast the batches come; tests drive the clock by hand.
"""

from __future__ import annotations

import math
import time

__all__ = ["Throttle"]


class Throttle:
    """Lets an action through at most once per `interval` seconds of `clock`.

    Args:
        interval: the least number of seconds between two actions let through.
        clock: a function returning seconds (`time.monotonic`; tests pass a fake clock).

    Example:
        >>> now = [0.0]
        >>> throttle = Throttle(0.25, clock=lambda: now[0])
        >>> allowed = []
        >>> for tick in range(10):  # ten calls, 0.1 s apart
        ...     now[0] = tick * 0.1
        ...     allowed.append(throttle.due())
        >>> allowed.count(True)
        4
    """

    def __init__(self, interval: float, clock=time.monotonic):
        if not interval >= 0:
            raise ValueError(f"Throttle: interval must be a number of seconds >= 0; got "
                             f"interval={interval!r}.")
        self.interval = float(interval)
        self.clock = clock
        self._last = -math.inf

    def due(self) -> bool:
        """Whether the action may run now; if so, starts a new interval.

        Returns:
            True at most once per `interval` seconds.

        Example:
            >>> throttle = Throttle(1.0, clock=lambda: 5.0)
            >>> throttle.due(), throttle.due()
            (True, False)
        """
        now = self.clock()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True

    def reset(self) -> None:
        """Makes the next `due()` return True.

        Example:
            >>> throttle = Throttle(1.0, clock=lambda: 5.0)
            >>> throttle.due(), throttle.due()
            (True, False)
            >>> throttle.reset()
            >>> throttle.due()
            True
        """
        self._last = -math.inf
