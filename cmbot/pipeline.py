"""One inbound chat message through the bot: clean-up, moderation (the most severe
verdict applied), a command or an answer, then the observers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from .context import Context
from .host import Parts
from .invocation import Invoker
from .model import Action, Later, Message, Platform, Reply, Role, Verdict
from .platforms.base import PlatformAdapter
from .ratelimit import Priority
from .registry import CORE
from .safety import clean_inbound, replace_lone_surrogates


@dataclass
class Outcome:
    """What the runtime did with one inbound message (for tests, benchmarks, logs)."""

    verdict: Verdict | None = None
    command: str | None = None
    answered_by: str | None = None
    ignored: str | None = None
    held: str | None = None
    """The command a flagged line asked for, held until a moderator decides the flag."""


class Pipeline:
    """The message path."""

    def __init__(self, parts: Parts, invoker: Invoker,
                 adapters: dict[Platform, PlatformAdapter], max_inbound: int) -> None:
        self.parts = parts
        self.invoker = invoker
        self.adapters = adapters
        self.max_inbound = max_inbound

    def _contexts(self, message: Message, verdict: Verdict | None = None,
                  handled: bool = False) -> tuple[str, Callable[[str], Context]]:
        host, channel = self.parts.host, message.channel
        return "ctx", lambda plugin: Context(host(plugin), channel, message, verdict, handled)

    def _is_self(self, message: Message) -> bool:
        if message.author.is_bot:
            return True
        adapter = self.adapters.get(message.platform)
        own = adapter.bot_user if adapter else None
        return own is not None and own.id == message.author.id

    async def handle_message(self, message: Message) -> Outcome:
        """Run one inbound chat message through the whole pipeline."""
        message = self._intake(message)
        if self._is_self(message):
            return Outcome(ignored="own message")
        if not message.text:
            return Outcome(ignored="empty")
        verdict = await self._moderate(message)
        if verdict is not None and verdict.action >= Action.FLAG:
            outcome = Outcome(verdict=verdict, held=await self._hold(message))
            await self._observe(message, verdict, handled=False)
            return outcome
        outcome = Outcome(verdict=verdict)
        prefix = self.parts.prefix
        if message.text.startswith(prefix):
            outcome.command = await self.invoker.run_line(message, message.text[len(prefix):])
        if outcome.command is None:
            found = await self.parts.hooks.call_first("cmbot_answer", self._contexts(message),
                                                      message=message)
            if found is not None:
                plugin, reply = found
                if not isinstance(reply, Later):  # Later: the plugin's own task replies
                    await self.parts.context(plugin, message.channel, message).reply(
                        reply, priority=Priority.LOW)
                outcome.answered_by = plugin
        await self._observe(message, verdict,
                            handled=outcome.command is not None or outcome.answered_by is not None)
        return outcome

    async def handle_edit(self, message: Message) -> Verdict | None:
        """An edited chat message (Discord): moderated again, never run or answered, so
        editing a slur into an old line does not slip past moderation."""
        message = self._intake(message)
        if self._is_self(message) or not message.text:
            return None
        return await self._moderate(message)

    async def _hold(self, message: Message) -> str | None:
        """A flagged command line waits for its flag's review instead of running (see
        :mod:`cmbot.held`); its author is told. Returns the command's name if held."""
        prefix, held = self.parts.prefix, self.parts.held
        if held is None or not message.text.startswith(prefix):
            return None
        found = self.parts.commands.resolve(message.text[len(prefix):])
        if found is None or isinstance(found, str):
            return None
        command = found.command
        if message.author.role < self.parts.commands.required_role(command):
            return None  # it would be refused anyway: nothing to keep
        await held.hold(message)
        await self.parts.context(CORE, message.channel, message).reply(
            Reply(f"⏳ {prefix}{command.name} waits for a moderator: your message was "
                  f"flagged for review, and it runs if they allow it.", ephemeral=True))
        return command.name

    def _intake(self, message: Message) -> Message:
        """A platform's message made safe before any plugin sees it: its text cleaned
        (see :func:`clean_inbound`), and its author's names without lone surrogates, so
        whatever a plugin stores of it encodes as UTF-8."""
        text, truncated = clean_inbound(message.text, self.max_inbound)
        author = message.author
        name = replace_lone_surrogates(author.name)
        shown = replace_lone_surrogates(author.display_name)
        if name != author.name or shown != author.display_name:
            author = dataclasses.replace(author, name=name, display_name=shown)
        if text != message.text or truncated or author is not message.author:
            message = dataclasses.replace(message, text=text, truncated=truncated,
                                          author=author)
        return message

    async def _observe(self, message: Message, verdict: Verdict | None, handled: bool) -> None:
        await self.parts.hooks.call_all("cmbot_on_message",
                                        self._contexts(message, verdict, handled),
                                        message=message)

    async def _moderate(self, message: Message) -> Verdict | None:
        results = await self.parts.hooks.call_all("cmbot_moderate", self._contexts(message),
                                                  message=message)
        found: tuple[str, Verdict] | None = None
        for name, result in results:  # the most severe verdict; the first one on a tie
            if isinstance(result, Verdict) and (found is None or
                                                result.action > found[1].action):
                found = (name, result)
        if found is None or found[1].action == Action.NONE:
            return None
        plugin, verdict = found
        if verdict.action > Action.FLAG and message.author.role >= Role.MODERATOR:
            verdict = dataclasses.replace(verdict, action=Action.FLAG)  # never punish mods
        await self._apply(message, verdict, plugin)
        return verdict

    async def _apply(self, message: Message, verdict: Verdict, plugin: str) -> None:
        """Carry out a verdict through the same actions plugins use (unless the plugin
        already did, to report the outcome itself)."""
        if verdict.action < Action.DELETE or verdict.applied:
            return
        outbound = self.parts.outbound
        await outbound.delete(plugin, message)
        if verdict.action == Action.TIMEOUT:
            await outbound.timeout(plugin, message.author, message.channel,
                                   verdict.timeout_seconds, verdict.reason)
        elif verdict.action == Action.BAN:
            await outbound.ban(plugin, message.author, message.channel, verdict.reason)
