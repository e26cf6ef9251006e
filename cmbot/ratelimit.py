"""Outbound rate limits: sliding windows per channel (and, where a platform limits the
whole account, one window shared by the channels it covers), with a priority queue.

Nothing is ever sent over any of its windows. When a channel's window is full, ``LOW`` priority
sends (auto-answers, acknowledgements) are dropped and the others are queued (bounded;
the oldest normal-priority item is dropped first when the queue is full).
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("cmbot.ratelimit")


class Priority(enum.IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    __slots__ = ("limit", "window", "_events")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: deque[float] = deque()

    def _prune(self, now: float) -> None:
        edge = now - self.window
        while self._events and self._events[0] <= edge:
            self._events.popleft()

    def available(self, now: float) -> bool:
        self._prune(now)
        return len(self._events) < self.limit

    def record(self, now: float) -> None:
        self._events.append(now)

    def next_free(self, now: float) -> float:
        """When the next slot opens (``now`` if one is free)."""
        self._prune(now)
        if len(self._events) < self.limit:
            return now
        return self._events[0] + self.window


Send = Callable[[], Awaitable[Any]]


@dataclass
class _Queued:
    priority: Priority
    send: Send
    seq: int


Limits = tuple[tuple[str, int, float], ...]
"""The windows a send must fit: (window key, limit, seconds) for each."""


@dataclass
class Outbox:
    """Per-channel queues; ``limits(key)`` gives the windows a send to ``key`` must fit
    (its own, and any account-wide window shared with other channels)."""

    limits: Callable[[str], Limits]
    now: Callable[[], float]
    queue_size: int = 50
    _windows: dict[str, SlidingWindow] = field(default_factory=dict)
    _queues: dict[str, deque[_Queued]] = field(default_factory=dict)
    _seq: int = 0
    sent: int = 0
    dropped: int = 0

    def windows(self, key: str) -> list[SlidingWindow]:
        found = []
        for name, limit, period in self.limits(key):
            win = self._windows.get(name)
            if win is None or win.limit != limit or win.window != period:
                old = win
                win = SlidingWindow(limit, period)
                if old is not None:
                    win._events = old._events
                self._windows[name] = win
            found.append(win)
        return found

    def _free(self, windows: list[SlidingWindow], now: float) -> bool:
        return all(w.available(now) for w in windows)

    def _record(self, windows: list[SlidingWindow], now: float) -> None:
        for w in windows:
            w.record(now)
        self.sent += 1

    async def submit(self, key: str, send: Send, priority: Priority = Priority.NORMAL) -> Any:
        """Send now if every window allows and nothing is queued ahead; else queue or drop.

        Returns the send's result, or None when queued or dropped.
        """
        windows = self.windows(key)
        now = self.now()
        queue = self._queues.get(key)
        if not queue and self._free(windows, now):
            self._record(windows, now)
            return await send()
        if priority == Priority.LOW or self.queue_size == 0:
            self._drop(key, "window full")
            return None
        queue = self._queues.setdefault(key, deque())
        if len(queue) >= self.queue_size:
            victim = min(queue, key=lambda q: (q.priority, q.seq))
            if victim.priority > priority:
                self._drop(key, "queue full")
                return None
            queue.remove(victim)
            self._drop(key, "queue full")
        self._seq += 1
        queue.append(_Queued(priority, send, self._seq))
        return None

    def _drop(self, key: str, why: str) -> None:
        self.dropped += 1
        if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
            log.warning("outbound rate limit on %s (%s): %d message(s) dropped so far",
                        key, why, self.dropped)

    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def next_free(self) -> float | None:
        """Earliest time a queued send can go out, or None if nothing is queued."""
        now = self.now()
        times = [max(w.next_free(now) for w in self.windows(k))
                 for k, q in self._queues.items() if q]
        return min(times) if times else None

    async def flush(self) -> int:
        """Send queued items the windows now allow, highest priority first; channels that
        share an account window take turns."""
        count = 0
        now = self.now()
        progress = True
        while progress:
            progress = False
            for key in list(self._queues):
                queue = self._queues[key]
                windows = self.windows(key)
                if queue and self._free(windows, now):
                    item = max(queue, key=lambda q: (q.priority, -q.seq))
                    queue.remove(item)
                    self._record(windows, now)
                    count += 1
                    progress = True
                    try:
                        await item.send()
                    except Exception:  # noqa: BLE001 - a failed send must not block the queue
                        log.exception("queued send to %s failed", key)
                if not queue:
                    del self._queues[key]
        return count
