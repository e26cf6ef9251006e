"""Poll, vote and feedback rows. Votes are unique per (poll, voter, option): a double
delivery can never count twice, and a vote is committed before it is acknowledged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cmbot import Store

MIGRATIONS = [
    """
    CREATE TABLE poll_polls (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        question TEXT NOT NULL,
        options TEXT NOT NULL,
        multi INTEGER NOT NULL DEFAULT 0,
        anonymous INTEGER NOT NULL DEFAULT 1,
        platforms TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created_by TEXT,
        created_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        closed_at REAL
    );
    CREATE INDEX poll_polls_scope ON poll_polls(scope, status);
    CREATE TABLE poll_votes (
        poll_id INTEGER NOT NULL REFERENCES poll_polls(id) ON DELETE CASCADE,
        voter TEXT NOT NULL,
        voter_name TEXT NOT NULL,
        option INTEGER NOT NULL,
        platform TEXT NOT NULL,
        voted_at REAL NOT NULL,
        PRIMARY KEY (poll_id, voter, option)
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        user_key TEXT NOT NULL,
        platform TEXT NOT NULL,
        text TEXT NOT NULL,
        sentiment REAL NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX feedback_scope_time ON feedback(scope, created_at);
    """,
]


@dataclass
class Poll:
    id: int
    scope: str
    question: str
    options: list[str]
    multi: bool
    anonymous: bool
    platforms: list[str]
    status: str
    ends_at: float
    created_at: float

    @property
    def open(self) -> bool:
        return self.status == "open"


def _poll(row) -> Poll:  # type: ignore[no-untyped-def]
    return Poll(row["id"], row["scope"], row["question"], json.loads(row["options"]),
                bool(row["multi"]), bool(row["anonymous"]), json.loads(row["platforms"]),
                row["status"], row["ends_at"], row["created_at"])


class PollStore:
    def __init__(self, storage: Store) -> None:
        self.db = storage

    async def create(self, scope: str, question: str, options: list[str], multi: bool,
                     anonymous: bool, platforms: list[str], by: str, now: float,
                     ends_at: float) -> int:
        return await self.db.execute(
            "INSERT INTO poll_polls(scope, question, options, multi, anonymous, platforms, "
            "created_by, created_at, ends_at) VALUES(?,?,?,?,?,?,?,?,?)",
            (scope, question, json.dumps(options), int(multi), int(anonymous),
             json.dumps(platforms), by, now, ends_at))

    async def get(self, poll_id: int) -> Poll | None:
        row = await self.db.fetchone("SELECT * FROM poll_polls WHERE id=?", (poll_id,))
        return _poll(row) if row else None

    async def current(self, scope: str) -> Poll | None:
        row = await self.db.fetchone(
            "SELECT * FROM poll_polls WHERE scope=? AND status='open' ORDER BY id DESC LIMIT 1",
            (scope,))
        return _poll(row) if row else None

    async def latest(self, scope: str) -> Poll | None:
        row = await self.db.fetchone(
            "SELECT * FROM poll_polls WHERE scope=? ORDER BY id DESC LIMIT 1", (scope,))
        return _poll(row) if row else None

    async def recent(self, scope: str, limit: int = 5) -> list[Poll]:
        rows = await self.db.fetchall(
            "SELECT * FROM poll_polls WHERE scope=? ORDER BY id DESC LIMIT ?", (scope, limit))
        return [_poll(r) for r in rows]

    async def set_status(self, poll_id: int, status: str, now: float) -> bool:
        """Move an open poll to closed/cancelled; False if it was not open (idempotent)."""
        await self.db.execute(
            "UPDATE poll_polls SET status=?, closed_at=? WHERE id=? AND status='open'",
            (status, now, poll_id))
        return bool(self.db.last_rowcount)

    async def vote(self, poll: Poll, voter: str, name: str, options: Sequence[int],
                   platform: str, now: float) -> str:
        """Record a vote (several options in a multi-choice poll) in one transaction.
        Returns 'new', 'changed', 'same' (nothing new) or 'closed'."""
        async with self.db.transaction() as db:
            status = await db.fetchval("SELECT status FROM poll_polls WHERE id=?", (poll.id,))
            if status != "open":
                return "closed"
            existing = [r[0] for r in await db.fetchall(
                "SELECT option FROM poll_votes WHERE poll_id=? AND voter=?", (poll.id, voter))]
            fresh = [o for o in dict.fromkeys(options) if o not in existing]
            if not fresh:
                return "same"
            if not poll.multi and existing:
                await db.execute("DELETE FROM poll_votes WHERE poll_id=? AND voter=?",
                                 (poll.id, voter))
            for option in fresh:
                await db.execute(
                    "INSERT INTO poll_votes(poll_id, voter, voter_name, option, platform, "
                    "voted_at) VALUES(?,?,?,?,?,?)",
                    (poll.id, voter, name, option, platform, now))
            return "changed" if existing else "new"

    async def tally(self, poll_id: int) -> tuple[dict[int, int], dict[str, int], int]:
        """(votes per option, voters per platform, distinct voters)."""
        per_option = {r[0]: r[1] for r in await self.db.fetchall(
            "SELECT option, COUNT(*) FROM poll_votes WHERE poll_id=? GROUP BY option",
            (poll_id,))}
        per_platform = {r[0]: r[1] for r in await self.db.fetchall(
            "SELECT platform, COUNT(DISTINCT voter) FROM poll_votes WHERE poll_id=? "
            "GROUP BY platform", (poll_id,))}
        voters = await self.db.fetchval(
            "SELECT COUNT(DISTINCT voter) FROM poll_votes WHERE poll_id=?", (poll_id,))
        return per_option, per_platform, int(voters or 0)

    async def votes(self, poll_id: int) -> list[Any]:
        return await self.db.fetchall(
            "SELECT voter, voter_name, option, platform, voted_at FROM poll_votes "
            "WHERE poll_id=? ORDER BY voted_at", (poll_id,))

    async def add_feedback(self, scope: str, user: str, platform: str, text: str,
                           sentiment: float, now: float) -> int:
        return await self.db.execute(
            "INSERT INTO feedback(scope, user_key, platform, text, sentiment, created_at) "
            "VALUES(?,?,?,?,?,?)", (scope, user, platform, text, sentiment, now))

    async def feedback_since(self, scope: str, since: float) -> list[Any]:
        return await self.db.fetchall(
            "SELECT id, platform, text, sentiment, created_at FROM feedback WHERE scope=? AND "
            "created_at>=? ORDER BY created_at", (scope, since))

    async def forget(self, user_key: str) -> None:
        await self.db.execute("DELETE FROM poll_votes WHERE voter=?", (user_key,))
        await self.db.execute("DELETE FROM feedback WHERE user_key=?", (user_key,))
