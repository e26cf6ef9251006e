"""What every part of the Discord adapter shares: its state, Discord objects to core
types, and reporting what a server admin must fix."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from ...model import Channel, Platform, User
from ..base import PlatformAdapter
from .roles import RoleMap, moderates

if TYPE_CHECKING:
    from ..base import Inbound
    from ..state import PlatformState

log = logging.getLogger("cmbot.discord")

UNKNOWN_CHANNEL, UNKNOWN_GUILD, UNKNOWN_MEMBER, UNKNOWN_MESSAGE = 10003, 10004, 10007, 10008
UNKNOWN_USER, UNKNOWN_EVENT = 10013, 10070
MISSING_ACCESS, MISSING_PERMISSIONS = 50001, 50013
_GONE = {UNKNOWN_MEMBER: "that member is no longer in the server",
         UNKNOWN_USER: "that user no longer exists",
         UNKNOWN_MESSAGE: "that message is already gone",
         UNKNOWN_EVENT: "that scheduled event was deleted in Discord"}
"""Discord error codes of a 404 that name something gone which the config does not name."""


class DiscordShared(PlatformAdapter):
    """The adapter's state and helpers; :class:`DiscordAdapter` sets the attributes."""

    client: discord.Client | None
    bot: Inbound | None
    state: PlatformState | None
    roles: RoleMap
    guild_ids: set[int]
    homes: frozenset[int] | None
    """The servers a bare channel name means: ``guild_ids``, else the one server the bot
    was in when it connected (none if it was in several); None until connected."""
    _reported: set[str]

    def _serves(self, guild: discord.Guild | None) -> bool:
        return guild is not None and (not self.guild_ids or guild.id in self.guild_ids)

    @staticmethod
    def _channel(channel: Any, channel_id: int | None = None,
                 guild_id: int | None = None) -> Channel:
        cid = getattr(channel, "id", None) or channel_id
        name = getattr(channel, "name", None) or str(cid)
        guild = getattr(getattr(channel, "guild", None), "id", None) or guild_id
        return Channel(Platform.DISCORD, str(cid), name, str(guild) if guild else "")

    def complete(self, channel: Channel) -> Channel:
        """A channel stored without its server (before servers were kept) gets it from
        the cache; one the bot no longer sees stays as it is (named by its id only)."""
        if channel.guild or self.client is None or not channel.id.isdigit():
            return channel
        guild = getattr(self.client.get_channel(int(channel.id)), "guild", None)
        if guild is None:
            return channel
        return Channel(channel.platform, channel.id, channel.name, str(guild.id))

    def bind(self, ref: str) -> list[str]:
        """``discord:general`` means #general of each home server (none before connecting,
        or when the bot is in several servers and no ``guild_ids`` say which);
        ``discord:GUILD_ID/general`` only a served server's; a channel id itself."""
        rest = ref.partition(":")[2].lstrip("#")
        guild, bound, _ = rest.partition("/")
        if bound:
            served = guild.isdigit() and (not self.guild_ids or int(guild) in self.guild_ids)
            return [ref] if served else []
        if rest.isdigit():  # ids are unique across servers: no other server has it
            found = self.client.get_channel(int(rest)) if self.client is not None else None
            if found is not None and not self._serves(getattr(found, "guild", None)):
                return []
            return [ref]
        return [f"discord:{home}/{rest}" for home in sorted(self.homes or ())]

    def _user(self, member: discord.abc.User) -> User:
        return User(Platform.DISCORD, str(member.id), member.name, member.display_name,
                    self.roles.role_of(member), is_bot=member.bot,
                    moderates=moderates(member))

    def _guild_of(self, channel: Channel) -> discord.Guild | None:
        """The server the channel is in (actions against members go to it, no other)."""
        if self.client is None or not channel.id.isdigit():
            return None
        found = getattr(self.client.get_channel(int(channel.id)), "guild", None)
        if found is None and channel.guild.isdigit():
            found = self.client.get_guild(int(channel.guild))
        if found is None or (channel.guild and str(found.id) != channel.guild):
            return None  # a channel said to be in one server but found in another
        return found if isinstance(found, discord.Guild) else None

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
        elif isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_CHANNEL:
            self._report(f"404:{doing}:{channel.id}",
                         f"Discord could not {doing} in #{channel.name} ({channel.id}): it "
                         f"no longer exists. Fix: remove it from the config ({exc.text})")
        elif isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_GUILD:
            self._report(f"404:{doing}:guild:{channel.guild}",
                         f"Discord could not {doing} in #{channel.name} ({channel.id}): the "
                         f"bot is no longer in its server. Fix: invite the bot again, or "
                         f"remove that server's channels from the config ({exc.text})")
        elif isinstance(exc, discord.NotFound) and exc.code in _GONE:
            log.warning("Discord could not %s in #%s: %s", doing, channel.name,
                        _GONE[exc.code])
        else:  # another 404 (a route Discord does not have) is not about the config
            log.warning("Discord error while trying to %s in #%s: %s (code %s) %s", doing,
                        channel.name, exc.status, exc.code, exc.text)
