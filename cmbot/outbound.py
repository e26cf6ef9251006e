"""Everything the bot does on a platform: sending (cleaned, rate limited, degraded where
a platform lacks buttons) and moderation actions (capability checked, rate limited,
logged, their outcome returned). Plugins reach both only through their ``bot``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from .config import Config
from .directory import Directory
from .model import ActionResult, Button, Capability, Channel, Message, Platform, User
from .platforms.base import PlatformAdapter
from .ratelimit import Limits, Outbox, Priority, SlidingWindow
from .safety import split_outbound

log = logging.getLogger("cmbot.outbound")

ORDER: ContextVar[Message | None] = ContextVar("cmbot_order", default=None)
"""The command message whose handler is running (and the tasks it started): a moderation
action taken meanwhile was ordered by its author, and the platform checks that they may
(their server, their own permissions). None for the bot's own decisions."""

_CAPABILITY = {"delete": Capability.DELETE, "timeout": Capability.TIMEOUT,
               "warn": Capability.WARN, "ban": Capability.BAN}


class Outbound:
    """Sends and moderation actions for every platform."""

    def __init__(self, config: Config, adapters: Mapping[Platform, PlatformAdapter],
                 directory: Directory, now: Callable[[], float], prefix: str,
                 wake: Callable[[], None]) -> None:
        limits = config["ratelimit"]
        self.config = config
        self.adapters = adapters
        self.directory = directory
        self.now = now
        self.prefix = prefix
        self.wake = wake
        self.outbox = Outbox(limits=self._limit_for, now=now,
                             queue_size=int(limits["queue_size"]))
        self._actions: dict[str, SlidingWindow] = {}
        self._action_limit = (int(limits["actions"]), float(limits["actions_window"]))
        self._unrouted: dict[str, float] = {}
        self.outcomes: dict[tuple[str, bool, str], int] = {}
        """How many actions ended how: (action, done, problem) -> count."""

    def _limit_for(self, key: str) -> Limits:
        limits = self.config["ratelimit"]
        platform, _, channel_id = key.partition(":")
        if platform == Platform.TWITCH.value:
            adapter = self.adapters.get(Platform.TWITCH)
            channel = Channel(Platform.TWITCH, channel_id, channel_id)
            window = float(limits["twitch_window"])
            if adapter is not None and adapter.is_moderator_in(channel):
                return ((key, int(limits["twitch_moderator_messages"]), window),)
            # Where the bot is no moderator, Twitch counts the account's sends across all
            # those channels together, not each channel on its own.
            return ((key, int(limits["twitch_messages"]), window),
                    ("twitch:*", int(limits["twitch_account_messages"]), window))
        if platform == Platform.DISCORD.value:
            return ((key, int(limits["discord_messages"]), float(limits["discord_window"])),)
        return ((key, 20, 1.0),)  # console / fake: generous but bounded

    def can(self, channel: Channel, capability: Capability) -> bool:
        adapter = self.adapters.get(channel.platform)
        return adapter is not None and capability in adapter.capabilities

    # --- sending ---------------------------------------------------------------------

    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   priority: Priority = Priority.NORMAL, reply_to: Message | None = None,
                   mention: User | None = None, ephemeral: bool = False,
                   file: Path | None = None) -> str | None:
        """Send through the channel's rate limit; cleaned, mentions neutralised, split into
        a few messages (or cut) where longer than the platform allows.
        Returns the sent id, or None if the message was queued or dropped."""
        adapter = self.adapters.get(channel.platform)
        if adapter is None:
            log.warning("no adapter for %s; message to %s not sent", channel.platform,
                        channel.key)
            return None
        if buttons and Capability.BUTTONS not in adapter.capabilities:
            prefix = self.prefix
            text = f"{text} ({' | '.join(f'{b.label}: {prefix}{b.command}' for b in buttons)})"
            buttons = ()
        parts = split_outbound(text, channel.platform, allow_user_mentions=mention is not None)
        result: str | None = None
        for number, part in enumerate(parts, 1):  # a long reply: several messages, in order
            last = number == len(parts)
            result = await self._send_one(adapter, channel, part, priority, reply_to, mention,
                                          ephemeral, tuple(buttons) if last else (),
                                          file if last else None)
        return result

    async def _send_one(self, adapter: PlatformAdapter, channel: Channel, text: str,
                        priority: Priority, reply_to: Message | None, mention: User | None,
                        ephemeral: bool, buttons: tuple[Button, ...],
                        file: Path | None) -> str | None:
        async def _go() -> str | None:
            try:
                return await adapter.send(channel, text, buttons=buttons,
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
        result: str | None = await self.outbox.submit(channel.key, _go, priority)
        if self.outbox.pending():
            self.wake()
        return result

    async def notify_mods(self, channel: Channel, text: str, *,
                          buttons: Sequence[Button] = ()) -> int:
        """Post to the moderator channels of ``channel``'s community. Returns the count."""
        community = self.directory.community_of(channel)
        targets = self.directory.community_channels(community, "mod_channels") \
            if community else []
        if not targets:
            now = self.now()
            if now - self._unrouted.get(channel.key, float("-inf")) >= 600:
                self._unrouted[channel.key] = now
                log.warning("moderator notice for %s, which has no mod_channels (add it to a "
                            "[communities] table with mod_channels): %s", channel.key, text)
            return 0
        for target in targets:
            await self.send(target, text, buttons=buttons, priority=Priority.HIGH)
        return len(targets)

    # --- acting ----------------------------------------------------------------------

    async def act(self, action: str, channel: Channel, plugin: str,
                  call: Callable[[PlatformAdapter], Awaitable[bool]]) -> ActionResult:
        """Run one moderation action: the platform must offer it and the channel's action
        window must have room; the outcome is logged, counted and returned."""
        adapter = self.adapters.get(channel.platform)
        if adapter is None:
            result = ActionResult(action, False, "no platform")
        elif _CAPABILITY[action] not in adapter.capabilities:
            result = ActionResult(action, False, "unsupported")
        elif (order := ORDER.get()) is not None and \
                (problem := adapter.order_problem(order, action, channel)):
            result = ActionResult(action, False, problem)
        else:
            window = self._actions.get(channel.key)
            if window is None:
                window = self._actions[channel.key] = SlidingWindow(*self._action_limit)
            now = self.now()
            if not window.available(now):
                result = ActionResult(action, False, "rate limited")
            else:
                window.record(now)
                try:
                    done = await call(adapter)
                except Exception as exc:  # noqa: BLE001 - an adapter error never reaches plugins
                    log.exception("%s on %s for %s failed", action, channel.key, plugin)
                    result = ActionResult(action, False, f"failed: {type(exc).__name__}")
                else:
                    result = ActionResult(action, bool(done), "" if done else "refused")
        key = (action, result.done, result.problem)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        level = logging.INFO if result.done or result.problem == "unsupported" else \
            logging.WARNING
        log.log(level, "%s in %s for %s: %s", action, channel.key, plugin,
                "done" if result.done else result.problem)
        return result

    async def delete(self, plugin: str, message: Message) -> ActionResult:
        return await self.act("delete", message.channel, plugin,
                              lambda adapter: adapter.delete(message))

    async def timeout(self, plugin: str, user: User, channel: Channel, seconds: int,
                      reason: str) -> ActionResult:
        return await self.act("timeout", channel, plugin, lambda adapter: adapter.timeout(
            user, channel, max(1, int(seconds)), reason))

    async def warn(self, plugin: str, user: User, channel: Channel,
                   reason: str) -> ActionResult:
        return await self.act("warn", channel, plugin,
                              lambda adapter: adapter.warn(user, channel, reason))

    async def ban(self, plugin: str, user: User, channel: Channel,
                  reason: str) -> ActionResult:
        return await self.act("ban", channel, plugin,
                              lambda adapter: adapter.ban(user, channel, reason))

    # --- platform state --------------------------------------------------------------

    def is_live(self, channel: Channel) -> bool | None:
        adapter = self.adapters.get(channel.platform)
        return adapter.is_live(channel) if adapter is not None else None

    async def upsert_native_event(self, channel: Channel, native_id: str | None,
                                  **event: Any) -> str | None:
        adapter = self.adapters.get(channel.platform)
        if adapter is None or Capability.NATIVE_EVENTS not in adapter.capabilities:
            return None
        return await adapter.upsert_native_event(channel, native_id, **event)

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool:
        adapter = self.adapters.get(channel.platform)
        if adapter is None or Capability.NATIVE_EVENTS not in adapter.capabilities:
            return False
        return await adapter.delete_native_event(channel, native_id)
