"""Twitch support (twitchio 3). Import :class:`TwitchAdapter` from here."""

from .adapter import BOT_SCOPES, BROADCASTER_SCOPES, TwitchAdapter

__all__ = ["BOT_SCOPES", "BROADCASTER_SCOPES", "TwitchAdapter"]
