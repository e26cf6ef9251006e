"""An in-memory platform: records every action. Used by tests, benchmarks and the console."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Button, Channel, Message, Platform, Role, User
from .base import Capability, PlatformAdapter

if TYPE_CHECKING:
    from .base import Inbound

CAPABILITIES = {
    Platform.DISCORD: frozenset({Capability.BUTTONS, Capability.DELETE, Capability.TIMEOUT,
                                 Capability.BAN, Capability.EPHEMERAL,
                                 Capability.SLASH_COMMANDS, Capability.NATIVE_EVENTS,
                                 Capability.FILES}),
    Platform.TWITCH: frozenset({Capability.DELETE, Capability.TIMEOUT, Capability.BAN}),
    Platform.CONSOLE: frozenset({Capability.DELETE, Capability.TIMEOUT}),
    Platform.FAKE: frozenset({Capability.DELETE, Capability.TIMEOUT}),
}


@dataclass(frozen=True)
class Sent:
    """One action the bot took on a platform."""

    kind: str  # send | delete | timeout | ban
    platform: Platform
    channel: Channel
    text: str = ""
    id: str = ""
    buttons: tuple[Button, ...] = ()
    reply_to: str | None = None
    user: User | None = None
    seconds: int = 0
    reason: str = ""
    at: float = 0.0
    ephemeral: bool = False
    file: Path | None = None

    def __str__(self) -> str:
        return format_action(self)


def format_action(action: Sent, bot_name: str = "cmbot") -> str:
    """One line per bot action, as the console and transcripts show it."""
    from ..timeparse import format_duration

    where = f"[{action.platform.value} #{action.channel.name}]"
    if action.kind == "send":
        buttons = "".join(f" [{b.label}]" for b in action.buttons)
        return f"{where} {bot_name}: {action.text}{buttons}"
    who = action.user.shown_name if action.user else "?"
    if action.kind == "delete":
        return f"{where} ✂ deleted a message from {who}"
    if action.kind == "timeout":
        return f"{where} ⏱ timed out {who} for {format_duration(action.seconds)}: {action.reason}"
    return f"{where} ⛔ {action.kind} {who}: {action.reason}"


class FakePlatform(PlatformAdapter):
    """Behaves like ``platform`` (limits, capabilities) and records what the bot does."""

    def __init__(self, platform: Platform, *, moderator: bool = False,
                 capabilities: frozenset[Capability] | None = None) -> None:
        self.platform = platform
        self.capabilities = CAPABILITIES[platform] if capabilities is None else capabilities
        self.moderator = moderator
        self.bot_user = User(platform, "bot", "cmbot", "cmbot", Role.MODERATOR, is_bot=True)
        self.sent: list[Sent] = []
        self.bot: Inbound | None = None
        self._ids = itertools.count(1)
        self.deleted: set[str] = set()
        self.native_events: dict[str, dict[str, object]] = {}
        self.live: bool | None = None
        # actions the platform says no to, as Discord does without Timeout Members (403):
        # ``refuse.add("timeout")``; a refused action is not recorded in ``sent``
        self.refuse: set[str] = set()

    def _now(self) -> float:
        return self.bot.clock.time() if self.bot else 0.0

    def record(self, action: Sent) -> None:
        self.sent.append(action)

    async def start(self, bot: Inbound) -> None:
        self.bot = bot

    async def stop(self) -> None:
        self.bot = None

    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   reply_to: Message | None = None, mention: User | None = None,
                   ephemeral: bool = False, file: Path | None = None) -> str | None:
        msg_id = f"out{next(self._ids)}"
        private = ephemeral and reply_to is not None and reply_to.interactive
        self.record(Sent("send", self.platform, channel, text, msg_id, tuple(buttons),
                         reply_to.id if reply_to else None, at=self._now(),
                         ephemeral=private,
                         file=file if Capability.FILES in self.capabilities else None))
        return msg_id

    async def delete(self, message: Message) -> bool:
        if "delete" in self.refuse:
            return False
        self.deleted.add(message.id)
        self.record(Sent("delete", self.platform, message.channel, message.text, message.id,
                         user=message.author, reason="removed", at=self._now()))
        return True

    async def timeout(self, user: User, channel: Channel, seconds: int, reason: str) -> bool:
        if "timeout" in self.refuse:
            return False
        self.record(Sent("timeout", self.platform, channel, user=user, seconds=seconds,
                         reason=reason, at=self._now()))
        return True

    async def ban(self, user: User, channel: Channel, reason: str) -> bool:
        if "ban" in self.refuse:
            return False
        self.record(Sent("ban", self.platform, channel, user=user, reason=reason,
                         at=self._now()))
        return True

    async def upsert_native_event(self, channel: Channel, native_id: str | None, *,
                                  title: str, starts_at: float, ends_at: float,
                                  description: str, location: str) -> str | None:
        if Capability.NATIVE_EVENTS not in self.capabilities:
            return None
        native_id = native_id or f"ev{next(self._ids)}"
        self.native_events[native_id] = {"channel": channel.key, "title": title,
                                         "starts_at": starts_at, "ends_at": ends_at,
                                         "description": description, "location": location}
        return native_id

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool:
        return self.native_events.pop(native_id, None) is not None

    def is_live(self, channel: Channel) -> bool | None:
        return self.live

    def channel(self, ref: str) -> Channel | None:
        name = ref.lstrip("#").lower()
        return Channel(self.platform, name, name) if name else None

    def is_moderator_in(self, channel: Channel) -> bool:
        return self.moderator

    def make_message(self, text: str, *, user: str = "viewer", role: Role = Role.EVERYONE,
                     channel: str = "general", sent_at: datetime | None = None,
                     user_id: str | None = None) -> Message:
        """Build an inbound message as this platform's adapter would."""
        author = User(self.platform, user_id or user.lower(), user.lower(), user, role)
        chan = Channel(self.platform, channel.lower(), channel.lower())
        at = sent_at if sent_at is not None else (self.bot.clock.now() if self.bot else
                                                  datetime.now().astimezone())
        return Message(f"in{next(self._ids)}", self.platform, chan, author, text, at)
