import pytest

from cmbot.storage import MigrationError, Storage


@pytest.fixture
async def storage(tmp_path):
    store = Storage(tmp_path / "t.db")
    await store.open()
    yield store
    await store.close()


async def test_wal_and_foreign_keys_are_on(storage):
    assert (await storage.fetchval("PRAGMA journal_mode")).lower() == "wal"
    assert await storage.fetchval("PRAGMA foreign_keys") == 1


async def test_migrations_apply_once_in_order_and_resume_from_the_stored_version(tmp_path):
    steps = ["CREATE TABLE a (x INTEGER);", "ALTER TABLE a ADD COLUMN y TEXT;"]
    store = Storage(tmp_path / "m.db")
    await store.open()
    assert await store.migrate("p", steps[:1]) == 1
    assert await store.migrate("p", steps[:1]) == 0
    await store.close()
    store = Storage(tmp_path / "m.db")
    await store.open()
    assert await store.migrate("p", steps) == 1
    assert await store.schema_version("p") == 2
    await store.execute("INSERT INTO a(x, y) VALUES(1, 'z')")
    await store.close()


async def test_a_failing_migration_step_leaves_nothing_half_applied(storage):
    steps = ["CREATE TABLE ok (x INTEGER);",
             "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);"]
    with pytest.raises(MigrationError, match="migration step 2 failed"):
        await storage.migrate("p", steps)
    assert await storage.schema_version("p") == 1
    assert await storage.fetchval(
        "SELECT COUNT(*) FROM sqlite_master WHERE name='half'") == 0


async def test_a_database_from_a_newer_plugin_is_refused(storage):
    await storage.migrate("p", ["CREATE TABLE a (x);", "CREATE TABLE b (x);"])
    with pytest.raises(MigrationError, match="newer version of the plugin"):
        await storage.migrate("p", ["CREATE TABLE a (x);"])


async def test_a_transaction_is_all_or_nothing(storage):
    await storage.execute("CREATE TABLE t (x INTEGER UNIQUE)")
    with pytest.raises(Exception, match="UNIQUE"):
        async with storage.transaction() as db:
            await db.execute("INSERT INTO t VALUES (1)")
            await db.execute("INSERT INTO t VALUES (1)")
    assert await storage.fetchval("SELECT COUNT(*) FROM t") == 0


async def test_a_write_is_visible_to_another_connection_when_execute_returns(storage, tmp_path):
    import sqlite3
    await storage.execute("CREATE TABLE votes (v INTEGER)")
    await storage.execute("INSERT INTO votes VALUES (7)")
    other = sqlite3.connect(tmp_path / "t.db")
    assert other.execute("SELECT v FROM votes").fetchall() == [(7,)]
    other.close()


@pytest.mark.parametrize("content", [b"\x8f\x02random bytes, not a database" * 200,
                                     b"SQLite format 3\x00" + b"\x00\x10truncated"],
                         ids=["random", "truncated"])
def test_a_broken_database_stops_start_up_with_one_line_and_an_exit_code(tmp_path, content):
    """A database fault at start-up used to print a traceback and then hang (the
    connection thread was never closed): now one line names the file and the fix."""
    import subprocess
    import sys

    (tmp_path / "bot.db").write_bytes(content)
    config = tmp_path / "bot.toml"
    config.write_text('[bot]\ndatabase = "bot.db"\n')
    done = subprocess.run([sys.executable, "-m", "cmbot", "run", "-c", str(config)],
                          input="!help\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("cmbot:")]
    assert len(errors) == 1 and "bot.db" in errors[0] and "Fix:" in errors[0]


def _scrambled(path):
    """A real bot database whose schema page is overwritten with noise."""
    import random
    import sqlite3
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE cmbot_migrations (plugin TEXT PRIMARY KEY, version INTEGER)")
    db.executemany("INSERT INTO cmbot_migrations VALUES (?, 1)",
                   [(f"plugin{i}" * 20,) for i in range(500)])
    db.commit()
    db.close()
    data = bytearray(path.read_bytes())
    noise = random.Random(7).randbytes(3000)
    data[100:3100] = noise  # the schema table, just past the 100-byte header
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("fault", ["scrambled page", "read-only file"])
def test_a_damaged_or_unwritable_database_stops_start_up_with_one_line(tmp_path, fault):
    import os
    import subprocess
    import sys

    path = tmp_path / "bot.db"
    if fault == "scrambled page":
        _scrambled(path)
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes read-only files")
        path.write_bytes(b"")
        path.chmod(0o400)
    config = tmp_path / "bot.toml"
    config.write_text('[bot]\ndatabase = "bot.db"\n')
    done = subprocess.run([sys.executable, "-m", "cmbot", "run", "-c", str(config)],
                          input="!help\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("cmbot:")]
    assert len(errors) == 1 and "bot.db" in errors[0] and "Fix:" in errors[0]


async def test_a_new_database_is_readable_by_its_owner_only(tmp_path):
    store = Storage(tmp_path / "new.db")
    await store.open()
    await store.execute("CREATE TABLE t (x)")  # creates the -wal file too
    await store.close()
    for name in ("new.db", "new.db-wal", "new.db-shm"):
        path = tmp_path / name
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, name


async def test_an_existing_database_readable_by_others_is_reported(tmp_path, caplog):
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    store = Storage(path)
    await store.open()
    await store.close()
    assert any("chmod 600" in r.getMessage() for r in caplog.records)
