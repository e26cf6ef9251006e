"""Discord support (discord.py 2.7). Import :class:`DiscordAdapter` from here."""

from .adapter import DiscordAdapter, invite_url

__all__ = ["DiscordAdapter", "invite_url"]
