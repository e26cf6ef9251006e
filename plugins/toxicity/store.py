"""Review queue, mod log and per-channel allowlists. Flagged text is stored only here and
deleted after the retention period. When its author asks to be forgotten, the moderation
record stays (legitimate interest: evidence under review, escalation) under a pseudonym:
their name is replaced everywhere, and the text is erased from every decided flag (an
open flag keeps it until a moderator decides it or the retention period ends)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cmbot import Store

MIGRATIONS = [
    """
    CREATE TABLE tox_flags (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        user_name TEXT NOT NULL,
        text TEXT NOT NULL,
        category TEXT NOT NULL,
        reason TEXT NOT NULL,
        score REAL NOT NULL,
        action TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created_at REAL NOT NULL,
        decided_by TEXT,
        decided_at REAL
    );
    CREATE INDEX tox_flags_scope ON tox_flags(scope, status, id);
    CREATE TABLE tox_modlog (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        user_key TEXT NOT NULL,
        user_name TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        at REAL NOT NULL,
        flag_id INTEGER
    );
    CREATE INDEX tox_modlog_user ON tox_modlog(scope, user_key, at);
    CREATE TABLE tox_allowed (
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (channel, kind, value)
    );
    """,
    # 2: flag ids are never reused (a notice's buttons name a flag by id, and the highest
    # id came back after retention or a forgotten user emptied the end of the table);
    # ids start past every id ever handed out, including those only the mod log remembers
    """
    CREATE TABLE tox_flags_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scope TEXT NOT NULL,
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        user_name TEXT NOT NULL,
        text TEXT NOT NULL,
        category TEXT NOT NULL,
        reason TEXT NOT NULL,
        score REAL NOT NULL,
        action TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created_at REAL NOT NULL,
        decided_by TEXT,
        decided_at REAL
    );
    INSERT INTO tox_flags_new SELECT * FROM tox_flags;
    DROP TABLE tox_flags;
    ALTER TABLE tox_flags_new RENAME TO tox_flags;
    CREATE INDEX tox_flags_scope ON tox_flags(scope, status, id);
    DELETE FROM sqlite_sequence WHERE name = 'tox_flags';
    INSERT INTO sqlite_sequence(name, seq) SELECT 'tox_flags', MAX(
        COALESCE((SELECT MAX(id) FROM tox_flags), 0),
        COALESCE((SELECT MAX(flag_id) FROM tox_modlog), 0));
    """,
    # 3: what moderators set from chat (!automod level/action), over the config file
    """
    CREATE TABLE tox_overrides (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (scope, key)
    );
    """,
]


def pseudonym(user_key: str) -> str:
    """The name a forgotten user's moderation record keeps: stable (one user's rows stay
    recognisably one person's, ``!modlog forgotten-…`` finds them), not their name."""
    return "forgotten-" + hashlib.sha256(user_key.encode()).hexdigest()[:8]


class ToxStore:
    def __init__(self, storage: Store) -> None:
        self.db = storage

    async def add_flag(self, **row: Any) -> int:
        row["channel"] = json.dumps(row["channel"])
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        return await self.db.execute(f"INSERT INTO tox_flags({cols}) VALUES({marks})",
                                     tuple(row.values()))

    async def flag(self, flag_id: int) -> Any:
        return await self.db.fetchone("SELECT * FROM tox_flags WHERE id=?", (flag_id,))

    async def open_flags(self, scope: str, limit: int = 5, offset: int = 0) -> list[Any]:
        return await self.db.fetchall(
            "SELECT * FROM tox_flags WHERE scope=? AND status='open' ORDER BY id "
            "LIMIT ? OFFSET ?", (scope, limit, offset))

    async def count_open(self, scope: str) -> int:
        return int(await self.db.fetchval(
            "SELECT COUNT(*) FROM tox_flags WHERE scope=? AND status='open'", (scope,)) or 0)

    async def decide(self, flag_id: int, status: str, by: str, now: float) -> bool:
        """Record a decision on an open flag (committed before it is acknowledged)."""
        await self.db.execute(
            "UPDATE tox_flags SET status=?, decided_by=?, decided_at=? "
            "WHERE id=? AND status='open'", (status, by, now, flag_id))
        return bool(self.db.last_rowcount)

    async def settle(self, flag_id: int, status: str) -> None:
        """Turn a claimed flag (``acting``: its action is under way) into its decision."""
        await self.db.execute("UPDATE tox_flags SET status=? WHERE id=? AND status='acting'",
                              (status, flag_id))

    async def release(self, flag_id: int) -> None:
        """Give a claimed flag back to the queue (the platform refused its action)."""
        await self.db.execute(
            "UPDATE tox_flags SET status='open', decided_by=NULL, decided_at=NULL "
            "WHERE id=? AND status='acting'", (flag_id,))

    async def log(self, scope: str, user_key: str, user_name: str, action: str, reason: str,
                  by: str, now: float, flag_id: int | None = None) -> None:
        await self.db.execute(
            "INSERT INTO tox_modlog(scope, user_key, user_name, action, reason, by, at, "
            "flag_id) VALUES(?,?,?,?,?,?,?,?)",
            (scope, user_key, user_name, action, reason, by, now, flag_id))

    async def note(self, flag_id: int, text: str) -> None:
        """Add to the reason of a flag's automatic action (what the platform refused)."""
        await self.db.execute(
            "UPDATE tox_modlog SET reason = reason || ' — ' || ? WHERE flag_id=? AND by='auto'",
            (text, flag_id))

    async def strikes(self, scope: str, user_key: str, since: float) -> int:
        return int(await self.db.fetchval(
            "SELECT COUNT(*) FROM tox_modlog WHERE scope=? AND user_key=? AND at>=? AND "
            "action IN ('warn', 'timeout')", (scope, user_key, since)) or 0)

    async def modlog(self, scope: str, user_name: str | None, limit: int = 5,
                     offset: int = 0) -> list[Any]:
        if user_name:
            return await self.db.fetchall(
                "SELECT * FROM tox_modlog WHERE scope=? AND lower(user_name)=? "
                "ORDER BY id DESC LIMIT ? OFFSET ?", (scope, user_name.lower(), limit, offset))
        return await self.db.fetchall(
            "SELECT * FROM tox_modlog WHERE scope=? ORDER BY id DESC LIMIT ? OFFSET ?",
            (scope, limit, offset))

    async def count_modlog(self, scope: str, user_name: str | None) -> int:
        if user_name:
            return int(await self.db.fetchval(
                "SELECT COUNT(*) FROM tox_modlog WHERE scope=? AND lower(user_name)=?",
                (scope, user_name.lower())) or 0)
        return int(await self.db.fetchval(
            "SELECT COUNT(*) FROM tox_modlog WHERE scope=?", (scope,)) or 0)

    async def allow(self, channel: str, kind: str, value: str) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO tox_allowed(channel, kind, value) VALUES(?,?,?)",
            (channel, kind, value))

    async def allowed(self, channel: str) -> dict[str, set[str]]:
        rows = await self.db.fetchall("SELECT kind, value FROM tox_allowed WHERE channel=?",
                                      (channel,))
        out: dict[str, set[str]] = {"text": set(), "term": set()}
        for row in rows:
            out.setdefault(row["kind"], set()).add(row["value"])
        return out

    async def expire(self, before: float) -> int:
        await self.db.execute("DELETE FROM tox_flags WHERE created_at < ?", (before,))
        count = self.db.last_rowcount
        await self.db.execute("DELETE FROM tox_modlog WHERE at < ?", (before,))
        return int(count)

    async def overrides(self, scope: str) -> dict[str, str]:
        rows = await self.db.fetchall("SELECT key, value FROM tox_overrides WHERE scope=?",
                                      (scope,))
        return {r["key"]: r["value"] for r in rows}

    async def override(self, scope: str, key: str, value: str | None) -> None:
        """Set (or, with None, remove) a setting moderators changed from chat."""
        if value is None:
            await self.db.execute("DELETE FROM tox_overrides WHERE scope=? AND key=?",
                                  (scope, key))
        else:
            await self.db.execute(
                "INSERT INTO tox_overrides(scope, key, value) VALUES(?, ?, ?) "
                "ON CONFLICT(scope, key) DO UPDATE SET value=excluded.value",
                (scope, key, value))

    async def forget(self, user_key: str) -> None:
        """Pseudonymise a user's moderation record; it is not deleted (see the module)."""
        name = pseudonym(user_key)
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE tox_flags SET user_name=?, "
                "text=CASE WHEN status='open' THEN text ELSE '' END WHERE user_key=?",
                (name, user_key))
            await tx.execute("UPDATE tox_modlog SET user_name=? WHERE user_key=?",
                             (name, user_key))
