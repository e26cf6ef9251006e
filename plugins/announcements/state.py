"""The announcements plugin's memory: the store, chat lines counted per channel for the
timers' activity gate, and the settings an event or channel is announced with."""

from __future__ import annotations

import logging
from typing import Any

from cmbot import Bot, Channel

from .store import AnnouncementStore, Event

PLATFORMS = ("discord", "twitch", "console")
log = logging.getLogger("cmbot.plugins.announcements")
MAX_REMINDERS = 5
MAX_TEXTS = 5


class AnnState:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = AnnouncementStore(bot.db)
        self.lines: dict[str, int] = {}


def state_of(bot: Bot) -> AnnState:
    return bot.state(AnnState)


def settings_for(bot: Bot, event_or_channel: Event | Channel) -> dict[str, Any]:
    channel = (event_or_channel if isinstance(event_or_channel, Channel)
               else Channel.from_dict(event_or_channel.origin))
    return bot.settings(channel)
