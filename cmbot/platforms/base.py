"""The adapter contract. An adapter turns platform events into core messages and core
actions into platform calls; plugins never see it directly."""

from __future__ import annotations

import asyncio
import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Button, Channel, Message, Platform, User

if TYPE_CHECKING:
    from ..commands import Command
    from ..runtime import Bot


class Capability(enum.StrEnum):
    """What an adapter can do; the runtime degrades where one is missing."""

    BUTTONS = "buttons"
    DELETE = "delete"
    TIMEOUT = "timeout"
    BAN = "ban"
    EPHEMERAL = "ephemeral"
    SLASH_COMMANDS = "slash_commands"
    NATIVE_EVENTS = "native_events"
    WARN = "warn"
    FILES = "files"


class InFlight:
    """Handlers an adapter started for inbound events, so ``stop`` can let them finish
    before the runtime closes the database under them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)

    def __exit__(self, *_: object) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)

    async def drain(self, within: float = 5.0) -> None:
        current = asyncio.current_task()
        pending = [t for t in self._tasks if t is not current and not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=within)
            for task in late:
                task.cancel()


class PlatformAdapter(ABC):
    """Base class of every adapter (Discord, Twitch, console, fake)."""

    platform: Platform
    capabilities: frozenset[Capability] = frozenset()
    bot_user: User | None = None

    @abstractmethod
    async def start(self, bot: Bot) -> None:
        """Connect and begin delivering messages with ``await bot.handle_message(msg)``."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect; pending deliveries may be dropped."""

    @abstractmethod
    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   reply_to: Message | None = None, mention: User | None = None,
                   ephemeral: bool = False, file: Path | None = None) -> str | None:
        """Post text (already cleaned and cut by the core); return the new message id.

        ``ephemeral`` asks for a reply only ``reply_to``'s author sees, where the platform
        can (a Discord interaction); elsewhere it is an ordinary reply. ``file`` is attached
        where the platform can (Capability.FILES)."""

    async def delete(self, message: Message) -> bool:
        """Remove a message. Return False where it is not possible."""
        return False

    async def timeout(self, user: User, channel: Channel, seconds: int, reason: str) -> bool:
        """Stop a user from chatting for ``seconds``. Return False where not possible."""
        return False

    async def warn(self, user: User, channel: Channel, reason: str) -> bool:
        """A platform warning the user must acknowledge (Twitch). False where not possible:
        the caller then warns in chat."""
        return False

    async def ban(self, user: User, channel: Channel, reason: str) -> bool:
        """Ban a user. Never called automatically unless a community configures it."""
        return False

    async def register_commands(self, commands: Sequence[Command]) -> None:  # noqa: B027
        """Publish the commands (Discord: sync slash commands). Text platforms: nothing."""

    async def upsert_native_event(self, channel: Channel, native_id: str | None, *,
                                  title: str, starts_at: float, ends_at: float,
                                  description: str, location: str) -> str | None:
        """Create (``native_id`` None) or update a platform scheduled event, e.g. a Discord
        guild event with an external location. Returns its id; None where unsupported."""
        return None

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool:
        """Delete (cancel) a platform scheduled event created by ``upsert_native_event``."""
        return False

    def is_live(self, channel: Channel) -> bool | None:
        """Whether the channel's stream is live; None where the platform cannot tell."""
        return None

    def channel(self, ref: str) -> Channel | None:
        """The channel a config reference names (``general``, ``1234``), if known."""
        return None

    def is_moderator_in(self, channel: Channel) -> bool:
        """Whether the bot account has moderator rights there (raises Twitch limits)."""
        return False
