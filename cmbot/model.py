"""Core types shared by the runtime, the adapters and every plugin.

Plugins only ever see these types: adapters translate Discord and Twitch objects into
them and turn core actions back into API calls.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class Platform(enum.StrEnum):
    """Where a message came from or goes to."""

    DISCORD = "discord"
    TWITCH = "twitch"
    CONSOLE = "console"
    FAKE = "fake"


class Role(enum.IntEnum):
    """Privilege levels, ordered. Never reorder or renumber: configs and rows store them."""

    EVERYONE = 0
    SUBSCRIBER = 10
    VIP = 20
    MODERATOR = 30
    BROADCASTER = 40

    @classmethod
    def parse(cls, text: str) -> Role:
        """Read a role name as a user or a config file writes it (``mod``, ``viewer``...)."""
        key = text.strip().lower()
        if key in _ROLE_ALIASES:
            return _ROLE_ALIASES[key]
        names = ", ".join(sorted({r.label for r in cls}))
        raise ValueError(f"unknown role {text!r}; expected one of: {names}")

    @property
    def label(self) -> str:
        return self.name.lower()


_ROLE_ALIASES = {
    "everyone": Role.EVERYONE, "viewer": Role.EVERYONE, "user": Role.EVERYONE,
    "subscriber": Role.SUBSCRIBER, "sub": Role.SUBSCRIBER,
    "vip": Role.VIP,
    "moderator": Role.MODERATOR, "mod": Role.MODERATOR,
    "broadcaster": Role.BROADCASTER, "streamer": Role.BROADCASTER, "owner": Role.BROADCASTER,
    "admin": Role.BROADCASTER,
}

# Outbound length limits per platform (characters).
MAX_MESSAGE_LENGTH = {
    Platform.DISCORD: 2000,
    Platform.TWITCH: 500,
    Platform.CONSOLE: 2000,
    Platform.FAKE: 2000,
}


@dataclass(frozen=True, slots=True)
class User:
    """A chat user. ``key`` is the one canonical identity string used for storage."""

    platform: Platform
    id: str
    name: str
    display_name: str = ""
    role: Role = Role.EVERYONE
    is_bot: bool = False
    moderates: frozenset[str] | None = field(default=None, compare=False)
    """The moderation actions ("delete", "timeout", "ban") the platform itself lets this
    user take (on Discord: their server-wide permissions); None where the platform does not
    say (the role decides). An action a command orders is refused when it is missing."""
    key: str = field(init=False, repr=False, compare=False)
    """``platform:id``, the one canonical identity string used for storage."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.platform.value}:{self.id}")

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name


@dataclass(frozen=True, slots=True)
class Channel:
    """A place where messages are posted: a Discord text channel or a Twitch chat.

    A Discord channel carries its server (``guild``): a name means something only within
    one server, so a reference names a Discord channel by name only together with its
    server (``discord:GUILD_ID/general``; the adapter binds a bare name to the configured
    servers). ``key`` stays ``platform:id`` (Discord channel ids are unique across servers).
    """

    platform: Platform
    id: str
    name: str
    guild: str = ""
    """The Discord server id; "" where the platform has no servers."""
    key: str = field(init=False, repr=False, compare=False)
    """``platform:id``: settings, limits and storage use it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.platform.value}:{self.id}")

    def to_dict(self) -> dict[str, str]:
        """A JSON-friendly form for plugins that store a channel (timers, flags)."""
        data = {"platform": self.platform.value, "id": self.id, "name": self.name}
        if self.guild:
            data["guild"] = self.guild
        return data

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Channel:
        return cls(Platform(data["platform"]), data["id"], data["name"],
                   data.get("guild", ""))

    def matches(self, ref: str) -> bool:
        """True if a config reference like ``twitch:mychannel`` or ``discord:1234`` names it
        (``discord:*``: every channel on that platform).

        A channel with a server (Discord) is named by its id, or by its name or ``*``
        only with its server: ``discord:GUILD_ID/general``, ``discord:GUILD_ID/*``. A bare
        name never matches it: another server can have a channel of that name (even one
        named like this channel's id)."""
        platform, _, rest = ref.partition(":")
        if platform != self.platform.value:
            return False
        guild, bound, rest = rest.lower().rpartition("/")
        rest = rest.lstrip("#")
        if bound:
            if not self.guild or guild != self.guild.lower():
                return False
        elif self.guild:
            return rest == self.id.lower()
        return rest == "*" or rest in (self.id.lower(), self.name.lower())


@dataclass(frozen=True, slots=True)
class Community:
    """Channels on several platforms that act as one audience (shared FAQ, polls...)."""

    name: str
    channels: tuple[str, ...]
    mod_channels: tuple[str, ...] = ()
    announce_channels: tuple[str, ...] = ()
    timezone: str = "UTC"
    language: str = "en"
    """The language its chat is in (``en``, ``fr``): moderation thresholds follow it."""

    def contains(self, channel: Channel,
                 bind: Callable[[str], Iterable[str]] | None = None) -> bool:
        """Its chat, moderator and announcement channels all belong to it (a review
        button pressed in #mod-log acts on the community's queue). ``bind`` turns a
        config reference into the references it means once connected (the runtime's
        directory binds a bare Discord name to the configured servers)."""
        refs = (*self.channels, *self.mod_channels, *self.announce_channels)
        return any(channel.matches(bound) for ref in refs
                   for bound in (bind(ref) if bind is not None else (ref,)))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a user uploaded with a command (a Discord slash-command attachment)."""

    name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message, already cleaned of control characters and oversize text."""

    id: str
    platform: Platform
    channel: Channel
    author: User
    text: str
    sent_at: datetime
    reply_to: str | None = None
    truncated: bool = False
    interactive: bool = False
    """Came from a slash command or a button: the adapter can answer privately there."""
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Button:
    """An interactive button. Pressing it runs ``command`` as the user who pressed it.

    Platforms without buttons show ``!command`` as a text instruction instead.
    """

    label: str
    command: str
    style: str = "secondary"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a plugin answers. ``mention`` allows pinging the author (never roles/everyone)."""

    text: str
    mention: bool = False
    buttons: tuple[Button, ...] = ()
    ephemeral: bool = False
    file: Path | None = None
    """A file to attach where the platform can (Discord); the text should name it too."""


@dataclass(frozen=True, slots=True)
class Later:
    """Returned by ``cmbot_answer`` instead of a reply when the plugin answers from a task it
    started with ``ctx.defer`` (slow work kept off the message path). The message counts
    as answered by that plugin and no other plugin is asked."""


class Capability(enum.StrEnum):
    """What a platform can do; the runtime degrades where one is missing
    (``bot.can(channel, Capability.BUTTONS)``)."""

    BUTTONS = "buttons"
    DELETE = "delete"
    TIMEOUT = "timeout"
    BAN = "ban"
    EPHEMERAL = "ephemeral"
    SLASH_COMMANDS = "slash_commands"
    NATIVE_EVENTS = "native_events"
    WARN = "warn"
    FILES = "files"


class Action(enum.IntEnum):
    """Moderation outcomes, ordered by severity (the most severe verdict wins)."""

    NONE = 0
    FLAG = 10
    DELETE = 20
    TIMEOUT = 30
    BAN = 40


@dataclass(frozen=True, slots=True)
class Verdict:
    """A moderation plugin's decision about one message.

    ``applied``: the plugin already carried the action out through the bot (``bot.delete``,
    ``bot.timeout``, ``bot.ban``) so that it could report each :class:`ActionResult`
    honestly; the core then does not apply it again.
    """

    action: Action
    reason: str
    category: str = "other"
    score: float = 0.0
    timeout_seconds: int = 0
    flag_id: int | None = None
    applied: bool = False


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What became of a moderation action a plugin asked for (``await bot.delete(m)``).

    ``done`` is True when the platform carried it out; otherwise ``problem`` says why:
    ``"unsupported"`` (the platform cannot), ``"rate limited"``, ``"refused"`` (the
    platform said no: a missing permission, a deleted message) or ``"no platform"``; an
    action a command ordered that its author may not have done there says why in words
    (ordered from another Discord server, a missing permission).
    """

    action: str
    done: bool
    problem: str = ""

    def __bool__(self) -> bool:
        return self.done
