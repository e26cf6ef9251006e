"""``cmbot backup -c FILE DEST``: a consistent copy of the bot's SQLite database, safe
while the bot runs.

SQLite's online backup API copies the database in one read transaction: the copy is the
database as of one committed moment (never a half-written transaction), and in WAL mode
the running bot keeps writing meanwhile. The copy is written to a temporary file created
0600 beside DEST (it holds platform tokens), switched to a single self-contained file
(rollback journal, no -wal), checked (``PRAGMA quick_check``), flushed to disk and only
then renamed to DEST: a failed or interrupted backup never leaves a partial DEST.

DEST is a file, or an existing folder: the copy is then ``<database stem>-<UTC
time>.db`` inside it, and ``keep`` removes the oldest such copies beyond that number.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class BackupError(Exception):
    """The backup could not be made; the message names the file and the fix."""


@dataclass(frozen=True)
class Backup:
    path: Path
    bytes: int
    removed: tuple[Path, ...] = ()


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(re.escape(stem) + r"-(\d{8}T\d{6}Z)(?:-(\d+))?\.db")


def _target(database: Path, dest: Path, now: datetime) -> Path:
    if not dest.is_dir():
        return dest
    name = f"{database.stem}-{_stamp(now)}"
    target, n = dest / f"{name}.db", 1
    while target.exists():  # two backups in the same second
        target, n = dest / f"{name}-{n}.db", n + 1
    return target


def _source(database: Path) -> sqlite3.Connection:
    """Open the live database without creating it (read-write so that the last connection
    to close cleans up the -wal and -shm files; read-only when that is all we may do)."""
    uri = database.resolve().as_uri()
    try:
        return sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=30)
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)


def _unwritable(folder: Path, exc: OSError) -> BackupError:
    if isinstance(exc, FileNotFoundError) or not folder.exists():
        fix = f"the folder does not exist. Fix: mkdir -p {folder} (or choose another DEST)"
    elif isinstance(exc, NotADirectoryError) or not folder.is_dir():
        fix = f"{folder} is not a folder. Fix: choose a DEST inside a folder"
    elif isinstance(exc, PermissionError):
        fix = (f"permission denied. Fix: give this user write access to {folder}, or "
               f"choose another DEST")
    else:
        fix = f"{exc.strerror or type(exc).__name__}. Fix: choose another DEST"
    return BackupError(f"cannot write the backup in {folder}: {fix}")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def backup(database: Path, dest: Path, *, keep: int | None = None,
           now: datetime | None = None) -> Backup:
    """Copy ``database`` to ``dest`` (a file, or a folder for a time-stamped file)."""
    if str(database) == ":memory:":
        raise BackupError("[bot] database is \":memory:\": there is nothing on disk to back "
                          "up. Fix: set [bot] database to a file")
    if not database.is_file():
        raise BackupError(f"database {database} does not exist. Fix: check [bot] database "
                          f"in the config (the bot creates the file when it first starts)")
    target = _target(database, dest, now or datetime.now(UTC))
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError(f"DEST {target} is the database itself. Fix: choose another path")
    folder = target.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                         dir=folder)  # 0600
    except OSError as exc:
        raise _unwritable(folder, exc) from exc
    os.close(fd)
    part = Path(temporary)
    try:
        _copy(database, part)
        os.chmod(part, 0o600)
        os.replace(part, target)
    except BaseException:
        for leftover in (part, Path(f"{part}-journal"), Path(f"{part}-wal"),
                         Path(f"{part}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    _fsync_dir(folder)
    removed = _prune(database, dest, keep) if keep is not None and dest.is_dir() else ()
    return Backup(target, target.stat().st_size, removed)


def _copy(database: Path, part: Path) -> None:
    try:
        source = _source(database)
    except sqlite3.Error as exc:
        raise BackupError(f"database {database} cannot be opened ({exc}). Fix: run the "
                          f"backup as the bot's user, or check the file") from exc
    try:
        copy = sqlite3.connect(part)
        try:
            source.backup(copy)  # one step: one read transaction, one consistent moment
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            result = copy.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise BackupError(f"the copy of {database} failed its check ({result}). "
                                  f"Fix: check the database with `sqlite3 {database} "
                                  f"'PRAGMA integrity_check'`")
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            raise BackupError(f"database {database} is damaged or not a SQLite file "
                              f"({text}); nothing was copied") from exc
        if "full" in text or "disk I/O" in text or "readonly" in text:
            raise BackupError(f"cannot write the backup in {part.parent}: {text}. Fix: "
                              f"free space or choose another DEST") from exc
        raise BackupError(f"backing up {database} failed: {text}") from exc
    finally:
        source.close()
    with open(part, "rb+") as written:
        os.fsync(written.fileno())


def _prune(database: Path, folder: Path, keep: int) -> tuple[Path, ...]:
    """Remove the oldest time-stamped copies of ``database`` in ``folder`` beyond ``keep``
    (files of other names are never touched)."""
    if keep < 1:
        raise ValueError("keep at least the backup just made")
    pattern = _pattern(database.stem)
    found = [(m.group(1), int(m.group(2) or 0), p) for p in folder.iterdir()
             if p.is_file() and (m := pattern.fullmatch(p.name))]
    copies = [p for _, _, p in sorted(found)]  # oldest first
    old = copies[:-keep]
    for path in old:
        path.unlink()
    return tuple(old)
