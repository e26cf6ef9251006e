"""The adapter contract. An adapter turns platform events into core messages and core
actions into platform calls; plugins never see it directly."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..arguments import Given
from ..clock import Clock
from ..commands import Command
from ..config import Config
from ..model import Button, Capability, Channel, Message, Platform, User, Verdict
from ..registry import CommandRegistry
from ..storage import Storage

__all__ = ["Capability", "InFlight", "Inbound", "PlatformAdapter"]


class Inbound(Protocol):
    """The runtime as an adapter sees it: where events go, and what they need."""

    @property
    def config(self) -> Config: ...

    @property
    def prefix(self) -> str: ...

    @property
    def max_inbound(self) -> int: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def commands(self) -> CommandRegistry: ...

    @property
    def storage(self) -> Storage: ...

    @property
    def adapters(self) -> Mapping[Platform, PlatformAdapter]: ...

    async def handle_message(self, message: Message) -> Any:
        """A chat message: moderated, run as a command or answered, observed."""

    async def handle_edit(self, message: Message) -> Verdict | None:
        """An edited message: moderated again."""

    async def run_command(self, message: Message, line: str) -> str | None:
        """A command line (prefix removed) or a pressed button, as ``message``'s author;
        the command's name, or None if no command matched."""

    async def invoke(self, message: Message, command: Command, given: Given) -> str:
        """A slash command with its typed options."""

    async def autocomplete(self, channel: Channel, source: str, typed: str) -> list[str]:
        """Suggestions while a user types an ``Arg(autocomplete=source)`` argument."""

    async def tick(self) -> None:
        """Fire due timers and flush queued sends (the console's ``/clock``)."""

    async def settle(self) -> None:
        """Wait until the background work that events started is done."""

    def platform_status(self, platform: Platform, state: str, detail: str = "") -> None:
        """The connection is "connected", "reconnecting" or "failed" (not retried)."""

    def pending_sends(self) -> int:
        """Sends waiting for a rate limit window."""


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
    async def start(self, bot: Inbound) -> None:
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

    def bind(self, ref: str) -> list[str]:
        """The references a config reference (``discord:general``) means once connected,
        as :meth:`Channel.matches` reads them: Discord binds a bare channel name to the
        servers it serves (``discord:GUILD_ID/general``), or to none when that is
        ambiguous. Elsewhere: the reference itself."""
        return [ref]

    def complete(self, channel: Channel) -> Channel:
        """A channel stored before the platform said everything about it, completed from
        what it knows now (Discord: the server of a channel stored without one)."""
        return channel

    def order_problem(self, order: Message, action: str, target: Channel) -> str:
        """Why ``order``'s author may not have ``action`` ("delete", "timeout", "warn",
        "ban") done in ``target`` on this platform, or "" when they may (the core role
        check already passed)."""
        return ""

    def is_moderator_in(self, channel: Channel) -> bool:
        """Whether the bot account has moderator rights there (raises Twitch limits)."""
        return False
