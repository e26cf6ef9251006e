"""What every part of the Discord adapter shares: its state, Discord objects to core
types, and reporting what a server admin must fix."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from ...model import Channel, Platform, User
from ..base import PlatformAdapter

if TYPE_CHECKING:
    from ..base import Inbound
    from ..state import PlatformState
    from .roles import RoleMap

log = logging.getLogger("cmbot.discord")


class DiscordShared(PlatformAdapter):
    """The adapter's state and helpers; :class:`DiscordAdapter` sets the attributes."""

    client: discord.Client | None
    bot: Inbound | None
    state: PlatformState | None
    roles: RoleMap
    guild_ids: set[int]
    _reported: set[str]

    def _serves(self, guild: discord.Guild | None) -> bool:
        return guild is not None and (not self.guild_ids or guild.id in self.guild_ids)

    @staticmethod
    def _channel(channel: Any, channel_id: int | None = None) -> Channel:
        cid = getattr(channel, "id", None) or channel_id
        name = getattr(channel, "name", None) or str(cid)
        return Channel(Platform.DISCORD, str(cid), name)

    def _user(self, member: discord.abc.User,
              permissions: discord.Permissions | None = None) -> User:
        return User(Platform.DISCORD, str(member.id), member.name, member.display_name,
                    self.roles.role_of(member, permissions), is_bot=member.bot)

    def _guild_of(self, channel: Channel) -> discord.Guild | None:
        if self.client is None or not channel.id.isdigit():
            return None
        found = self.client.get_channel(int(channel.id))
        return getattr(found, "guild", None)

    def _report(self, key: str, text: str) -> None:
        """Log a problem the server admin must fix once, not on every message."""
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s", text)

    def _http_problem(self, exc: discord.HTTPException, channel: Channel, doing: str) -> None:
        if isinstance(exc, discord.Forbidden):
            self._report(f"403:{doing}:{channel.id}",
                         f"Discord refused to {doing} in #{channel.name} ({channel.id}): "
                         f"missing permissions. Fix: give the bot's role View Channel, Send "
                         f"Messages, Manage Messages and Timeout Members there "
                         f"({exc.text})")
        elif isinstance(exc, discord.NotFound):
            self._report(f"404:{doing}:{channel.id}",
                         f"Discord could not {doing} in #{channel.name} ({channel.id}): it "
                         f"no longer exists. Fix: remove it from the config ({exc.text})")
        else:
            log.warning("Discord error while trying to %s in #%s: %s %s", doing,
                        channel.name, exc.status, exc.text)
