"""Running a command as its author: one path for a ``!command`` line, a slash command's
typed options and a button. Roles, cooldowns, argument checks, timeouts and failures are
handled here, never in plugins."""

from __future__ import annotations

import math

from .arguments import Given, bind_arguments, split_arguments
from .bounded import PLUGIN_EXIT, bounded
from .commands import Command
from .cooldowns import Cooldowns
from .errors import CommandError, UsageError
from .host import Parts
from .model import Message, Reply, Role
from .outbound import ORDER
from .ratelimit import Priority


class Invoker:
    """Commands run as the user who sent them."""

    def __init__(self, parts: Parts, max_inbound: int) -> None:
        self.parts = parts
        self.max_inbound = max_inbound
        self.cooldowns = Cooldowns()

    async def _refuse(self, message: Message, text: str) -> None:
        await self.parts.outbound.send(message.channel, f"✗ {text}", reply_to=message,
                                       priority=Priority.LOW, ephemeral=True)

    async def run_line(self, message: Message, line: str) -> str | None:
        """Run ``line`` (prefix removed) as a command from ``message``'s author.

        Returns the command name if the line was a known command (even if refused).
        Buttons use this too: pressing one runs its command as the presser.
        """
        registry = self.parts.commands
        found = registry.resolve(line)
        if found is None:
            return None
        if isinstance(found, str):
            await self._refuse(message, found)
            return line.split(" ", 1)[0].lower()
        command = found.command
        return await self.invoke(message, command,
                                 split_arguments(command, found.args_raw, found.tokens))

    async def invoke(self, message: Message, command: Command, given: Given) -> str:
        """Run ``command`` with the arguments a user gave (text words or typed slash
        options, by argument name), after the role and cooldown checks."""
        parts = self.parts
        prefix = parts.prefix
        author = message.author
        required = parts.commands.required_role(command)
        if message.truncated:
            await self._refuse(message, f"that message is longer than {self.max_inbound} "
                               f"characters and was cut, so {prefix}{command.name} did "
                               f"nothing")
            return command.name
        if author.role < required:
            await self._refuse(message, f"{prefix}{command.name} is for {required.label}s "
                               f"and up.")
            return command.name
        now = parts.clock.time()
        if author.role < Role.MODERATOR:
            wait = self.cooldowns.remaining(command, author.key, message.channel.key, now)
            if wait > 0:
                if self.cooldowns.notice_due(command, author.key, now, wait):
                    await self._refuse(message, f"{prefix}{command.name} is on cooldown "
                                       f"here for {math.ceil(wait)}s more")
                return command.name
        await self._execute(command, given, message)
        if author.role < Role.MODERATOR:
            self.cooldowns.record(command, author.key, message.channel.key, now)
        return command.name

    async def _execute(self, command: Command, given: Given, message: Message) -> None:
        parts = self.parts
        prefix = parts.prefix
        ctx = parts.context(command.plugin, message.channel, message)
        priority = Priority.HIGH if message.author.role >= Role.MODERATOR else Priority.NORMAL
        try:
            kwargs = bind_arguments(command, given,
                                    parts.directory.timezone_of(message.channel))
            order = ORDER.set(message)  # actions the command takes are ordered by its author
            try:
                result = await bounded(command.handler(ctx, **kwargs), parts.hooks.timeout)
            finally:
                ORDER.reset(order)
        except UsageError as exc:
            example = f" Example: {prefix}{command.example}" if command.example else ""
            await ctx.reply(Reply(f"✗ {exc}. Usage: {command.usage(prefix)}{example}",
                                  ephemeral=True), priority=priority)
            return
        except CommandError as exc:
            await ctx.reply(Reply(f"✗ {exc}", ephemeral=True), priority=priority)
            return
        except TimeoutError:
            parts.hooks.reporter.report(command.plugin, f"command {command.name}",
                                        "timed out", None)
            await ctx.reply("✗ that took too long; try again later", priority=priority)
            return
        except PLUGIN_EXIT as exc:  # a broken command never stops the bot
            parts.hooks.reporter.report(command.plugin, f"command {command.name}",
                                        f"{type(exc).__name__}: {exc}", exc)
            await ctx.reply("✗ something went wrong; the bot owner can find details in the log",
                            priority=priority)
            return
        if isinstance(result, Reply):
            await ctx.reply(result, priority=priority)
        elif isinstance(result, str) and result:
            await ctx.reply(result, priority=priority)
