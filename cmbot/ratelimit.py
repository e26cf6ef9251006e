"""Outbound rate limits: a sliding window per platform and channel, with a priority queue.

Nothing is ever sent over the limit. When a channel's window is full, ``LOW`` priority
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


@dataclass
class Outbox:
    """Per-channel windows and queues. ``limits(key)`` gives (limit, window) for a key."""

    limits: Callable[[str], tuple[int, float]]
    now: Callable[[], float]
    queue_size: int = 50
    _windows: dict[str, SlidingWindow] = field(default_factory=dict)
    _queues: dict[str, deque[_Queued]] = field(default_factory=dict)
    _seq: int = 0
    sent: int = 0
    dropped: int = 0

    def window(self, key: str) -> SlidingWindow:
        win = self._windows.get(key)
        limit, period = self.limits(key)
        if win is None or win.limit != limit or win.window != period:
            old = win
            win = SlidingWindow(limit, period)
            if old is not None:
                win._events = old._events
            self._windows[key] = win
        return win

    async def submit(self, key: str, send: Send, priority: Priority = Priority.NORMAL) -> Any:
        """Send now if the window allows and nothing is queued ahead; else queue or drop.

        Returns the send's result, or None when queued or dropped.
        """
        win = self.window(key)
        now = self.now()
        queue = self._queues.get(key)
        if not queue and win.available(now):
            win.record(now)
            self.sent += 1
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
        times = [self.window(k).next_free(now) for k, q in self._queues.items() if q]
        return min(times) if times else None

    async def flush(self) -> int:
        """Send queued items the windows now allow, highest priority first."""
        count = 0
        now = self.now()
        for key in list(self._queues):
            queue = self._queues[key]
            win = self.window(key)
            while queue and win.available(now):
                item = max(queue, key=lambda q: (q.priority, -q.seq))
                queue.remove(item)
                win.record(now)
                self.sent += 1
                count += 1
                try:
                    await item.send()
                except Exception:  # noqa: BLE001 - a failed send must not block the queue
                    log.exception("queued send to %s failed", key)
            if not queue:
                del self._queues[key]
        return count
