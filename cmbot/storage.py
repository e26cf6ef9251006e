"""One aiosqlite connection per process: WAL, foreign keys, per-plugin migrations.

The connection runs in autocommit mode: a single ``execute`` is committed when it
returns, and ``transaction()`` commits when its block exits. So a write that
acknowledges a user action is durable (against a process crash) before the
acknowledgement is sent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger("cmbot.storage")
Params = Sequence[Any] | dict[str, Any]

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


class StorageError(Exception):
    """The database cannot be used; the message names the file and the fix."""


class MigrationError(StorageError):
    """A plugin's schema step failed; nothing of that step was applied."""


def _problem(path: str, exc: BaseException) -> str:
    """One line for a database that cannot be opened: what is wrong and how to fix it."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text
                                                    or "malformed" in text):
        fix = (f"it is damaged or not a SQLite file. Fix: restore it from a backup, or move "
               f"it aside (mv {path} {path}.broken) and the bot starts with a new, empty one")
    elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        fix = (f"it cannot be written ({text}). Fix: give the bot's user write access to the "
               f"file and its folder, or set [bot] database to a writable path")
    elif "unable to open" in text or isinstance(exc, OSError):
        fix = (f"it cannot be opened ({text}). Fix: check that its folder exists and is "
               f"writable, or set [bot] database to another path")
    else:
        fix = f"{type(exc).__name__}: {text}"
    return f"database {path}: {fix}"


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 (SQLite gives its -wal and -shm files the same mode); warn
    when an existing one is readable by other users."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & 0o077:
            log.warning("database %s is readable by other users (mode %o); it holds "
                        "platform tokens. Fix: chmod 600 %s*", path, mode & 0o777, path)


class _Statements:
    """The statement helpers :class:`Storage` and :class:`Transaction` share."""

    last_rowcount = 0
    """Rows changed by the latest :meth:`execute`."""

    async def _run(self, sql: str, params: Params) -> tuple[int, int]:
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement. Returns the new row's id for an INSERT."""
        rowid, self.last_rowcount = await self._run(sql, params)
        return rowid

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Storage(_Statements):
    """Async SQLite access shared by the core and every plugin."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.trace: list[str] | None = None  # when a list, the SQL of each statement run

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        """Open (or create, readable by its owner only: it holds tokens) the database.
        Raises :class:`StorageError` with the file and the fix; nothing is left open."""
        try:
            if self.path != ":memory:":
                _private_file(Path(self.path))
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
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            raise StorageError(_problem(self.path, exc)) from exc

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            try:
                await db.close()
            except sqlite3.Error as exc:  # a broken file: the thread still stops
                log.warning("closing %s: %s", self.path, exc)

    async def _run(self, sql: str, params: Params) -> tuple[int, int]:
        async with self._lock:  # committed on return: autocommit
            return await _run(self.db, sql, params, self.trace)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return await _rows(self.db, sql, params, self.trace)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``async with storage.transaction() as tx:`` all or nothing, committed on exit.
        ``tx`` has the same statement helpers; no other statement runs meanwhile."""
        async with self._lock:
            tx = Transaction(self)
            await tx.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                await tx.execute("ROLLBACK")
                raise
            else:
                await tx.execute("COMMIT")

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
                async with self.transaction() as tx:
                    for statement in _split_sql(steps[version]):
                        await tx.execute(statement)
                    await tx.execute(
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


class Transaction(_Statements):
    """The statements of one :meth:`Storage.transaction` (same helpers, same tracing;
    the storage's lock is held for the whole block)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def _run(self, sql: str, params: Params) -> tuple[int, int]:
        return await _run(self._storage.db, sql, params, self._storage.trace)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return await _rows(self._storage.db, sql, params, self._storage.trace)


async def _run(db: aiosqlite.Connection, sql: str, params: Params,
               trace: list[str] | None) -> tuple[int, int]:
    """One statement in one trip to the connection's thread (aiosqlite's
    ``execute_insert`` also reads ``last_insert_rowid()`` there): (row id, rows changed,
    from ``total_changes``: the caller holds the lock, so only this statement ran)."""
    if trace is not None:
        trace.append(sql)
    before = db.total_changes
    row = await db.execute_insert(sql, params)
    rowid = int(row[0]) if row is not None and row[0] is not None else 0
    return rowid, db.total_changes - before


async def _rows(db: aiosqlite.Connection, sql: str, params: Params,
                trace: list[str] | None) -> list[sqlite3.Row]:
    if trace is not None:
        trace.append(sql)
    return list(await db.execute_fetchall(sql, params))
