"""The Bot: wires config, storage, scheduler, rate limits, plugins and adapters, and runs
each chat message through moderation, commands, answers and observers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .background import Background
from .clock import Clock
from .commands import (
    Command,
    CommandError,
    CommandRegistry,
    Cooldowns,
    Resolved,
    UsageError,
    parse_arguments,
)
from .config import Config, Setting
from .context import Context
from .dispatch import HookCaller
from .model import (
    Action,
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
from .platforms.base import Capability, PlatformAdapter
from .plugins import PluginInfo, get_plugin_manager, load_plugins
from .ratelimit import Outbox, Priority
from .safety import clean_inbound, clean_outbound
from .scheduler import MIGRATIONS as SCHEDULER_MIGRATIONS
from .scheduler import Scheduler
from .storage import Storage
from .tasks import cancel_and_wait

log = logging.getLogger("cmbot.runtime")
T = TypeVar("T")


@dataclass
class Outcome:
    """What the runtime did with one inbound message (for tests, benchmarks, logs)."""

    verdict: Verdict | None = None
    command: str | None = None
    answered_by: str | None = None
    ignored: str | None = None


class Bot:
    """One bot process: every platform, every plugin, one database."""

    def __init__(self, config: Config, *, clock: Clock | None = None,
                 adapters: Iterable[PlatformAdapter] = (),
                 extra_plugins: Iterable[tuple[str, object]] = (),
                 load_builtins: bool = True, load_entry_points: bool = True) -> None:
        self.config = config
        self.prefix = str(config.bot["prefix"])  # "!": commands start with it
        self.max_inbound = int(config.bot["max_inbound_length"])
        self.clock = clock or Clock()
        self.adapters: dict[Platform, PlatformAdapter] = {a.platform: a for a in adapters}
        self.pm = get_plugin_manager()
        self.hooks = HookCaller(self.pm, timeout=float(config.bot["hook_timeout"]))
        self.background = Background(self.hooks.reporter)
        self.storage = Storage(config.database_path)
        self.scheduler = Scheduler(self.storage, self.clock,
                                   grace=float(config["scheduler"]["grace_seconds"]))
        limits = config["ratelimit"]
        self.outbox = Outbox(limits=self._limit_for, now=self.clock.time,
                             queue_size=int(limits["queue_size"]))
        self.commands = CommandRegistry()
        self.cooldowns = Cooldowns()
        self.schemas: dict[str, dict[str, Setting]] = {}
        self._settings_cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._community_cache: dict[str, Community | None] = {}
        self._channel_index: dict[str, Channel] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._plugin_state: dict[str, dict[str, Any]] = {}
        self._unrouted: dict[str, float] = {}
        self.started = False
        self.plugins: list[PluginInfo] = load_plugins(
            self.pm, disabled=config.bot["disabled_plugins"],
            plugin_dirs=[config.resolve(d) for d in config.bot["plugin_dirs"]],
            extra=extra_plugins, builtins=load_builtins, entry_points=load_entry_points)
        self._load_schemas_and_commands()

    # --- loading ---------------------------------------------------------------------

    def _load_schemas_and_commands(self) -> None:
        for name, schema in self.hooks.call_sync_per_plugin("cmbot_config_schema"):
            self.schemas[name] = dict(schema or {})
        for info in self.plugins:
            self.schemas.setdefault(info.name, {})
        self.config.check_plugin_settings(self.schemas)
        for name, commands in self.hooks.call_sync_per_plugin("cmbot_commands"):
            for command in commands or ():
                if not isinstance(command, Command):
                    raise TypeError(f"plugin {name!r}: cmbot_commands must return Command "
                                    f"objects, got {type(command).__name__}")
                self.commands.add(dataclasses.replace(command, plugin=name))
        for command_name in self.config.permissions:
            if self.commands.get(command_name) is None:
                from .config import ConfigError
                raise ConfigError([f"{self.config.path}: [permissions] {command_name!r} is not "
                                   f"a loaded command. Fix: use one of "
                                   f"{', '.join(sorted(c.name for c in self.commands))}"])

    def plugin_object(self, plugin: str, factory: Callable[[Bot], T]) -> T:
        """The plugin's per-bot state object, created by ``factory(bot)`` on first use."""
        try:  # asked for on every message by most plugins
            return self._plugin_state[plugin]["__object__"]  # type: ignore[no-any-return]
        except KeyError:
            made = self.plugin_state(plugin)["__object__"] = factory(self)
            return made

    def plugin_state(self, plugin: str) -> dict[str, Any]:
        """A per-bot dict where a plugin keeps its runtime state (caches, indexes)."""
        return self._plugin_state.setdefault(plugin, {})

    async def variables(self, ctx: Context) -> dict[str, str]:
        """Template variables every plugin offers for ``ctx`` (``cmbot_variables``)."""
        merged: dict[str, str] = {}
        for _, found in await self.hooks.call_all("cmbot_variables",
                                                  lambda name: Context(self, name, ctx.channel,
                                                                       ctx.message)):
            if isinstance(found, dict):
                merged.update({str(k): str(v) for k, v in found.items()})
        return merged

    def required_role(self, command: Command) -> Role:
        return self.config.permissions.get(command.name, command.role)

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, *, run_loop: bool = True) -> None:
        """Open storage, migrate, start plugins and adapters, start the timekeeper."""
        await self.storage.open()
        await self.storage.migrate("cmbot.scheduler", SCHEDULER_MIGRATIONS)
        for name, steps in self.hooks.call_sync_per_plugin("cmbot_migrations"):
            if steps:
                await self.storage.migrate(name, list(steps))
        await self.hooks.call_all("cmbot_startup", bot=self)
        commands = list(self.commands)
        for adapter in self.adapters.values():
            await adapter.register_commands(commands)
            await adapter.start(self)
        self.started = True
        if run_loop:
            self._loop_task = asyncio.create_task(self._timekeeper(), name="cmbot-timekeeper")

    async def stop(self) -> None:
        await cancel_and_wait(self._loop_task)
        self._loop_task = None
        grace = float(self.config.bot["hook_timeout"])
        await self.background.settle(grace)  # flags being written, answers being found
        for adapter in self.adapters.values():
            try:
                await adapter.stop()
            except Exception:  # noqa: BLE001
                log.exception("adapter %s failed to stop", adapter.platform)
        await self.background.settle(grace)  # started by handlers the adapters drained
        if self.started:
            await self.hooks.call_all("cmbot_shutdown", bot=self)
        await self.storage.close()
        self.started = False

    async def tick(self) -> None:
        """Fire due timers and send queued messages the rate limits now allow."""
        await self.scheduler.run_due()
        await self.outbox.flush()

    def wake(self) -> None:
        """Make the timekeeper re-check deadlines (after adding a timer)."""
        self._wake.set()

    async def _timekeeper(self) -> None:
        while True:
            try:
                await self.tick()
                deadlines = [d for d in (await self.scheduler.next_due(),
                                         self.outbox.next_free()) if d is not None]
                delay = min([1.0, *(d - self.clock.time() for d in deadlines)])
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.01, delay))
                except TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop must survive anything
                log.exception("timekeeper iteration failed")
                await asyncio.sleep(1.0)

    # --- config lookups --------------------------------------------------------------

    def settings(self, plugin: str, channel: Channel) -> dict[str, Any]:
        """Plugin config for a channel: channel > platform > [plugins.X] > defaults."""
        key = (plugin, channel.key)
        cached = self._settings_cache.get(key)
        if cached is not None:
            return cached
        schema = self.schemas.get(plugin, {})
        values = {k: s.default for k, s in schema.items()}
        values.update(self.config.plugins.get(plugin, {}))
        overrides = self.config.channel_overrides
        values.update(overrides.get(channel.platform.value, {}).get(plugin, {}))
        for ref, per_plugin in overrides.items():
            if ":" in ref and channel.matches(ref):
                values.update(per_plugin.get(plugin, {}))
        self._settings_cache[key] = values
        return values

    def community_of(self, channel: Channel) -> Community | None:
        if channel.key not in self._community_cache:
            self._community_cache[channel.key] = self.config.community_of(channel)
        return self._community_cache[channel.key]

    def scope_of(self, channel: Channel) -> str:
        community = self.community_of(channel)
        return f"community:{community.name}" if community else channel.key

    def timezone_of(self, channel: Channel) -> str:
        community = self.community_of(channel)
        return community.timezone if community else str(self.config.bot["timezone"])

    def resolve_channel(self, ref: str) -> Channel | None:
        """A config reference (``discord:mod-log``) as a Channel, via its adapter."""
        if ref in self._channel_index:
            return self._channel_index[ref]
        platform_name, _, name = ref.partition(":")
        try:
            adapter = self.adapters.get(Platform(platform_name))
        except ValueError:
            return None
        channel = adapter.channel(name) if adapter else None
        if channel is not None:
            self._channel_index[ref] = channel
        return channel

    def community_channels(self, community: Community, kind: str = "channels") -> list[Channel]:
        refs: Sequence[str] = getattr(community, kind)
        return [c for c in (self.resolve_channel(r) for r in refs) if c is not None]

    def _limit_for(self, key: str) -> tuple[int, float]:
        limits = self.config["ratelimit"]
        platform, _, channel_id = key.partition(":")
        if platform == Platform.TWITCH.value:
            adapter = self.adapters.get(Platform.TWITCH)
            channel = Channel(Platform.TWITCH, channel_id, channel_id)
            mod = adapter is not None and adapter.is_moderator_in(channel)
            count = limits["twitch_moderator_messages"] if mod else limits["twitch_messages"]
            return int(count), float(limits["twitch_window"])
        if platform == Platform.DISCORD.value:
            return int(limits["discord_messages"]), float(limits["discord_window"])
        return 20, 1.0  # console / fake: generous but bounded

    # --- outbound --------------------------------------------------------------------

    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   reply_to: Message | None = None, priority: Priority = Priority.NORMAL,
                   mention: User | None = None, ephemeral: bool = False,
                   file: Path | None = None) -> str | None:
        """Send through the channel's rate limit; cleaned, cut, mentions neutralised.

        Returns the sent id, or None if the message was queued or dropped.
        """
        adapter = self.adapters.get(channel.platform)
        if adapter is None:
            log.warning("no adapter for %s; message to %s not sent", channel.platform,
                        channel.key)
            return None
        if buttons and Capability.BUTTONS not in adapter.capabilities:
            prefix = self.prefix
            text = f"{text} ({' | '.join(f'{b.label}: {prefix}{b.command}' for b in buttons)})"
            buttons = ()
        text = clean_outbound(text, channel.platform, allow_user_mentions=mention is not None)
        if not text:
            return None

        async def _go() -> str | None:
            try:
                return await adapter.send(channel, text, buttons=tuple(buttons),
                                          reply_to=reply_to, mention=mention,
                                          ephemeral=ephemeral, file=file)
            except Exception:  # noqa: BLE001 - an adapter error never reaches plugins
                log.exception("sending to %s failed", channel.key)
                return None

        if reply_to is not None and reply_to.interactive and \
                Capability.EPHEMERAL in adapter.capabilities:
            # An answer to a slash command or button goes back through the interaction,
            # not into the channel: the channel's send limit does not apply.
            return await _go()
        result = await self.outbox.submit(channel.key, _go, priority)
        if self.outbox.pending():
            self.wake()
        return result

    async def notify_mods(self, channel: Channel, text: str, *,
                          buttons: Sequence[Button] = ()) -> int:
        """Post to the moderator channels of ``channel``'s community. Returns the count."""
        community = self.community_of(channel)
        targets = self.community_channels(community, "mod_channels") if community else []
        if not targets:
            now = self.clock.time()
            if now - self._unrouted.get(channel.key, float("-inf")) >= 600:
                self._unrouted[channel.key] = now
                log.warning("moderator notice for %s, which has no mod_channels (add it to a "
                            "[communities] table with mod_channels): %s", channel.key, text)
            return 0
        for target in targets:
            await self.send(target, text, buttons=buttons, priority=Priority.HIGH)
        return len(targets)

    # --- inbound ---------------------------------------------------------------------

    def _ctx_factory(self, channel: Channel, message: Message | None,
                     verdict: Verdict | None = None, handled: bool = False):  # type: ignore[no-untyped-def]
        def make(plugin: str) -> Context:
            return Context(self, plugin, channel, message, verdict, handled)
        return make

    def _is_self(self, message: Message) -> bool:
        if message.author.is_bot:
            return True
        adapter = self.adapters.get(message.platform)
        own = adapter.bot_user if adapter else None
        return own is not None and own.id == message.author.id

    async def handle_message(self, message: Message) -> Outcome:
        """Run one inbound chat message through the whole pipeline."""
        text, truncated = clean_inbound(message.text, self.max_inbound)
        if text != message.text or truncated:
            message = dataclasses.replace(message, text=text, truncated=truncated)
        if self._is_self(message):
            return Outcome(ignored="own message")
        if not message.text:
            return Outcome(ignored="empty")
        channel = message.channel
        verdict = await self._moderate(message)
        if verdict is not None and verdict.action >= Action.FLAG:
            await self._observe(message, verdict, handled=False)
            return Outcome(verdict=verdict)
        outcome = Outcome(verdict=verdict)
        prefix = self.prefix
        if message.text.startswith(prefix):
            outcome.command = await self.run_command(message, message.text[len(prefix):])
        if outcome.command is None:
            found = await self.hooks.call_first("cmbot_answer",
                                                self._ctx_factory(channel, message),
                                                message=message)
            if found is not None:
                plugin, reply = found
                if not isinstance(reply, Later):  # Later: the plugin's own task replies
                    await Context(self, plugin, channel, message).reply(reply,
                                                                        priority=Priority.LOW)
                outcome.answered_by = plugin
        await self._observe(message, verdict,
                            handled=outcome.command is not None or outcome.answered_by is not None)
        return outcome

    async def handle_edit(self, message: Message) -> Verdict | None:
        """An edited chat message (Discord): moderated again, never run or answered, so
        editing a slur into an old line does not slip past moderation."""
        text, truncated = clean_inbound(message.text, self.max_inbound)
        message = dataclasses.replace(message, text=text, truncated=truncated)
        if self._is_self(message) or not message.text:
            return None
        return await self._moderate(message)

    async def _observe(self, message: Message, verdict: Verdict | None, handled: bool) -> None:
        await self.hooks.call_all("cmbot_on_message",
                                  self._ctx_factory(message.channel, message, verdict, handled),
                                  message=message)

    async def _moderate(self, message: Message) -> Verdict | None:
        results = await self.hooks.call_all("cmbot_moderate",
                                            self._ctx_factory(message.channel, message),
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
        adapter = self.adapters.get(message.platform)
        if adapter is None or verdict.action < Action.DELETE:
            return
        caps = adapter.capabilities
        try:
            if Capability.DELETE in caps:
                await adapter.delete(message)
            if verdict.action == Action.TIMEOUT and Capability.TIMEOUT in caps:
                await adapter.timeout(message.author, message.channel,
                                      max(1, verdict.timeout_seconds), verdict.reason)
            elif verdict.action == Action.BAN and Capability.BAN in caps:
                await adapter.ban(message.author, message.channel, verdict.reason)
        except Exception:  # noqa: BLE001
            log.exception("applying %s from %s on %s failed", verdict.action.name, plugin,
                          message.platform)

    async def run_command(self, message: Message, line: str) -> str | None:
        """Run ``line`` (prefix removed) as a command from ``message``'s author.

        Returns the command name if the line was a known command (even if refused).
        Buttons use this too: pressing one runs its command as the presser.
        """
        found = self.commands.resolve(line)
        if found is None:
            return None
        channel = message.channel
        if isinstance(found, str):
            await self.send(channel, f"✗ {found}", reply_to=message, priority=Priority.LOW,
                            ephemeral=True)
            return line.split(" ", 1)[0].lower()
        command = found.command
        prefix = self.prefix
        required = self.required_role(command)
        author = message.author
        if author.role < required and command.group:
            fallback = self.commands.get(command.group)
            if (fallback is not None and fallback.absorbs_subcommands
                    and author.role >= self.required_role(fallback)):
                # "!feedback summary of today..." from a viewer is feedback, not the
                # moderators' subcommand: run the group's own command with the whole line.
                found = Resolved(fallback, *_tail(line, command.group))
                command, required = fallback, self.required_role(fallback)
        if message.truncated:
            limit = self.config.bot["max_inbound_length"]
            await self.send(channel, f"✗ that message is longer than {limit} characters and "
                            f"was cut, so {prefix}{command.name} did nothing", reply_to=message,
                            priority=Priority.LOW, ephemeral=True)
            return command.name
        if author.role < required:
            await self.send(channel, f"✗ {prefix}{command.name} is for {required.label}s and up.",
                            reply_to=message, priority=Priority.LOW, ephemeral=True)
            return command.name
        now = self.clock.time()
        if author.role < Role.MODERATOR:
            wait = self.cooldowns.remaining(command, author.key, channel.key, now)
            if wait > 0:
                return command.name
        await self._execute(command, found, message)
        if author.role < Role.MODERATOR:
            self.cooldowns.record(command, author.key, channel.key, now)
        return command.name

    async def _execute(self, command: Command, found: Resolved, message: Message) -> None:
        prefix = self.prefix
        ctx = Context(self, command.plugin, message.channel, message)
        priority = Priority.HIGH if message.author.role >= Role.MODERATOR else Priority.NORMAL
        try:
            kwargs = parse_arguments(command, found.args_raw, found.tokens,
                                     self.timezone_of(message.channel))
            async with asyncio.timeout(self.hooks.timeout):
                result = await command.handler(ctx, **kwargs)
        except UsageError as exc:
            example = f" Example: {prefix}{command.example}" if command.example else ""
            await ctx.reply(Reply(f"✗ {exc}. Usage: {command.usage(prefix)}{example}",
                                  ephemeral=True), priority=priority)
            return
        except CommandError as exc:
            await ctx.reply(Reply(f"✗ {exc}", ephemeral=True), priority=priority)
            return
        except TimeoutError:
            self.hooks.reporter.report(command.plugin, f"command {command.name}", "timed out",
                                       None)
            await ctx.reply("✗ that took too long; try again later", priority=priority)
            return
        except Exception as exc:  # noqa: BLE001 - a broken command never stops the bot
            self.hooks.reporter.report(command.plugin, f"command {command.name}",
                                       f"{type(exc).__name__}: {exc}", exc)
            await ctx.reply("✗ something went wrong; the bot owner can find details in the log",
                            priority=priority)
            return
        if isinstance(result, Reply):
            await ctx.reply(result, priority=priority)
        elif isinstance(result, str) and result:
            await ctx.reply(result, priority=priority)

    async def forget_user(self, user_key: str) -> None:
        """Erase what every plugin stores about a user (``platform:id``)."""
        await self.hooks.call_all("cmbot_forget_user", bot=self, user_key=user_key)


def _tail(line: str, group: str) -> tuple[str, list[Any]]:
    """The arguments of ``group`` in ``line``: everything after the group word."""
    from .commands import Token, tokenize

    tokens = tokenize(line)[1:]
    start = tokens[0].start if tokens else len(line)
    shifted = [Token(t.value, t.start - start, t.end - start, t.quoted) for t in tokens]
    return line[start:], shifted


