"""Chat timers: a text posted every so often while chat is active, outside quiet hours,
optionally only while live, rotating through up to five texts."""

from __future__ import annotations

from datetime import datetime

from cmbot import (
    Bot,
    Channel,
    CommandError,
    Context,
    Priority,
    Timer,
    format_duration,
    get_zone,
    parse_int,
)

from .state import MAX_TEXTS, state_of
from .store import ChatTimer


def _quiet(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        start, end = (parse_int(part, 0, 23) for part in text.split("-"))
    except ValueError:
        raise CommandError(f"quiet:{text} — write the quiet hours like quiet:23-8 "
                           f"(from 23:00 to 08:00)") from None
    return f"{start}-{end}"


def _in_quiet_hours(quiet: str | None, tz: str, now: datetime) -> bool:
    if not quiet:
        return False
    start, end = (int(p) for p in quiet.split("-"))
    hour = now.astimezone(get_zone(tz)).hour
    return start <= hour < end if start <= end else hour >= start or hour < end


def _is_live(bot: Bot, channel: Channel) -> bool | None:
    """The channel's live status; where its platform cannot tell (Discord), the stream of
    its community's channels on other platforms (the linked Twitch channel) decides."""
    status = bot.is_live(channel)
    if status is not None:
        return status
    community = bot.community_of(channel)
    if community is None:
        return None
    known = []
    for other in bot.community_channels(community):
        if other.platform != channel.platform:
            live = bot.is_live(other)
            if live is not None:
                known.append(live)
    return any(known) if known else None


async def fire_chat_timer(bot: Bot, timer_id: int) -> None:
    state = state_of(bot)
    timer = await state.store.timer(timer_id)
    if timer is None or timer.paused:
        return
    channel = Channel.from_dict(timer.channel)
    if _in_quiet_hours(timer.quiet, timer.tz, bot.now()):
        return
    if timer.live_only and _is_live(bot, channel) is False:
        return  # when nobody can tell (None), the timer still posts
    if state.lines.get(channel.key, 0) < timer.min_lines:
        return
    text = timer.texts[timer.next_index % len(timer.texts)]
    await state.store.set_timer(timer.id, next_index=(timer.next_index + 1) % len(timer.texts))
    state.lines[channel.key] = 0
    await bot.send(channel, text, priority=Priority.LOW)


async def timer_add(ctx: Context, name: str, text: str, every: float,
                     lines: int | None = None, quiet: str | None = None,
                     live: bool | None = None) -> str:
    state = state_of(ctx.bot)
    name = name.lower()
    channel = ctx.channel.to_dict()
    if await state.store.timer_by_name(channel, name):
        raise CommandError(f"a timer called {name!r} exists here; {ctx.prefix}timer remove "
                           f"{name} first")
    texts = [t.strip() for t in text.split("||") if t.strip()]
    if not texts or len(texts) > MAX_TEXTS:
        raise CommandError(f"give 1 to {MAX_TEXTS} texts separated by ||")
    min_lines = ctx.settings["timer_min_lines"] if lines is None else lines
    timer_id = await state.store.add_timer(channel, name, every, texts, min_lines,
                                           _quiet(quiet), ctx.timezone, bool(live))
    await ctx.bot.timers.every("ann.timer", every, {"timer": timer_id},
                                  key=f"timer:{timer_id}")
    return (f"✓ timer {name}: every {format_duration(every)} if {min_lines}+ chat lines, "
            f"{len(texts)} text(s)" + (f", quiet {quiet}" if quiet else "")
            + (", only while live" if live else ""))


async def _timer_named(ctx: Context, name: str) -> ChatTimer:
    timer = await state_of(ctx.bot).store.timer_by_name(ctx.channel.to_dict(), name.lower())
    if timer is None:
        raise CommandError(f"no timer {name!r} in this channel; {ctx.prefix}timer list")
    return timer


async def timer_list(ctx: Context) -> str:
    timers = await state_of(ctx.bot).store.timers(ctx.channel.to_dict())
    if not timers:
        return f"No timers here. {ctx.prefix}timer add <name> every:15m <text>"
    return " | ".join(f"{t.name}: every {format_duration(t.interval)}, {len(t.texts)} text(s)"
                      f"{' (paused)' if t.paused else ''}" for t in timers)


async def timer_pause(ctx: Context, name: str) -> str:
    timer = await _timer_named(ctx, name)
    await state_of(ctx.bot).store.set_timer(timer.id, paused=1)
    return f"✓ timer {timer.name} paused"


async def timer_resume(ctx: Context, name: str) -> str:
    timer = await _timer_named(ctx, name)
    await state_of(ctx.bot).store.set_timer(timer.id, paused=0)
    return f"✓ timer {timer.name} resumed"


async def timer_remove(ctx: Context, name: str) -> str:
    timer = await _timer_named(ctx, name)
    await state_of(ctx.bot).store.remove_timer(timer.id)
    await ctx.bot.timers.cancel_key(f"timer:{timer.id}")
    return f"✓ timer {timer.name} removed"



def install(bot: Bot) -> None:
    """Register the handler of the chat timers."""

    async def chat_timer(timer: Timer) -> None:
        await fire_chat_timer(bot, int(timer.payload["timer"]))

    bot.timers.on("ann.timer", chat_timer)
