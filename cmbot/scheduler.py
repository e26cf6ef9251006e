"""Persistent timers: one-shot, interval and cron (with time zone), re-armed on start-up.

Catch-up policy: a run that became due while the bot was down (or busy) fires once if
it is at most ``grace`` seconds late and is skipped otherwise; a recurring timer then
moves to its next run strictly after now, so an outage never causes a burst of posts.
Timers are rescheduled (or deleted) in the database before their handler runs: a
crash inside a handler never replays it (at most once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .cache import Cache
from .clock import Clock
from .cron import Cron
from .storage import Storage

log = logging.getLogger("cmbot.scheduler")

MIGRATIONS = [
    """
    CREATE TABLE cmbot_timers (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT UNIQUE,
        payload TEXT NOT NULL DEFAULT '{}',
        due REAL NOT NULL,
        interval REAL,
        cron TEXT,
        tz TEXT,
        grace REAL,
        created REAL NOT NULL
    );
    CREATE INDEX cmbot_timers_due ON cmbot_timers(due);
    """,
]


@dataclass(frozen=True)
class Timer:
    """A stored timer as its handler sees it. ``late`` is how late this run fired (s)."""

    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    due: datetime
    interval: float | None = None
    cron: str | None = None
    tz: str | None = None
    late: float = 0.0

    @property
    def recurring(self) -> bool:
        return self.interval is not None or self.cron is not None


TimerHandler = Callable[[Timer], Awaitable[None]]
_UNKNOWN = object()


@dataclass
class Scheduler:
    """Timers in the database, fired by :meth:`run_due` (the runtime's loop calls it)."""

    storage: Storage
    clock: Clock
    grace: float = 600.0
    _handlers: dict[str, TimerHandler] = field(default_factory=dict)
    changed: Callable[[], None] = lambda: None
    """Called after a timer is added or cancelled (the runtime wakes its timekeeper)."""
    fired: int = 0
    skipped: int = 0
    _earliest: Cache[str, float | None] = field(default_factory=Cache)
    _firing: asyncio.Lock = field(default_factory=asyncio.Lock)
    """The earliest due time in the table. Timers only change through this class, so
    ``run_due`` skips the query until then."""

    def on(self, kind: str, handler: TimerHandler) -> None:
        """Register the coroutine that runs timers of ``kind`` (e.g. ``"faq.cleanup"``)."""
        self._handlers[kind] = handler
        self._earliest.clear()

    def _changed(self) -> None:
        self._earliest.clear()

    async def _insert(self, kind: str, due: float, payload: dict[str, Any] | None,
                      key: str | None, interval: float | None = None, cron: str | None = None,
                      tz: str | None = None, grace: float | None = None) -> int:
        for name, value in (("due", due), ("interval", interval)):
            if value is not None and not math.isfinite(value):
                raise ValueError(f"timer {kind!r}: {name} must be a finite number, not {value}")
        if grace is not None and (math.isnan(grace) or grace < 0):
            raise ValueError(f"timer {kind!r}: grace must be a number of seconds >= 0 "
                             f"(math.inf: run however late), not {grace}")
        data = json.dumps(payload or {})
        self._changed()
        # one statement: a timer with the same key is replaced atomically (two concurrent
        # replacements never collide on the key)
        timer_id = int(await self.storage.fetchval(
            "INSERT INTO cmbot_timers(kind, key, payload, due, interval, cron, tz, grace, "
            "created) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
            "kind=excluded.kind, payload=excluded.payload, due=excluded.due, "
            "interval=excluded.interval, cron=excluded.cron, tz=excluded.tz, "
            "grace=excluded.grace, created=excluded.created RETURNING id",
            (kind, key, data, due, interval, cron, tz, grace, self.clock.time())))
        self._changed()
        self.changed()
        return timer_id

    async def at(self, kind: str, when: datetime | float, payload: dict[str, Any] | None = None,
                 *, key: str | None = None, grace: float | None = None) -> int:
        """Run once at ``when``. A timer with the same ``key`` is replaced."""
        due = when.timestamp() if isinstance(when, datetime) else float(when)
        return await self._insert(kind, due, payload, key, grace=grace)

    async def every(self, kind: str, seconds: float, payload: dict[str, Any] | None = None,
                    *, key: str | None = None, first: datetime | float | None = None,
                    grace: float | None = None) -> int:
        """Run every ``seconds``, first at ``first`` (default: one interval from now)."""
        if seconds <= 0:
            raise ValueError("interval must be positive")
        if first is None:
            due = self.clock.time() + seconds
        else:
            due = first.timestamp() if isinstance(first, datetime) else float(first)
        return await self._insert(kind, due, payload, key, interval=seconds, grace=grace)

    async def cron(self, kind: str, expression: str, tz: str = "UTC",
                   payload: dict[str, Any] | None = None, *, key: str | None = None,
                   grace: float | None = None) -> int:
        """Run on a 5-field cron expression in time zone ``tz``."""
        schedule = Cron.parse(expression, tz)
        due = schedule.next_after(self.clock.now()).timestamp()
        return await self._insert(kind, due, payload, key, cron=expression, tz=tz, grace=grace)

    async def cancel(self, timer_id: int) -> bool:
        return bool(await self._delete("id=?", timer_id))

    async def cancel_key(self, key: str) -> bool:
        return bool(await self._delete("key=?", key))

    async def cancel_prefix(self, prefix: str) -> int:
        """Cancel every timer whose key starts with ``prefix`` (e.g. ``"event:3:"``)."""
        return await self._delete("key LIKE ? ESCAPE '\\'", _like_prefix(prefix))

    async def _delete(self, where: str, value: Any) -> int:
        self._changed()
        await self.storage.execute(f"DELETE FROM cmbot_timers WHERE {where}", (value,))
        count = self.storage.last_rowcount
        self._changed()
        self.changed()
        return count

    async def list(self, kind: str | None = None) -> list[Timer]:
        if kind is None:
            rows = await self.storage.fetchall("SELECT * FROM cmbot_timers ORDER BY due")
        else:
            rows = await self.storage.fetchall(
                "SELECT * FROM cmbot_timers WHERE kind=? ORDER BY due", (kind,))
        return [_timer(row) for row in rows]

    async def next_due(self) -> float | None:
        """Epoch seconds of the earliest timer that has a handler, or None."""
        if not self._handlers:
            return None
        known = self._earliest.get("min", _UNKNOWN)
        if known is not _UNKNOWN:
            return known  # type: ignore[return-value]
        marks = ",".join("?" * len(self._handlers))
        return await self._earliest.load("min", lambda: self.storage.fetchval(
            f"SELECT MIN(due) FROM cmbot_timers WHERE kind IN ({marks})",
            tuple(self._handlers)))

    async def run_due(self) -> int:
        """Fire every due timer once (or skip it if stale). Returns how many fired."""
        if not self._handlers:
            return 0
        now = self.clock.time()
        known = self._earliest.get("min", _UNKNOWN)
        if known is not _UNKNOWN and (known is None or now < known):  # type: ignore[operator]
            return 0  # nothing due: no query (the runtime ticks far more often than timers)
        async with self._firing:  # the timekeeper and a manual tick never fire one run twice
            return await self._fire_due()

    async def _fire_due(self) -> int:
        now = self.clock.time()
        self._changed()
        marks = ",".join("?" * len(self._handlers))
        rows = await self.storage.fetchall(
            f"SELECT * FROM cmbot_timers WHERE due <= ? AND kind IN ({marks}) ORDER BY due, id",
            (now, *self._handlers))
        count = 0
        for row in rows:
            timer = _timer(row, late=now - row["due"])
            grace = row["grace"] if row["grace"] is not None else self.grace
            next_due = self._next_run(timer, now)
            if next_due is None:
                await self.storage.execute("DELETE FROM cmbot_timers WHERE id=?", (timer.id,))
            else:
                await self.storage.execute("UPDATE cmbot_timers SET due=? WHERE id=?",
                                           (next_due, timer.id))
            if timer.late > grace:
                self.skipped += 1
                log.info("skipped timer %s #%d: %.0fs late (grace %.0fs)",
                         timer.kind, timer.id, timer.late, grace)
                continue
            try:
                await self._handlers[timer.kind](timer)
            except Exception:  # noqa: BLE001 - one timer never stops the others
                log.exception("timer handler for %r failed (timer #%d)", timer.kind, timer.id)
            count += 1
            self.fired += 1
        await self.next_due()  # remember the next deadline: ticks before it cost nothing
        return count

    def _next_run(self, timer: Timer, now: float) -> float | None:
        due = timer.due.timestamp()
        if timer.interval is not None:
            steps = max(1, math.floor((now - due) / timer.interval) + 1)
            return due + steps * timer.interval
        if timer.cron is not None:
            schedule = Cron.parse(timer.cron, timer.tz or "UTC")
            return schedule.next_after(datetime.fromtimestamp(now, UTC)).timestamp()
        return None


def _timer(row: Any, late: float = 0.0) -> Timer:
    return Timer(id=row["id"], kind=row["kind"], key=row["key"],
                 payload=json.loads(row["payload"]),
                 due=datetime.fromtimestamp(row["due"], UTC), interval=row["interval"],
                 cron=row["cron"], tz=row["tz"], late=late)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
