"""Commands held with their flag. A command line that moderation flags does not run (a
toxic ``!feedback`` is not stored as feedback), but it is not lost either: it waits with
its flag, its author is told so, and a moderator who allows the flag runs it as typed,
as its author. Removing the flag, or its author's ``!forgetme``, drops it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from .model import Channel, Message, Platform, Role, User
from .storage import Storage

MIGRATIONS = [
    """
    CREATE TABLE cmbot_held (
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        message TEXT NOT NULL,
        held_at REAL NOT NULL,
        PRIMARY KEY (channel, message_id)
    );
    CREATE INDEX cmbot_held_user ON cmbot_held(user_key);
    """,
]
KEEP_SECONDS = 30 * 86400.0
"""A held command nobody decided is dropped after this long (a flag's retention)."""

RunLine = Callable[[Message, str], Awaitable[str | None]]


def _encode(message: Message) -> str:
    author = message.author
    return json.dumps({
        "id": message.id, "channel": message.channel.to_dict(), "text": message.text,
        "sent_at": message.sent_at.timestamp(),
        "author": {"id": author.id, "name": author.name,
                   "display_name": author.display_name, "role": int(author.role)},
    })


def _decode(data: str) -> Message:
    raw: dict[str, Any] = json.loads(data)
    channel = Channel.from_dict(raw["channel"])
    who = raw["author"]
    author = User(channel.platform, who["id"], who["name"], who["display_name"],
                  Role(who["role"]))
    return Message(raw["id"], Platform(channel.platform), channel, author, raw["text"],
                   datetime.fromtimestamp(raw["sent_at"], UTC))


class HeldCommands:
    """The held command lines, stored so that a restart loses none."""

    def __init__(self, storage: Storage, run_line: RunLine, prefix: str,
                 now: Callable[[], float]) -> None:
        self._db = storage
        self._run_line = run_line
        self._prefix = prefix
        self._now = now

    async def hold(self, message: Message) -> None:
        """Keep a flagged command line until a moderator decides its flag."""
        now = self._now()
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM cmbot_held WHERE held_at < ?", (now - KEEP_SECONDS,))
            await tx.execute(
                "INSERT OR REPLACE INTO cmbot_held(channel, message_id, user_key, message, "
                "held_at) VALUES(?, ?, ?, ?, ?)",
                (message.channel.key, message.id, message.author.key, _encode(message), now))

    async def _take(self, message: Message) -> Message | None:
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT message FROM cmbot_held WHERE channel=? AND "
                                    "message_id=?", (message.channel.key, message.id))
            if row is None:
                return None
            await tx.execute("DELETE FROM cmbot_held WHERE channel=? AND message_id=?",
                             (message.channel.key, message.id))
        return _decode(row["message"])

    async def run(self, message: Message) -> str | None:
        """Run the command held with ``message`` (the flagged one) as its author typed it;
        the command's name, or None when nothing was held (or it was already run)."""
        held = await self._take(message)
        if held is None:
            return None
        return await self._run_line(held, held.text[len(self._prefix):])

    async def drop(self, message: Message) -> None:
        await self._take(message)

    async def forget(self, user_key: str) -> None:
        await self._db.execute("DELETE FROM cmbot_held WHERE user_key=?", (user_key,))
