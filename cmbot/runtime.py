"""The runtime: wires config, storage, scheduler, rate limits, plugins and adapters, and
runs the timekeeper. The message path is :mod:`cmbot.pipeline`, commands
:mod:`cmbot.invocation`; plugins see none of it, only :class:`cmbot.face.Bot`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable

from .arguments import Given
from .background import Background
from .clock import Clock
from .commands import Command
from .config import Config, ConfigError
from .directory import Directory
from .dispatch import HookCaller
from .held import MIGRATIONS as HELD_MIGRATIONS
from .held import HeldCommands
from .host import Parts, PluginHost
from .invocation import Invoker
from .model import Channel, Message, Platform, Verdict
from .outbound import Outbound
from .pipeline import Outcome, Pipeline
from .platforms.base import PlatformAdapter
from .plugins import PluginInfo, PluginLoadError, get_plugin_manager, load_plugins
from .privacy import core_commands
from .registry import CommandRegistry
from .scheduler import MIGRATIONS as SCHEDULER_MIGRATIONS
from .scheduler import Scheduler
from .storage import Storage
from .supervise import Backoff, supervise
from .tasks import cancel_and_wait

log = logging.getLogger("cmbot.runtime")

__all__ = ["Outcome", "Runtime"]


class Runtime:
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
        self._wake = asyncio.Event()
        self.scheduler = Scheduler(self.storage, self.clock,
                                   grace=float(config["scheduler"]["grace_seconds"]),
                                   changed=self.wake)
        self.directory = Directory(config, self.adapters)
        self.outbound = Outbound(config, self.adapters, self.directory, self.clock.time,
                                 self.prefix, self.wake)
        self.commands = CommandRegistry(permissions=config.permissions)
        self.parts = Parts(config, self.clock, self.storage, self.scheduler, self.commands,
                           self.directory, self.outbound, self.background, self.hooks,
                           self.prefix)
        self.invoker = Invoker(self.parts, self.max_inbound)
        self.parts.held = HeldCommands(self.storage, self.invoker.run_line, self.prefix,
                                       self.clock.time)
        self.pipeline = Pipeline(self.parts, self.invoker, self.adapters, self.max_inbound)
        self._loop_task: asyncio.Task[str] | None = None
        self.health: dict[Platform, str] = {}
        """Each platform's connection: "connected", "reconnecting" or "failed"."""
        self.failure: str | None = None
        self.failed = asyncio.Event()
        self.started = False
        self._problems: list[str] = []
        self.plugins: list[PluginInfo] = load_plugins(
            self.pm, disabled=config.bot["disabled_plugins"],
            plugin_dirs=[config.resolve(d) for d in config.bot["plugin_dirs"]],
            extra=extra_plugins, builtins=load_builtins, entry_points=load_entry_points,
            problems=self._problems)
        self.hooks.refresh()
        self._load_schemas_and_commands()

    # --- loading ---------------------------------------------------------------------

    def _load_schemas_and_commands(self) -> None:
        schemas = self.directory.schemas
        for name, schema in self.hooks.call_sync_per_plugin("cmbot_config_schema"):
            schemas[name] = dict(schema or {})
        for info in self.plugins:
            schemas.setdefault(info.name, {})
        problems = [f"{self.config.path}: {p}" for p in self._problems]
        try:
            self.config.check_plugin_settings(schemas)
        except ConfigError as exc:
            problems += exc.problems
        for command in core_commands():  # whatever plugins are loaded or disabled
            self.commands.add(command)
        for name, commands in self.hooks.call_sync_per_plugin("cmbot_commands"):
            for command in commands or ():
                if not isinstance(command, Command):
                    raise TypeError(f"plugin {name!r}: cmbot_commands must return Command "
                                    f"objects, got {type(command).__name__}")
                try:
                    self.commands.add(dataclasses.replace(command, plugin=name))
                except ValueError as exc:  # two plugins define one command
                    raise PluginLoadError(f"{exc} (add it to [bot] disabled_plugins in "
                                          f"{self.config.path}, or rename the command)"
                                          ) from None
        for command_name in self.config.permissions:
            if self.commands.get(command_name) is None:
                problems.append(f"{self.config.path}: [permissions] {command_name!r} is not "
                                f"a loaded command. Fix: use one of "
                                f"{', '.join(sorted(c.name for c in self.commands))}")
        if problems:
            raise ConfigError(problems)

    def host(self, plugin: str) -> PluginHost:
        """The bot as ``plugin`` sees it (what its hooks receive)."""
        return self.parts.host(plugin)

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, *, run_loop: bool = True) -> None:
        """Open storage, migrate, start plugins and adapters, start the timekeeper. If any
        of it fails, what was started is stopped again before the error propagates (a
        process that cannot start exits instead of hanging on an open database)."""
        try:
            await self._start(run_loop)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, run_loop: bool) -> None:
        await self.storage.open()
        await self.storage.migrate("cmbot.scheduler", SCHEDULER_MIGRATIONS)
        await self.storage.migrate("cmbot.held", HELD_MIGRATIONS)
        for name, steps in self.hooks.call_sync_per_plugin("cmbot_migrations"):
            if steps:
                await self.storage.migrate(name, list(steps))
        await self.hooks.call_all("cmbot_startup", ("bot", self.parts.host))
        commands = list(self.commands)
        for adapter in self.adapters.values():
            await adapter.register_commands(commands)
            await adapter.start(self)
            self.platform_status(adapter.platform, "connected")
        self.started = True
        if run_loop:
            self._loop_task = asyncio.create_task(
                supervise("timekeeper", self._timekeeper, backoff=Backoff(cap=30.0)),
                name="cmbot-timekeeper")

    def platform_status(self, platform: Platform, state: str, detail: str = "") -> None:
        """An adapter's connection is "connected", "reconnecting" or "failed" (a cause
        retrying cannot fix: the bot stops, ``failure`` says why). Logged on change."""
        before = self.health.get(platform)
        self.health[platform] = state
        if state == "failed" and self.failure is None:
            self.failure = f"{platform.value}: {detail}"
            self.failed.set()
        if before != state:
            line = ", ".join(f"{p.value} {s}" for p, s in sorted(self.health.items()))
            log.log(logging.INFO if state == "connected" else logging.WARNING,
                    "health: %s%s", line, f" ({detail})" if detail else "")

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
            await self.hooks.call_all("cmbot_shutdown", ("bot", self.parts.host))
        await self.storage.close()
        self.started = False

    async def tick(self) -> None:
        """Fire due timers and send queued messages the rate limits now allow."""
        await self.scheduler.run_due()
        await self.outbound.outbox.flush()

    async def settle(self) -> None:
        """Wait until the background work that events started is done (flags written,
        answers found): a piped console script handles each line fully before the next."""
        await self.background.settle()

    def pending_sends(self) -> int:
        """Sends waiting for a rate limit window."""
        return self.outbound.outbox.pending()

    def wake(self) -> None:
        """Make the timekeeper re-check deadlines (a timer or a queued send changed)."""
        self._wake.set()

    async def _timekeeper(self) -> None:
        """Fire timers and flush queued sends when due (supervised: an error is logged
        once and the loop restarts after a backoff)."""
        while True:
            await self.tick()
            deadlines = [d for d in (await self.scheduler.next_due(),
                                     self.outbound.outbox.next_free()) if d is not None]
            delay = min([1.0, *(d - self.clock.time() for d in deadlines)])
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.01, delay))
            except TimeoutError:
                pass

    # --- what adapters deliver -------------------------------------------------------

    async def handle_message(self, message: Message) -> Outcome:
        """Run one inbound chat message through the whole pipeline."""
        return await self.pipeline.handle_message(message)

    async def handle_edit(self, message: Message) -> Verdict | None:
        """An edited message: moderated again, never run or answered."""
        return await self.pipeline.handle_edit(message)

    async def run_command(self, message: Message, line: str) -> str | None:
        """Run a command line (prefix removed) as ``message``'s author (buttons too)."""
        return await self.invoker.run_line(message, line)

    async def invoke(self, message: Message, command: Command, given: Given) -> str:
        """Run ``command`` with typed arguments (a slash command's options)."""
        return await self.invoker.invoke(message, command, given)

    async def autocomplete(self, channel: Channel, source: str, typed: str) -> list[str]:
        """Values for an argument declared with ``Arg(autocomplete=source)``."""
        results = await self.hooks.call_all(
            "cmbot_autocomplete", ("ctx", lambda plugin: self.parts.context(plugin, channel)),
            source=source, typed=typed)
        return next((list(r) for _, r in results if r is not None), [])
