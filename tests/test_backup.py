"""``cmbot backup -c FILE DEST``: a consistent copy of the live database (SQLite's online
backup API), created 0600, with clear errors; made while another connection writes."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cmbot import backup as backup_module
from cmbot.backup import BackupError, backup
from cmbot.cli import main
from cmbot.platforms.state import PlatformState
from cmbot.storage import Storage


def _config(tmp_path: Path, database: str = "bot.db") -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(f'[bot]\ndatabase = "{database}"\n')
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def _bot_database(path: Path) -> None:
    """A database as the bot leaves it: WAL, migrations, a stored token."""
    storage = Storage(path)
    await storage.open()
    try:
        state = PlatformState(storage)
        await state.open()
        await state.set("twitch:tokens", '{"user_id": "500", "token": "secret-token"}')
    finally:
        await storage.close()


async def test_the_cli_copies_the_database_0600_as_one_self_contained_file(
        tmp_path, capsys):
    await _bot_database(tmp_path / "bot.db")
    dest = tmp_path / "out" / "copy.db"
    dest.parent.mkdir()
    old = os.umask(0)  # the copy is private whatever the umask
    try:
        assert main(["backup", "-c", str(_config(tmp_path)), str(dest)]) == 0
    finally:
        os.umask(old)
    out = capsys.readouterr().out
    assert str(dest) in out and "secret-token" not in out
    assert _mode(dest) == 0o600
    assert _rows(dest, "SELECT value FROM platform_state") == [
        ('{"user_id": "500", "token": "secret-token"}',)]
    assert _rows(dest, "PRAGMA quick_check") == [("ok",)]
    assert dest.read_bytes()[18:20] == b"\x01\x01"  # rollback journal: no -wal needed
    assert sorted(p.name for p in dest.parent.iterdir()) == ["copy.db"]  # no temp files


async def test_an_existing_dest_is_replaced_and_made_private(tmp_path):
    await _bot_database(tmp_path / "bot.db")
    dest = tmp_path / "copy.db"
    dest.write_text("old backup")
    dest.chmod(0o644)
    made = backup(tmp_path / "bot.db", dest)
    assert made.path == dest and _mode(dest) == 0o600
    assert _rows(dest, "SELECT count(*) FROM platform_state") == [(1,)]


def _writer(path: Path, stop: threading.Event, commits: list[float]) -> None:
    """Another process's connection (the running bot): batches of 10 rows, each with the
    counter that must always equal the row count, one transaction per batch."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # as the bot's storage
    try:
        batch = 0
        while not stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO lines(batch, text) VALUES(?, ?)",
                           [(batch, "x" * 500) for _ in range(10)])
            db.execute("UPDATE counter SET n = n + 10")
            db.execute("COMMIT")
            commits.append(time.perf_counter())
            batch += 1
    finally:
        db.close()


def _wait_for(commits: list[float], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(commits) < count:
        assert time.monotonic() < deadline, "the writer stopped writing"
        time.sleep(0.001)


def test_a_backup_while_another_connection_writes_is_one_committed_moment(tmp_path):
    source = tmp_path / "bot.db"
    db = sqlite3.connect(source, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE lines (id INTEGER PRIMARY KEY, batch INTEGER, text TEXT)")
    db.execute("CREATE TABLE counter (n INTEGER)")
    db.execute("INSERT INTO counter VALUES (0)")
    # a few MB, so that a copy takes long enough for writes to land during it
    db.executemany("INSERT INTO lines(batch, text) VALUES(-1, ?)",
                   [("y" * 1000,) for _ in range(5000)])
    db.execute("UPDATE counter SET n = 5000")
    db.close()
    stop, commits = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(source, stop, commits))
    thread.start()
    try:
        _wait_for(commits, 5)
        counts = []
        during = 0
        for i in range(6):
            _wait_for(commits, len(commits) + 1)  # the writer moved on since the last copy
            before = len(commits)
            made = backup(source, tmp_path / f"copy{i}.db")
            during += len(commits) - before
            assert _rows(made.path, "PRAGMA quick_check") == [("ok",)]
            (rows,), (counter,) = (_rows(made.path, "SELECT count(*) FROM lines")[0],
                                   _rows(made.path, "SELECT n FROM counter")[0])
            assert rows == counter and (rows - 5000) % 10 == 0  # no half transaction
            counts.append(rows)
    finally:
        stop.set()
        thread.join()
    assert counts == sorted(counts) and counts[-1] > counts[0] >= 5050
    assert during > 0  # the writer was never held up for the length of the backups
    assert _rows(source, "SELECT count(*) FROM lines")[0][0] >= counts[-1]


async def test_an_open_write_transaction_neither_blocks_nor_leaks_into_the_copy(tmp_path):
    source = tmp_path / "bot.db"
    await _bot_database(source)
    storage = Storage(source)  # the bot, running
    await storage.open()
    other = sqlite3.connect(source, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO platform_state VALUES ('pending', 'not committed')")
        started = time.perf_counter()
        made = backup(source, tmp_path / "copy.db")
        assert time.perf_counter() - started < 2.0
        assert _rows(made.path, "SELECT key FROM platform_state ORDER BY key") == [
            ("twitch:tokens",)]
    finally:
        other.execute("ROLLBACK")
        other.close()
        await storage.close()


def test_a_missing_database_is_reported_and_nothing_is_created(tmp_path, capsys):
    dest = tmp_path / "copy.db"
    assert main(["backup", "-c", str(_config(tmp_path)), str(dest)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bot.db'} does not exist" in err and "[bot] database" in err
    assert not dest.exists() and not (tmp_path / "bot.db").exists()


def test_a_file_that_is_not_a_database_is_reported(tmp_path, capsys):
    (tmp_path / "bot.db").write_text("not sqlite at all " * 100)
    assert main(["backup", "-c", str(_config(tmp_path)), str(tmp_path / "copy.db")]) == 2
    assert "not a SQLite file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.db", "bot.toml"]


async def test_an_unwritable_destination_is_reported_with_the_fix(tmp_path, capsys):
    await _bot_database(tmp_path / "bot.db")
    config = str(_config(tmp_path))
    assert main(["backup", "-c", config, str(tmp_path / "nowhere" / "copy.db")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and f"mkdir -p {tmp_path / 'nowhere'}" in err
    (tmp_path / "afile").write_text("")
    assert main(["backup", "-c", config, str(tmp_path / "afile" / "copy.db")]) == 2
    assert "is not a folder" in capsys.readouterr().err


async def test_permission_denied_says_who_needs_access(tmp_path, monkeypatch):
    await _bot_database(tmp_path / "bot.db")
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(backup_module.tempfile, "mkstemp", refuse)
    with pytest.raises(BackupError, match=f"permission denied.*write access to {folder}"):
        backup(tmp_path / "bot.db", folder / "copy.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
async def test_a_read_only_folder_is_refused(tmp_path):
    await _bot_database(tmp_path / "bot.db")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(BackupError, match="permission denied"):
            backup(tmp_path / "bot.db", folder / "copy.db")
    finally:
        folder.chmod(0o700)


async def test_dest_cannot_be_the_database_itself(tmp_path):
    await _bot_database(tmp_path / "bot.db")
    with pytest.raises(BackupError, match="the database itself"):
        backup(tmp_path / "bot.db", tmp_path / "." / "bot.db")


async def test_a_folder_dest_gets_time_stamped_copies_and_keep_prunes_the_oldest(tmp_path):
    await _bot_database(tmp_path / "bot.db")
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    made = [backup(tmp_path / "bot.db", folder, keep=2, now=start + timedelta(days=d))
            for d in range(3)]
    assert made[0].path.name == "bot-20261201T030000Z.db"
    assert made[2].removed == (made[0].path,)
    assert sorted(p.name for p in folder.iterdir()) == [
        "bot-20261202T030000Z.db", "bot-20261203T030000Z.db", "notes.txt"]
    again = backup(tmp_path / "bot.db", folder, keep=2, now=start + timedelta(days=2))
    assert again.path.name == "bot-20261203T030000Z-1.db"  # same second: a new name
    assert again.removed == (folder / "bot-20261202T030000Z.db",)
    assert all(_mode(p) == 0o600 for p in folder.glob("bot-*.db"))


async def test_the_cli_backs_up_into_a_folder_and_refuses_keep_zero(tmp_path, capsys):
    await _bot_database(tmp_path / "bot.db")
    folder = tmp_path / "backups"
    folder.mkdir()
    config = str(_config(tmp_path))
    assert main(["backup", "-c", config, str(folder), "--keep", "3"]) == 0
    assert len(list(folder.glob("bot-*.db"))) == 1
    with pytest.raises(SystemExit) as exit_:
        main(["backup", "-c", config, str(folder), "--keep", "0"])
    assert exit_.value.code == 2
    assert "at least 1" in capsys.readouterr().err
