"""cmbot: a self-hosted community-manager bot for Discord and Twitch.

Everything a plugin needs comes from here (and :mod:`cmbot.testing` for its tests): the
core types, ``hookimpl``, commands, settings, the :class:`Bot` a plugin sees and its
:class:`Context`, and a few helpers. Plugins never import discord, twitchio or cmbot's
internals.
"""

from __future__ import annotations

import pluggy

from .cache import Cache
from .commands import Arg, CliCommand, Command, CommandError, UsageError, UserRef, describe
from .context import Context
from .cron import Cron, CronError
from .csvfile import csv_cell, csv_text, csv_value
from .face import Bot, Commands, Statements, Store, Timers
from .model import (
    Action,
    ActionResult,
    Attachment,
    Button,
    Capability,
    Channel,
    Community,
    Later,
    Message,
    Platform,
    Reply,
    Role,
    User,
    Verdict,
)
from .numbers import parse_int, parse_number
from .ratelimit import Priority
from .safety import literal, neutralise_mentions
from .scheduler import Timer
from .settings import Setting
from .timeparse import format_countdown, format_duration, get_zone, parse_duration, parse_when

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("cmbot")
"""Marker for plugin hook implementations: ``@hookimpl def cmbot_answer(ctx, message): ...``"""

__all__ = [
    "Action", "ActionResult", "Arg", "Attachment", "Bot", "Button", "Cache", "Capability",
    "Channel", "CliCommand", "Command", "CommandError", "Commands", "Community", "Context",
    "Cron", "CronError", "Later", "Message", "Platform", "Priority", "Reply", "Role",
    "Setting", "Statements", "Store", "Timer", "Timers", "UsageError", "User", "UserRef",
    "Verdict", "__version__", "csv_cell", "csv_text", "csv_value", "describe",
    "format_countdown", "format_duration", "get_zone", "hookimpl", "neutralise_mentions",
    "literal", "parse_duration", "parse_int", "parse_number", "parse_when",
]
