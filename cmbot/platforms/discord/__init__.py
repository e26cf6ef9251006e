"""Discord support (discord.py 2.7). Import :class:`DiscordAdapter` from here."""

from .adapter import DiscordAdapter
from .invite import invite_url

__all__ = ["DiscordAdapter", "invite_url"]
