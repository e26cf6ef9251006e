"""Events and recurring chat timers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from cmbot import Store

MIGRATIONS = [
    """
    CREATE TABLE ann_events (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        title TEXT NOT NULL,
        starts_at REAL NOT NULL,
        tz TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        platforms TEXT NOT NULL,
        reminders TEXT NOT NULL,
        repeat TEXT,
        status TEXT NOT NULL DEFAULT 'scheduled',
        origin TEXT NOT NULL,
        created_by TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX ann_events_scope ON ann_events(scope, status, starts_at);
    CREATE TABLE ann_timers (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        name TEXT NOT NULL,
        interval REAL NOT NULL,
        texts TEXT NOT NULL,
        next_index INTEGER NOT NULL DEFAULT 0,
        min_lines INTEGER NOT NULL DEFAULT 5,
        quiet TEXT,
        tz TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        UNIQUE(channel, name)
    );
    """,
    """
    ALTER TABLE ann_events ADD COLUMN native TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE ann_timers ADD COLUMN live_only INTEGER NOT NULL DEFAULT 0;
    """,
]


@dataclass
class Event:
    id: int
    scope: str
    title: str
    starts_at: float
    tz: str
    description: str
    platforms: list[str]
    reminders: list[float]
    repeat: str | None
    status: str
    origin: dict[str, str]
    native: dict[str, str]


@dataclass
class ChatTimer:
    id: int
    channel: dict[str, str]
    name: str
    interval: float
    texts: list[str]
    next_index: int
    min_lines: int
    quiet: str | None
    tz: str
    paused: bool
    live_only: bool = False


def _reminders(text: str) -> list[float]:
    """The stored reminders that can be used: rows written before durations were checked
    may hold ``NaN``/``Infinity`` (``remind:nan``), which are left out when read."""
    try:
        values = json.loads(text)
    except ValueError:
        return []
    if not isinstance(values, list):
        return []
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(v) and v > 0]


def _event(row: Any) -> Event:
    return Event(row["id"], row["scope"], row["title"], row["starts_at"], row["tz"],
                 row["description"], json.loads(row["platforms"]), _reminders(row["reminders"]),
                 row["repeat"], row["status"], json.loads(row["origin"]),
                 json.loads(row["native"]))


def _timer(row: Any) -> ChatTimer:
    return ChatTimer(row["id"], json.loads(row["channel"]), row["name"], row["interval"],
                     json.loads(row["texts"]), row["next_index"], row["min_lines"], row["quiet"],
                     row["tz"], bool(row["paused"]), bool(row["live_only"]))


class AnnouncementStore:
    def __init__(self, storage: Store) -> None:
        self.db = storage

    async def add_event(self, scope: str, title: str, starts_at: float, tz: str,
                        description: str, platforms: list[str], reminders: list[float],
                        repeat: str | None, origin: dict[str, str], by: str,
                        now: float) -> int:
        return await self.db.execute(
            "INSERT INTO ann_events(scope, title, starts_at, tz, description, platforms, "
            "reminders, repeat, origin, created_by, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            (scope, title, starts_at, tz, description, json.dumps(platforms),
             json.dumps(reminders), repeat, json.dumps(origin), by, now))

    async def event(self, event_id: int) -> Event | None:
        row = await self.db.fetchone("SELECT * FROM ann_events WHERE id=?", (event_id,))
        return _event(row) if row else None

    async def upcoming(self, scope: str, now: float, limit: int = 10) -> list[Event]:
        rows = await self.db.fetchall(
            "SELECT * FROM ann_events WHERE scope=? AND status='scheduled' AND starts_at>? "
            "ORDER BY starts_at LIMIT ?", (scope, now, limit))
        return [_event(r) for r in rows]

    async def update_event(self, event: Event) -> None:
        await self.db.execute(
            "UPDATE ann_events SET title=?, starts_at=?, tz=?, description=?, platforms=?, "
            "reminders=?, repeat=?, status=?, native=? WHERE id=?",
            (event.title, event.starts_at, event.tz, event.description,
             json.dumps(event.platforms), json.dumps(event.reminders), event.repeat,
             event.status, json.dumps(event.native), event.id))

    async def add_timer(self, channel: dict[str, str], name: str, interval: float,
                        texts: list[str], min_lines: int, quiet: str | None, tz: str,
                        live_only: bool = False) -> int:
        return await self.db.execute(
            "INSERT INTO ann_timers(channel, name, interval, texts, min_lines, quiet, tz, "
            "live_only) VALUES(?,?,?,?,?,?,?,?)",
            (json.dumps(channel), name, interval, json.dumps(texts), min_lines, quiet, tz,
             int(live_only)))

    async def timer(self, timer_id: int) -> ChatTimer | None:
        row = await self.db.fetchone("SELECT * FROM ann_timers WHERE id=?", (timer_id,))
        return _timer(row) if row else None

    async def timer_by_name(self, channel: dict[str, str], name: str) -> ChatTimer | None:
        row = await self.db.fetchone("SELECT * FROM ann_timers WHERE channel=? AND name=?",
                                     (json.dumps(channel), name))
        return _timer(row) if row else None

    async def timers(self, channel: dict[str, str]) -> list[ChatTimer]:
        rows = await self.db.fetchall("SELECT * FROM ann_timers WHERE channel=? ORDER BY name",
                                      (json.dumps(channel),))
        return [_timer(r) for r in rows]

    async def set_timer(self, timer_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k}=?" for k in fields)
        await self.db.execute(f"UPDATE ann_timers SET {sets} WHERE id=?",
                              (*fields.values(), timer_id))

    async def remove_timer(self, timer_id: int) -> None:
        await self.db.execute("DELETE FROM ann_timers WHERE id=?", (timer_id,))
