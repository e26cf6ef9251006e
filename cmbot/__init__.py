"""cmbot: a self-hosted community-manager bot for Discord and Twitch.

Plugins import everything they need from here and never import discord or twitchio.
"""

from __future__ import annotations

import pluggy

from .commands import Arg, Command, CommandError, UsageError, UserRef
from .config import Setting
from .context import Context
from .model import (
    Action,
    Attachment,
    Button,
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
from .ratelimit import Priority
from .scheduler import Timer

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("cmbot")
"""Marker for plugin hook implementations: ``@hookimpl def cmbot_answer(ctx, message): ...``"""

__all__ = [
    "Action", "Arg", "Attachment", "Button", "Channel", "Command", "CommandError", "Community",
    "Context", "Later", "Message", "Platform", "Priority", "Reply", "Role", "Setting", "Timer",
    "UsageError", "User", "UserRef", "Verdict", "__version__", "hookimpl",
]
