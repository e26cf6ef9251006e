"""Discord moderation and scheduled events: deleting messages, timing out and banning
members, and the guild events behind ``!event``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from ...model import Channel, Message, Platform, User
from .roles import ACTION_PERMISSIONS
from .shared import UNKNOWN_EVENT, DiscordShared, log

MAX_TIMEOUT = 28 * 86400  # Discord's limit for member timeouts


class DiscordModeration(DiscordShared):
    """The moderation half of the adapter's contract."""

    def order_problem(self, order: Message, action: str, target: Channel) -> str:
        """A moderator of one server never acts in another (a community may span several
        servers, or another server's owner may try a flag id of this one)."""
        if order.channel.platform is not Platform.DISCORD or \
                target.platform is not Platform.DISCORD:
            return ""
        ordered, acting = self._guild_of(order.channel), self._guild_of(target)
        if ordered is None or acting is None:
            return (f"the bot does not know which server #{target.name} is in (it may have "
                    f"left it), so no {action} is done there")
        if ordered.id != acting.id:
            return (f"ordered from another Discord server: {action} is only done in the "
                    f"server it was ordered from")
        allowed = order.author.moderates
        if action in ACTION_PERMISSIONS and allowed is not None and action not in allowed:
            return (f"{order.author.shown_name} lacks the {ACTION_PERMISSIONS[action][1]} "
                    f"permission in this server")
        return ""

    async def delete(self, message: Message) -> bool:
        if self.client is None or not message.id.isdigit():
            return False
        try:
            await self.client.http.delete_message(int(message.channel.id), int(message.id),
                                                  reason="cmbot moderation")
            return True
        except discord.NotFound:
            return True  # already gone
        except discord.HTTPException as exc:
            self._http_problem(exc, message.channel, "delete a message")
            return False

    async def timeout(self, user: User, channel: Channel, seconds: int, reason: str) -> bool:
        guild = self._guild_of(channel)
        if guild is None or self.client is None:
            return False
        until = datetime.now(UTC) + timedelta(seconds=min(int(seconds), MAX_TIMEOUT))
        try:
            await self.client.http.edit_member(guild.id, int(user.id), reason=reason[:512],
                                               communication_disabled_until=until.isoformat())
            return True
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "time out a member")
            return False

    async def ban(self, user: User, channel: Channel, reason: str) -> bool:
        guild = self._guild_of(channel)
        if guild is None or self.client is None:
            return False
        try:
            await self.client.http.ban(int(user.id), guild.id, 0, reason=reason[:512])
            return True
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "ban a member")
            return False

    async def upsert_native_event(self, channel: Channel, native_id: str | None, *,
                                  title: str, starts_at: float, ends_at: float,
                                  description: str, location: str) -> str | None:
        guild = self._guild_of(channel)
        if guild is None or self.client is None:
            return None
        payload: dict[str, Any] = {
            "name": title[:100] or "Event",
            "scheduled_start_time": datetime.fromtimestamp(starts_at, UTC).isoformat(),
            "scheduled_end_time": datetime.fromtimestamp(max(ends_at, starts_at + 60),
                                                         UTC).isoformat(),
            "description": description[:1000],
            "entity_type": discord.EntityType.external.value,
            "privacy_level": discord.PrivacyLevel.guild_only.value,
            "entity_metadata": {"location": (location or "online")[:100]},
        }
        http = self.client.http
        data: Any = None
        try:
            if native_id:
                try:
                    data = await http.edit_scheduled_event(guild.id, int(native_id), **payload)
                except discord.NotFound as exc:
                    if exc.code != UNKNOWN_EVENT:
                        raise
                    log.info("scheduled event %s was deleted in Discord; creating it again",
                             native_id)
            if data is None:
                data = await http.create_guild_scheduled_event(guild.id, **payload)
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "manage scheduled events")
            return None
        return str(data["id"])

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool:
        guild = self._guild_of(channel)
        if guild is None or self.client is None or not native_id.isdigit():
            return False
        try:
            await self.client.http.delete_scheduled_event(guild.id, int(native_id))
            return True
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "manage scheduled events")
            return False
