"""Discord members to core roles."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import discord

from ...model import Role


@dataclass(frozen=True)
class RoleMap:
    """Role ids from ``[discord]`` that lift a member to a core role."""

    moderator: frozenset[int] = frozenset()
    vip: frozenset[int] = frozenset()
    subscriber: frozenset[int] = frozenset()

    @classmethod
    def from_config(cls, section: dict[str, object]) -> RoleMap:
        def ids(key: str) -> frozenset[int]:
            values = section.get(key) or []
            assert isinstance(values, Collection)
            return frozenset(int(v) for v in values if str(v).strip().isdigit())
        return cls(ids("moderator_role_ids"), ids("vip_role_ids"), ids("subscriber_role_ids"))

    def role_of(self, member: discord.abc.User) -> Role:
        """Administrator or Manage Server: broadcaster; Manage Messages or Timeout Members
        (or a configured moderator role): moderator; then configured vip/subscriber roles
        (server boosters count as subscribers).

        Only server-wide permissions count: a role is community-wide, and a permission
        granted in one channel (an overwrite) moderates that channel only."""
        if not isinstance(member, discord.Member):
            return Role.EVERYONE
        perms = member.guild_permissions
        if member.guild.owner_id == member.id or perms.administrator or perms.manage_guild:
            return Role.BROADCASTER
        role_ids = {r.id for r in member.roles}
        if perms.manage_messages or perms.moderate_members or role_ids & self.moderator:
            return Role.MODERATOR
        if role_ids & self.vip:
            return Role.VIP
        if role_ids & self.subscriber or member.premium_since is not None:
            return Role.SUBSCRIBER
        return Role.EVERYONE


ACTION_PERMISSIONS = {"delete": ("manage_messages", "Manage Messages"),
                      "timeout": ("moderate_members", "Timeout Members"),
                      "ban": ("ban_members", "Ban Members")}
"""The server permission each moderation action needs, and its name in Discord's UI."""


def moderates(member: discord.abc.User) -> frozenset[str]:
    """The actions a member's server-wide permissions allow (none outside a server)."""
    if not isinstance(member, discord.Member):
        return frozenset()
    perms = member.guild_permissions
    return frozenset(action for action, (flag, _) in ACTION_PERMISSIONS.items()
                     if getattr(perms, flag))
