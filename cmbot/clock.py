"""Time source for the runtime. Tests and the console move it forward by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Wall clock with an adjustable offset, or a frozen clock when ``start`` is given.

    ``advance`` moves time forward in both modes: the console's ``/clock +10m`` and the
    test harness use it, and the runtime then fires whatever became due.
    """

    def __init__(self, start: datetime | float | None = None) -> None:
        self._offset = 0.0
        if start is None:
            self._frozen: float | None = None
        elif isinstance(start, datetime):
            self._frozen = start.timestamp()
        else:
            self._frozen = float(start)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def time(self) -> float:
        """Seconds since the epoch (UTC)."""
        base = self._frozen if self._frozen is not None else time.time()
        return base + self._offset

    def now(self) -> datetime:
        """Aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
