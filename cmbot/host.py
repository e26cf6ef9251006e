"""The bot as one plugin sees it: :class:`PluginHost` implements :class:`cmbot.face.Bot`
over the runtime's parts, keyed by the plugin it was made for."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from .background import Background
from .clock import Clock
from .config import Config
from .context import Context
from .directory import Directory
from .dispatch import HookCaller
from .face import Bot
from .held import HeldCommands
from .model import ActionResult, Button, Capability, Channel, Community, Message, User
from .outbound import Outbound
from .ratelimit import Priority
from .registry import CommandRegistry
from .scheduler import Scheduler
from .storage import Storage

T = TypeVar("T")
_UNSET: Any = object()


@dataclass
class Parts:
    """What the runtime lends every plugin host."""

    config: Config
    clock: Clock
    storage: Storage
    scheduler: Scheduler
    commands: CommandRegistry
    directory: Directory
    outbound: Outbound
    background: Background
    hooks: HookCaller
    prefix: str
    held: HeldCommands | None = None
    hosts: dict[str, PluginHost] = field(default_factory=dict)

    def host(self, plugin: str) -> PluginHost:
        """The plugin's host (one per plugin, made on first use)."""
        found = self.hosts.get(plugin)
        if found is None:
            found = self.hosts[plugin] = PluginHost(plugin, self)
        return found

    def context(self, plugin: str, channel: Channel, message: Message | None = None) -> Context:
        return Context(self.host(plugin), channel, message)


class PluginHost:
    """One plugin's :class:`cmbot.face.Bot`."""

    def __init__(self, plugin: str, parts: Parts) -> None:
        self.plugin = plugin
        self.prefix = parts.prefix
        self.db = parts.storage
        self.timers = parts.scheduler
        self.commands = parts.commands
        self._parts = parts
        self._clock = parts.clock
        self._directory = parts.directory
        self._outbound = parts.outbound
        self._state: Any = _UNSET

    # --- time ---------------------------------------------------------------------
    def time(self) -> float:
        return self._clock.time()

    def now(self) -> datetime:
        return self._clock.now()

    # --- this plugin's own --------------------------------------------------------
    def settings(self, channel: Channel | None = None) -> dict[str, Any]:
        if channel is None:
            return self._directory.plugin_settings(self.plugin)
        return self._directory.settings(self.plugin, channel)

    def state(self, factory: Callable[[Bot], T]) -> T:
        if self._state is _UNSET:
            self._state = factory(self)
        return cast(T, self._state)

    def path(self, relative: str | Path) -> Path:
        return self._parts.config.resolve(relative)

    def defer(self, work: Coroutine[Any, Any, Any], what: str, *,
              limit: int | None = None) -> bool:
        return self._parts.background.start(self.plugin, work, what, limit)

    def busy(self) -> int:
        return self._parts.background.running(self.plugin)

    # --- communities and channels -------------------------------------------------
    @property
    def communities(self) -> Sequence[Community]:
        return self._directory.communities

    def community_of(self, channel: Channel) -> Community | None:
        return self._directory.community_of(channel)

    def community_channels(self, community: Community, kind: str = "channels"
                           ) -> list[Channel]:
        return self._directory.community_channels(community, kind)

    def scope_of(self, channel: Channel) -> str:
        return self._directory.scope_of(channel)

    def timezone_of(self, channel: Channel) -> str:
        return self._directory.timezone_of(channel)

    def language_of(self, channel: Channel) -> str:
        return self._directory.language_of(channel)

    # --- saying -------------------------------------------------------------------
    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   priority: Priority = Priority.NORMAL, reply_to: Message | None = None,
                   mention: User | None = None, ephemeral: bool = False,
                   file: Path | None = None) -> str | None:
        return await self._outbound.send(channel, text, buttons=buttons, priority=priority,
                                         reply_to=reply_to, mention=mention,
                                         ephemeral=ephemeral, file=file)

    async def notify_mods(self, channel: Channel, text: str, *,
                          buttons: Sequence[Button] = ()) -> int:
        return await self._outbound.notify_mods(channel, text, buttons=buttons)

    # --- acting -------------------------------------------------------------------
    def can(self, channel: Channel, capability: Capability) -> bool:
        return self._outbound.can(channel, capability)

    async def delete(self, message: Message, reason: str = "") -> ActionResult:
        return await self._outbound.delete(self.plugin, message)

    async def timeout(self, user: User, channel: Channel, seconds: int,
                      reason: str) -> ActionResult:
        return await self._outbound.timeout(self.plugin, user, channel, seconds, reason)

    async def warn(self, user: User, channel: Channel, reason: str) -> ActionResult:
        return await self._outbound.warn(self.plugin, user, channel, reason)

    async def ban(self, user: User, channel: Channel, reason: str) -> ActionResult:
        return await self._outbound.ban(self.plugin, user, channel, reason)

    async def run_held(self, message: Message) -> str | None:
        held = self._parts.held
        return await held.run(message) if held is not None else None

    async def drop_held(self, message: Message) -> None:
        if self._parts.held is not None:
            await self._parts.held.drop(message)

    def is_live(self, channel: Channel) -> bool | None:
        return self._outbound.is_live(channel)

    async def upsert_native_event(self, channel: Channel, native_id: str | None, *,
                                  title: str, starts_at: float, ends_at: float,
                                  description: str, location: str) -> str | None:
        return await self._outbound.upsert_native_event(
            channel, native_id, title=title, starts_at=starts_at, ends_at=ends_at,
            description=description, location=location)

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool:
        return await self._outbound.delete_native_event(channel, native_id)

    # --- other plugins ------------------------------------------------------------
    async def variables(self, channel: Channel, message: Message | None = None
                        ) -> dict[str, str]:
        parts = self._parts
        merged: dict[str, str] = {}
        # a fraction of the hook timeout: the caller (an FAQ answer) is itself bounded by
        # it, so one hanging plugin's variables must not take every answer down with it
        found = await parts.hooks.call_all(
            "cmbot_variables", ("ctx", lambda name: parts.context(name, channel, message)),
            limit=parts.hooks.timeout / 5)
        for _, offered in found:
            if isinstance(offered, dict):
                merged.update({str(k): str(v) for k, v in offered.items()})
        return merged

    async def forget_user(self, user_key: str) -> None:
        if self._parts.held is not None:
            await self._parts.held.forget(user_key)
        await self._parts.hooks.call_all("cmbot_forget_user", ("bot", self._parts.host),
                                         user_key=user_key)
