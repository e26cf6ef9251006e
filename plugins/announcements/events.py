"""Delivering events: announcements on every linked platform, native scheduled events kept
in sync, reminder and start timers, and the next run of a repeating event."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from cmbot import Bot, Capability, Channel, Cron, Priority, Timer

from . import templates
from .state import log, settings_for, state_of
from .store import Event


def targets(bot: Bot, event: Event) -> list[Channel]:
    origin = Channel.from_dict(event.origin)
    community = bot.community_of(origin)
    channels = bot.community_channels(community, "announce_channels") if community else []
    channels = [c for c in channels if c.platform.value in event.platforms]
    return channels or [origin]


def values(bot: Bot, event: Event) -> dict[str, str]:
    settings = settings_for(bot, event)
    return templates.values_for(event.title, datetime.fromtimestamp(event.starts_at, UTC),
                                bot.now(), event.tz, settings["locale"],
                                event.description, settings["url"])


async def announce(bot: Bot, event: Event, kind: str, *, skip: Channel | None = None,
                    priority: Priority = Priority.NORMAL) -> None:
    text = templates.render(kind, settings_for(bot, event)["locale"], values(bot, event))
    for channel in targets(bot, event):
        if channel != skip:
            await bot.send(channel, text, priority=priority)


async def sync_native(bot: Bot, event: Event) -> None:
    """Create/update/delete the platform-native events of an event (Discord guild events)."""
    settings = settings_for(bot, event)
    if not settings["native_events"]:
        return
    for channel in targets(bot, event):
        if not bot.can(channel, Capability.NATIVE_EVENTS):
            continue
        existing = event.native.get(channel.key)
        try:
            if event.status != "scheduled":
                if existing:
                    await bot.delete_native_event(channel, existing)
                    event.native.pop(channel.key, None)
                continue
            native_id = await bot.upsert_native_event(
                channel, existing, title=event.title, starts_at=event.starts_at,
                ends_at=event.starts_at + float(settings["event_length"]),
                description=event.description, location=settings["url"] or "online")
        except Exception:  # noqa: BLE001 - chat announcements go out regardless
            log.exception("native event for #%d on %s failed", event.id, channel.key)
            continue
        if native_id:
            event.native[channel.key] = native_id
    await state_of(bot).store.update_event(event)


async def arm(bot: Bot, event: Event) -> list[float]:
    """(Re)create an event's reminder and start timers; returns reminder offsets kept."""
    await bot.timers.cancel_prefix(f"event:{event.id}:")
    now = bot.time()
    kept = []
    for before in event.reminders:
        at = event.starts_at - before
        if at > now:
            await bot.timers.at("ann.remind", at, {"event": event.id, "before": before,
                                                   "starts": event.starts_at},
                                   key=f"event:{event.id}:remind:{int(before)}")
            kept.append(before)
    # infinite grace: the handler runs after any downtime, so a repeating event re-arms
    # (it announces only if the start is at most the scheduler's grace late)
    await bot.timers.at("ann.start", event.starts_at, {"event": event.id},
                        key=f"event:{event.id}:start", grace=math.inf)
    return kept


def next_start(event: Event) -> float | None:
    if not event.repeat:
        return None
    cron = Cron.parse(event.repeat, event.tz)
    return cron.next_after(datetime.fromtimestamp(event.starts_at, UTC)).timestamp()



def install(bot: Bot) -> None:
    """Register the handlers of the reminder and start timers."""
    state = state_of(bot)
    async def remind(timer: Timer) -> None:
        event = await state.store.event(int(timer.payload["event"]))
        if event is None or event.status != "scheduled":
            return
        if bot.time() >= event.starts_at or \
                timer.payload.get("starts", event.starts_at) != event.starts_at:
            return  # its run has started (a reminder sent late after downtime): not sent
        await announce(bot, event, "reminder")

    async def start(timer: Timer) -> None:
        event = await state.store.event(int(timer.payload["event"]))
        if event is None or event.status != "scheduled":
            return
        now = bot.time()
        following = next_start(event)
        while following is not None and following <= now:  # runs missed while down:
            event.starts_at = following  # only the latest may still be announced
            following = next_start(event)
        if now - event.starts_at <= bot.timers.grace:  # the latest run, once, if in grace
            await announce(bot, event, "start", priority=Priority.HIGH)
        if following is None:
            event.status = "done"
            await state.store.update_event(event)
            return
        event.starts_at = following
        await state.store.update_event(event)
        await arm(bot, event)
        await sync_native(bot, event)

    bot.timers.on("ann.remind", remind)
    bot.timers.on("ann.start", start)
