"""One aiosqlite connection per process: WAL, foreign keys, per-plugin migrations.

The connection runs in autocommit mode: a single ``execute`` is committed when it
returns, and ``transaction()`` commits when its block exits. So a write that
acknowledges a user action is durable (against a process crash) before the
acknowledgement is sent.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger("cmbot.storage")

_CORE_MIGRATIONS = [
    """
    CREATE TABLE cmbot_migrations (
        plugin TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    );
    """,
]


# aiosqlite logs every statement with its parameters at DEBUG: stored secrets (refreshed
# Twitch tokens) would reach the log at log_level = "DEBUG". Keep it at INFO.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

class MigrationError(Exception):
    """A plugin's schema step failed; nothing of that step was applied."""


class Storage:
    """Async SQLite access shared by the core and every plugin."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.last_rowcount = 0  # rows changed by the latest execute()
        self.trace: list[str] | None = None  # when a list, the SQL of each statement run

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._db.execute("PRAGMA busy_timeout=5000")
        exists = await self.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='cmbot_migrations'")
        if not exists:
            await self._db.executescript(_CORE_MIGRATIONS[0])

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _in_thread(self, work: Any, sql: str,
                         params: Sequence[Any] | dict[str, Any]) -> Any:
        """Run ``work(connection, sql, params)`` on the connection's thread in one round
        trip. aiosqlite's cursor API costs a thread hop per call (execute, fetch, close),
        and each hop waits for the GIL behind the busy event loop."""
        db = self.db
        if self.trace is not None:
            self.trace.append(sql)
        async with self._lock:
            return await db._execute(work, db._conn, sql, params)  # noqa: SLF001

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement (committed on return). Returns lastrowid."""
        rowid, self.last_rowcount = await self._in_thread(_run, sql, params)
        return rowid

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as db:
            await db.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
                       ) -> sqlite3.Row | None:
        return await self._in_thread(_fetchone, sql, params)  # type: ignore[no-any-return]

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
                       ) -> list[sqlite3.Row]:
        return await self._in_thread(_fetchall, sql, params)  # type: ignore[no-any-return]

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``async with storage.transaction() as db:`` — all or nothing, committed on exit."""
        if self.trace is not None:
            self.trace.append("BEGIN IMMEDIATE")
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            else:
                await self.db.execute("COMMIT")

    async def schema_version(self, plugin: str) -> int:
        value = await self.fetchval("SELECT version FROM cmbot_migrations WHERE plugin=?",
                                    (plugin,))
        return int(value) if value is not None else 0

    async def migrate(self, plugin: str, steps: Sequence[str]) -> int:
        """Apply the steps not yet applied for ``plugin``; returns how many ran."""
        current = await self.schema_version(plugin)
        if current > len(steps):
            raise MigrationError(
                f"plugin {plugin!r}: the database is at schema version {current} but the "
                f"plugin only knows {len(steps)} steps; a newer version of the plugin wrote "
                f"it. Fix: upgrade the plugin (never remove released migration steps)")
        for version in range(current, len(steps)):
            try:
                async with self.transaction() as db:
                    for statement in _split_sql(steps[version]):
                        await db.execute(statement)
                    await db.execute(
                        "INSERT INTO cmbot_migrations(plugin, version) VALUES(?, ?) "
                        "ON CONFLICT(plugin) DO UPDATE SET version=excluded.version",
                        (plugin, version + 1))
            except sqlite3.Error as exc:
                raise MigrationError(f"plugin {plugin!r}: migration step {version + 1} "
                                     f"failed: {exc}") from exc
            log.info("migrated %s to schema version %d", plugin, version + 1)
        return len(steps) - current


def _split_sql(script: str) -> list[str]:
    """Split a script into complete statements (sqlite3.complete_statement aware)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


def _run(conn: sqlite3.Connection, sql: str, params: Any) -> tuple[int, int]:
    with closing(conn.execute(sql, params)) as cursor:
        return cursor.lastrowid or 0, cursor.rowcount


def _fetchone(conn: sqlite3.Connection, sql: str, params: Any) -> sqlite3.Row | None:
    with closing(conn.execute(sql, params)) as cursor:
        return cursor.fetchone()  # type: ignore[no-any-return]


def _fetchall(conn: sqlite3.Connection, sql: str, params: Any) -> list[sqlite3.Row]:
    with closing(conn.execute(sql, params)) as cursor:
        return cursor.fetchall()
