"""Twitch moderation through the Helix moderation endpoints: deleting messages, timeouts,
warnings and bans, each as the bot account (a moderator of the channel)."""

from __future__ import annotations

import logging
from typing import Any

import twitchio

from ...model import Channel, Message, User
from ..base import PlatformAdapter

log = logging.getLogger("cmbot.twitch")

MAX_TIMEOUT = 1_209_600  # two weeks, Helix's limit


class TwitchModeration(PlatformAdapter):
    """The moderation half of the adapter's contract; :class:`TwitchAdapter` sets the
    attributes."""

    client: twitchio.Client | None
    bot_id: str
    _reported: set[str]

    def _report(self, key: str, text: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s", text)

    def _broadcaster(self, channel: Channel) -> twitchio.PartialUser | None:
        if self.client is None:
            return None
        return self.client.create_partialuser(channel.id, channel.name)

    async def _moderate(self, channel: Channel, doing: str, call: Any) -> bool:
        try:
            await call
            return True
        except twitchio.HTTPException as exc:
            if exc.status in (401, 403):
                name = self.bot_user.name if self.bot_user else "yourbot"
                self._report(f"mod:{channel.id}:{doing}",
                             f"Twitch refused to {doing} in #{channel.name} ({exc.status}). "
                             f"Fix: make the bot a moderator there (/mod {name}) and give its "
                             f"token the moderator:manage:* scopes")
            else:
                log.warning("%s in #%s failed: %s", doing, channel.name, exc.status)
            return False

    async def delete(self, message: Message) -> bool:
        broadcaster = self._broadcaster(message.channel)
        if broadcaster is None:
            return False
        return await self._moderate(message.channel, "delete a message",
                                    broadcaster.delete_chat_messages(
                                        moderator=self.bot_id, message_id=message.id,
                                        token_for=self.bot_id))

    async def timeout(self, user: User, channel: Channel, seconds: int, reason: str) -> bool:
        broadcaster = self._broadcaster(channel)
        if broadcaster is None:
            return False
        return await self._moderate(channel, "time out a user", broadcaster.timeout_user(
            moderator=self.bot_id, user=user.id, duration=max(1, min(int(seconds), MAX_TIMEOUT)),
            reason=reason[:500], token_for=self.bot_id))

    async def warn(self, user: User, channel: Channel, reason: str) -> bool:
        broadcaster = self._broadcaster(channel)
        if broadcaster is None:
            return False
        return await self._moderate(channel, "warn a user", broadcaster.warn_user(
            moderator=self.bot_id, user_id=user.id, reason=reason[:500],
            token_for=self.bot_id))

    async def ban(self, user: User, channel: Channel, reason: str) -> bool:
        broadcaster = self._broadcaster(channel)
        if broadcaster is None:
            return False
        return await self._moderate(channel, "ban a user", broadcaster.ban_user(
            moderator=self.bot_id, user=user.id, reason=reason[:500], token_for=self.bot_id))
