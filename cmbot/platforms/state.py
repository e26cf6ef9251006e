"""A small key/value table adapters keep in the bot's database (command hashes, long
button ids, refreshed tokens). Values may be secret: never log them."""

from __future__ import annotations

from ..storage import Storage

MIGRATIONS = [
    """CREATE TABLE platform_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
]


class PlatformState:
    """``get``/``set``/``delete`` string values by key, committed at once."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def open(self) -> None:
        await self.storage.migrate("cmbot.platforms", MIGRATIONS)

    async def get(self, key: str) -> str | None:
        value = await self.storage.fetchval("SELECT value FROM platform_state WHERE key=?",
                                            (key,))
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        await self.storage.execute(
            "INSERT INTO platform_state(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    async def delete(self, key: str) -> None:
        await self.storage.execute("DELETE FROM platform_state WHERE key=?", (key,))
